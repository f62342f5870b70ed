"""The aws.json account a Terraform plan or state becomes, written resource by
resource, and what a resource handler is.

A handler reads one resource type: it turns each resource into aws.json objects
(``Builder.items`` / ``Builder.keyed``), and may first record the placeholders of
the ids and ARNs other resources refer to (``Handler.placeholder``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders.terraform.plan import Resource
from ekstwin.model.source import Source

__all__ = [
    "Builder",
    "Handler",
    "Json",
    "doc",
    "first",
    "id_placeholder",
    "name_placeholder",
    "strs",
    "tags",
]

Json = dict[str, object]


@dataclass
class Builder:
    """The account being written, and what is known of the plan while writing it."""

    file: str
    lines: Mapping[str, int]
    references: dict[str, dict[str, list[str]]]
    region: str
    account: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: ``aws_vpc.main.id`` -> the id (or its placeholder) references to it resolve to
    placeholders: dict[str, str] = field(default_factory=dict)
    #: pointer in the aws.json document -> line of the resource it came from
    out_lines: dict[str, int] = field(default_factory=dict)
    _items: dict[tuple[str, str], list[Json]] = field(default_factory=dict)
    _keyed: dict[tuple[str, str], dict[str, Json]] = field(default_factory=dict)
    _noted_last: dict[tuple[str, str], dict[str, Resource]] = field(default_factory=dict)

    def warn(self, r: Resource, message: str) -> None:
        self.diagnostics.append(
            Diagnostic(
                Source(self.file, self.lines.get(r.pointer, 1)),
                f"{r.address}: {message}",
                "known only after 'terraform apply'; findings that depend on it may change",
                level=DiagnosticLevel.WARNING,
                code="terraform-unknown",
            )
        )

    def is_unknown(self, r: Resource, attr: str) -> bool:
        return r.unknown.get(attr) is True

    def get(self, r: Resource, attr: str, placeholder: str | None = None) -> Any:
        """A value; an unknown one becomes the placeholder of what it refers to, or None."""
        if not self.is_unknown(r, attr):
            return r.values.get(attr)
        for ref in self.references.get(r.address, {}).get(attr, []):
            if ref in self.placeholders:
                self.warn(r, f"{attr} is unknown until apply; using {self.placeholders[ref]}")
                return self.placeholders[ref]
        if placeholder is not None:
            self.warn(r, f"{attr} is unknown until apply; using the placeholder {placeholder}")
            return placeholder
        self.warn(r, f"{attr} is unknown until apply; left out")
        return None

    def get_list(self, r: Resource, attr: str) -> list[str]:
        """A list of ids; unknown items become the placeholders of what they refer to."""
        unknown = r.unknown.get(attr)
        known = [str(v) for v in r.values.get(attr) or [] if v is not None]
        if unknown is True or (isinstance(unknown, list) and any(u is True for u in unknown)):
            refs = self.references.get(r.address, {}).get(attr, [])
            found = [self.placeholders[ref] for ref in refs if ref in self.placeholders]
            self.warn(r, f"{attr} is unknown until apply; using {', '.join(found) or 'nothing'}")
            return known + [f for f in found if f not in known]
        return known

    def note(self, out_pointer: str, r: Resource) -> None:
        """The object at ``out_pointer`` came from ``r`` (its line)."""
        self.out_lines[out_pointer] = self.lines.get(r.pointer, 1)

    def items(self, section: str, key: str) -> list[Json]:
        """The list ``accounts[0].<section>.<key>`` of the document."""
        return self._items.setdefault((section, key), [])

    def keyed(self, section: str, key: str) -> dict[str, Json]:
        """The list ``accounts[0].<section>.<key>``, held by name (a later object of
        the same name takes the place of the earlier one)."""
        return self._keyed.setdefault((section, key), {})

    def put(self, section: str, key: str, name: str, obj: Json, r: Resource) -> None:
        """``obj`` into :meth:`keyed`; its line is noted once every resource is read,
        at the place its name ends up in, from the last resource of that name."""
        self.keyed(section, key)[name] = obj
        self._noted_last.setdefault((section, key), {})[name] = r

    def collection(self, section: str, key: str) -> list[Json]:
        """What the document holds at ``accounts[0].<section>.<key>``."""
        if (section, key) in self._keyed:
            return list(self._keyed[(section, key)].values())
        return list(self.items(section, key))

    def note_put(self) -> None:
        """Note the lines of what :meth:`put` wrote."""
        for (section, key), resources in self._noted_last.items():
            for i, name in enumerate(self.keyed(section, key)):
                self.note(f"/accounts/0/{section}/{key}/{i}", resources[name])


@dataclass(frozen=True, slots=True)
class Handler:
    """How one Terraform resource type becomes aws.json.

    ``placeholder`` runs for every resource before any ``read``, so that a
    reference to an id AWS chooses joins up whatever the order of the resources;
    ``read`` runs for each resource of the type, type after type in the order of
    the handler table (a type reads what an earlier one wrote).
    """

    type: str
    read: Callable[[Builder, Resource], None]
    placeholder: Callable[[Builder, Resource], None] | None = None


def hex_of(address: str, n: int = 17) -> str:
    """A stable hexadecimal string made from a resource address."""
    return hashlib.sha256(address.encode()).hexdigest()[:n]


def id_placeholder(attr: str, make: Callable[[str], str]) -> Callable[[Builder, Resource], None]:
    """Record the resource's ``attr`` (and ``id``): its value when known, else
    ``make(address)``."""

    def placeholder(b: Builder, r: Resource) -> None:
        known = r.values.get(attr) if not b.is_unknown(r, attr) else None
        value = str(known or make(r.address))
        b.placeholders[f"{r.address}.{attr}"] = value
        b.placeholders[f"{r.address}.id"] = value

    return placeholder


def name_placeholder(arn_kind: str | None = None) -> Callable[[Builder, Resource], None]:
    """Record the resource's ``name`` (also its ``id``) and, for an IAM ``arn_kind``
    (``role``, ``policy``), its ARN."""

    def placeholder(b: Builder, r: Resource) -> None:
        name = r.values.get("name")
        if not isinstance(name, str):
            return
        if arn_kind is not None:
            path = r.values.get("path") or "/"
            arn = f"arn:aws:iam::{b.account}:{arn_kind}{path}{name}"
            b.placeholders[f"{r.address}.arn"] = str(r.values.get("arn") or arn)
        b.placeholders[f"{r.address}.name"] = name
        b.placeholders[f"{r.address}.id"] = name

    return placeholder


def doc(value: Any) -> dict[str, object] | None:
    """A policy document, written as an object or as JSON text."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def first(value: Any) -> dict[str, Any]:
    """A nested block (a list of one object in Terraform's JSON), or ``{}``."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def strs(value: Any) -> list[str]:
    """A list of strings; an element unknown until apply is null in ``after``
    (Terraform's jsonplan omits unknown attributes and nulls unknown list
    elements) and is left out."""
    return [str(v) for v in value if v is not None] if isinstance(value, list) else []


def tags(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
