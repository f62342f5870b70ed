"""Is a JSON document valid against a schema: yes, no, or "not for me to say".

``jsonschema`` reports every error with its path, which the aws.json loader needs
to drop what is broken and say where; but importing it costs about 0.1 s and
it walks a document at some 30 microseconds a node. Most documents are valid, so
the loader asks :func:`valid` first and calls ``jsonschema`` only when this says
anything but True.

:func:`valid` knows the keywords the bundled schemas use, with JSON Schema
2020-12's meaning as ``jsonschema`` implements it: a keyword applies only to the
instance types it is about, ``integer`` admits ``1.0`` and no boolean, ``pattern``
searches (it is not anchored), ``enum`` and ``const`` tell ``1`` from ``True``,
``$ref`` reaches only ``#/$defs/...`` of the same schema and applies beside the
other keywords. A schema with any other keyword gives None: the caller then asks
``jsonschema``. Annotations (``description``, ``title``, ...) are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from ekstwin.errors import EkstwinError

__all__ = ["valid"]

_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "$comment"})


class _Unsupported(EkstwinError):
    """A keyword or reference this module does not judge."""


def valid(instance: object, schema: Mapping[str, object]) -> bool | None:
    """True or False as ``jsonschema``'s 2020-12 validator would answer, or None
    when the schema uses what this module does not know."""
    try:
        return _valid(instance, schema, schema)
    except _Unsupported:
        return None


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _is_type(instance: object, name: str) -> bool:
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "string":
        return isinstance(instance, str)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "null":
        return instance is None
    if isinstance(instance, bool):
        return False
    if name == "number":
        return isinstance(instance, int | float)
    if name == "integer":
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    raise _Unsupported(name)


def _equal(a: object, b: object) -> bool:
    """``jsonschema``'s equality: booleans are not numbers, 1 equals 1.0."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list | dict) or isinstance(b, list | dict):
        return False
    return a == b


def _number(instance: object) -> bool:
    return isinstance(instance, int | float) and not isinstance(instance, bool)


def _valid(instance: object, schema: object, root: Mapping[str, object]) -> bool:
    if schema is True:
        return True
    if schema is False:
        return False
    if not isinstance(schema, dict):
        raise _Unsupported("schema")
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        if key == "type":
            names = value if isinstance(value, list) else [value]
            if not any(_is_type(instance, str(n)) for n in names):
                return False
        elif key == "$ref":
            if not isinstance(value, str) or not value.startswith("#/$defs/"):
                raise _Unsupported(str(value))
            defs = root.get("$defs")
            name = value.removeprefix("#/$defs/")
            if not isinstance(defs, dict) or name not in defs or "/" in name or "~" in name:
                raise _Unsupported(value)
            if not _valid(instance, defs[name], root):
                return False
        elif key == "properties":
            if isinstance(instance, dict):
                assert isinstance(value, dict)
                for name, sub in value.items():
                    if name in instance and not _valid(instance[name], sub, root):
                        return False
        elif key == "additionalProperties":
            if isinstance(instance, dict):
                known = schema.get("properties", {})
                if "patternProperties" in schema:
                    raise _Unsupported(key)
                for name, item in instance.items():
                    if name not in known and not _valid(item, value, root):
                        return False
        elif key == "required":
            if isinstance(instance, dict) and any(name not in instance for name in value):
                return False
        elif key == "items":
            if isinstance(instance, list):
                if "prefixItems" in schema:
                    raise _Unsupported(key)
                if not all(_valid(item, value, root) for item in instance):
                    return False
        elif key == "enum":
            if not any(_equal(instance, v) for v in value):
                return False
        elif key == "const":
            if not _equal(instance, value):
                return False
        elif key == "oneOf":
            if sum(1 for sub in value if _valid(instance, sub, root)) != 1:
                return False
        elif key == "pattern":
            if isinstance(instance, str) and _compiled(value).search(instance) is None:
                return False
        elif key == "minLength":
            if isinstance(instance, str) and len(instance) < value:
                return False
        elif key == "maxLength":
            if isinstance(instance, str) and len(instance) > value:
                return False
        elif key == "minimum":
            if _number(instance) and instance < value:
                return False
        elif key == "maximum":
            if _number(instance) and instance > value:
                return False
        elif key == "maxItems":
            if isinstance(instance, list) and len(instance) > value:
                return False
        else:
            raise _Unsupported(key)
    return True
