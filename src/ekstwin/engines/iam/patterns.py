"""Wildcard patterns of IAM policies: actions, resources, ``StringLike`` and ``ArnLike``.

* Action names are matched case-insensitively, the whole name as one glob.
* Resource ARNs are case-sensitive. In the first five colon-separated parts a
  ``*`` stays inside its part unless it is the last character of the part (then
  it may run past colons, as the IAM documentation says); in the resource part
  ``*`` spans anything, ``/`` and ``:`` included.
* ``StringLike`` globs the whole value; ``ArnLike`` matches each of the six
  parts of the ARN separately.

Policy variables (``${aws:username}``) are resolved per request into
:data:`Chunks`: the policy's own text keeps its wildcards, a substituted value
is matched literally (a user named ``a*`` matches only ``a*``), and ``${*}``,
``${?}`` and ``${$}`` are the literal characters (IAM User Guide, "IAM policy
elements: Variables and tags", special characters).

A :class:`PatternCache` compiles each distinct pattern once; it is owned by
whoever evaluates (never module state).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

_VARIABLE = re.compile(r"\$\{([^}]*)\}")

#: A pattern after variable substitution: pieces of text, each with whether its
#: ``*`` and ``?`` are wildcards (the policy's own text) or literal (substituted).
Chunks = tuple[tuple[str, bool], ...]
_Char = tuple[str, bool]


def _glob_regex(pattern: str, star: str, one: str) -> str:
    return _chars_regex([(ch, True) for ch in pattern], star, one)


def _chars_regex(chars: Sequence[_Char], star: str, one: str) -> str:
    out: list[str] = []
    for ch, wild in chars:
        if wild and ch == "*":
            out.append(star)
        elif wild and ch == "?":
            out.append(one)
        else:
            out.append(re.escape(ch))
    return "".join(out)


def _chars(chunks: Chunks) -> list[_Char]:
    return [(ch, wild) for text, wild in chunks for ch in text]


def _split_colons(chars: list[_Char], maxsplit: int) -> list[list[_Char]]:
    parts: list[list[_Char]] = [[]]
    for ch in chars:
        if ch[0] == ":" and len(parts) <= maxsplit:
            parts.append([])
        else:
            parts[-1].append(ch)
    return parts


def _merge(chars: list[_Char]) -> Chunks:
    out: list[tuple[str, bool]] = []
    for ch, wild in chars:
        if out and out[-1][1] == wild:
            out[-1] = (out[-1][0] + ch, wild)
        else:
            out.append((ch, wild))
    return tuple(out)


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def has_variable(text: str) -> bool:
    return "${" in text


def literal(text: str) -> Chunks:
    """A pattern as written, without variables: every wildcard counts."""
    return ((text, True),)


def action_regex(pattern: str) -> str:
    """The regex of an Action element value (already lower-cased)."""
    return _glob_regex(pattern, ".*", ".")


def resource_regex(pattern: str) -> str:
    """The regex of a Resource element value (see the module docstring)."""
    return _resource_chars_regex([(ch, True) for ch in pattern])


def _resource_chars_regex(chars: list[_Char]) -> str:
    if chars == [("*", True)]:
        return ".*"
    parts = _split_colons(chars, 5)
    out: list[str] = []
    for index, part in enumerate(parts):
        if index == len(parts) - 1 and index == 5:
            out.append(_chars_regex(part, ".*", "."))
        elif part and part[-1] == ("*", True):
            out.append(_chars_regex(part[:-1], "[^:]*", "[^:]") + ".*")
        else:
            out.append(_chars_regex(part, "[^:]*", "[^:]"))
    return ":".join(out)


@dataclass(slots=True)
class PatternCache:
    """Compiled regexes by (kind, pattern); one per evaluator, reused across requests."""

    _compiled: dict[tuple[str, Chunks], re.Pattern[str]] = field(default_factory=dict)

    def get(self, kind: str, pattern: str | Chunks) -> re.Pattern[str]:
        chunks = literal(pattern) if isinstance(pattern, str) else pattern
        key = (kind, chunks)
        compiled = self._compiled.get(key)
        if compiled is None:
            chars = _chars(chunks)
            if kind == "action":
                text = _chars_regex([(c.lower(), w) for c, w in chars], ".*", ".")
            elif kind == "resource":
                text = _resource_chars_regex(chars)
            else:  # "like", or one part of an ARN
                text = _chars_regex(chars, ".*", ".")
            compiled = re.compile(text, re.DOTALL)
            self._compiled[key] = compiled
        return compiled

    def action_matches(self, pattern: str, action: str) -> bool:
        return self.get("action", pattern).fullmatch(action) is not None

    def resource_matches(self, pattern: str | Chunks, resource: str) -> bool:
        return self.get("resource", pattern).fullmatch(resource) is not None

    def like(self, pattern: str | Chunks, value: str) -> bool:
        return self.get("like", pattern).fullmatch(value) is not None

    def arn_like(self, pattern: str | Chunks, value: str) -> bool:
        """``ArnLike``: both must have six parts; each part is globbed on its own."""
        chunks = literal(pattern) if isinstance(pattern, str) else pattern
        want = _split_colons(_chars(chunks), 5)
        have = value.split(":", 5)
        if len(want) != 6 or len(have) != 6:
            return False
        return all(
            self.get("arn", _merge(part)).fullmatch(h) is not None
            for part, h in zip(want, have, strict=True)
        )


def resolve(text: str, context: Mapping[str, tuple[str, ...]]) -> Chunks | None:
    """Substitute the ``${key}`` policy variables of ``text`` from the request context.

    The result keeps the policy's own text apart from substituted values (see
    :data:`Chunks`). ``${*}``, ``${?}`` and ``${$}`` stand for the literal
    characters. A variable may carry a default: ``${aws:username, 'nobody'}``.
    A key that is absent (or multivalued) without a default gives None: every
    comparison with the value fails.
    """
    chunks: list[tuple[str, bool]] = []
    pos = 0
    for match in _VARIABLE.finditer(text):
        if match.start() > pos:
            chunks.append((text[pos : match.start()], True))
        pos = match.end()
        body = match.group(1).strip()
        if body in ("*", "?", "$"):
            chunks.append((body, False))
            continue
        default: str | None = None
        if "," in body:
            key, _, rest = body.partition(",")
            body = key.strip()
            rest = rest.strip()
            if len(rest) >= 2 and rest[0] == rest[-1] == "'":
                default = rest[1:-1]
        values = context.get(body.lower())
        if values is not None and len(values) == 1:
            chunks.append((values[0], False))
        elif default is not None:
            chunks.append((default, False))
        else:
            return None
    if pos < len(text):
        chunks.append((text[pos:], True))
    return tuple(chunks)


def joined(chunks: Chunks) -> str:
    """The text of a resolved pattern, for exact comparisons."""
    return "".join(text for text, _ in chunks)


def substitute(text: str, context: Mapping[str, tuple[str, ...]]) -> str | None:
    """``text`` with its variables replaced, as plain text (None when one is missing)."""
    chunks = resolve(text, context)
    return None if chunks is None else joined(chunks)
