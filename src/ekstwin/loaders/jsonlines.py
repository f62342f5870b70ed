"""Line numbers for JSON values, keyed by JSON Pointer (RFC 6901).

``json.loads`` forgets where things were. :func:`pointer_lines` scans the text
once more, without building values, and records the 1-based line where each
value starts: ``{"/accounts/0/iam/roles/3": 42, ...}``. The scanner is small
and forgiving: on invalid JSON it returns what it saw up to the point where
the text stops making sense.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["json_path", "line_of", "nearest_line", "pointer", "pointer_lines"]

_DELIMITERS = frozenset(' \t\r\n,:[]{}"')
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(slots=True)
class _Frame:
    is_object: bool
    pointer: str
    index: int = 0
    key: str | None = None
    expecting_key: bool = True


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(path: Iterable[str | int]) -> str:
    """The JSON Pointer of a path of keys and indexes: ``["a", 0]`` -> ``/a/0``."""
    return "".join("/" + _escape(str(part)) for part in path)


def json_path(path: Iterable[str | int]) -> str:
    """A path for people: ``["accounts", 0, "iam"]`` -> ``$.accounts[0].iam``."""
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.fullmatch(part):
            out.append(f".{part}")
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out)


def _read_string(text: str, start: int) -> tuple[str, int, int]:
    """Read the string whose opening quote is at ``start``.

    Returns (decoded value, index after the closing quote, newlines inside).
    An unterminated string runs to the end of the text.
    """
    i = start + 1
    end = len(text)
    newlines = 0
    while i < end:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            break
        if char == "\n":
            newlines += 1
        i += 1
    raw = text[start : min(i + 1, end)]
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw[1:-1] if raw.endswith('"') and len(raw) > 1 else raw[1:]
    return (value if isinstance(value, str) else str(value)), i + 1, newlines


def pointer_lines(text: str) -> dict[str, int]:
    """Map the JSON Pointer of every value in ``text`` to the line where it starts.

    The root document is ``""``. Objects, arrays, strings, numbers and
    literals are all recorded; keys are not values and are not recorded. If
    a key repeats, the last occurrence wins, as in ``json.loads``.
    """
    lines: dict[str, int] = {}
    stack: list[_Frame] = []
    line = 1
    i = 0
    end = len(text)
    root_seen = False

    def value_pointer() -> str | None:
        if not stack:
            return None if root_seen else ""
        top = stack[-1]
        if top.is_object:
            if top.key is None or top.expecting_key:
                return None
            return f"{top.pointer}/{_escape(top.key)}"
        return f"{top.pointer}/{top.index}"

    while i < end:
        char = text[i]
        if char == "\n":
            line += 1
            i += 1
        elif char in " \t\r":
            i += 1
        elif char in "{[":
            at = value_pointer()
            if at is None:
                return lines
            lines[at] = line
            root_seen = True
            stack.append(_Frame(is_object=char == "{", pointer=at))
            i += 1
        elif char in "}]":
            if not stack or stack[-1].is_object != (char == "}"):
                return lines
            stack.pop()
            i += 1
        elif char == ",":
            if not stack:
                return lines
            top = stack[-1]
            if top.is_object:
                top.expecting_key = True
                top.key = None
            else:
                top.index += 1
            i += 1
        elif char == ":":
            if not stack or not stack[-1].is_object:
                return lines
            stack[-1].expecting_key = False
            i += 1
        elif char == '"':
            value, after, newlines = _read_string(text, i)
            if stack and stack[-1].is_object and stack[-1].expecting_key:
                stack[-1].key = value
            else:
                at = value_pointer()
                if at is None:
                    return lines
                lines[at] = line
                root_seen = True
            line += newlines
            i = after
        else:
            at = value_pointer()
            if at is None:
                return lines
            lines[at] = line
            root_seen = True
            while i < end and text[i] not in _DELIMITERS:
                i += 1
    return lines


def nearest_line(lines: Mapping[str, int], at: str) -> int | None:
    """The line of ``at``, or of its nearest ancestor that has one (the root ``""``
    included); None if none has."""
    current = at
    while True:
        if current in lines:
            return lines[current]
        if not current:
            return None
        current = current.rpartition("/")[0]


def line_of(lines: Mapping[str, int], at: str) -> int:
    """The line of ``at``, or of its nearest ancestor that has one; 0 if none."""
    line = nearest_line(lines, at)
    return 0 if line is None else line
