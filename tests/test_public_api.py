"""The public API is exactly what ``ekstwin.__all__`` says, and each name imports."""

from __future__ import annotations

import importlib

import ekstwin
from ekstwin.engines.secrets.checks.plaintext_secret import PlaintextSecret

EXPECTED = [
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


def test_all_is_exactly_the_public_api() -> None:
    assert ekstwin.__all__ == EXPECTED


def test_every_public_name_imports() -> None:
    module = importlib.import_module("ekstwin")
    for name in EXPECTED:
        assert getattr(module, name) is not None, name
    namespace: dict[str, object] = {}
    exec("from ekstwin import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(EXPECTED)


def test_public_names_are_the_real_objects() -> None:
    from ekstwin.analysis import analyze
    from ekstwin.errors import EkstwinError, LoadError
    from ekstwin.loaders import LoadResult, load
    from ekstwin.model.platform import Platform

    assert ekstwin.load is load and ekstwin.analyze is analyze
    assert ekstwin.LoadResult is LoadResult and ekstwin.Platform is Platform
    assert issubclass(LoadError, EkstwinError)
    assert isinstance(ekstwin.__version__, str) and ekstwin.__version__


def test_load_and_analyze_through_the_public_api() -> None:
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\n"
        "stringData: {password: v}\n"
    )
    result = ekstwin.load(["-"], stdin_text=lambda: text)
    assert isinstance(result, ekstwin.LoadResult)
    report = ekstwin.analyze(result, checks=[PlaintextSecret])
    assert isinstance(report, ekstwin.Report)
    assert [(f.check_id, str(f.subject)) for f in report.findings] == [("SEC001", "Secret/ns/s")]
