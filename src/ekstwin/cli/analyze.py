"""``ekstwin analyze``, ``checks``, ``snapshot`` and ``baseline``."""

from __future__ import annotations

import argparse
import sys

from ekstwin.analysis import analyze
from ekstwin.cli.common import (
    SEVERITIES,
    Exit,
    add_fail_on_argument,
    add_output_arguments,
    add_platform_argument,
    eprint,
    finish_report,
    json_text,
    load_platform,
    write_json,
    write_output,
)
from ekstwin.engines.checks import (
    DEFAULT_DEV_NAMESPACES,
    DEFAULT_PROD_NAMESPACES,
    DEFAULT_SYSTEM_NAMESPACES,
    CheckContext,
    discover_checks,
)
from ekstwin.errors import ConfigError, SelectorSyntaxError
from ekstwin.findings import DiagnosticLevel
from ekstwin.loaders import snapshot_to_json
from ekstwin.model.selectors import parse_calico_selector
from ekstwin.reporters.interface import ReportFormat, reporter_for
from ekstwin.suppressions import baseline_json, read_baseline


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "analyze",
        help="load a platform, summarise it and run every check",
        description="Load a platform, print a summary (counts per kind, namespaces, nodes, "
        "accounts) and run every registered check.",
    )
    add_platform_argument(p)
    add_output_arguments(p, [f.value for f in ReportFormat])
    add_fail_on_argument(p, SEVERITIES, "when a finding at or above this severity remains")
    p.add_argument("--baseline", metavar="FILE", help="suppress the findings listed in FILE")
    p.add_argument(
        "--dev-namespaces",
        metavar="SELECTOR",
        default=DEFAULT_DEV_NAMESPACES,
        help="Calico selector over namespace labels that marks development namespaces "
        f"(default: {DEFAULT_DEV_NAMESPACES})",
    )
    p.add_argument(
        "--prod-namespaces",
        metavar="SELECTOR",
        default=DEFAULT_PROD_NAMESPACES,
        help="Calico selector over namespace labels that marks production namespaces "
        f"(default: {DEFAULT_PROD_NAMESPACES})",
    )
    p.add_argument(
        "--system-namespaces",
        metavar="SELECTOR",
        default=DEFAULT_SYSTEM_NAMESPACES,
        help="Calico selector over namespace labels that marks the cluster's own namespaces, "
        f"which workload checks skip (default: {DEFAULT_SYSTEM_NAMESPACES})",
    )
    p.add_argument("--check", action="append", metavar="ID", help="run only these checks")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar, errors only")
    p.set_defaults(handler=run_analyze)

    c = sub.add_parser("checks", help="list every check with id, title, severity and doc page")
    add_output_arguments(c, ["table", "json"], output=False)
    c.set_defaults(handler=run_checks_list)

    s = sub.add_parser("snapshot", help="write the loaded platform as one versioned JSON file")
    add_platform_argument(s)
    s.add_argument("--output", "-o", metavar="FILE", required=True)
    s.add_argument("--quiet", "-q", action="store_true")
    s.set_defaults(handler=run_snapshot)

    b = sub.add_parser("baseline", help="manage baseline files of accepted findings")
    bsub = b.add_subparsers(dest="baseline_command", required=True, metavar="COMMAND")
    bw = bsub.add_parser("write", help="write the current findings' fingerprints to a file")
    add_platform_argument(bw)
    bw.add_argument("--output", "-o", metavar="FILE", required=True)
    bw.add_argument("--quiet", "-q", action="store_true")
    bw.set_defaults(handler=run_baseline_write)


def _context(args: argparse.Namespace) -> CheckContext:
    selectors = {}
    for option in ("dev_namespaces", "prod_namespaces", "system_namespaces"):
        try:
            selectors[option] = parse_calico_selector(getattr(args, option))
        except SelectorSyntaxError as exc:
            flag = "--" + option.replace("_", "-")
            raise ConfigError(f"{flag}: {exc}") from exc
    return CheckContext(**selectors)


def _chosen(args: argparse.Namespace) -> list[type] | None:
    if not args.check:
        return None
    wanted = {c.strip().upper() for arg in args.check for c in arg.split(",") if c.strip()}
    if not wanted:
        raise ConfigError("--check needs a check id, e.g. --check ECR001 (see 'ekstwin checks')")
    checks = [c for c in discover_checks() if c.id in wanted]
    unknown = wanted - {c.id for c in checks}
    if unknown:
        raise ConfigError(
            f"unknown check id(s): {', '.join(sorted(unknown))} (see 'ekstwin checks')"
        )
    return checks


def run_analyze(args: argparse.Namespace) -> int:
    ctx = _context(args)
    checks = _chosen(args)
    baseline = read_baseline(args.baseline) if args.baseline else None
    result = load_platform(args)
    report = analyze(result, ctx=ctx, checks=checks, baseline=baseline)
    # Diagnostics from loading were printed already; print the ones analysis added.
    for d in report.diagnostics[len(result.diagnostics) :]:
        if not args.quiet or d.level is DiagnosticLevel.ERROR:
            eprint(str(d))
    fmt = ReportFormat(args.format)
    color = fmt is ReportFormat.TABLE and not args.output and sys.stdout.isatty()
    write_output(reporter_for(fmt, color=color).render(report), args.output, escaped=True)
    return finish_report(args, report, result)


def run_checks_list(args: argparse.Namespace) -> int:
    infos = [c.info() for c in discover_checks()]
    if args.format == "json":
        write_json([i.to_json() for i in infos], None)
        return Exit.OK
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "severity", "title", "engine", "doc")
    for i in infos:
        table.add_row(i.id, i.severity.value, i.title, i.engine, i.doc_path)
    Console(width=max(120, Console().width)).print(table)
    return Exit.OK


def run_snapshot(args: argparse.Namespace) -> int:
    from ekstwin import __version__

    result = load_platform(args)
    text = json_text(snapshot_to_json(result.raw, __version__), indent=1)
    write_output(text, args.output, escaped=True)
    return Exit.INPUT if result.input_errors else Exit.OK


def run_baseline_write(args: argparse.Namespace) -> int:
    result = load_platform(args)
    report = analyze(result)
    write_json(baseline_json(report.findings), args.output)
    if not args.quiet:
        eprint(f"wrote {len(report.findings)} fingerprints to {args.output}")
    return Exit.INPUT if report.input_errors else Exit.OK
