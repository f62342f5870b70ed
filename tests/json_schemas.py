"""The JSON Schemas of ekstwin's outputs, for tests: one registry, so a schema may
refer to another (``net-diff`` uses ``net-can``'s verdict, ``history`` the diff)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema
from referencing import Registry, Resource


@cache
def schemas() -> dict[str, dict[str, object]]:
    """Every schema shipped in ``ekstwin/schemas``, by name (``net-can``)."""
    out: dict[str, dict[str, object]] = {}
    for entry in files("ekstwin.schemas").iterdir():
        if entry.name.endswith(".schema.json"):
            out[entry.name.removesuffix(".schema.json")] = json.loads(
                entry.read_text(encoding="utf-8")
            )
    return out


@cache
def _registry() -> Registry[bool | Mapping[str, Any]]:
    return Registry().with_resources(
        (str(s["$id"]), Resource.from_contents(s)) for s in schemas().values()
    )


def errors(name: str, doc: object) -> list[str]:
    """Where ``doc`` breaks schema ``name``: one line per error, empty when it conforms."""
    validator = jsonschema.Draft202012Validator(schemas()[name], registry=_registry())
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]
