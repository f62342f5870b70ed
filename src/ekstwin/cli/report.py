"""``ekstwin report``: one self-contained HTML file with every view of the platform."""

from __future__ import annotations

import argparse

from ekstwin.cli.common import Exit, add_platform_argument, eprint, load_platform, write_output
from ekstwin.errors import LoadError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "report",
        help="write one self-contained HTML report (graph, findings, chains, ALB, DNS, IPs)",
        description="Write the platform's summary, findings with evidence, connectivity "
        "graph, identity chains, ALB routes, DNS plan and IP capacity as one HTML file that "
        "opens without network access. With --compare, add the connectivity diff.",
    )
    add_platform_argument(p)
    p.add_argument("--output", "-o", metavar="FILE", required=True, help="the HTML file")
    p.add_argument(
        "--compare",
        action="append",
        metavar="OLD",
        help="an older platform (directory, files or snapshot) to diff against",
    )
    p.add_argument(
        "--baseline", metavar="FILE", help="show the findings listed in FILE apart (accepted)"
    )
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    from ekstwin.suppressions import read_baseline
    from ekstwin.web.report import report_html

    baseline = read_baseline(args.baseline) if args.baseline else None
    result = load_platform(args)
    if result.input_errors and not result.platform.pods and not result.platform.aws.subnets:
        raise LoadError("nothing could be read from the input")
    compare = None
    if args.compare:
        old_args = argparse.Namespace(
            platform=list(args.compare), quiet=args.quiet, no_implied=args.no_implied
        )
        compare = load_platform(old_args)
    text = report_html(
        result,
        inputs=list(args.platform),
        compare=compare,
        compare_inputs=list(args.compare) if args.compare else None,
        baseline=baseline,
    )
    write_output(text, args.output, escaped=True)  # the HTML escapes every value
    if not args.quiet:
        eprint(f"wrote {args.output}")
    if result.input_errors or (compare is not None and compare.input_errors):
        return Exit.INPUT
    return Exit.OK
