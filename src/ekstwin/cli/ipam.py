"""``ekstwin ipam``: max pods per instance type, the subnet plan, the instance-type table."""

from __future__ import annotations

import argparse
import datetime
from importlib import resources
from pathlib import Path
from typing import cast

from ekstwin.cli.common import (
    PROBLEM,
    Exit,
    add_fail_on_argument,
    add_output_arguments,
    add_platform_argument,
    finish,
    json_text,
    load_platform,
    problem,
    write_json,
    write_output,
)
from ekstwin.engines.ipam.limits import (
    Ec2Client,
    InstanceTypeTable,
    MaxPods,
    fetch_instance_types,
    load_instance_types,
    max_pods,
    table_json,
    with_trunk_facts,
)
from ekstwin.engines.ipam.plan import Plan, Scenario, ZoneLoss, plan
from ekstwin.errors import ConfigError, LoadError

#: Kubernetes' largest supported cluster ("Considerations for large clusters"):
#: 5,000 nodes and 150,000 pods. The plan replays pods one by one, so larger
#: numbers would only make it run for minutes.
MAX_CLUSTER_NODES = 5000
MAX_CLUSTER_PODS = 150_000


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "ipam",
        help="VPC CNI addresses: max pods, warm pools, subnet exhaustion",
        description="The Amazon VPC CNI address model: max pods per instance type, the "
        "addresses each subnet holds now and after scaling, the instance-type table.",
    )
    isub = p.add_subparsers(dest="ipam_command", required=True, metavar="COMMAND")

    m = isub.add_parser("max-pods", help="max pods of an instance type (CNI formula and cap)")
    m.add_argument("instance_type", metavar="TYPE")
    m.add_argument("--prefix-delegation", action="store_true")
    m.add_argument("--custom-networking", action="store_true")
    m.add_argument("--security-groups-for-pods", action="store_true")
    m.add_argument("--max-eni", type=int, metavar="N", help="the CNI's MAX_ENI")
    _table_arguments(m)
    m.set_defaults(handler=run_max_pods)

    pl = isub.add_parser("plan", help="addresses per subnet and AZ, now and after a scenario")
    add_platform_argument(pl)
    pl.add_argument(
        "--scale",
        action="append",
        default=[],
        metavar="NODEGROUP=N",
        help="scale a node group to N nodes (repeatable)",
    )
    pl.add_argument("--pods-per-node", type=int, metavar="N", help="pods needing an IP per node")
    pl.add_argument(
        "--lose-az",
        metavar="AZ",
        help="plan as if every node in AZ were gone: replacements, rescheduled pods",
    )
    pl.add_argument("--quiet", "-q", action="store_true")
    pl.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    _table_arguments(pl)
    add_fail_on_argument(pl, PROBLEM, "when a subnet runs out or pods are left pending (problem)")
    pl.set_defaults(handler=run_plan)

    r = isub.add_parser(
        "refresh-instance-types",
        help="rebuild the instance-type table from EC2 DescribeInstanceTypes (boto3)",
    )
    r.add_argument("--region", metavar="R", help="AWS region (default: the boto3 default)")
    r.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="where to write the table (default: the table shipped in the package)",
    )
    r.set_defaults(handler=run_refresh)


def _table_arguments(p: argparse.ArgumentParser) -> None:
    add_output_arguments(p, ["table", "json"], output=False)
    p.add_argument(
        "--instance-types",
        metavar="FILE",
        help="an instance-type table written by refresh-instance-types",
    )


def _table(args: argparse.Namespace) -> InstanceTypeTable:
    return load_instance_types(args.instance_types)


# -- max-pods


def run_max_pods(args: argparse.Namespace) -> int:
    limits = _table(args)[args.instance_type]
    result = max_pods(
        limits,
        prefix_delegation=args.prefix_delegation,
        custom_networking=args.custom_networking,
        security_groups_for_pods=args.security_groups_for_pods,
        max_eni=args.max_eni,
    )
    if args.format == "json":
        write_json(result.to_json(), None, indent=None)
    else:
        write_output(_max_pods_text(result), None)
    return Exit.OK


def _max_pods_text(r: MaxPods) -> str:
    lines = [
        f"instance type    {r.instance_type}",
        f"ENIs for pods    {r.enis}",
        f"IPv4 per ENI     {r.ips_per_eni}",
        f"mode             {r.mode.value}",
        f"max pods (CNI)   {r.max_pods}",
        f"max pods capped  {'unknown' if r.max_pods_capped is None else r.max_pods_capped}"
        "  (EKS AMI calculator, "
        f"{r.calculator_mode.value}; 110 up to 30 vCPUs, 250 above)",
    ]
    lines.extend(f"note: {n}" for n in r.notes)
    return "\n".join(lines)


# -- plan


def _scenario(args: argparse.Namespace) -> Scenario:
    scale: dict[str, int] = {}
    for item in args.scale:
        name, sep, count = item.partition("=")
        if not sep or not name or not count.strip().isdigit():
            raise ConfigError(f"--scale {item!r}: expected NODEGROUP=N with N a whole number")
        if int(count) > MAX_CLUSTER_NODES:
            raise ConfigError(
                f"--scale {item!r}: more nodes than a Kubernetes cluster holds "
                f"(at most {MAX_CLUSTER_NODES}) - give a smaller N"
            )
        scale[name.strip()] = int(count)
    if args.pods_per_node is not None and args.pods_per_node < 0:
        raise ConfigError("--pods-per-node must be 0 or more")
    if args.pods_per_node is not None and args.pods_per_node > MAX_CLUSTER_PODS:
        raise ConfigError(
            f"--pods-per-node {args.pods_per_node}: more pods than a Kubernetes cluster holds "
            f"(at most {MAX_CLUSTER_PODS}) - give a smaller N"
        )
    return Scenario(scale, args.pods_per_node, args.lose_az)


def run_plan(args: argparse.Namespace) -> int:
    scenario = _scenario(args)
    table = _table(args)
    result = load_platform(args)
    if result.input_errors and not result.platform.pods and not result.platform.aws.subnets:
        raise LoadError("nothing could be read from the input")
    got = plan(result.platform, scenario, instance_types=table)
    if args.format == "json":
        text = json_text(got.to_json(), indent=2) + "\n"
    else:
        text = plan_text(got)
    write_output(text, args.output, escaped=args.format == "json")
    pending = got.zone_loss is not None and got.zone_loss.pods_pending > 0
    return finish(args, problem(pending or any(s.exhausted for s in got.subnets)))


def plan_text(p: Plan) -> str:
    """The plan as aligned plain text."""
    out: list[str] = []
    header = ("subnet", "zone", "cidr", "usable", "nodes", "pods", "warm", "eni", "other", "free")
    rows: list[tuple[str, ...]] = [header]
    for s in p.subnets:
        for label, u in (("now", s.now), ("after", s.after)):
            if label == "after" and p.scenario.empty:
                continue
            rows.append(
                (
                    s.subnet_id if label == "now" else "  after",
                    s.zone if label == "now" else "",
                    s.cidr if label == "now" else "",
                    str(s.usable) if label == "now" else "",
                    str(u.nodes),
                    str(u.pods),
                    str(u.warm),
                    str(u.eni_primaries),
                    str(u.other),
                    str(u.free),
                )
            )
    out.extend(_align(rows))
    out.append("")
    zrows: list[tuple[str, ...]] = [("zone", "usable", "free now", "free after")]
    for zone, z in p.zones().items():
        zrows.append((zone, str(z["usable"]), str(z["free_now"]), str(z["free_after"])))
    out.extend(_align(zrows))
    out.append("")
    if p.zone_loss is not None:
        out.extend(_zone_loss_text(p.zone_loss))
    if p.runs_out_first:
        out.append(p.runs_out_first)
    else:
        out.append("no subnet runs out" + ("" if p.scenario.empty else " in this scenario"))
    for s in p.subnets:
        if s.prefix_risk:
            out.append(f"prefix delegation risk in {s.subnet_id}: {s.prefix_risk}")
    nrows: list[tuple[str, ...]] = [
        ("node", "group", "type", "subnet", "pods", "max", "kubelet", "held", "more", "first")
    ]
    for n in p.nodes:
        nrows.append(
            (
                n.name + (" (new)" if n.added else ""),
                n.node_group or "-",
                n.instance_type,
                n.pod_subnet_id,
                str(n.pods),
                str(n.max_pods),
                str(n.kubelet_max_pods),
                str(n.held),
                str(n.more_pods),
                n.limited_by.value,
            )
        )
    out.append("")
    out.extend(_align(nrows))
    for note in p.assumptions:
        out.append(f"assumed: {note}")
    return "\n".join(out) + "\n"


def _zone_loss_text(z: ZoneLoss) -> list[str]:
    out = [
        f"losing {z.zone}: {len(z.lost_nodes)} node(s) gone; {z.pods_rescheduled} of "
        f"{z.pods_to_reschedule} pod(s) rescheduled, {z.pods_pending} pending"
    ]
    for g in z.groups:
        line = f"  node group {g.name}: {g.lost} lost, {g.replaced} replaced"
        if g.added_for_pods:
            line += f", {g.added_for_pods} more for the pods"
        if g.max_size is not None:
            line += f" (max size {g.max_size})"
        if g.note:
            line += f"; {g.note}"
        out.append(line)
    out.append("")
    return out


def _align(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


# -- refresh-instance-types


def run_refresh(args: argparse.Namespace) -> int:
    try:
        import boto3
        import botocore.exceptions
    except ModuleNotFoundError as exc:
        raise ConfigError("refresh-instance-types needs boto3 - pip install boto3") from exc
    try:
        client = boto3.client("ec2", region_name=args.region)
        fetched = fetch_instance_types(cast(Ec2Client, client))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise ConfigError(f"EC2 DescribeInstanceTypes failed ({exc})") from exc
    if not fetched:
        raise ConfigError("EC2 DescribeInstanceTypes returned no instance types")
    region = client.meta.region_name
    shipped = load_instance_types()
    limits = with_trunk_facts(fetched, shipped)
    day = datetime.date.today().isoformat()
    sources = [
        {
            "facts": "ENIs, IPv4 per ENI, network cards, hypervisor, bare metal, vCPUs",
            "from": f"EC2 DescribeInstanceTypes in {region}",
            "date": day,
        },
        *(s for s in shipped.sources if "trunk_compatible" in s.get("facts", "")),
    ]
    text = table_json(limits, f"EC2 DescribeInstanceTypes in {region}", sources)
    target = Path(args.output) if args.output else _shipped_table()
    target.write_text(text, encoding="utf-8")
    write_output(f"wrote {len(limits)} instance types to {target}", None)
    return Exit.OK


def _shipped_table() -> Path:
    return Path(str(resources.files("ekstwin").joinpath("data/instance_types.json")))
