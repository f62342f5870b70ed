"""The terminal report: platform summary, input problems, findings by severity.

Everything a finding carries is put into :class:`rich.text.Text` objects,
never parsed as markup, and passed through :func:`printable`, so ``[bold]``
or an escape sequence in a message shows as typed.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ekstwin.findings import (
    Diagnostic,
    DiagnosticGroup,
    DiagnosticLevel,
    Finding,
    Report,
    Severity,
    diagnostic_totals,
)
from ekstwin.reporters._text import printable
from ekstwin.reporters.interface import (
    MORE_IN_JSON,
    Reporter,
    diagnostic_digest,
    sorted_findings,
)

__all__ = ["DEFAULT_WIDTH", "TableReporter"]

DEFAULT_WIDTH = 120

_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_SEVERITIES_DESC = sorted(Severity, key=lambda s: s.rank, reverse=True)


class TableReporter(Reporter):
    """Renders the report for a terminal; ANSI colour only when ``color``."""

    def __init__(self, *, color: bool = False, width: int = DEFAULT_WIDTH) -> None:
        self.color = color
        self.width = width

    def render(self, report: Report) -> str:
        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=self.width,
            force_terminal=self.color,
            color_system="standard" if self.color else None,
            no_color=not self.color,
            highlight=False,
            emoji=False,
            markup=False,
            legacy_windows=False,
            _environ={},
        )
        for renderable in _sections(report, self.width):
            console.print(renderable)
        # rich pads every line to the width; trailing blanks only get in the way.
        return "".join(line.rstrip(" ") + "\n" for line in buffer.getvalue().splitlines())


def _t(text: str, style: str = "") -> Text:
    return Text(printable(text), style=style)


def _sections(report: Report, width: int) -> Iterable[RenderableType]:
    yield _t(f"ekstwin {report.tool_version}", "bold")
    inputs = ", ".join(report.inputs) if report.inputs else "(none)"
    yield _t(f"inputs: {inputs}")
    yield Text()
    yield _platform(report)
    if report.diagnostics or report.counted_diagnostics:
        yield Text()
        yield _diagnostics(report.diagnostics, report.counted_diagnostics, width)
    findings = sorted_findings(report.findings)
    for severity in _SEVERITIES_DESC:
        group = [f for f in findings if f.severity is severity]
        if group:
            yield Text()
            yield _findings(severity, group)
    yield Text()
    yield _totals(report)


def _platform(report: Report) -> Table:
    summary = report.summary
    table = Table(title=_t("Platform", "bold"), title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("", style="bold", no_wrap=True)
    table.add_column("")
    table.show_header = False
    kinds = ", ".join(f"{kind} {count}" for kind, count in summary.kinds) or "(none)"
    table.add_row(_t("objects"), _t(kinds))
    table.add_row(_t("namespaces"), _t(_counted(summary.namespaces)))
    table.add_row(_t("nodes"), _t(_counted(summary.nodes)))
    table.add_row(_t("accounts"), _t(_counted(summary.accounts)))
    table.add_row(_t("pods"), _t(str(summary.pods)))
    if summary.opaque:
        opaque = ", ".join(f"{kind} {count}" for kind, count in summary.opaque)
        table.add_row(_t("opaque kinds"), _t(f"{opaque} (loaded, not modelled)"))
    if summary.implied:
        table.add_row(
            _t("implied"),
            _t(
                f"{_counted(summary.implied)} (not in the input; assumed, --no-implied to turn off)"
            ),
        )
    return table


def _counted(names: tuple[str, ...]) -> str:
    if not names:
        return "0"
    return f"{len(names)}: {', '.join(names)}"


def _diagnostics(
    diagnostics: tuple[Diagnostic, ...], counted: tuple[DiagnosticGroup, ...], width: int
) -> Group:
    """Each problem as a block: level and place on one line, then what is wrong and
    the hint on lines of their own at the full width (a table column squeezed the
    text to a few characters next to a long path). Repeated problems past the first
    few of a code and file are counted, not listed (JSON lists more)."""
    parts: list[RenderableType] = [_t("Input problems", "bold")]
    digest = diagnostic_digest(diagnostics, counted)

    def head(level: DiagnosticLevel, place: str) -> None:
        style = "bold red" if level is DiagnosticLevel.ERROR else "yellow"
        line = _t(f"  {level.value:8}", style)
        line.append_text(_t(place))
        # a path longer than the line folds at the width (rich would break the line at
        # the space before it, or crop it)
        parts.extend(line.divide(range(width, len(line), width)))

    for diagnostic in digest.shown:
        head(diagnostic.level, str(diagnostic.source) if diagnostic.source else "-")
        parts.append(Padding(_t(diagnostic.message), (0, 0, 0, 4)))
        if diagnostic.hint:
            parts.append(Padding(_t(f"hint: {diagnostic.hint}", "dim"), (0, 0, 0, 4)))
    for group in digest.counted:
        head(group.level, group.file)
        more = f"{group.count} more {group.code} problem{'s' if group.count != 1 else ''}"
        parts.append(Padding(_t(f"{more} ({MORE_IN_JSON})", "dim"), (0, 0, 0, 4)))
    return Group(*parts)


def _findings(severity: Severity, findings: list[Finding]) -> Group:
    style = _SEVERITY_STYLE[severity]
    parts: list[RenderableType] = [
        Rule(_t(f"{severity.value.upper()} ({len(findings)})", style), align="left")
    ]
    for finding in findings:
        head = _t(finding.check_id, "bold")
        head.append_text(_t(f"  {finding.severity.value}", style))
        head.append_text(_t(f"  {finding.subject}"))
        head.append_text(_t(f"  {finding.source if finding.source else '(no file)'}", "dim"))
        parts.append(Padding(head, (1, 0, 0, 2)))
        parts.append(Padding(_details(finding), (0, 0, 0, 4)))
    return Group(*parts)


def _details(finding: Finding) -> Text:
    text = _t(finding.message)
    if finding.evidence:
        text.append("\n")
        text.append_text(_t("evidence:", "dim"))
        for number, step in enumerate(finding.evidence, 1):
            text.append("\n")
            text.append_text(_t(f"  {number}. {step}"))
    if finding.fix:
        text.append("\n")
        text.append_text(_t("fix: ", "green"))
        text.append_text(_t(finding.fix))
    return text


def _totals(report: Report) -> Text:
    counts = dict.fromkeys(_SEVERITIES_DESC, 0)
    for finding in report.findings:
        counts[finding.severity] += 1
    total = len(report.findings)
    if total:
        parts = ", ".join(f"{counts[s]} {s.value}" for s in _SEVERITIES_DESC if counts[s])
        line = f"{total} finding{'s' if total != 1 else ''} ({parts})"
    else:
        line = "no findings"
    line += f"; {len(report.suppressed)} suppressed"
    if report.diagnostics or report.counted_diagnostics:
        totals = diagnostic_totals(report.diagnostics, report.counted_diagnostics)
        errors, warnings = totals[DiagnosticLevel.ERROR], totals[DiagnosticLevel.WARNING]
        line += f"; input problems: {errors} error{'s' if errors != 1 else ''}"
        line += f", {warnings} warning{'s' if warnings != 1 else ''}"
    return _t(line, "bold")
