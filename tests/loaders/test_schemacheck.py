"""schemacheck.valid answers as jsonschema's 2020-12 validator does (or not at all)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from ekstwin.loaders.schemacheck import valid

ROOT = Path(__file__).resolve().parent.parent.parent
SCHEMAS = sorted((ROOT / "src" / "ekstwin" / "schemas").glob("*.schema.json"))
AWS_SCHEMA = json.loads((ROOT / "src" / "ekstwin" / "schemas" / "aws.schema.json").read_text())
DEMO = json.loads((ROOT / "examples" / "demo-platform" / "aws.json").read_text())
VALIDATOR = Draft202012Validator(AWS_SCHEMA)

_VALUES = st.sampled_from(
    [None, True, False, 0, 1, 1.0, 1.5, -1, 65536, 2**40, "", "x", "tcp", "-1", "10.0.0.0/8",
     "sg-0123456789abcdef0", "arn:aws:iam::111122223333:role/x", [], {}, [1], {"a": 1}]
)  # fmt: skip


def _paths(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*at, i))
    return out


_ALL_PATHS = _paths(DEMO)[1:]


@st.composite
def _mutants(draw: st.DrawFn) -> Any:
    """The demo's aws.json with a few parts replaced, deleted or added."""
    doc = copy.deepcopy(DEMO)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_ALL_PATHS))
        parent = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
            last = path[-1]
            how = draw(st.integers(0, 2))
            if how == 0:
                parent[last] = draw(_VALUES)
            elif how == 1:
                del parent[last]
            elif isinstance(parent, dict):
                parent[draw(st.sampled_from(["extra", "name", "id"]))] = draw(_VALUES)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the way there
    return doc


def test_the_demo_is_valid_and_each_bundled_schema_is_judged_or_declined() -> None:
    assert valid(DEMO, AWS_SCHEMA) is True
    for path in SCHEMAS:  # any schema: the same answer as jsonschema, or None
        schema = json.loads(path.read_text())
        got = valid(DEMO, schema)
        assert got in (None, Draft202012Validator(schema).is_valid(DEMO)), path.name


@settings(max_examples=300, deadline=None)
@given(_mutants())
def test_a_changed_aws_json_is_judged_as_jsonschema_judges_it(doc: Any) -> None:
    assert valid(doc, AWS_SCHEMA) == VALIDATOR.is_valid(doc)


def test_the_corners_of_the_keywords() -> None:
    def same(instance: object, schema: dict[str, object]) -> None:
        assert valid(instance, schema) == Draft202012Validator(schema).is_valid(instance), (
            instance,
            schema,
        )

    for instance in (1, 1.0, 1.5, True, "1", None):
        same(instance, {"type": "integer"})
        same(instance, {"type": "number"})
        same(instance, {"type": ["string", "null"]})
        same(instance, {"enum": [1, "a"]})
        same(instance, {"const": True})
        same(instance, {"minimum": 1, "maximum": 1})
    for text in ("abc", "xabcx", "", "ab\ncd"):
        same(text, {"pattern": "^ab"})
        same(text, {"pattern": "bc"})
        same(text, {"minLength": 3, "maxLength": 4})
    same([1, 2], {"maxItems": 1})
    same(
        {"a": 1, "b": 2}, {"properties": {"a": {"type": "integer"}}, "additionalProperties": False}
    )
    same({"a": 1}, {"required": ["a", "b"]})
    same(3, {"oneOf": [{"type": "integer"}, {"minimum": 2}]})
    same(1, {"oneOf": [{"type": "integer"}, {"minimum": 2}]})
    assert valid({}, {"patternProperties": {}}) is None  # not judged: jsonschema is asked
    assert valid(1, {"$ref": "other.json"}) is None
