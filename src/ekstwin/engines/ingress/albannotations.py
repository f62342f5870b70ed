"""Reading ``alb.ingress.kubernetes.io/*`` annotations the way the controller does.

The AWS Load Balancer Controller reads its annotations with a small parser:
comma lists are split and trimmed with empty items dropped, maps are
``k=v`` pairs separated by commas (a backslash escapes a comma), integers must
fit 32 bits, and JSON annotations are decoded strictly. A value that does not
parse is an error of the Ingress, and so of its whole group.
"""

from __future__ import annotations

import json
import re

from ekstwin.errors import EkstwinError

ALB_PREFIX = "alb.ingress.kubernetes.io/"
INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


class AnnotationError(EkstwinError, ValueError):
    """An annotation the controller cannot parse; the group fails on it."""


def key(suffix: str) -> str:
    return ALB_PREFIX + suffix


def get(annotations: dict[str, str], suffix: str) -> str | None:
    return annotations.get(key(suffix))


def string_list(annotations: dict[str, str], suffix: str) -> list[str] | None:
    raw = get(annotations, suffix)
    if raw is None:
        return None
    return [p.strip() for p in raw.split(",") if p.strip()]


def _split_pairs(raw: str) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            current.append(raw[i + 1])
            i += 2
            continue
        if ch == ",":
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    out.append("".join(current))
    return [p for p in (s.strip() for s in out) if p]


def string_map(annotations: dict[str, str], suffix: str) -> dict[str, str] | None:
    raw = get(annotations, suffix)
    if raw is None:
        return None
    out: dict[str, str] = {}
    for pair in _split_pairs(raw):
        k, sep, v = pair.partition("=")
        if not sep or not k.strip():
            raise AnnotationError(f"failed to parse stringMap annotation, {key(suffix)}: {raw}")
        out[k.strip()] = v.strip()
    return out


def int32(annotations: dict[str, str], suffix: str) -> int | None:
    """strconv.ParseInt(raw, 10, 32): no spaces, no underscores, a sign allowed."""
    raw = get(annotations, suffix)
    if raw is None:
        return None
    head = f"failed to parse int32 annotation, {key(suffix)}: {raw}: strconv.ParseInt: "
    if not re.fullmatch(r"[+-]?[0-9]+", raw):
        raise AnnotationError(f'{head}parsing "{raw}": invalid syntax')
    value = int(raw, 10)
    if not -(2**31) <= value < 2**31:
        raise AnnotationError(f'{head}parsing "{raw}": value out of range')
    return value


_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def boolean(annotations: dict[str, str], suffix: str) -> bool | None:
    """strconv.ParseBool: exactly these spellings."""
    raw = get(annotations, suffix)
    if raw is None:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise AnnotationError(
        f"failed to parse bool annotation, {key(suffix)}: {raw}: "
        f'strconv.ParseBool: parsing "{raw}": invalid syntax'
    )


def json_value(annotations: dict[str, str], suffix: str) -> object | None:
    raw = get(annotations, suffix)
    if raw is None:
        return None
    try:
        value: object = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise AnnotationError(
            f"failed to parse json annotation, {key(suffix)}: {raw}: {_go_json_error(exc)}"
        ) from exc
    return value


_GO_JSON_WHERE = {
    "Expecting value": "looking for beginning of value",
    "Expecting ':' delimiter": "after object key",
    "Expecting property name enclosed in double quotes": "looking for beginning of object key "
    "string",
    "Extra data": "after top-level value",
}


def _go_json_error(exc: json.JSONDecodeError) -> str:
    """encoding/json's wording for a decode error (the controller's message)."""
    if exc.pos >= len(exc.doc.rstrip()):
        return "unexpected end of JSON input"
    char = exc.doc[exc.pos]
    where = _GO_JSON_WHERE.get(exc.msg)
    if exc.msg == "Expecting ',' delimiter":
        opener = _innermost_open(exc.doc[: exc.pos])
        where = "after array element" if opener == "[" else "after object key:value pair"
    return f"invalid character {char!r} {where or exc.msg.lower()}"


def _innermost_open(text: str) -> str:
    depth: list[str] = []
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "[{":
            depth.append(ch)
        elif ch in "]}" and depth:
            depth.pop()
    return depth[-1] if depth else ""


def go_set(values: set[str]) -> str:
    """A Go ``sets.String`` as ``%v`` prints it (the controller's error text)."""
    return "map[" + " ".join(f"{v}:{{}}" for v in sorted(values)) + "]"


def go_list(values: list[str] | tuple[str, ...]) -> str:
    """A Go ``[]string`` as ``%v`` / ``%s`` prints it: ``[a b]``."""
    return "[" + " ".join(values) + "]"
