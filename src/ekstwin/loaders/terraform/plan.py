"""What a ``terraform show -json`` document says: its resources, the references
between them, and the region and account they live in."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ekstwin.errors import SchemaError

__all__ = [
    "Resource",
    "account",
    "arn_region",
    "is_terraform_json",
    "provider_region",
    "references",
    "resources",
]


def is_terraform_json(data: object) -> bool:
    """``terraform show -json`` of a plan or of a state."""
    return (
        isinstance(data, dict)
        and "format_version" in data
        and ("planned_values" in data or "values" in data or "resource_changes" in data)
    )


@dataclass
class Resource:
    """One managed resource: its values after apply, and which of them are unknown
    until apply (``after_unknown``; empty for a state)."""

    address: str
    type: str
    name: str
    values: dict[str, Any]
    unknown: dict[str, Any]
    pointer: str
    module: str = ""
    #: what a plan does to it (``("create",)``, ``("update",)``...); empty for a state
    actions: tuple[str, ...] = ()


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _modules(module: Mapping[str, Any], pointer: str) -> Iterator[tuple[dict[str, Any], str]]:
    for i, r in enumerate(_list(module.get("resources"))):
        if isinstance(r, dict):
            yield r, f"{pointer}/resources/{i}"
    for i, child in enumerate(_list(module.get("child_modules"))):
        if isinstance(child, dict):
            yield from _modules(child, f"{pointer}/child_modules/{i}")


def resources(data: Mapping[str, Any], types: Collection[str]) -> list[Resource]:
    """The managed resources of ``types`` a plan creates or keeps (its
    ``resource_changes``), or a state holds (every module of its ``values``)."""
    out: list[Resource] = []
    changes = data.get("resource_changes")
    if isinstance(changes, list):
        for i, rc in enumerate(changes):
            if not isinstance(rc, dict) or not isinstance(rc.get("change") or {}, dict):
                continue
            change = rc.get("change") or {}
            actions = change.get("actions") or []
            if rc.get("mode", "managed") != "managed" or actions == ["delete"]:
                continue
            if rc.get("type") not in types:
                continue
            unknown = change.get("after_unknown")
            after = change.get("after") or {}
            if not isinstance(after, dict):
                raise SchemaError("change.after must be an object", path=f"/resource_changes/{i}")
            out.append(
                Resource(
                    str(rc["address"]),
                    str(rc["type"]),
                    str(rc.get("name", "")),
                    dict(after),
                    dict(unknown) if isinstance(unknown, dict) else {},
                    f"/resource_changes/{i}",
                    str(rc.get("module_address", "")),
                    tuple(str(a) for a in actions),
                )
            )
        return out
    values = data.get("values") or data.get("planned_values") or {}
    key = "/values/root_module" if data.get("values") else "/planned_values/root_module"
    root = (values.get("root_module") or {}) if isinstance(values, dict) else None
    if not isinstance(root, dict):
        raise SchemaError("must be an object", path=key)
    for r, ptr in _modules(root, key):
        if r.get("mode", "managed") != "managed" or r.get("type") not in types:
            continue
        if not isinstance(r.get("values") or {}, dict):
            raise SchemaError("values must be an object", path=ptr)
        out.append(
            Resource(
                str(r["address"]),
                str(r["type"]),
                str(r.get("name", "")),
                dict(r.get("values") or {}),
                {},
                ptr,
            )
        )
    return out


def references(data: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """address -> attribute -> the addresses (``aws_vpc.main.id``) its expression names."""
    out: dict[str, dict[str, list[str]]] = {}

    def walk(module: Mapping[str, Any], prefix: str) -> None:
        for r in module.get("resources") or []:
            address = prefix + str(r.get("address", ""))
            exprs = r.get("expressions") or {}
            out[address] = {attr: [prefix + ref for ref in _refs(e)] for attr, e in exprs.items()}
        for name, call in (module.get("module_calls") or {}).items():
            walk(call.get("module") or {}, f"{prefix}module.{name}.")

    walk((data.get("configuration") or {}).get("root_module") or {}, "")
    return out


def _refs(expression: Any) -> list[str]:
    """Every reference in an expression, nested blocks included, in order."""
    if isinstance(expression, list):
        return [ref for item in expression for ref in _refs(item)]
    if not isinstance(expression, dict):
        return []
    found = [str(ref) for ref in expression.get("references") or []]
    for key, value in expression.items():
        if key != "references" and isinstance(value, (dict, list)):
            found.extend(_refs(value))
    return found


def provider_region(data: Mapping[str, Any]) -> str | None:
    """The region written in the configuration of the ``aws`` provider."""
    providers = (data.get("configuration") or {}).get("provider_config") or {}
    for key, provider in providers.items():
        if str(key).split(".")[0] != "aws":
            continue
        region = ((provider.get("expressions") or {}).get("region") or {}).get("constant_value")
        if isinstance(region, str):
            return region
    return None


_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):")


def account(found: list[Resource]) -> str | None:
    """The account in the first ARN any resource holds."""
    for r in found:
        for value in r.values.values():
            if isinstance(value, str):
                m = _ARN_ACCOUNT.match(value)
                if m:
                    return m.group(1)
    return None


_ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d+):")


def arn_region(found: list[Resource]) -> str | None:
    """The region in the first regional ARN, when the provider's region is not written."""
    for r in found:
        for value in r.values.values():
            if isinstance(value, str) and (m := _ARN_REGION.match(value)):
                return m.group(1)
    return None
