"""One analyze compiles each model of the platform once and its checks share it."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import ekstwin.engines.ingress.builder as alb_builder
import ekstwin.engines.net.policies as net_policies
from ekstwin.analysis import analyze
from ekstwin.engines.access.analyzer import AccessAnalyzer
from ekstwin.engines.checks import CheckContext, discover_checks
from ekstwin.engines.iam.chains import IamAnalyzer
from ekstwin.engines.mesh.verdict import MeshModel
from ekstwin.engines.net.engine import NetModel
from ekstwin.engines.net.lint import LintModel
from ekstwin.loaders import load

DEMO = str(Path(__file__).resolve().parents[2] / "examples" / "demo-platform")


def _count_calls(
    monkeypatch: pytest.MonkeyPatch, counts: Counter[str], name: str, fn: Callable[..., Any]
) -> None:
    """Count calls of a module-level function under every name it was imported as."""

    def counted(*args: Any, **kwargs: Any) -> Any:
        counts[name] += 1
        return fn(*args, **kwargs)

    for module in list(sys.modules.values()):
        if module is not None and getattr(module, name, None) is fn:
            monkeypatch.setattr(module, name, counted)


def _count_inits(monkeypatch: pytest.MonkeyPatch, counts: Counter[str], cls: type[Any]) -> None:
    init = cls.__init__

    def counted(self: object, *args: Any, **kwargs: Any) -> None:
        counts[cls.__name__] += 1
        init(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__init__", counted)


def test_one_analyze_of_the_demo_compiles_each_model_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = load([DEMO])
    checks = discover_checks()  # every check module imported before counting
    counts: Counter[str] = Counter()
    for cls in (NetModel, LintModel, MeshModel, IamAnalyzer, AccessAnalyzer):
        _count_inits(monkeypatch, counts, cls)
    _count_calls(monkeypatch, counts, "build_albs", alb_builder.build_albs)
    _count_calls(monkeypatch, counts, "compile_policies", net_policies.compile_policies)
    report = analyze(result, checks=checks)
    assert {f.check_id[:3] for f in report.findings} >= {"NET", "MSH", "ING", "IAM", "ACC", "DNS"}
    # The NET checks read the policies the network model compiled, in the order of
    # the demo's Calico release (legacy tie-break): every model is compiled once.
    assert dict(counts) == {
        "NetModel": 1,
        "compile_policies": 1,
        "LintModel": 1,
        "MeshModel": 1,
        "build_albs": 1,
        "IamAnalyzer": 1,
        "AccessAnalyzer": 1,
    }


def test_models_are_built_on_first_use_and_built_on_each_other() -> None:
    platform = load([DEMO]).platform
    ctx = CheckContext()
    models = ctx.models(platform)
    assert ctx.models(platform) is models
    assert models.lint.model is models.net
    assert models.mesh.net is models.net
    assert models.access.iam is models.iam
    assert models.albs is models.albs


def test_a_context_asked_about_another_platform_starts_afresh() -> None:
    first = load([DEMO]).platform
    second = load([DEMO]).platform
    ctx = CheckContext()
    net = ctx.models(first).net
    assert ctx.models(second).net is not net
    assert ctx.models(second).net.platform is second
