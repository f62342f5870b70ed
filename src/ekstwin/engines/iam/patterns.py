"""Wildcard patterns of IAM policies: actions, resources, ``StringLike`` and ``ArnLike``.

* Action names are matched case-insensitively, the whole name as one glob.
* Resource ARNs are case-sensitive. In the first five colon-separated parts a
  ``*`` stays inside its part unless it is the last character of the part (then
  it may run past colons, as the IAM documentation says); in the resource part
  ``*`` spans anything, ``/`` and ``:`` included.
* ``StringLike`` globs the whole value; ``ArnLike`` matches each of the six
  parts of the ARN separately.

A :class:`PatternCache` compiles each distinct pattern once; it is owned by
whoever evaluates (never module state).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _glob_regex(pattern: str, star: str, one: str) -> str:
    out: list[str] = []
    for ch in pattern:
        if ch == "*":
            out.append(star)
        elif ch == "?":
            out.append(one)
        else:
            out.append(re.escape(ch))
    return "".join(out)


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def has_variable(text: str) -> bool:
    return "${" in text


def action_regex(pattern: str) -> str:
    """The regex of an Action element value (already lower-cased)."""
    return _glob_regex(pattern, ".*", ".")


def resource_regex(pattern: str) -> str:
    """The regex of a Resource element value (see the module docstring)."""
    if pattern == "*":
        return ".*"
    parts = pattern.split(":", 5)
    out: list[str] = []
    for index, part in enumerate(parts):
        if index == len(parts) - 1 and index == 5:
            out.append(_glob_regex(part, ".*", "."))
        elif part.endswith("*"):
            out.append(_glob_regex(part[:-1], "[^:]*", "[^:]") + ".*")
        else:
            out.append(_glob_regex(part, "[^:]*", "[^:]"))
    return ":".join(out)


@dataclass(slots=True)
class PatternCache:
    """Compiled regexes by (kind, pattern); one per evaluator, reused across requests."""

    _compiled: dict[tuple[str, str], re.Pattern[str]] = field(default_factory=dict)

    def get(self, kind: str, pattern: str) -> re.Pattern[str]:
        key = (kind, pattern)
        compiled = self._compiled.get(key)
        if compiled is None:
            if kind == "action":
                text = _glob_regex(pattern.lower(), ".*", ".")
            elif kind == "resource":
                text = resource_regex(pattern)
            elif kind == "like":
                text = _glob_regex(pattern, ".*", ".")
            else:  # arn part
                text = _glob_regex(pattern, ".*", ".")
            compiled = re.compile(text, re.DOTALL)
            self._compiled[key] = compiled
        return compiled

    def action_matches(self, pattern: str, action: str) -> bool:
        return self.get("action", pattern).fullmatch(action) is not None

    def resource_matches(self, pattern: str, resource: str) -> bool:
        return self.get("resource", pattern).fullmatch(resource) is not None

    def like(self, pattern: str, value: str) -> bool:
        return self.get("like", pattern).fullmatch(value) is not None

    def arn_like(self, pattern: str, value: str) -> bool:
        """``ArnLike``: both must have six parts; each part is globbed on its own."""
        want = pattern.split(":", 5)
        have = value.split(":", 5)
        if len(want) != 6 or len(have) != 6:
            return False
        return all(
            self.get("arn", w).fullmatch(h) is not None for w, h in zip(want, have, strict=True)
        )


def substitute(text: str, context: Mapping[str, tuple[str, ...]]) -> str | None:
    """Replace ``${key}`` policy variables from the request context.

    ``${*}``, ``${?}`` and ``${$}`` stand for the literal characters. A variable
    may carry a default: ``${aws:username, 'nobody'}``. A key that is absent
    (or multivalued) without a default gives None: the value cannot match.
    """
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        body = match.group(1).strip()
        if body in ("*", "?", "$"):
            return body
        default: str | None = None
        if "," in body:
            key, _, rest = body.partition(",")
            body = key.strip()
            rest = rest.strip()
            if len(rest) >= 2 and rest[0] == rest[-1] == "'":
                default = rest[1:-1]
        values = context.get(body.lower())
        if values is not None and len(values) == 1:
            return values[0]
        if default is not None:
            return default
        missing = True
        return ""

    result = _VARIABLE.sub(replace, text)
    return None if missing else result
