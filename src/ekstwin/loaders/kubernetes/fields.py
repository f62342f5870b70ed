"""Field readers: each reads one field of a document as the API server would
take it, or raises :class:`InvalidDocument` naming the field (a JSON Pointer) and
what to do; and the metadata every object has (:func:`meta_of`)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from contextvars import ContextVar
from typing import NoReturn, cast

from ekstwin.errors import EkstwinError, SelectorSyntaxError
from ekstwin.loaders.kubernetes.kinds import namespace_of
from ekstwin.model.k8s import Meta, OwnerRef, Protocol
from ekstwin.model.selectors import LabelSelector, label_problem
from ekstwin.model.source import Source

__all__ = [
    "ENTRY_PROBLEMS",
    "InvalidDocument",
    "as_bool",
    "as_int",
    "as_list",
    "as_map",
    "as_str",
    "enum_value",
    "fail",
    "label_selector",
    "labels_of",
    "line_at",
    "meta_of",
    "port_in_range",
    "port_or_name",
    "port_value",
    "protocol_of",
    "req_str",
    "str_list",
    "str_map",
    "type_name",
    "unknown_fields",
]


class InvalidDocument(EkstwinError):
    """A document is malformed; ``pointer`` says where inside it."""

    def __init__(self, message: str, pointer: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer
        self.hint = hint


def fail(message: str, pointer: str, hint: str = "") -> NoReturn:
    raise InvalidDocument(message, pointer, hint)


#: Problems confined to one entry of the document being converted (the entry
#: is left out, the object kept); collected per document by the reader.
ENTRY_PROBLEMS: ContextVar[list[InvalidDocument] | None] = ContextVar(
    "ekstwin_entry_problems", default=None
)


def _did_you_mean(field_name: str, known: frozenset[str]) -> str | None:
    by_case = {k.lower(): k for k in known}
    if field_name.lower() in by_case:
        return by_case[field_name.lower()]
    close = difflib.get_close_matches(field_name, sorted(known), n=1, cutoff=0.75)
    return close[0] if close else None


def unknown_fields(
    entry: Mapping[str, object], known: frozenset[str], pointer: str, outcome: str
) -> bool:
    """Report each field of ``entry`` its type does not have (a misspelling, as a
    strict API server reports it); True when there was one."""
    unknown = [str(k) for k in entry if k not in known]
    for name in unknown:
        guess = _did_you_mean(name, known)
        problem = InvalidDocument(
            f"{pointer}: unknown field {name}"
            + (f" (did you mean {guess}?)" if guess else "")
            + f"; {outcome}",
            f"{pointer}/{name.replace('~', '~0').replace('/', '~1')}",
            f"rename it to {guess}" if guess else "remove the field",
        )
        problems = ENTRY_PROBLEMS.get()
        if problems is None:
            raise problem
        problems.append(problem)
    return bool(unknown)


def as_map(value: object, pointer: str, what: str = "a mapping") -> dict[str, object]:
    if value.__class__ is dict:  # the common case first: readers call this for every part
        return value
    if value is None:
        return {}
    if not isinstance(value, dict):
        fail(f"{pointer or 'the document'} must be {what}, not {type_name(value)}", pointer)
    return value


def as_list(value: object, pointer: str) -> list[object]:
    if value.__class__ is list:
        return value
    if value is None:
        return []
    if not isinstance(value, list):
        fail(f"{pointer} must be a list, not {type_name(value)}", pointer)
    return value


def as_str(value: object, pointer: str, *, required: bool = False) -> str | None:
    if value.__class__ is str:
        return value
    if value is None:
        if required:
            fail(f"{pointer} is required", pointer)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        fail(f"{pointer} must be a string, not {type_name(value)}", pointer)
    return str(value)


def req_str(value: object, pointer: str) -> str:
    if value.__class__ is str:
        return value
    s = as_str(value, pointer, required=True)
    assert s is not None
    return s


def as_int(value: object, pointer: str, default: int | None = None) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        fail(f"{pointer} must be an integer, not {value!r}", pointer)
    return value


def as_bool(value: object, pointer: str, default: bool | None = None) -> bool | None:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    fail(f"{pointer} must be true or false, not {value!r}", pointer)


def str_map(value: object, pointer: str) -> dict[str, str]:
    """A mapping of text: each key and value made a str, a null value ``""``."""
    mapping = as_map(value, pointer)
    if _str_map is not None:
        return _str_map(mapping)
    # str() only for what is not text already (most keys and values are)
    return {
        (k if k.__class__ is str else str(k)): (
            v if v.__class__ is str else "" if v is None else str(v)
        )
        for k, v in mapping.items()
    }


try:  # the same conversion, compiled
    from ekstwin.loaders._speedups import str_map as _str_map
except ImportError:  # pragma: no cover - installed without a C compiler
    _str_map = None  # type: ignore[assignment]


def labels_of(value: object, pointer: str) -> dict[str, str]:
    """A ``labels`` mapping, each key and value checked as the API server checks them."""
    labels = str_map(value, pointer)
    for key, text in labels.items():
        problem = label_problem(key, text)
        if problem is not None:
            fail(
                f"{pointer}: {problem}",
                f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}",
                "fix the label; the API server refuses the object as it is",
            )
    return labels


#: A port name (IANA_SVC_NAME): at most 15 lowercase letters, digits and
#: single inner hyphens, with at least one letter.
_PORT_NAME = re.compile(r"(?=.*[a-z])[a-z0-9](?:-?[a-z0-9])*")


def port_in_range(value: int | None, pointer: str, *, zero: bool = False) -> int | None:
    if value is not None and not (0 if zero else 1) <= value <= 65535:
        fail(
            f"{pointer} {value} is not a port: it must be {'0-' if zero else '1-'}65535",
            pointer,
        )
    return value


def port_or_name(value: int | str | None, pointer: str) -> int | str | None:
    """A port given by number (1-65535) or by name (IANA_SVC_NAME), as the API
    server validates ``targetPort`` and a NetworkPolicy's ``port``."""
    if isinstance(value, int):
        return port_in_range(value, pointer)
    if isinstance(value, str) and (len(value) > 15 or not _PORT_NAME.fullmatch(value)):
        fail(
            f"{pointer} {value!r} is neither a port number nor a port name",
            pointer,
            "a port name has at most 15 lowercase letters, digits or inner hyphens, "
            "and at least one letter",
        )
    return value


def enum_value(value: str | None, allowed: tuple[str, ...], pointer: str) -> str | None:
    if value is not None and value not in allowed:
        fail(
            f"{pointer}: unsupported value {value!r}",
            pointer,
            f"use one of {', '.join(allowed)} (the API server accepts no other)",
        )
    return value


def str_list(value: object, pointer: str) -> tuple[str, ...]:
    items = tuple(as_list(value, pointer))
    for v in items:
        if v.__class__ is not str:
            break
    else:
        return cast("tuple[str, ...]", items)  # all text already (most are): no pointers
    return tuple(req_str(v, f"{pointer}/{i}") for i, v in enumerate(items))


def type_name(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def port_value(value: object, pointer: str) -> int | str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        fail(f"{pointer} must be a port number or name", pointer)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value) if value.isdigit() else value
    fail(f"{pointer} must be a port number or name, not {type_name(value)}", pointer)


#: Each protocol by its name (an Enum call per port costs more than the rest of it).
_PROTOCOLS: dict[object, Protocol] = {p.value: p for p in Protocol}


def protocol_of(value: object, pointer: str) -> Protocol:
    if value is None:
        return Protocol.TCP
    if value.__class__ is str:
        known = _PROTOCOLS.get(value)
        if known is not None:
            return known
    try:
        return Protocol(str(value))
    except ValueError:
        fail(
            f"{pointer}: unknown protocol {value!r}",
            pointer,
            "use TCP, UDP or SCTP (upper case, as the API server requires)",
        )


def label_selector(value: object, pointer: str) -> LabelSelector:
    try:
        return LabelSelector.from_obj(value if value is not None else {})
    except SelectorSyntaxError as exc:
        fail(f"{pointer}: {exc.reason}", pointer, "fix the label selector")


def meta_of(doc: dict[str, object], source: Source, lines: dict[str, int]) -> Meta:
    api_version = as_str(doc.get("apiVersion"), "/apiVersion") or ""
    kind = req_str(doc.get("kind"), "/kind")
    md = as_map(doc.get("metadata"), "/metadata")
    name = as_str(md.get("name"), "/metadata/name")
    if not name:
        generate = as_str(md.get("generateName"), "/metadata/generateName")
        if not generate:
            fail("metadata.name is missing", "/metadata", "give the object a metadata.name")
        name = generate + "ekstw"
    if name in (".", "..") or "/" in name or "%" in name:
        # apimachinery's ValidatePathSegmentName: every kind's name is a URL path segment
        fail(
            f"metadata.name {name!r} may not be '.' or '..' and may not contain '/' or '%' "
            "(the API server refuses it)",
            "/metadata/name",
            "give the object a name of lower-case letters, digits, '-' and '.'",
        )
    namespace = namespace_of(kind, as_str(md.get("namespace"), "/metadata/namespace"))
    raw_owners = md.get("ownerReferences")
    owners = (
        ()
        if raw_owners is None
        else tuple(
            OwnerRef(
                kind=req_str(o.get("kind"), f"/metadata/ownerReferences/{i}/kind"),
                name=req_str(o.get("name"), f"/metadata/ownerReferences/{i}/name"),
                controller=bool(o.get("controller", False)),
            )
            for i, o in enumerate(
                as_map(x, f"/metadata/ownerReferences/{j}")
                for j, x in enumerate(as_list(raw_owners, "/metadata/ownerReferences"))
            )
        )
    )
    return Meta(
        api_version=api_version,
        kind=kind,
        name=name,
        namespace=namespace,
        source=source,
        labels=labels_of(md.get("labels"), "/metadata/labels"),
        annotations=str_map(md.get("annotations"), "/metadata/annotations"),
        owners=owners,
        lines=lines,
    )


def line_at(meta: Meta, pointer: str) -> Source:
    return meta.line_of(pointer)
