"""JUnit XML, for CI systems that show test results.

One ``testsuite`` per check and one ``testcase`` per check and subject: a
``failure`` per finding, ``skipped`` when all its findings were suppressed,
and one passing testcase for a check that found nothing. Input diagnostics
form an ``input`` testsuite: an error-level diagnostic is an ``error``, a
warning a passing testcase with the warning in ``system-out``.

Text goes through :func:`printable` first: XML 1.0 cannot carry most control
characters even escaped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from ekstwin.findings import (
    CheckInfo,
    Diagnostic,
    DiagnosticGroup,
    DiagnosticLevel,
    Finding,
    ObjectRef,
    Report,
    Suppressed,
)
from ekstwin.reporters._text import printable
from ekstwin.reporters.interface import (
    Reporter,
    counted_message,
    diagnostic_sort_key,
    sorted_findings,
    sorted_suppressed,
)

__all__ = ["JunitReporter"]


class JunitReporter(Reporter):
    """Renders JUnit XML (the common Jenkins / GitLab / GitHub dialect)."""

    def render(self, report: Report) -> str:
        root = ET.Element("testsuites", {"name": "ekstwin"})
        suites: list[ET.Element] = []
        if report.diagnostics or report.counted_diagnostics:
            suites.append(_input_suite(report.diagnostics, report.counted_diagnostics))
        suites.extend(_check_suites(report))
        tests = failures = errors = skipped = 0
        for suite in suites:
            tests += int(suite.get("tests", "0"))
            failures += int(suite.get("failures", "0"))
            errors += int(suite.get("errors", "0"))
            skipped += int(suite.get("skipped", "0"))
            root.append(suite)
        _set_counts(root, tests, failures, errors, skipped)
        ET.indent(root, space="  ")
        body = ET.tostring(root, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _set_counts(element: ET.Element, tests: int, failures: int, errors: int, skipped: int) -> None:
    element.set("tests", str(tests))
    element.set("failures", str(failures))
    element.set("errors", str(errors))
    element.set("skipped", str(skipped))


def _input_suite(
    diagnostics: tuple[Diagnostic, ...], counted: tuple[DiagnosticGroup, ...]
) -> ET.Element:
    """A testcase per diagnostic listed, and one per (level, code, file) of those
    only counted, which says how many."""
    suite = ET.Element("testsuite", {"name": "input"})
    errors = 0
    ordered = sorted(diagnostics, key=diagnostic_sort_key)
    for diagnostic in ordered:
        where = str(diagnostic.source) if diagnostic.source else "(no file)"
        case = ET.SubElement(suite, "testcase", {"classname": "input", "name": printable(where)})
        details = diagnostic.message + (f"\nhint: {diagnostic.hint}" if diagnostic.hint else "")
        if diagnostic.level is DiagnosticLevel.ERROR:
            errors += 1
            error = ET.SubElement(
                case,
                "error",
                {"type": diagnostic.code, "message": printable(diagnostic.message)},
            )
            error.text = printable(details, keep_newlines=True)
        else:
            out = ET.SubElement(case, "system-out")
            out.text = printable(f"warning: {details}", keep_newlines=True)
    for group in counted:
        case = ET.SubElement(
            suite, "testcase", {"classname": "input", "name": printable(group.file)}
        )
        message = printable(counted_message(group))
        if group.level is DiagnosticLevel.ERROR:
            errors += 1
            error = ET.SubElement(case, "error", {"type": group.code, "message": message})
            error.text = message
        else:
            ET.SubElement(case, "system-out").text = f"warning: {message}"
    _set_counts(suite, len(ordered) + len(counted), 0, errors, 0)
    return suite


def _check_suites(report: Report) -> list[ET.Element]:
    active: dict[str, dict[ObjectRef, list[Finding]]] = defaultdict(dict)
    for finding in sorted_findings(report.findings):
        active[finding.check_id].setdefault(finding.subject, []).append(finding)
    silenced: dict[str, dict[ObjectRef, list[Suppressed]]] = defaultdict(dict)
    for item in sorted_suppressed(report.suppressed):
        silenced[item.finding.check_id].setdefault(item.finding.subject, []).append(item)
    titles = {check.id: check for check in report.checks}
    check_ids = sorted(set(titles) | set(active) | set(silenced))
    return [
        _check_suite(check_id, titles.get(check_id), active[check_id], silenced[check_id])
        for check_id in check_ids
    ]


def _check_suite(
    check_id: str,
    check: CheckInfo | None,
    active: dict[ObjectRef, list[Finding]],
    silenced: dict[ObjectRef, list[Suppressed]],
) -> ET.Element:
    title = check.title if check else _first_title(active, silenced)
    suite = ET.Element("testsuite", {"name": printable(f"{check_id} {title}".strip())})
    tests = failures = skipped = 0
    for subject in sorted(set(active) | set(silenced), key=_subject_key):
        tests += 1
        case = ET.SubElement(
            suite, "testcase", {"classname": check_id, "name": printable(str(subject))}
        )
        if subject in active:
            for finding in active[subject]:
                failures += 1
                failure = ET.SubElement(
                    case,
                    "failure",
                    {"type": finding.severity.value, "message": printable(finding.message)},
                )
                failure.text = printable(_details(finding), keep_newlines=True)
        else:
            skipped += 1
            reasons = "; ".join(
                f"suppressed by {item.kind}: {item.justification}" for item in silenced[subject]
            )
            ET.SubElement(case, "skipped", {"message": printable(reasons)})
    if tests == 0:
        tests = 1
        name = check.slug if check else check_id
        ET.SubElement(suite, "testcase", {"classname": check_id, "name": printable(name)})
    _set_counts(suite, tests, failures, 0, skipped)
    return suite


def _first_title(
    active: dict[ObjectRef, list[Finding]], silenced: dict[ObjectRef, list[Suppressed]]
) -> str:
    for findings in active.values():
        return findings[0].title
    for items in silenced.values():
        return items[0].finding.title
    return ""


def _subject_key(subject: ObjectRef) -> tuple[str, str, str]:
    return (subject.kind, subject.namespace or "", subject.name)


def _details(finding: Finding) -> str:
    lines = [
        f"{finding.check_id} {finding.severity.value} {finding.subject}",
        f"location: {finding.source if finding.source else '(no file)'}",
        f"message: {finding.message}",
    ]
    if finding.evidence:
        lines.append("evidence:")
        lines.extend(f"  {i}. {step}" for i, step in enumerate(finding.evidence, 1))
    if finding.fix:
        lines.append(f"fix: {finding.fix}")
    return "\n".join(lines)
