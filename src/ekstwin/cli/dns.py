"""``ekstwin dns plan``."""

from __future__ import annotations

import argparse
import json

from ekstwin.cli.common import Exit, add_platform_argument, load_platform, write_output
from ekstwin.engines.dns import ALPHA_PREFIX, GA_PREFIX, DnsOptions, DnsPlan, Policy, plan_dns


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "dns",
        help="the Route 53 records ExternalDNS would create, update and delete",
        description="Predict ExternalDNS's plan against the hosted zones in aws.json.",
    )
    dsub = p.add_subparsers(dest="dns_command", required=True, metavar="COMMAND")
    pl = dsub.add_parser("plan", help="creates, updates, deletes, conflicts and skipped names")
    add_platform_argument(pl)
    pl.add_argument("--owner-id", required=True, metavar="ID", help="ExternalDNS --txt-owner-id")
    pl.add_argument(
        "--policy",
        choices=[p.value for p in Policy],
        default=Policy.SYNC.value,
        help="ExternalDNS --policy (default: sync)",
    )
    pl.add_argument(
        "--domain-filter",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="ExternalDNS --domain-filter (repeatable)",
    )
    pl.add_argument(
        "--exclude-domains", action="append", default=[], metavar="DOMAIN", help="repeatable"
    )
    pl.add_argument(
        "--annotation-prefix",
        metavar="PREFIX",
        help=f"annotation prefix ({ALPHA_PREFIX} before v0.22, {GA_PREFIX} since); "
        "default: by the ExternalDNS image found in the platform, else the v0.22 one",
    )
    pl.add_argument("--txt-prefix", default="", metavar="PREFIX")
    pl.add_argument("--txt-suffix", default="", metavar="SUFFIX")
    pl.add_argument("--format", "-f", choices=["table", "json"], default="table")
    pl.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    pl.add_argument("--quiet", "-q", action="store_true")
    pl.set_defaults(handler=run_plan)


def plan_table(plan: DnsPlan) -> str:
    lines = ["changes:"]
    for c in plan.changes:
        alias = " alias" if c.alias else ""
        lines.append(
            f"  {c.action.value:<6} {c.name} {c.type}{alias} -> {', '.join(c.targets)}"
            f"  [{c.source or '-'}]"
        )
    if not plan.changes:
        lines.append("  (none)")
    lines.append("conflicts:")
    for cf in plan.conflicts:
        lines.append(f"  {cf.name}: {', '.join(cf.claimants)}")
        lines.append(f"      {cf.reason}")
    if not plan.conflicts:
        lines.append("  (none)")
    lines.append("skipped:")
    for s in plan.skipped:
        lines.append(f"  {s.name}: {s.reason}")
    if not plan.skipped:
        lines.append("  (none)")
    lines.append(f"annotation prefix: {plan.annotation_prefix}")
    return "\n".join(lines)


def run_plan(args: argparse.Namespace) -> int:
    options = DnsOptions(
        owner_id=args.owner_id,
        policy=Policy(args.policy),
        domain_filters=tuple(d for arg in args.domain_filter for d in arg.split(",") if d),
        exclude_domains=tuple(d for arg in args.exclude_domains for d in arg.split(",") if d),
        annotation_prefix=args.annotation_prefix,
        txt_prefix=args.txt_prefix,
        txt_suffix=args.txt_suffix,
    )
    result = load_platform(args)
    plan = plan_dns(result.platform, options)
    if args.format == "json":
        text = json.dumps(plan.to_json(), indent=2)
    else:
        text = plan_table(plan)
    write_output(text, args.output)
    return Exit.INPUT if result.input_errors else Exit.OK
