"""The reporter family: one :class:`Reporter` per output format.

A reporter renders an :class:`ekstwin.findings.Report` to text; it computes
nothing and never prints (the CLI writes the string where it belongs).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never

from ekstwin.errors import EkstwinError
from ekstwin.findings import (
    DIAGNOSTICS_KEPT_PER_GROUP,
    Diagnostic,
    DiagnosticGroup,
    DiagnosticLevel,
    Finding,
    Report,
    Suppressed,
)

__all__ = [
    "DiagnosticDigest",
    "DiagnosticGroup",
    "ReportFormat",
    "Reporter",
    "ReporterError",
    "MORE_IN_JSON",
    "counted_message",
    "diagnostic_digest",
    "diagnostic_sort_key",
    "finding_sort_key",
    "reporter_for",
    "sorted_findings",
    "sorted_suppressed",
]


class ReporterError(EkstwinError):
    """A report cannot be rendered in the asked format."""


class ReportFormat(StrEnum):
    """The output formats ``--format`` accepts."""

    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    PROMETHEUS = "prometheus"


class Reporter(ABC):
    """Renders a :class:`Report` to a string in one format."""

    @abstractmethod
    def render(self, report: Report) -> str:
        """The whole report as text, ending with a newline."""


def reporter_for(fmt: ReportFormat, *, color: bool = False) -> Reporter:
    """The reporter for ``fmt``; ``color`` only matters for the table."""
    match fmt:
        case ReportFormat.TABLE:
            from ekstwin.reporters.table import TableReporter

            return TableReporter(color=color)
        case ReportFormat.JSON:
            from ekstwin.reporters.json_report import JsonReporter

            return JsonReporter()
        case ReportFormat.SARIF:
            from ekstwin.reporters.sarif import SarifReporter

            return SarifReporter()
        case ReportFormat.JUNIT:
            from ekstwin.reporters.junit import JunitReporter

            return JunitReporter()
        case ReportFormat.PROMETHEUS:
            from ekstwin.reporters.prometheus import PrometheusReporter

            return PrometheusReporter()
        case _:
            assert_never(fmt)


def finding_sort_key(finding: Finding) -> tuple[int, str, str, str, str, bool, str, int, str]:
    """Severity (most severe first), check id, subject, location, then fingerprint.

    Findings without a location sort after those with one for the same subject.
    """
    subject = finding.subject
    source = finding.source
    return (
        -finding.severity.rank,
        finding.check_id,
        subject.kind,
        subject.namespace or "",
        subject.name,
        source is None,
        source.file if source else "",
        source.line if source else 0,
        finding.fingerprint,
    )


def sorted_findings(findings: tuple[Finding, ...]) -> list[Finding]:
    return sorted(findings, key=finding_sort_key)


def sorted_suppressed(suppressed: tuple[Suppressed, ...]) -> list[Suppressed]:
    return sorted(suppressed, key=lambda s: finding_sort_key(s.finding))


def diagnostic_sort_key(diagnostic: Diagnostic) -> tuple[bool, str, int]:
    """Input order by file and line; diagnostics without a place come last."""
    source = diagnostic.source
    return (source is None, source.file if source else "", source.line if source else 0)


#: What text outputs say of the diagnostics they count rather than show.
MORE_IN_JSON = f"--format json lists the first {DIAGNOSTICS_KEPT_PER_GROUP} and counts the rest"


def counted_message(group: DiagnosticGroup) -> str:
    """How a report that lists diagnostics says the ones it only counts."""
    s = "s" if group.count != 1 else ""
    where = "in this file" if group.file != "-" else "without a place"
    return f"{group.count} more {group.code} problem{s} {where}, counted, not listed"


#: Text outputs show at most this many diagnostics in full ...
DIAGNOSTICS_IN_FULL = 100
#: ... and at most this many of one code in one file; the rest are counted.
DIAGNOSTICS_IN_FULL_PER_GROUP = 5


@dataclass(frozen=True, slots=True)
class DiagnosticDigest:
    shown: tuple[Diagnostic, ...]
    counted: tuple[DiagnosticGroup, ...]


def diagnostic_digest(
    diagnostics: Iterable[Diagnostic],
    counted: Iterable[DiagnosticGroup] = (),
    *,
    in_full: int = DIAGNOSTICS_IN_FULL,
    per_group: int = DIAGNOSTICS_IN_FULL_PER_GROUP,
) -> DiagnosticDigest:
    """What a text output shows of many diagnostics: the first of each (code, file)
    in full, in input order, and a count for the repeats (``counted``, those the
    collector did not keep, included), so 100,000 alike problems read as a few
    lines. JSON and SARIF list every diagnostic kept and count the others."""
    shown: list[Diagnostic] = []
    seen: Counter[tuple[str, str]] = Counter()
    rest: Counter[tuple[str, str, DiagnosticLevel]] = Counter()
    for d in sorted(diagnostics, key=diagnostic_sort_key):
        file = d.source.file if d.source else "-"
        group = (file, d.code)
        if len(shown) < in_full and seen[group] < per_group:
            seen[group] += 1
            shown.append(d)
        else:
            rest[(file, d.code, d.level)] += 1
    for g in counted:
        rest[(g.file, g.code, g.level)] += g.count
    groups = tuple(
        DiagnosticGroup(level, code, file, n)
        for (file, code, level), n in sorted(rest.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    )
    return DiagnosticDigest(tuple(shown), groups)
