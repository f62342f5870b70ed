"""The compiled helpers of kubernetes.sanitize and kubernetes.fields: the
pre-walk of sanitize (a document it passes has nothing the redaction walk
would change, so sanitize keeps the document as it is), and str_map."""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekstwin.loaders.kubernetes.sanitize import (
    _MAX_REDACT_DEPTH,
    _REDACTED_KEYS,
    _redact,
    sanitize,
)

try:
    from ekstwin.loaders._speedups import list_under_keys, str_map
except ImportError:  # installed without a C compiler
    list_under_keys = None  # type: ignore[assignment]
    str_map = None  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def _compiled() -> None:
    if list_under_keys is None:
        if os.environ.get("EKSTWIN_REQUIRE_COMPILED") == "1":
            pytest.fail("the compiled module (ekstwin.loaders._speedups) was not built")
        pytest.skip("the compiled module was not built (no C compiler at install)")


_KEYS = st.sampled_from(["env", "command", "args", "name", "value", "spec", "x", 1, True, None])
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from(["", "a", "--flag=1", "env"])
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=25,
)


def _deep(levels: int, leaf: object) -> object:
    node = leaf
    for i in range(levels):
        node = {"a": node} if i % 2 else [node]
    return node


@settings(max_examples=600, deadline=None)
@given(_VALUES)
def test_a_value_passed_by_the_pre_walk_is_what_redaction_leaves_unchanged(value: object) -> None:
    found = list_under_keys(value, _REDACTED_KEYS, _MAX_REDACT_DEPTH)
    redacted = _redact(value, 0)
    if not found:
        assert redacted is value
    # the walk looks only for lists under those keys (or depth): anything it finds
    # is a list under one of them, which redaction rebuilds
    elif isinstance(value, dict | list):
        assert redacted is not value or _has_list_under_keys(value)


def _has_list_under_keys(node: object) -> bool:
    if isinstance(node, list):
        return any(_has_list_under_keys(v) for v in node)
    if isinstance(node, dict):
        return any(
            (k in _REDACTED_KEYS and isinstance(v, list)) or _has_list_under_keys(v)
            for k, v in node.items()
        )
    return False


def test_corners() -> None:
    assert list_under_keys({"spec": {"containers": [{"env": []}]}}, _REDACTED_KEYS, 100)
    assert list_under_keys([{"args": ["x"]}], _REDACTED_KEYS, 100)
    assert not list_under_keys({"env": {"a": "b"}}, _REDACTED_KEYS, 100)  # not a list
    assert not list_under_keys({"name": "env", "command": "x"}, _REDACTED_KEYS, 100)
    assert not list_under_keys("env", _REDACTED_KEYS, 100)
    # past the depth the walk keeps only shapes: every collection there is "found"
    assert list_under_keys(_deep(_MAX_REDACT_DEPTH + 1, {}), _REDACTED_KEYS, 100)
    assert not list_under_keys(_deep(_MAX_REDACT_DEPTH, {}), _REDACTED_KEYS, 100)
    assert not list_under_keys(_deep(_MAX_REDACT_DEPTH + 1, 5), _REDACTED_KEYS, 100)


def test_sanitize_gives_the_same_with_and_without_the_pre_walk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs: list[object] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "d"},
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "c",
                                "env": [{"name": "PASSWORD", "value": "hunter2"}],
                                "args": ["--token=abc", "--region", "eu-west-1"],
                            }
                        ]
                    }
                }
            },
        },
        {"apiVersion": "v1", "kind": "Thing", "metadata": {"name": "deep"}, "x": _deep(120, "s")},
    ]
    compiled = [sanitize(d) for d in docs]
    # (the package's name "sanitize" is the function: the module is looked up)
    monkeypatch.setattr(
        sys.modules["ekstwin.loaders.kubernetes.sanitize"], "_list_under_keys", None
    )
    assert compiled == [sanitize(d) for d in docs]
    assert "hunter2" not in repr(compiled) and "abc" not in repr(compiled)
    assert compiled[0] is docs[0]  # nothing to redact: the document itself


_MAP_ITEMS = st.one_of(
    st.text(max_size=4), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False)
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_MAP_ITEMS, _MAP_ITEMS, max_size=6))
def test_the_compiled_str_map_reads_a_mapping_as_the_python_one(
    mapping: dict[object, object],
) -> None:
    want = {
        (k if k.__class__ is str else str(k)): (
            v if v.__class__ is str else "" if v is None else str(v)
        )
        for k, v in mapping.items()
    }
    got = str_map(mapping)  # type: ignore[arg-type]
    assert got == want and list(got) == list(want)
    assert all(type(k) is str and type(v) is str for k, v in got.items())
