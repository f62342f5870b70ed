"""``ekstwin cluster endpoint``: every path to the EKS API endpoint."""

from __future__ import annotations

import argparse

from ekstwin.cli.common import (
    PROBLEM,
    SEVERITIES,
    add_fail_on_argument,
    add_output_arguments,
    add_platform_argument,
    findings_at_or_above,
    finish,
    load_platform,
    write_json,
    write_output,
)
from ekstwin.engines.cluster.endpoint import EndpointReport, endpoint_report


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "cluster",
        help="the EKS control plane: paths to the API endpoint",
        description="Questions about the EKS control plane.",
    )
    csub = p.add_subparsers(dest="cluster_command", required=True, metavar="COMMAND")
    e = csub.add_parser(
        "endpoint",
        help="every path to each cluster's API endpoint, and the endpoint checks",
        description="Describe every path to each cluster's API server: from the internet "
        "(which CIDRs), from inside the VPC (private endpoint), and from the nodes (private "
        "endpoint, or the public one through NAT gateways), with the cluster checks' findings "
        "(EKS001-EKS005). Exit 1 when a node subnet cannot reach the API (--fail-on problem, "
        "the default), or with --fail-on SEVERITY when a finding at or above it remains.",
    )
    add_platform_argument(e)
    add_output_arguments(e, ["table", "json"])
    add_fail_on_argument(
        e,
        [*PROBLEM, *SEVERITIES],
        "when a node subnet cannot reach the API (problem), or a finding at or above the "
        "severity remains",
        default="problem",
    )
    e.add_argument("--quiet", "-q", action="store_true", help="errors only on stderr")
    e.set_defaults(handler=run_endpoint)


def endpoint_text(report: EndpointReport) -> str:
    lines: list[str] = []
    if not report.clusters:
        lines.append("no EKS cluster in the platform")
    for c in report.clusters:
        lines.append(f"cluster {c.cluster} ({c.region}, {c.arn})")
        lines.append(
            f"  public endpoint:  {'on' if c.public_access else 'off'}"
            + (f", from {', '.join(c.public_access_cidrs)}" if c.public_access else "")
        )
        lines.append(
            f"  private endpoint: {'on' if c.private_access else 'off'}"
            + (f", in {c.vpc_id}" if c.private_access and c.vpc_id else "")
        )
        lines.append("  paths to the API:")
        for path in c.paths:
            lines.append(f"    [{path.kind.value}] {path.description}")
        lines.append("  nodes:")
        if not c.node_routes:
            lines.append("    no node groups or node instances in aws.json")
        for r in c.node_routes:
            verdict = {True: "ok", False: "BLOCKED", None: "unknown"}[r.allowed]
            zone = f" ({r.availability_zone})" if r.availability_zone else ""
            lines.append(f"    {verdict:<8} {r.subnet_id}{zone} via {r.via.value}: {r.reason}")
            lines.append(f"             {', '.join(r.nodes)}")
        for a in c.assumptions:
            lines.append(f"  assumes: {a}")
    if report.findings:
        lines.append("")
        lines.append("findings:")
        for f in report.findings:
            lines.append(f"  {f.check_id} {f.severity.value:<8} {f.message}")
            lines.append(f"           fix: {f.fix}")
    return "\n".join(lines)


def run_endpoint(args: argparse.Namespace) -> int:
    result = load_platform(args)
    report = endpoint_report(result.platform)
    if args.format == "json":
        write_json(report.to_json(), args.output)
    else:
        write_output(endpoint_text(report), args.output)
    blocked = any(c.blocked_node_routes for c in report.clusters)
    at_or_above = findings_at_or_above(report.findings)
    return finish(args, lambda cond: blocked if cond == "problem" else at_or_above(cond))
