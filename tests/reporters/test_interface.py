from __future__ import annotations

import ekstwin.reporters
from ekstwin.findings import Report
from ekstwin.reporters import ReportFormat, reporter_for
from ekstwin.reporters.interface import sorted_findings
from ekstwin.reporters.json_report import JsonReporter
from ekstwin.reporters.junit import JunitReporter
from ekstwin.reporters.prometheus import PrometheusReporter
from ekstwin.reporters.sarif import SarifReporter
from ekstwin.reporters.table import TableReporter


def test_public_api_is_explicit() -> None:
    assert ekstwin.reporters.__all__ == [
        "ReportFormat",
        "Reporter",
        "ReporterError",
        "reporter_for",
    ]


def test_reporter_for_maps_every_format() -> None:
    kinds = {fmt: type(reporter_for(fmt)) for fmt in ReportFormat}
    assert kinds == {
        ReportFormat.TABLE: TableReporter,
        ReportFormat.JSON: JsonReporter,
        ReportFormat.SARIF: SarifReporter,
        ReportFormat.JUNIT: JunitReporter,
        ReportFormat.PROMETHEUS: PrometheusReporter,
    }


def test_reporter_for_passes_color_to_the_table_only() -> None:
    table = reporter_for(ReportFormat.TABLE, color=True)
    assert isinstance(table, TableReporter)
    assert table.color is True


def test_findings_sort_by_severity_then_check_subject_location(report: Report) -> None:
    order = [
        (f.severity.value, f.check_id, str(f.subject)) for f in sorted_findings(report.findings)
    ]
    assert order == [
        ("critical", "IAM002", "IAMRole/shop-s3-writer"),
        ("high", "ECR001", "Deployment/shop/web"),
        ("medium", "NET003", "Namespace/shop"),
    ]


def test_every_format_renders_the_same_bytes_twice(report: Report) -> None:
    for fmt in ReportFormat:
        reporter = reporter_for(fmt)
        assert reporter.render(report) == reporter.render(report)
        assert reporter.render(report).endswith("\n")
