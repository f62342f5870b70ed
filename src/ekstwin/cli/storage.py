"""``ekstwin storage plan``: where StatefulSet volumes live and what losing an AZ does."""

from __future__ import annotations

import argparse

from ekstwin.cli.common import (
    PROBLEM,
    add_fail_on_argument,
    add_output_arguments,
    add_platform_argument,
    finish,
    load_platform,
    problem,
    write_json,
    write_output,
)
from ekstwin.engines.storage import ReplicaStatus, StoragePlan, storage_plan
from ekstwin.errors import ConfigError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "storage",
        help="storage: where StatefulSet volumes live, AZ-loss plans",
        description="Questions about PersistentVolumeClaims, volumes and their AZs.",
    )
    ssub = p.add_subparsers(dest="storage_command", required=True, metavar="COMMAND")
    plan = ssub.add_parser(
        "plan",
        help="where each StatefulSet replica's volume lives and which nodes it can run on",
        description="For every StatefulSet: each replica's volumes (zone, and how the zone is "
        "known: bound, placed, predicted, unpinned, regional), the nodes it can run on, and "
        "with --lose-az the replicas that cannot be rescheduled and the StatefulSets that "
        "lose quorum. Exit 1 when a replica cannot run (--fail-on problem, the default).",
    )
    add_platform_argument(plan)
    plan.add_argument("--lose-az", metavar="AZ", help="plan as if every node in AZ were gone")
    add_output_arguments(plan, ["table", "json"])
    add_fail_on_argument(plan, PROBLEM, "when a replica cannot run (problem)", default="problem")
    plan.add_argument("--quiet", "-q", action="store_true", help="errors only on stderr")
    plan.set_defaults(handler=run_plan)


def plan_text(plan: StoragePlan) -> str:
    lines: list[str] = []
    head = f"zones with nodes: {', '.join(plan.zones) or 'none'}"
    if plan.lose_az:
        head += f"; losing {plan.lose_az}"
    lines.append(head)
    if not plan.statefulsets:
        lines.append("no StatefulSets in the platform")
    for s in plan.statefulsets:
        selector = ", ".join(f"{k}={v}" for k, v in sorted(s.node_selector.items()))
        lines.append("")
        lines.append(
            f"StatefulSet {s.namespace}/{s.name}: {s.replicas} replica(s), eligible zones "
            f"{', '.join(s.eligible_zones) or 'none'}"
            + (f" (nodeSelector {selector})" if selector else "")
        )
        for r in s.replica_plans:
            lines.append(f"  {r.pod:<34} {r.status.value:<10} {r.reason}")
            for v in r.volumes:
                where = ", ".join(v.zones) or ("all zones" if v.basis.value == "regional" else "?")
                lines.append(
                    f"    {v.claim} ({v.storage_class or 'no class'}): {where} [{v.basis.value}]"
                )
        if plan.lose_az:
            verdict = "LOSES QUORUM" if s.loses_quorum else "keeps quorum"
            lines.append(
                f"  {verdict}: {s.available} of {s.replicas} replica(s) can run, "
                f"majority is {s.quorum}"
            )
    lines.append("")
    lines.extend(f"assumes: {a}" for a in plan.assumptions)
    return "\n".join(lines)


def run_plan(args: argparse.Namespace) -> int:
    result = load_platform(args)
    zones = sorted({n.zone for n in result.platform.nodes if n.zone})
    if args.lose_az is not None and args.lose_az not in zones:
        raise ConfigError(
            f"--lose-az {args.lose_az}: no node of the platform is in that zone "
            f"(zones: {', '.join(zones) or 'none'})"
        )
    plan = storage_plan(result.platform, args.lose_az)
    if args.format == "json":
        write_json(plan.to_json(), args.output)
    else:
        write_output(plan_text(plan), args.output)
    stuck = any(
        r.status is ReplicaStatus.CANNOT_RUN for s in plan.statefulsets for r in s.replica_plans
    )
    return finish(args, problem(stuck))
