"""``ekstwin diff``: what a change does to the platform (a pull request's review)."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from dataclasses import replace
from typing import TYPE_CHECKING

from ekstwin.cli.common import (
    SEVERITIES,
    add_fail_on_argument,
    add_output_arguments,
    finish,
    json_text,
    load_platform,
    write_output,
)
from ekstwin.errors import ConfigError, SelectorSyntaxError
from ekstwin.findings import Severity

if TYPE_CHECKING:
    from ekstwin.engines.review import PlatformDiff
    from ekstwin.findings import Report
    from ekstwin.loaders import LoadResult

FORMATS = ["table", "json", "markdown", "sarif"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "diff",
        help="what a change does to the platform: flows, access, ALB rules, DNS, findings",
        description="Compare a base and a head platform: `ekstwin diff BASE HEAD`, or "
        "`ekstwin diff --git REV [PLATFORM ...]` for the platform paths (default .) at "
        "git revision REV against the work tree (`--git BASE --git HEAD` compares two "
        "revisions). The work tree is never touched.",
    )
    p.add_argument(
        "platform",
        nargs="*",
        metavar="PLATFORM",
        help="BASE HEAD (two platforms: directories, files or snapshots); with --git, the "
        "platform paths in the repository (default .)",
    )
    p.add_argument(
        "--git",
        action="append",
        metavar="REV",
        default=[],
        help="read the base (and, given twice, the head) from this git revision",
    )
    add_output_arguments(p, FORMATS)
    add_fail_on_argument(
        p,
        SEVERITIES,
        "when the change adds a finding at or above this severity, or opens access into a "
        "namespace --protect selects",
    )
    p.add_argument(
        "--protect",
        metavar="SELECTOR",
        help="Calico selector over namespace labels, e.g. "
        "\"kubernetes.io/metadata.name in {'payments'}\": changes that open access into "
        "these namespaces are marked and fail the run with --fail-on",
    )
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(handler=run_diff)


def _sides(
    args: argparse.Namespace, stack: ExitStack, prefixes: dict[str, str]
) -> tuple[LoadResult, LoadResult]:
    """Base and head, loaded; ``prefixes`` gets each revision's temporary directory
    and the ``REV:`` label its files are shown with."""
    from ekstwin.loaders.git import checkout_revision

    revisions: list[str] = list(args.git)
    if len(revisions) > 2:
        raise ConfigError("--git is given once (base) or twice (base and head)")
    if not revisions:
        if len(args.platform) != 2:
            raise ConfigError(
                "give BASE and HEAD (two platforms), or --git REV to compare the work tree "
                "with a revision"
            )
        return _load(args.platform[0], args), _load(args.platform[1], args)
    paths = list(args.platform) or ["."]
    sides = []
    for rev in revisions:
        checkout = stack.enter_context(checkout_revision(rev, paths))
        prefixes[f"{checkout.root}/"] = f"{rev}:"
        for missing in checkout.missing:
            print(f"note: {missing} does not exist at {rev}: that side is empty", file=sys.stderr)
        sides.append(_load_paths(checkout.paths, args, allow_empty=bool(checkout.missing)))
    if len(sides) == 1:
        sides.append(_load_paths(paths, args, allow_empty=False))
    return sides[0], sides[1]


def _load(path: str, args: argparse.Namespace) -> LoadResult:
    return _load_paths([path], args, allow_empty=False)


def _load_paths(paths: list[str], args: argparse.Namespace, *, allow_empty: bool) -> LoadResult:
    if not paths and allow_empty:
        from ekstwin.loaders import load

        result = load([])
        return replace(result, diagnostics=())
    return load_platform(argparse.Namespace(platform=paths, quiet=args.quiet))


def _relabel(diff: PlatformDiff, prefixes: dict[str, str]) -> PlatformDiff:
    """Show a file of a revision's temporary checkout as ``REV:path``."""
    if not prefixes:
        return diff

    def fix(text: str) -> str:
        for prefix, label in prefixes.items():
            text = text.replace(prefix, label)
        return text

    changes = tuple(
        replace(c, summary=fix(c.summary), because=tuple(fix(b) for b in c.because))
        for c in diff.changes
    )
    return replace(diff, changes=changes)


def _sarif(report: Report, diff: PlatformDiff) -> str:
    from ekstwin.reporters import ReportFormat, reporter_for

    only_new = replace(report, findings=diff.new_findings, suppressed=())
    return reporter_for(ReportFormat.SARIF).render(only_new)


def run_diff(args: argparse.Namespace) -> int:
    from ekstwin.analysis import analyze
    from ekstwin.engines.checks import CheckContext
    from ekstwin.engines.review import diff_platforms, exceeds
    from ekstwin.model.selectors import parse_calico_selector
    from ekstwin.reporters.diff import diff_markdown, diff_table

    protect = None
    if args.protect:
        try:
            protect = parse_calico_selector(args.protect)
        except SelectorSyntaxError as exc:
            raise ConfigError(f"--protect: {exc}") from exc
    with ExitStack() as stack:
        prefixes: dict[str, str] = {}
        base, head = _sides(args, stack, prefixes)
        ctx_base, ctx_head = CheckContext(), CheckContext()
        base_report = analyze(base, ctx=ctx_base)
        head_report = analyze(head, ctx=ctx_head)
        diff = diff_platforms(
            base.platform,
            head.platform,
            base_findings=base_report.findings,
            head_findings=head_report.findings,
            protect=protect,
            nets=(ctx_base.models(base.platform).net, ctx_head.models(head.platform).net),
        )
        diff = _relabel(diff, prefixes)
    if args.format == "json":
        text = json_text(diff.to_json(), indent=1)
    elif args.format == "markdown":
        text = diff_markdown(diff)
    elif args.format == "sarif":
        text = _sarif(head_report, diff)
    else:
        text = diff_table(diff)
    write_output(text, args.output, escaped=args.format == "json")
    return finish(
        args,
        lambda condition: exceeds(diff, Severity(condition)),
        input_errors=base.input_errors or head.input_errors,
    )
