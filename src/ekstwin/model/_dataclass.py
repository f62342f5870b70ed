"""``dataclasses.dataclass``, with three of the methods it writes made without compiling.

The standard library writes each method of a dataclass as source text and
compiles it: about 70 us a method, and ekstwin's model has some 150 classes of
five or six methods each. ``__repr__`` and, for a frozen class,
``__setattr__`` and ``__delattr__`` depend on nothing but the names of the
fields, and no hot path calls them (a frozen dataclass's ``__init__`` and
unpickling set fields with ``object.__setattr__``); :func:`dataclass` runs the
standard library's own decorator, and when it asks for one of these three,
hands it a function made from the field names (a closure) that does what the
compiled text does, step by step, in the same order. Everything else
(``__init__``, ``__eq__`` and ``__hash__``, which engines call millions of times
and whose compiled attribute reads are twice as fast as a closure's, the
fields, the slots, ``__match_args__``, pickling, ``__dataclass_params__``, the
checks) is the standard library's own work, unchanged.

A method is made here only when the text the standard library asked for is,
character for character, the text this module knows for those names; any other
text (another Python's format, ordering methods, unusual names) is compiled as
before. ``tests/model/test_dataclass_methods.py`` holds every dataclass of the
model to the methods the standard library compiles for it.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

__all__ = ["dataclass", "fast_dataclass", "fast_method"]

_CREATE_FN: Callable[..., Any] | None = getattr(dataclasses, "_create_fn", None)
_MISSING = dataclasses.MISSING
_LOCK = threading.RLock()

_SELF_FIELD = re.compile(r"self\.([A-Za-z_][A-Za-z0-9_]*)")
_QUOTED = re.compile(r"'([A-Za-z_][A-Za-z0-9_]*)'")


def _names_text(names: Sequence[str]) -> str:
    return "(" + ",".join(repr(n) for n in names) + ",)" if names else "()"


def _repr(names: tuple[str, ...]) -> Callable[..., Any]:
    # self.__class__.__qualname__ + f"(a={self.a!r}, b={self.b!r})"
    def __repr__(self: object) -> str:
        head = self.__class__.__qualname__
        return head + "(" + ", ".join([f"{n}={getattr(self, n)!r}" for n in names]) + ")"

    return __repr__


def _setattr(names: tuple[str, ...], cls: type, error: type[Exception]) -> Callable[..., Any]:
    fields = frozenset(names)

    # if type(self) is cls or name in ('a','b',):
    #  raise FrozenInstanceError(f"cannot assign to field {name!r}")
    # super(cls, self).__setattr__(name, value)
    def __setattr__(self: object, name: str, value: object) -> None:
        if type(self) is cls or name in fields:
            raise error(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)  # type: ignore[arg-type]

    return __setattr__


def _delattr(names: tuple[str, ...], cls: type, error: type[Exception]) -> Callable[..., Any]:
    fields = frozenset(names)

    def __delattr__(self: object, name: str) -> None:
        if type(self) is cls or name in fields:
            raise error(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)  # type: ignore[arg-type]

    return __delattr__


def fast_method(
    name: str,
    args: Sequence[str],
    body: Sequence[str],
    locals: dict[str, Any] | None,
    return_type: object,
) -> Callable[..., Any] | None:
    """The method the standard library's text ``body`` stands for, made without
    compiling; None when the text is not one this module knows exactly."""
    if return_type is not _MISSING:
        return None
    found: Callable[..., Any] | None = None
    if name == "__repr__" and tuple(args) == ("self",) and locals is None and len(body) == 1:
        names = tuple(_SELF_FIELD.findall(body[0]))[1:]  # the first is self.__class__
        text = ", ".join(f"{n}={{self.{n}!r}}" for n in names)
        if body[0] == f'return self.__class__.__qualname__ + f"({text})"':
            found = _repr(names)
    elif name in ("__setattr__", "__delattr__") and locals is not None and len(body) == 3:
        if set(locals) != {"cls", "FrozenInstanceError"}:
            return None
        names = tuple(_QUOTED.findall(body[0]))
        test = f"if type(self) is cls or name in {_names_text(names)}:"
        cls, error = locals["cls"], locals["FrozenInstanceError"]
        if name == "__setattr__" and tuple(args) == ("self", "name", "value"):
            expected = [
                test,
                ' raise FrozenInstanceError(f"cannot assign to field {name!r}")',
                "super(cls, self).__setattr__(name, value)",
            ]
            if list(body) == expected:
                found = _setattr(names, cls, error)
        elif name == "__delattr__" and tuple(args) == ("self", "name"):
            expected = [
                test,
                ' raise FrozenInstanceError(f"cannot delete field {name!r}")',
                "super(cls, self).__delattr__(name)",
            ]
            if list(body) == expected:
                found = _delattr(names, cls, error)
    return found


def _create_fn(
    name: str,
    args: Sequence[str],
    body: Sequence[str],
    *,
    globals: dict[str, Any] | None = None,
    locals: dict[str, Any] | None = None,
    return_type: object = _MISSING,
) -> Callable[..., Any]:
    """What the standard library's ``_create_fn`` returns for this text."""
    assert _CREATE_FN is not None
    fn = None if globals is None else fast_method(name, args, body, locals, return_type)
    if fn is None or globals is None:
        return _CREATE_FN(  # type: ignore[no-any-return]
            name, args, body, globals=globals, locals=locals, return_type=return_type
        )
    # A compiled function's module is its globals' __name__ (the class's module);
    # its name and qualified name, no annotations and no documentation are the text's.
    fn.__module__ = globals.get("__name__")  # type: ignore[assignment]
    fn.__name__ = name
    fn.__qualname__ = f"__create_fn__.<locals>.{name}"
    fn.__annotations__ = {}
    fn.__doc__ = None
    return fn


def fast_dataclass(cls: type | None = None, /, **params: Any) -> Any:
    """``dataclasses.dataclass(cls, **params)``: the same class, made faster.

    The standard library's ``_create_fn`` (where it writes and compiles a method)
    is replaced while its decorator runs, under a lock, and put back after; a
    class another thread makes meanwhile gets the same methods either way. Where
    the standard library has no ``_create_fn`` (Python 3.13 writes methods
    another way), its decorator is simply called."""
    if cls is None:
        return lambda c: fast_dataclass(c, **params)
    if _CREATE_FN is None:
        return dataclasses.dataclass(cls, **params)
    with _LOCK:
        saved = dataclasses._create_fn  # type: ignore[attr-defined]
        dataclasses._create_fn = _create_fn  # type: ignore[attr-defined]
        try:
            return dataclasses.dataclass(cls, **params)
        finally:
            dataclasses._create_fn = saved  # type: ignore[attr-defined]


if TYPE_CHECKING:  # type checkers know the standard decorator; it is what runs, too
    from dataclasses import dataclass
else:
    dataclass = fast_dataclass
