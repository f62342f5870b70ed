"""The JSON report: ekstwin's public, versioned output (docs/report-json.md).

The shape is checked by ``ekstwin/schemas/report.schema.json``. Keys come in
a fixed order and findings in a fixed order, so two runs over the same input
give the same bytes.
"""

from __future__ import annotations

import json

from ekstwin.findings import (
    CheckInfo,
    Diagnostic,
    DiagnosticLevel,
    Finding,
    Report,
    Severity,
    Suppressed,
    diagnostic_totals,
)
from ekstwin.reporters._text import json_safe
from ekstwin.reporters.interface import (
    Reporter,
    diagnostic_sort_key,
    sorted_findings,
    sorted_suppressed,
)

__all__ = ["REPORT_SCHEMA_ID", "REPORT_VERSION", "JsonReporter", "report_document"]

REPORT_SCHEMA_ID = "ekstwin-report"
REPORT_VERSION = 1

_SEVERITIES_DESC = sorted(Severity, key=lambda s: s.rank, reverse=True)


class JsonReporter(Reporter):
    """Renders the documented JSON report, indented, ending with a newline."""

    def render(self, report: Report) -> str:
        return json_safe(json.dumps(report_document(report), indent=2, ensure_ascii=False)) + "\n"


def report_document(report: Report) -> dict[str, object]:
    """The report as plain JSON data (the shape docs/report-json.md describes)."""
    docs = {check.id: check.doc_path for check in report.checks}
    findings = sorted_findings(report.findings)
    suppressed = sorted_suppressed(report.suppressed)
    diagnostics = sorted(report.diagnostics, key=diagnostic_sort_key)
    return {
        "schema": REPORT_SCHEMA_ID,
        "version": REPORT_VERSION,
        "tool": {"name": "ekstwin", "version": report.tool_version},
        "inputs": list(report.inputs),
        "summary": _summary(report),
        "findings": [_finding(f, docs) for f in findings],
        "suppressed": [_suppressed(s, docs) for s in suppressed],
        "diagnostics": [_diagnostic(d) for d in diagnostics],
        "counted_diagnostics": [g.to_json() for g in report.counted_diagnostics],
        "checks": [_check(c) for c in sorted(report.checks, key=lambda c: c.id)],
    }


def _summary(report: Report) -> dict[str, object]:
    by_severity = {s.value: 0 for s in _SEVERITIES_DESC}
    for finding in report.findings:
        by_severity[finding.severity.value] += 1
    totals = diagnostic_totals(report.diagnostics, report.counted_diagnostics)
    return {
        "platform": report.summary.to_json(),
        "findings": {"total": len(report.findings), **by_severity},
        "suppressed": len(report.suppressed),
        "diagnostics": {
            "error": totals[DiagnosticLevel.ERROR],
            "warning": totals[DiagnosticLevel.WARNING],
        },
        "input_errors": report.input_errors,
    }


def _finding(finding: Finding, docs: dict[str, str]) -> dict[str, object]:
    subject = finding.subject
    source = finding.source
    return {
        "id": finding.check_id,
        "title": finding.title,
        "severity": finding.severity.value,
        "confidence": finding.confidence.value,
        "subject": {"kind": subject.kind, "namespace": subject.namespace, "name": subject.name},
        "message": finding.message,
        "location": {"file": source.file, "line": source.line} if source else None,
        "evidence": list(finding.evidence),
        "fix": finding.fix,
        "fingerprint": finding.fingerprint,
        "doc": docs.get(finding.check_id),
    }


def _suppressed(item: Suppressed, docs: dict[str, str]) -> dict[str, object]:
    return {
        **_finding(item.finding, docs),
        "suppression": {"kind": item.kind, "justification": item.justification},
    }


def _diagnostic(diagnostic: Diagnostic) -> dict[str, object]:
    source = diagnostic.source
    return {
        "level": diagnostic.level.value,
        "code": diagnostic.code,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
        "location": {"file": source.file, "line": source.line} if source else None,
    }


def _check(check: CheckInfo) -> dict[str, object]:
    return {
        "id": check.id,
        "slug": check.slug,
        "title": check.title,
        "severity": check.severity.value,
        "confidence": check.confidence.value,
        "engine": check.engine,
        "doc": check.doc_path,
    }
