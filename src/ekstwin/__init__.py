"""ekstwin: a digital twin of an Amazon EKS platform.

The public API is small: load a platform, run the checks, read the findings::

    from ekstwin import load, analyze
    result = load(["examples/demo-platform"])
    report = analyze(result)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ekstwin")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

from ekstwin.analysis import analyze
from ekstwin.errors import (
    ConfigError,
    EkstwinError,
    LoadError,
    ModelError,
    SchemaError,
    SelectorSyntaxError,
)
from ekstwin.findings import Diagnostic, Finding, Report, Severity
from ekstwin.loaders import LoadResult, load
from ekstwin.model.platform import Platform

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
