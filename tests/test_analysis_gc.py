"""analyze sets the loaded objects aside from the cyclic collector only while
the checks run, and collects the garbage they make as usual."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

from ekstwin.analysis import analyze
from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.loaders import load
from ekstwin.model.platform import Platform

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo-platform"


class _Watch(Check):
    """Records what the collector sees while the checks run."""

    id = "TST901"
    slug = "watch-the-collector"
    title = "Watch the collector"
    severity = Severity.LOW
    confidence = Confidence.LOW
    seen: dict[str, int] = {}

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        _Watch.seen["frozen"] = gc.get_freeze_count()
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        _Watch.seen["collected"] = gc.collect()
        return iter(())


def test_the_loaded_platform_is_set_aside_while_the_checks_run_and_handed_back() -> None:
    result = load([str(DEMO)])
    assert gc.get_freeze_count() == 0
    analyze(result, checks=[_Watch])
    assert _Watch.seen["frozen"] > 0  # the platform was out of the collector's walk
    assert _Watch.seen["collected"] >= 1  # a cycle made by a check is still collected
    assert gc.get_freeze_count() == 0  # and everything is the collector's again
