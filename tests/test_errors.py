"""One exception tree: every exception class of the package derives from EkstwinError,
and the drawing in ekstwin.errors names each under its first base (it cannot drift)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass

import ekstwin
from ekstwin import errors
from ekstwin.errors import EkstwinError


def _exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of the package, by name."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(ekstwin.__path__, "ekstwin."):
        if info.name.endswith("__main__"):
            continue  # running it is the command line
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == module.__name__
            ):
                assert obj.__name__ not in found, f"two exception classes named {obj.__name__}"
                found[obj.__name__] = obj
    return found


@dataclass
class _Drawn:
    parent: str | None
    text: str


def _drawing() -> dict[str, _Drawn]:
    """The tree of the module docstring: each name with its parent and its text."""
    doc = errors.__doc__ or ""
    block = doc.split("::\n", 1)[1].lstrip("\n").split("\n\n", 1)[0]
    drawn: dict[str, _Drawn] = {}
    stack: list[tuple[int, str]] = []
    last: str | None = None
    for line in block.splitlines():
        m = re.match(r"^(\s*(?:\|\s+)*)(?:\+-- )?([A-Za-z_]\w*)(?:\s|$)", line)
        if m is None or (last is not None and "+-- " not in line and stack):
            assert last is not None, f"the drawing starts with {line!r}"
            drawn[last].text += " " + line.strip(" |")  # a continuation line
            continue
        depth = len(m.group(1))
        name = m.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        drawn[name] = _Drawn(stack[-1][1] if stack else None, line[m.end(2) :].strip())
        stack.append((depth, name))
        last = name
    return drawn


def test_every_exception_derives_from_ekstwin_error() -> None:
    outside = sorted(
        f"{cls.__module__}.{name}"
        for name, cls in _exception_classes().items()
        if not issubclass(cls, EkstwinError)
    )
    assert outside == []


def test_the_drawing_names_every_exception_under_its_first_base() -> None:
    classes = _exception_classes()
    drawn = _drawing()
    assert sorted(drawn) == sorted(classes)
    for name, cls in classes.items():
        first = cls.__bases__[0].__name__ if cls is not EkstwinError else None
        assert drawn[name].parent == first, name


def test_the_drawing_says_which_builtin_bases_a_class_keeps() -> None:
    drawn = _drawing()
    for name, cls in _exception_classes().items():
        kept = sorted(b.__name__ for b in cls.__bases__[1:])
        said = sorted(re.findall(r"\(also (\w+)\)", drawn[name].text))
        assert said == kept, name


def test_a_query_error_is_still_a_value_error() -> None:
    from ekstwin.engines.ingress.albannotations import AnnotationError
    from ekstwin.engines.net import NetQueryError
    from ekstwin.lab.agent import AgentError

    assert issubclass(NetQueryError, ValueError) and issubclass(AnnotationError, ValueError)
    err = AgentError(2, "setns(x): No such file or directory")
    assert (isinstance(err, OSError), err.errno, str(err)) == (
        True,
        2,
        "[Errno 2] setns(x): No such file or directory",
    )
