"""The report in the Prometheus text exposition format, for alerting on findings.

Written by ``ekstwin analyze --format prometheus`` (for example into the
node exporter's textfile directory from a CronJob). Every check that ran has a
series for every severity, zeros included, so an alert can compare against the
previous value and a fixed finding brings its series back to 0.
"""

from __future__ import annotations

from collections import Counter

from ekstwin.findings import DiagnosticLevel, Report, Severity, diagnostic_totals
from ekstwin.reporters.interface import Reporter


def _label(value: str) -> str:
    """A label value as the exposition format escapes it."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class PrometheusReporter(Reporter):
    def render(self, report: Report) -> str:
        counts = Counter((f.check_id, f.severity.value) for f in report.findings)
        suppressed = Counter(s.finding.check_id for s in report.suppressed)
        checks = sorted({c.id for c in report.checks} | {c for c, _ in counts})
        lines = [
            "# HELP ekstwin_findings Findings of the last analysis, by check and severity.",
            "# TYPE ekstwin_findings gauge",
        ]
        for check in checks:
            for severity in Severity:
                n = counts.get((check, severity.value), 0)
                lines.append(
                    f'ekstwin_findings{{check="{_label(check)}",severity="{severity.value}"}} {n}'
                )
        lines += [
            "# HELP ekstwin_findings_suppressed Findings silenced by annotation or baseline.",
            "# TYPE ekstwin_findings_suppressed gauge",
            *(
                f'ekstwin_findings_suppressed{{check="{_label(c)}"}} {suppressed.get(c, 0)}'
                for c in checks
            ),
            "# HELP ekstwin_input_errors Input problems that stopped part of the analysis.",
            "# TYPE ekstwin_input_errors gauge",
            "ekstwin_input_errors "
            + str(
                diagnostic_totals(report.diagnostics, report.counted_diagnostics)[
                    DiagnosticLevel.ERROR
                ]
            ),
            "# HELP ekstwin_info The ekstwin version that wrote these figures.",
            "# TYPE ekstwin_info gauge",
            f'ekstwin_info{{version="{_label(report.tool_version)}"}} 1',
        ]
        return "\n".join(lines) + "\n"
