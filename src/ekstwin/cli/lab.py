"""``ekstwin lab up|probe|down``: the twin as network namespaces, probed by the kernel."""

from __future__ import annotations

import argparse
import os
import sys

from ekstwin.cli.common import (
    PROBLEM,
    Exit,
    add_fail_on_argument,
    add_output_arguments,
    add_platform_argument,
    eprint,
    finish,
    json_text,
    load_platform,
    problem,
    write_output,
)
from ekstwin.errors import ConfigError
from ekstwin.lab import (
    DEFAULT_PREFIX,
    DEFAULT_STATE_DIR,
    ProbeReport,
    bring_down,
    bring_up,
    build_plan,
    parse_ports,
    plan_probes,
    read_state,
    require_lab_host,
    run_probes,
)
from ekstwin.lab.system import LabError, check_prefix

_STATE_ENV = "EKSTWIN_LAB_STATE_DIR"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--prefix",
        default=DEFAULT_PREFIX,
        help=f"name prefix of every lab namespace (default {DEFAULT_PREFIX})",
    )
    p.add_argument(
        "--state-dir",
        default=os.environ.get(_STATE_ENV, DEFAULT_STATE_DIR),
        help=f"where the lab keeps its state file (default ${_STATE_ENV} or {DEFAULT_STATE_DIR})",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lab = sub.add_parser(
        "lab",
        help="run the platform's network in Linux network namespaces and probe it",
        description="Build nodes and pods as network namespaces with veth pairs, routes, "
        "VPC CNI SNAT and Calico-style iptables, probe them, and compare the kernel's "
        "verdicts with the reachability engine. Needs root, iproute2, iptables and ipset.",
    )
    lab_sub = lab.add_subparsers(dest="lab_command", metavar="COMMAND")

    up = lab_sub.add_parser("up", help="create the lab for a platform")
    add_platform_argument(up)
    up.add_argument("--max-pods", type=int, metavar="N", help="run at most N pods")
    up.add_argument(
        "--namespaces",
        nargs="+",
        metavar="NS",
        default=[],
        help="only pods of these Kubernetes namespaces (comma-separated or repeated)",
    )
    _common(up)
    up.set_defaults(handler=run_up)

    probe = lab_sub.add_parser("probe", help="probe the running lab and compare with the engine")
    mode = probe.add_mutually_exclusive_group()
    mode.add_argument("--all", action="store_true", help="every pod pair and port (default)")
    mode.add_argument("--sample", type=int, metavar="N", help="N probes picked at random")
    probe.add_argument(
        "--ports",
        nargs="+",
        default=[],
        metavar="PORT",
        help="probe these ports (80, 80/tcp, 53/udp, icmp for an echo request) instead of "
        "each destination's own",
    )
    probe.add_argument("--seed", type=int, default=0, help="random seed of --sample")
    probe.add_argument(
        "--timeout", type=float, default=0.5, help="seconds before a probe counts as blocked"
    )
    add_output_arguments(probe, ["table", "json"])
    add_fail_on_argument(
        probe, PROBLEM, "when the kernel and the engine disagree (problem)", default="problem"
    )
    _common(probe)
    probe.set_defaults(handler=run_probe)

    down = lab_sub.add_parser("down", help="remove the lab (also after a crash)")
    _common(down)
    down.set_defaults(handler=run_down)

    lab.set_defaults(handler=lambda _args: _usage(lab))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return Exit.INPUT


def _lab_error(exc: LabError) -> ConfigError:
    return ConfigError(str(exc))


def run_up(args: argparse.Namespace) -> int:
    try:
        prefix = check_prefix(args.prefix)
        require_lab_host()
    except LabError as exc:
        raise _lab_error(exc) from exc
    if args.max_pods is not None and args.max_pods < 1:
        raise ConfigError("--max-pods must be at least 1")
    result = load_platform(args)
    if result.input_errors:
        return Exit.INPUT
    platform = result.platform
    namespaces = tuple(n.strip() for v in args.namespaces for n in v.split(",") if n.strip())
    from ekstwin.engines.ipam.addresses import pod_addressing

    plan = build_plan(platform, prefix, max_pods=args.max_pods, namespaces=namespaces)
    if not plan.pods:
        raise ConfigError("the platform has no pod the lab can run (check --namespaces)")
    pod_ips = pod_addressing(platform).pod_ips
    paths = tuple(os.path.abspath(p) if p != "-" else p for p in args.platform)
    if "-" in paths:
        raise ConfigError("lab up needs the platform as files (probe reads them again), not '-'")

    def progress(msg: str) -> None:
        eprint(f"lab: {msg}")

    try:
        bring_up(
            platform,
            plan,
            pod_ips,
            state_dir=args.state_dir,
            platform_paths=paths,
            progress=progress,
            implied=not args.no_implied,
        )
    except LabError as exc:
        raise _lab_error(exc) from exc
    snat = "external SNAT (pods keep their address)" if plan.external_snat else "SNAT to node"
    lines = [
        f"lab {prefix} up: {len(plan.nodes)} node(s), {len(plan.pods)} pod(s), "
        f"vpc {', '.join(plan.vpc_cidrs)}, internet 203.0.113.1, {snat}",
        *(
            [
                f"  aws layer: security groups, network ACLs and route tables; "
                f"{len(plan.services)} AWS service(s), {len(plan.nats)} NAT gateway(s), "
                f"{sum(1 for p in plan.pods if p.branch)} branch ENI(s) ({plan.pod_sg_mode} mode)"
            ]
            if plan.aws
            else []
        ),
        *(f"  skipped {note}" for note in plan.skipped),
        *(f"  assumed: {note}" for note in plan.assumptions),
    ]
    write_output("\n".join(lines), None)
    return Exit.OK


def run_probe(args: argparse.Namespace) -> int:
    try:
        prefix = check_prefix(args.prefix)
        require_lab_host()
        state = read_state(args.state_dir, prefix)
        if state is None or state.status != "up":
            raise LabError(f"no lab {prefix} is up - run 'ekstwin lab up PLATFORM' first")
        ports = parse_ports(args.ports)
    except LabError as exc:
        raise _lab_error(exc) from exc
    args.platform = list(state.platform_paths)
    args.no_implied = not state.implied  # as lab up loaded it
    args.quiet = True
    result = load_platform(args)
    targets = plan_probes(state.plan, ports=ports, sample=args.sample, seed=args.seed)
    try:
        report = run_probes(result.platform, state.plan, targets, timeout=args.timeout)
    except LabError as exc:
        raise _lab_error(exc) from exc
    if args.format == "json":
        text = json_text(report.to_json(), indent=2) + "\n"
    else:
        text = render_table(report)
    write_output(text, args.output, escaped=args.format == "json")
    return finish(args, problem(bool(report.disagreements)))


def render_table(report: ProbeReport) -> str:
    lines = [
        f"{'FROM':<28} {'TO':<28} {'PORT':<10} {'KERNEL':<9} {'ENGINE':<8} {'SEEN SOURCE':<16}"
    ]
    for r in report.results:
        t = r.target
        engine = "-" if r.engine_allowed is None else ("allow" if r.engine_allowed else "deny")
        kernel = "allow" if r.kernel_allowed else ("deny" if r.kernel == "blocked" else r.kernel)
        mark = "" if r.agrees else "  DISAGREES"
        if not r.source_ok:
            mark += f"  SOURCE expected {r.expected_source}"
        lines.append(
            f"{t.source:<28} {t.destination:<28} {_port_text(t.port, t.protocol):<10} "
            f"{kernel:<9} {engine:<8} {r.seen_source or '-':<16}{mark}"
        )
    dis = report.disagreements
    lines.append("")
    lines.append(
        f"{len(report.results)} probes in {report.seconds:.1f} s: "
        f"{len(report.results) - len(dis)} agree with the engine, {len(dis)} disagree, "
        f"{len(report.source_mismatches)} unexpected source address(es)"
    )
    for r in dis:
        t = r.target
        lines.append(
            f"  {t.source} -> {t.destination} {_port_text(t.port, t.protocol)}: kernel "
            f"{'allows' if r.kernel_allowed else 'blocks'} ({r.kernel}); engine: {r.explanation}"
        )
    return "\n".join(lines) + "\n"


def run_down(args: argparse.Namespace) -> int:
    try:
        prefix = check_prefix(args.prefix)
        report = bring_down(prefix, state_dir=args.state_dir)
    except LabError as exc:
        raise _lab_error(exc) from exc
    listener = ", listener stopped" if report.listener_stopped else ""
    write_output(
        f"lab {prefix} down: {len(report.namespaces)} namespace(s) removed{listener}", None
    )
    return Exit.OK


def _port_text(port: int, protocol: str) -> str:
    """``80/tcp``; an ICMP probe as its type (``echo/icmp`` for type 8 code 0)."""
    if protocol == "ICMP":
        kind, code = divmod(port, 256)
        return "echo/icmp" if (kind, code) == (8, 0) else f"{kind}.{code}/icmp"
    return f"{port}/{protocol.lower()}"
