from __future__ import annotations

from ekstwin.findings import Diagnostic, PlatformSummary, Report
from ekstwin.model.source import Source
from ekstwin.reporters.table import TableReporter
from tests.reporters import EXPECTED
from tests.snapshots import assert_snapshot


def test_table_matches_snapshot(report: Report) -> None:
    assert_snapshot(EXPECTED / "report.table.txt", TableReporter().render(report))


def test_table_shows_markup_and_control_characters_escaped(hostile_report: Report) -> None:
    out = TableReporter().render(hostile_report)
    assert_snapshot(EXPECTED / "hostile.table.txt", out)
    assert "\x1b" not in out
    assert "\x00" not in out
    assert "\u202e" not in out
    assert 'a [bold]b[/bold] <c> & "d" \\x1b[31mred\\x1b[0m \\x00 \\u202eevil' in out
    assert "Deployment/[red]ns[/red]/<web>" in out


def test_table_without_color_has_no_ansi_codes(report: Report) -> None:
    assert "\x1b[" not in TableReporter(color=False).render(report)


def test_table_with_color_styles_severities(report: Report) -> None:
    out = TableReporter(color=True).render(report)
    assert "\x1b[1;31mCRITICAL (1)" in out
    plain = TableReporter().render(report)
    assert len(out) > len(plain)


def test_table_of_an_empty_report() -> None:
    empty = Report(
        tool_version="0.1.0",
        inputs=(),
        summary=PlatformSummary(kinds=(), namespaces=(), nodes=(), accounts=(), pods=0),
        checks=(),
        findings=(),
    )
    assert TableReporter(width=60).render(empty) == (
        "ekstwin 0.1.0\n"
        "inputs: (none)\n"
        "\n"
        "Platform\n"
        "\n"
        "  objects      (none)\n"
        "  namespaces   0\n"
        "  nodes        0\n"
        "  accounts     0\n"
        "  pods         0\n"
        "\n"
        "\n"
        "no findings; 0 suppressed\n"
    )


def test_many_alike_diagnostics_are_summarised_per_code_and_file() -> None:
    from ekstwin.findings import Diagnostic, DiagnosticLevel
    from ekstwin.model.source import Source

    diags = [
        Diagnostic(Source("big.yaml", i), "document has no kind", code="not-an-object")
        for i in range(1, 100_001)
    ]
    diags.append(
        Diagnostic(Source("a.yaml", 3), "odd", level=DiagnosticLevel.WARNING, code="duplicate")
    )
    report = Report(
        tool_version="0.1.0",
        inputs=("in",),
        summary=PlatformSummary(kinds=(), namespaces=(), nodes=(), accounts=(), pods=0),
        checks=(),
        findings=(),
        diagnostics=tuple(diags),
    )
    out = TableReporter(width=80).render(report)
    start = out.index("Input problems")
    assert out[start:] == (
        "Input problems\n"
        "  warning a.yaml:3\n"
        "    odd\n"
        + "".join(f"  error   big.yaml:{i}\n    document has no kind\n" for i in range(1, 6))
        + "  error   big.yaml\n"
        "    99995 more not-an-object problems (--format json lists the first 100 and\n"
        "    counts the rest)\n"
        "\n"
        "no findings; 0 suppressed; input problems: 100000 errors, 1 warning\n"
    )


def test_a_long_path_does_not_squeeze_the_problem() -> None:
    """The problem text once got a column of a dozen characters next to a long path."""
    path = "/srv/checkout/" + "/".join(["a-rather-long-directory-name"] * 5) + "/manifest.yaml"
    message = "document is a list, not a Kubernetes object; the document was not read"
    report = Report(
        tool_version="0.1.0",
        inputs=("k8s",),
        summary=PlatformSummary((), (), (), (), 0),
        checks=(),
        findings=(),
        diagnostics=(Diagnostic(Source(path, 6), message, "each document must be a mapping"),),
    )
    text = TableReporter(color=False).render(report)
    lines = text.split("Input problems\n", 1)[1].splitlines()
    at = lines.index(f"    {message}")  # the problem whole, on a line of its own
    assert "".join(lines[:at]) == f"  error   {path}:6"  # the path folds at the width
    assert lines[at + 1] == "    hint: each document must be a mapping"
