"""``ekstwin dns plan``."""

from __future__ import annotations

import argparse

from ekstwin.cli.common import (
    PROBLEM,
    add_fail_on_argument,
    add_output_arguments,
    add_platform_argument,
    finish,
    json_text,
    load_platform,
    problem,
    write_output,
)
from ekstwin.engines.dns import ALPHA_PREFIX, GA_PREFIX, DnsOptions, DnsPlan, Policy, plan_dns
from ekstwin.engines.dns.config import ExternalDnsConfig, PlannedDns, external_dns_configs
from ekstwin.errors import ConfigError
from ekstwin.model.platform import Platform


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "dns",
        help="the Route 53 records ExternalDNS would create, update and delete",
        description="Predict ExternalDNS's plan against the hosted zones in aws.json.",
    )
    dsub = p.add_subparsers(dest="dns_command", required=True, metavar="COMMAND")
    pl = dsub.add_parser("plan", help="creates, updates, deletes, conflicts and skipped names")
    add_platform_argument(pl)
    pl.add_argument(
        "--owner-id",
        metavar="ID",
        help="ExternalDNS --txt-owner-id; with it, every other flag is the command line's "
        "(ExternalDNS's defaults); without it, the platform's ExternalDNS Deployment gives them",
    )
    pl.add_argument(
        "--policy",
        choices=[p.value for p in Policy],
        help="ExternalDNS --policy (default: the Deployment's, else sync)",
    )
    pl.add_argument(
        "--domain-filter",
        action="append",
        metavar="DOMAIN",
        help="ExternalDNS --domain-filter (repeatable; default: the Deployment's)",
    )
    pl.add_argument("--exclude-domains", action="append", metavar="DOMAIN", help="repeatable")
    pl.add_argument(
        "--external-dns",
        metavar="NS/NAME",
        help="the ExternalDNS workload whose flags to use, when the platform runs several",
    )
    pl.add_argument(
        "--ignore-deployment",
        action="store_true",
        help="plan with the command-line options alone, not the platform's ExternalDNS flags",
    )
    pl.add_argument(
        "--annotation-prefix",
        metavar="PREFIX",
        help=f"annotation prefix ({ALPHA_PREFIX} before v0.22, {GA_PREFIX} since); "
        "default: by the ExternalDNS image found in the platform, else the v0.22 one",
    )
    pl.add_argument("--txt-prefix", metavar="PREFIX")
    pl.add_argument("--txt-suffix", metavar="SUFFIX")
    pl.add_argument(
        "--txt-wildcard-replacement",
        metavar="TEXT",
        help="ExternalDNS --txt-wildcard-replacement: stands for a leading * in TXT names",
    )
    pl.add_argument(
        "--migrate-from-txt-owner",
        metavar="ID",
        help="ExternalDNS --migrate-from-txt-owner: records of this owner id become ours",
    )
    pl.add_argument(
        "--aws-zone-match-parent",
        action="store_true",
        default=None,
        help="ExternalDNS --aws-zone-match-parent: keep a hosted zone that is a parent of a "
        "domain filter",
    )
    add_output_arguments(pl, ["table", "json"])
    add_fail_on_argument(pl, PROBLEM, "when sources claim one name in conflict (problem)")
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


def _split(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(d for v in values for d in v.split(",") if d)


def _config(args: argparse.Namespace, platform: Platform) -> ExternalDnsConfig | None:
    """The platform's ExternalDNS whose flags are the defaults, or None.

    With ``--owner-id`` the plan is the command line's alone (the interface of
    issue 8: every other flag at ExternalDNS's default unless given), unless
    ``--external-dns`` names the Deployment to start from; without it, the
    platform's one ExternalDNS gives every flag.
    """
    if args.ignore_deployment:
        return None
    if args.owner_id is not None and not args.external_dns:
        return None
    configs = external_dns_configs(platform)
    if args.external_dns:
        chosen = [
            c for c in configs if f"{c.workload.namespace}/{c.workload.name}" == args.external_dns
        ]
        if not chosen:
            found = ", ".join(f"{c.workload.namespace}/{c.workload.name}" for c in configs)
            raise ConfigError(
                f"--external-dns {args.external_dns}: no ExternalDNS workload of that name "
                f"(found: {found or 'none'})"
            )
        return chosen[0]
    if len(configs) > 1:
        names = ", ".join(f"{c.workload.namespace}/{c.workload.name}" for c in configs)
        raise ConfigError(
            f"the platform runs several ExternalDNS ({names}): choose one with --external-dns "
            "NS/NAME, or give every flag with --owner-id"
        )
    return configs[0] if configs else None


def run_plan(args: argparse.Namespace) -> int:
    result = load_platform(args)
    config = _config(args, result.platform)
    overrides = {
        "owner_id": args.owner_id,
        "policy": Policy(args.policy) if args.policy else None,
        "domain_filters": _split(args.domain_filter),
        "exclude_domains": _split(args.exclude_domains),
        "annotation_prefix": args.annotation_prefix,
        "txt_prefix": args.txt_prefix,
        "txt_suffix": args.txt_suffix,
        "txt_wildcard_replacement": args.txt_wildcard_replacement,
        "old_owner_id": args.migrate_from_txt_owner,
        "zone_match_parent": args.aws_zone_match_parent,
    }
    if config is not None:
        options = config.options(**overrides)
    else:
        if args.owner_id is None:
            raise ConfigError(
                "no --owner-id, and the platform has no ExternalDNS Deployment to read "
                "--txt-owner-id from: give --owner-id"
            )
        options = DnsOptions(**{k: v for k, v in overrides.items() if v is not None})
    plan = plan_dns(result.platform, options)
    ignored = (
        external_dns_configs(result.platform)
        if config is None and not args.ignore_deployment
        else []
    )
    if args.format == "json":
        text = json_text(PlannedDns(plan, config).to_json(), indent=2)
    else:
        text = plan_table(plan)
        if config is not None:
            head = (
                f"ExternalDNS flags from {config.workload} container {config.container}"
                + (f" ({config.source})" if config.source else "")
                + f": owner id {options.owner_id}, policy {options.policy.value}"
            )
            text = "\n".join([head, *(f"  note: {n}" for n in config.notes()), text])
        elif ignored:
            names = ", ".join(str(c.workload) for c in ignored)
            text = (
                f"note: planned with the command line's flags alone; the platform runs {names} "
                "(omit --owner-id, or add --external-dns NS/NAME, to plan with its flags)\n" + text
            )
    write_output(text, args.output, escaped=args.format == "json")
    return finish(args, problem(bool(plan.conflicts)))
