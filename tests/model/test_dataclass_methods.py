"""The model's dataclasses get from ``ekstwin.model._dataclass`` the methods the
standard library compiles for them: the same names, signatures and results
(``repr``, assigning and deleting a field or another attribute; ``==`` and
``hash`` stay compiled), on every model class and on every object of the demo
platform."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import math
import operator
import pickle
import pkgutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import ekstwin.model
from ekstwin.loaders import load
from ekstwin.model import _dataclass
from ekstwin.model._dataclass import fast_dataclass

pytestmark = pytest.mark.skipif(
    not hasattr(dataclasses, "_create_fn"),
    reason="this Python writes dataclass methods another way; the standard decorator runs",
)

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-platform"
METHODS = ("__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__")
#: The methods made without compiling; the others are the standard library's own.
MADE_HERE = ("__repr__", "__setattr__", "__delattr__")


def _model_classes() -> list[type]:
    out = []
    for info in pkgutil.iter_modules(ekstwin.model.__path__):
        module = importlib.import_module(f"ekstwin.model.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and dataclasses.is_dataclass(value)
                and value.__module__ == module.__name__
            ):
                out.append(value)
    return sorted(out, key=lambda c: (c.__module__, c.__qualname__))


MODEL_CLASSES = _model_classes()


def _is_ours(fn: object) -> bool:
    code = getattr(getattr(fn, "__wrapped__", fn), "__code__", None)
    return code is not None and code.co_filename == _dataclass.__file__


def _standard_methods(cls: type) -> dict[str, Callable[..., Any]]:
    """The methods the standard library compiles for ``cls`` (those it would set)."""
    dc: Any = dataclasses
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    module_globals = sys.modules[cls.__module__].__dict__
    fields = dataclasses.fields(cls)
    out: dict[str, Callable[..., Any]] = {}
    if params.repr:
        out["__repr__"] = dc._repr_fn([f for f in fields if f.repr], module_globals)
    compared = [f for f in fields if f.compare]
    if params.eq:
        out["__eq__"] = dc._cmp_fn(
            "__eq__",
            "==",
            dc._tuple_str("self", compared),
            dc._tuple_str("other", compared),
            globals=module_globals,
        )
    if (params.eq and params.frozen) or params.unsafe_hash:
        hashed = [f for f in fields if (f.compare if f.hash is None else f.hash)]
        out["__hash__"] = dc._hash_fn(hashed, module_globals)
    if params.frozen:
        # the class the methods test against is the one the decorator was given
        # (before slots made a new one): the one the methods made here hold
        held = inspect.getclosurevars(cls.__dict__["__setattr__"]).nonlocals["cls"]
        out["__setattr__"], out["__delattr__"] = dc._frozen_get_del_attr(
            held, list(fields), module_globals
        )
    for fn in out.values():  # as the decorator names them when it sets them
        fn.__qualname__ = f"{cls.__qualname__}.{fn.__name__}"
    return out


def _outcome(fn: Callable[..., object], *args: object) -> tuple[str, object]:
    """What ``fn(*args)`` returns, or the type and arguments of what it raises."""
    try:
        return ("value", fn(*args))
    except Exception as exc:
        return (type(exc).__name__, exc.args)


def _instances(cls: type) -> Iterator[tuple[object, object]]:
    """Pairs of objects of ``cls`` with every field set (equal, different, NaN)."""
    names = [f.name for f in dataclasses.fields(cls)]
    nan = math.nan

    def make(values: list[object]) -> object:
        obj: object = object.__new__(cls)
        for name, value in zip(names, values, strict=True):
            object.__setattr__(obj, name, value)
        return obj

    base: list[object] = [f"v{i}" for i in range(len(names))]
    yield make(base), make(list(base))
    for i in range(len(names)):
        changed = list(base)
        changed[i] = ("changed", i)
        yield make(base), make(changed)
        same_nan = list(base)
        same_nan[i] = nan
        yield make(same_nan), make(same_nan)
        other_nan = list(base)
        other_nan[i] = float("nan")
        yield make(same_nan), make(other_nan)


def _assert_same_behaviour(
    cls: type, ours: dict[str, Callable[..., Any]], std: dict[str, Callable[..., Any]]
) -> None:
    assert set(ours) == set(std), cls
    for name, fn in std.items():
        mine = ours[name]
        for attr in ("__name__", "__qualname__", "__module__", "__doc__", "__defaults__"):
            assert getattr(mine, attr) == getattr(fn, attr), (cls, name, attr)
        assert mine.__annotations__ == fn.__annotations__, (cls, name)
        assert inspect.signature(mine) == inspect.signature(fn), (cls, name)
    names = [f.name for f in dataclasses.fields(cls)]
    for x, y in _instances(cls):
        for name in ("__repr__", "__hash__"):
            if name in std:
                assert _outcome(ours[name], x) == _outcome(std[name], x)
        if "__eq__" in std:
            for a, b in ((x, y), (y, x), (x, x), (x, object())):
                assert _outcome(ours["__eq__"], a, b) == _outcome(std["__eq__"], a, b), (cls, a, b)
        if "__setattr__" in std:
            for attr in [*names, "not_a_field", "__dict__"]:
                got = _outcome(ours["__setattr__"], x, attr, 1)
                assert got == _outcome(std["__setattr__"], x, attr, 1), (cls, attr)
                got = _outcome(ours["__delattr__"], x, attr)
                assert got == _outcome(std["__delattr__"], x, attr), (cls, attr)


def test_the_model_has_its_dataclasses() -> None:
    # every module of the model holds some (a walk that found none would test nothing)
    assert len(MODEL_CLASSES) > 150
    modules = {c.__module__ for c in MODEL_CLASSES}
    assert {"ekstwin.model.k8s", "ekstwin.model.aws", "ekstwin.model.platform"} <= modules


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_a_model_class_has_the_methods_the_standard_library_writes(cls: type) -> None:
    std = _standard_methods(cls)
    got = {name: cls.__dict__[name] for name in std}
    origin = {
        name: "here" if _is_ours(fn) else getattr(fn, "__code__", None) and fn.__code__.co_filename
        for name, fn in got.items()
    }
    # what the class writes itself is its own (its module's file); the standard
    # library's ==/hash are compiled ("<string>"); the rest is made here
    own = {name for name, where in origin.items() if where == sys.modules[cls.__module__].__file__}
    for name, where in origin.items():
        if name not in own:
            assert where == ("here" if name in MADE_HERE else "<string>"), (cls, name, where)
    made = {name: fn for name, fn in got.items() if name not in own}
    _assert_same_behaviour(cls, made, {k: v for k, v in std.items() if k in made})


@pytest.mark.parametrize(
    "names",
    [
        (),
        ("a",),
        ("a", "b"),
        ("self", "other", "name", "value", "cls"),
        ("FrozenInstanceError", "hash", "NotImplemented", "super", "type"),
        tuple(f"f{i}" for i in range(40)),
    ],
)
@pytest.mark.parametrize("frozen", [True, False])
def test_classes_of_any_field_names_are_alike(names: tuple[str, ...], frozen: bool) -> None:
    fields = [(n, object, dataclasses.field(default=None)) for n in names]
    std_cls = dataclasses.make_dataclass("C", fields, frozen=frozen, slots=True)
    namespace = {"__annotations__": dict.fromkeys(names, object), **dict.fromkeys(names)}
    fast_cls = fast_dataclass(type("C", (), namespace), frozen=frozen, slots=True)
    assert std_cls.__hash__ is None if not frozen else fast_cls.__hash__ is not None
    assert (fast_cls.__hash__ is None) == (std_cls.__hash__ is None)
    std = {name: std_cls.__dict__[name] for name in METHODS if callable(std_cls.__dict__.get(name))}
    ours = {
        name: fast_cls.__dict__[name] for name in METHODS if callable(fast_cls.__dict__.get(name))
    }
    assert {name for name, fn in ours.items() if _is_ours(fn)} == set(MADE_HERE) & set(ours)
    assert set(ours) == set(std)
    for x, y in _instances(fast_cls):
        assert repr(x) == std["__repr__"](x)
        assert _outcome(operator.eq, x, y) == _outcome(std["__eq__"], x, y)
        if frozen:
            assert hash(x) == std["__hash__"](x)
            for attr in [*names, "not_a_field"]:
                assert _outcome(setattr, x, attr, 1) == _outcome(std["__setattr__"], x, attr, 1)
    assert fast_cls(*names) == fast_cls(*names)
    assert repr(fast_cls(*names)) == repr(std_cls(*names))


def test_every_object_of_the_demo_platform_compares_hashes_and_reads_alike() -> None:
    platform = load([str(DEMO)]).platform
    seen: dict[int, object] = {}
    stack: list[object] = [platform]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen[id(obj)] = obj
        if isinstance(obj, tuple | list | frozenset | set):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            stack.extend(getattr(obj, f.name) for f in dataclasses.fields(obj))
    objects = [o for o in seen.values() if dataclasses.is_dataclass(o)]
    assert len({type(o) for o in objects}) > 30
    standard = {cls: _standard_methods(cls) for cls in {type(o) for o in objects}}
    for obj in objects:
        std = standard[type(obj)]
        if "__repr__" in std:
            assert repr(obj) == std["__repr__"](obj)
        twin = copy.copy(obj)
        assert (obj == twin) is std["__eq__"](obj, twin) is True
        if "__hash__" in std:  # a field holding a dict makes both raise TypeError
            assert _outcome(hash, obj) == _outcome(std["__hash__"], obj)
        assert pickle.loads(pickle.dumps(obj)) == obj
