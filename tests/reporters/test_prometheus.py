from __future__ import annotations

from ekstwin.findings import Report
from ekstwin.reporters.prometheus import PrometheusReporter
from tests.reporters import EXPECTED
from tests.snapshots import assert_snapshot


def test_prometheus_matches_snapshot(report: Report) -> None:
    assert_snapshot(EXPECTED / "report.prom", PrometheusReporter().render(report))


def test_every_series_parses_as_the_exposition_format(report: Report) -> None:
    """Each sample is `name{labels} value`, each series has HELP and TYPE, and every
    check has a value for every severity (zeros included)."""
    import re

    text = PrometheusReporter().render(report)
    sample = re.compile(
        r'^[a-z_]+(\{[a-z_]+="(?:[^"\\]|\\.)*"(,[a-z_]+="(?:[^"\\]|\\.)*")*\})? \d+$'
    )
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif not line.startswith("# HELP "):
            assert sample.match(line), line
            assert line.split("{")[0].split(" ")[0] in names
    findings = [line for line in text.splitlines() if line.startswith("ekstwin_findings{")]
    checks = {line.split('check="')[1].split('"')[0] for line in findings}
    assert len(findings) == 5 * len(checks)
    total = sum(int(line.rsplit(" ", 1)[1]) for line in findings)
    assert total == len(report.findings)
