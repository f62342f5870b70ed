"""ekstwin: a digital twin of an Amazon EKS platform.

The public API is small: load a platform, run the checks, read the findings::

    from ekstwin import load, analyze
    result = load(["examples/demo-platform"])
    report = analyze(result)
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from ekstwin.errors import (
    ConfigError,
    EkstwinError,
    LoadError,
    ModelError,
    SchemaError,
    SelectorSyntaxError,
)

if TYPE_CHECKING:
    __version__: str
    from ekstwin.analysis import analyze
    from ekstwin.findings import Diagnostic, Finding, Report, Severity
    from ekstwin.loaders import LoadResult, load
    from ekstwin.model.platform import Platform


@cache
def _version() -> str:
    """The installed distribution's version, read on first use (importlib.metadata
    costs 50 ms at start-up), then kept."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ekstwin")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


#: Names imported on first use, so ``import ekstwin`` (and every command's
#: start-up) does not pay for the loaders and engines it may not need.
_LAZY = {
    "analyze": "ekstwin.analysis",
    "Diagnostic": "ekstwin.findings",
    "Finding": "ekstwin.findings",
    "Report": "ekstwin.findings",
    "Severity": "ekstwin.findings",
    "LoadResult": "ekstwin.loaders",
    "load": "ekstwin.loaders",
    "Platform": "ekstwin.model.platform",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ekstwin' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "ConfigError",
    "Diagnostic",
    "EkstwinError",
    "Finding",
    "LoadError",
    "LoadResult",
    "ModelError",
    "Platform",
    "Report",
    "SchemaError",
    "SelectorSyntaxError",
    "Severity",
    "__version__",
    "analyze",
    "load",
]
