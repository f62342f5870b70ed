"""SARIF 2.1.0: one run, the checks as rules, findings as results.

Suppressed findings are results with ``suppressions`` (an annotation is
``inSource``, a baseline ``external``); input diagnostics are tool execution
notifications, and an error among them makes the run unsuccessful.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from urllib.parse import quote

from ekstwin.findings import (
    CheckInfo,
    Confidence,
    Diagnostic,
    DiagnosticLevel,
    Finding,
    Report,
    Severity,
    Suppressed,
)
from ekstwin.model.source import Source
from ekstwin.reporters._text import json_safe
from ekstwin.reporters.interface import (
    Reporter,
    diagnostic_sort_key,
    sorted_findings,
    sorted_suppressed,
)

__all__ = [
    "FINGERPRINT_KEY",
    "INFORMATION_URI",
    "SARIF_SCHEMA_URI",
    "SRCROOT",
    "SarifReporter",
    "sarif_document",
]

SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/ekstwin/ekstwin"
SRCROOT = "SRCROOT"
FINGERPRINT_KEY = "ekstwinFingerprint/v1"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning reads these: a CVSS-like score as a string.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.0",
    Severity.HIGH: "7.0",
    Severity.MEDIUM: "5.0",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
_PRECISION = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}
_SUPPRESSION_KIND = {"annotation": "inSource", "baseline": "external"}


class SarifReporter(Reporter):
    """Renders a SARIF 2.1.0 log, indented, ending with a newline."""

    def render(self, report: Report) -> str:
        return json_safe(json.dumps(sarif_document(report), indent=2, ensure_ascii=False)) + "\n"


def sarif_document(report: Report) -> dict[str, object]:
    """The report as a SARIF 2.1.0 log (plain JSON data)."""
    checks = sorted(report.checks, key=lambda c: c.id)
    index = {check.id: i for i, check in enumerate(checks)}
    results = [_result(f, index) for f in sorted_findings(report.findings)]
    results += [_suppressed(s, index) for s in sorted_suppressed(report.suppressed)]
    notifications = [_notification(d) for d in sorted(report.diagnostics, key=diagnostic_sort_key)]
    invocation: dict[str, object] = {"executionSuccessful": not report.input_errors}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ekstwin",
                        "version": report.tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(c) for c in checks],
                    }
                },
                "invocations": [invocation],
                "results": results,
            }
        ],
    }


def _rule(check: CheckInfo) -> dict[str, object]:
    rule: dict[str, object] = {
        "id": check.id,
        "name": check.slug,
        "shortDescription": {"text": check.title},
    }
    doc = check.doc.strip()
    if doc:
        rule["fullDescription"] = {"text": _first_paragraph(doc)}
        rule["help"] = {"text": doc, "markdown": doc}
    if check.doc_path:
        rule["helpUri"] = check.doc_path
    rule["defaultConfiguration"] = {"level": _LEVEL[check.severity]}
    rule["properties"] = {
        "security-severity": _SECURITY_SEVERITY[check.severity],
        "precision": _PRECISION[check.confidence],
        "tags": ["security", check.engine],
    }
    return rule


# The section headings of a check's docstring (STYLE.md: "A check").
_HEADINGS = frozenset(
    {"what it does", "why is this bad?", "example", "use instead", "fix", "references"}
)


def _first_paragraph(doc: str) -> str:
    """The first paragraph of ``doc`` that is not a section heading."""
    for paragraph in doc.split("\n\n"):
        text = " ".join(paragraph.split())
        if text and text.lstrip("#").strip().rstrip(":").lower() not in _HEADINGS:
            return text
    return " ".join(doc.split())


def _result(finding: Finding, index: dict[str, int]) -> dict[str, object]:
    subject = finding.subject
    result: dict[str, object] = {"ruleId": finding.check_id}
    if finding.check_id in index:
        result["ruleIndex"] = index[finding.check_id]
    location: dict[str, object] = {}
    if finding.source:
        location["physicalLocation"] = _physical(finding.source)
    location["logicalLocations"] = [
        {"name": subject.name, "fullyQualifiedName": str(subject), "kind": subject.kind}
    ]
    result.update(
        {
            "level": _LEVEL[finding.severity],
            "message": {"text": finding.message},
            "locations": [location],
            "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
            "properties": {
                "subject": {
                    "kind": subject.kind,
                    "namespace": subject.namespace,
                    "name": subject.name,
                },
                "severity": finding.severity.value,
                "confidence": finding.confidence.value,
                "evidence": list(finding.evidence),
                "fix": finding.fix,
            },
        }
    )
    return result


def _suppressed(item: Suppressed, index: dict[str, int]) -> dict[str, object]:
    result = _result(item.finding, index)
    suppression: dict[str, object] = {"kind": _SUPPRESSION_KIND.get(item.kind, "external")}
    if item.justification:
        suppression["justification"] = item.justification
    result["suppressions"] = [suppression]
    return result


def _notification(diagnostic: Diagnostic) -> dict[str, object]:
    level = "error" if diagnostic.level is DiagnosticLevel.ERROR else "warning"
    notification: dict[str, object] = {
        "level": level,
        "message": {"text": diagnostic.message},
        "descriptor": {"id": diagnostic.code},
    }
    if diagnostic.source:
        notification["locations"] = [{"physicalLocation": _physical(diagnostic.source)}]
    if diagnostic.hint:
        notification["properties"] = {"hint": diagnostic.hint}
    return notification


def _physical(source: Source) -> dict[str, object]:
    path = PurePosixPath(source.file.replace("\\", "/"))
    artifact: dict[str, object]
    if path.is_absolute():
        artifact = {"uri": path.as_uri()}
    else:
        artifact = {"uri": quote(str(path), safe="/"), "uriBaseId": SRCROOT}
    physical: dict[str, object] = {"artifactLocation": artifact}
    if source.line > 0:
        physical["region"] = {"startLine": source.line}
    return physical
