"""SARIF 2.1.0: one run, the checks as rules, findings as results.

Suppressed findings are results with ``suppressions`` (an annotation is
``inSource``, a baseline ``external``); input diagnostics are tool execution
notifications, and an error among them makes the run unsuccessful.
"""

from __future__ import annotations

import json
import os
import posixpath
from pathlib import PurePosixPath
from urllib.parse import quote, unquote

from ekstwin.findings import (
    CheckInfo,
    Confidence,
    Diagnostic,
    DiagnosticGroup,
    DiagnosticLevel,
    Finding,
    Report,
    Severity,
    Suppressed,
)
from ekstwin.model.source import ObjectRef, Source
from ekstwin.reporters._text import json_safe
from ekstwin.reporters.interface import (
    Reporter,
    counted_message,
    diagnostic_sort_key,
    sorted_findings,
    sorted_suppressed,
)

__all__ = [
    "FINGERPRINT_KEY",
    "INFORMATION_URI",
    "INPUTROOT",
    "PLACEHOLDER_ROOT",
    "SARIF_SCHEMA_URI",
    "SRCROOT",
    "SarifReporter",
    "placeholder_path",
    "sarif_document",
]

SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/ekstwin/ekstwin"
SRCROOT = "SRCROOT"
#: The base of absolute input paths outside the working directory.
INPUTROOT = "INPUTROOT"
#: The folder of the placeholder paths of results about objects from no file.
PLACEHOLDER_ROOT = "_ekstwin"
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


def sarif_document(report: Report, cwd: str | None = None) -> dict[str, object]:
    """The report as a SARIF 2.1.0 log (plain JSON data).

    GitHub code scanning rejects absolute ``file:`` URIs it cannot place under the
    checkout, so absolute paths are written relative to ``SRCROOT``: the working
    directory ``cwd`` (the current one by default) when they are all under it or
    some input path is relative, else their common folder; ``originalUriBaseIds``
    then says where ``SRCROOT`` is."""
    checks = sorted(report.checks, key=lambda c: c.id)
    index = {check.id: i for i, check in enumerate(checks)}
    results = [_result(f, index) for f in sorted_findings(report.findings)]
    results += [_suppressed(s, index) for s in sorted_suppressed(report.suppressed)]
    notifications = [_notification(d) for d in sorted(report.diagnostics, key=diagnostic_sort_key)]
    notifications += [_counted_notification(g) for g in report.counted_diagnostics]
    invocation: dict[str, object] = {"executionSuccessful": not report.input_errors}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, object] = {
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
    bases = _relativize([*results, *notifications], os.getcwd() if cwd is None else cwd)
    if bases:
        run["originalUriBaseIds"] = bases
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _artifacts(items: list[dict[str, object]]) -> list[dict[str, object]]:
    out = []
    for item in items:
        for loc in item.get("locations", []):  # type: ignore[attr-defined]
            artifact = loc.get("physicalLocation", {}).get("artifactLocation")
            if isinstance(artifact, dict):
                out.append(artifact)
    return out


def _relativize(items: list[dict[str, object]], cwd: str) -> dict[str, object]:
    """Rewrite absolute ``file:`` URIs as relative references; the base ids used.

    Under ``cwd`` they are relative to ``SRCROOT`` (the working directory); the
    others to ``INPUTROOT``, their common folder (``SRCROOT`` when every path
    given was absolute and outside ``cwd``)."""
    artifacts = _artifacts(items)
    absolute = [a for a in artifacts if str(a.get("uri", "")).startswith("file://")]
    if not absolute:
        return {}
    paths = [PurePosixPath(unquote(str(a["uri"])[len("file://") :])) for a in absolute]
    base = PurePosixPath(cwd.replace("\\", "/"))
    relative_inputs = any(
        not str(a.get("uri", "")).startswith(("file://", PLACEHOLDER_ROOT + "/")) for a in artifacts
    )
    outside = [p for p in paths if not p.is_relative_to(base)]
    bases: dict[str, PurePosixPath] = {}
    other = SRCROOT
    if outside:
        common = PurePosixPath(posixpath.commonpath([str(p.parent) for p in outside]))
        if relative_inputs or len(outside) < len(paths):
            other = INPUTROOT
            bases[SRCROOT] = base
        bases[other] = common
    else:
        bases[SRCROOT] = base
    for artifact, path in zip(absolute, paths, strict=True):
        base_id = (
            SRCROOT
            if path.is_relative_to(base) and SRCROOT in bases and bases[SRCROOT] == base
            else other
        )
        artifact["uri"] = quote(str(path.relative_to(bases[base_id])), safe="/")
        artifact["uriBaseId"] = base_id
    return {key: {"uri": _dir_uri(root)} for key, root in sorted(bases.items())}


def _dir_uri(path: PurePosixPath) -> str:
    uri = path.as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _rule(check: CheckInfo) -> dict[str, object]:
    rule: dict[str, object] = {
        "id": check.id,
        "name": check.slug,
        "shortDescription": {"text": check.title},
    }
    # GitHub requires a full description and a help text of every rule.
    doc = check.doc.strip() or check.title
    rule["fullDescription"] = {"text": _first_paragraph(doc)}
    rule["help"] = {"text": doc, "markdown": doc}
    if check.doc_path:
        # helpUri must be an absolute URI (SARIF 3.49.12).
        rule["helpUri"] = f"{INFORMATION_URI}/blob/main/{check.doc_path}"
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
    location: dict[str, object] = {"physicalLocation": _result_physical(finding)}
    if finding.source is None or not _is_file(finding.source):
        where = str(finding.source) if finding.source else "no input file"
        location["message"] = {"text": f"{subject} ({where})"}
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


def _counted_notification(group: DiagnosticGroup) -> dict[str, object]:
    """Diagnostics counted, not listed: one notification with their number."""
    notification: dict[str, object] = {
        "level": "error" if group.level is DiagnosticLevel.ERROR else "warning",
        "message": {"text": counted_message(group)},
        "descriptor": {"id": group.code},
        "properties": {"count": group.count},
    }
    if group.file != "-":
        notification["locations"] = [{"physicalLocation": _physical(Source(group.file))}]
    return notification


def _is_file(source: Source) -> bool:
    """Whether a source names a file of the input (not ``<implied: ...>``, ``<aws>``,
    or an API address such as ``k8s:/api/v1/pods`` of a live collection)."""
    file = source.file
    if not file or file.startswith("<"):
        return False
    scheme = file.split(":", 1)[0] if ":" in file else ""
    # A Windows drive letter (C:\...) is a path, a longer scheme is an address.
    return len(scheme) <= 1 or "/" in scheme or "\\" in scheme


def placeholder_path(subject: ObjectRef) -> str:
    """Where a result about an object that came from no file is placed: GitHub
    code scanning rejects an upload whose results lack a file, so such results
    point at ``_ekstwin/<Kind>/<namespace or _cluster>/<name>`` (docs/report-json.md)."""
    parts = [subject.kind, subject.namespace or "_cluster", subject.name]
    return PLACEHOLDER_ROOT + "/" + "/".join(quote(p, safe="") or "_" for p in parts)


def _result_physical(finding: Finding) -> dict[str, object]:
    if finding.source is not None and _is_file(finding.source):
        physical = _physical(finding.source)
        # GitHub needs a region: a finding about a whole file is on its first line.
        physical.setdefault("region", {"startLine": 1})
        return physical
    return {
        "artifactLocation": {"uri": placeholder_path(finding.subject), "uriBaseId": SRCROOT},
        "region": {"startLine": 1},
    }


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
