"""``ekstwin mesh``: can (network and mesh), injection, coverage, routes, lint."""

from __future__ import annotations

import argparse
import json

from ekstwin.cli.common import (
    PROBLEM,
    SEVERITIES,
    VERDICTS,
    add_fail_on_argument,
    add_input_namespace_argument,
    add_output_arguments,
    check_port,
    finish,
    finish_report,
    load_platform,
    problem,
    verdict,
    write_json,
    write_output,
)
from ekstwin.cli.net import decision_line, workload_notes
from ekstwin.engines.mesh import MeshModel, coverage, explain, routes
from ekstwin.engines.mesh.combined import CombinedServiceVerdict, CombinedVerdict
from ekstwin.engines.mesh.routes import RouteTable
from ekstwin.engines.mesh.verdict import MeshVerdict
from ekstwin.engines.net import NetQueryError
from ekstwin.errors import ConfigError
from ekstwin.reporters.interface import ReportFormat, reporter_for


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("mesh", help="Istio: injection, mTLS, authorization, routes, coverage")
    msub = p.add_subparsers(dest="mesh_command", required=True, metavar="COMMAND")

    c = msub.add_parser("can", help="may one endpoint reach another: network AND mesh, and why")
    c.add_argument("platform", nargs="+", metavar="PLATFORM")
    add_input_namespace_argument(c, "--namespace", "-n")
    c.add_argument("--from", dest="source", required=True, metavar="NS/POD|NS/KIND/NAME|IP")
    c.add_argument(
        "--to", dest="destination", required=True, metavar="NS/POD|NS/KIND/NAME|NS/svc/NAME|IP"
    )
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--protocol", default="TCP", choices=["TCP", "UDP", "SCTP", "ICMP"])
    c.add_argument("--method", help="HTTP method of the request (GET, POST, ...)")
    c.add_argument("--path", help="HTTP path of the request (/v1/orders)")
    c.add_argument("--host", help="HTTP host (authority) of the request")
    add_output_arguments(c, ["table", "json"])
    add_fail_on_argument(
        c, VERDICTS, "when both layers let the flow through (allow), or one does not (deny)"
    )
    c.add_argument("--quiet", "-q", action="store_true")
    c.set_defaults(handler=run_can)

    i = msub.add_parser("injection", help="which pods get a sidecar, and why")
    i.add_argument("platform", nargs="+", metavar="PLATFORM")
    add_input_namespace_argument(i, "--namespace", "-n")
    add_output_arguments(i, ["table", "json"])
    add_fail_on_argument(
        i, PROBLEM, "when a pod opts out of the injection its namespace asks for (problem)"
    )
    i.add_argument("--quiet", "-q", action="store_true")
    i.set_defaults(handler=run_injection)

    cov = msub.add_parser("coverage", help="which flows the mesh's telemetry sees")
    cov.add_argument("platform", nargs="+", metavar="PLATFORM")
    add_input_namespace_argument(cov, "--namespace", "-n")
    add_output_arguments(cov, ["table", "json"])
    add_fail_on_argument(cov, PROBLEM, "when an allowed flow is not seen by the mesh (problem)")
    cov.add_argument("--quiet", "-q", action="store_true")
    cov.set_defaults(handler=run_coverage)

    r = msub.add_parser("routes", help="where traffic for a host goes (VirtualService, subsets)")
    r.add_argument(
        "platform",
        nargs="+",
        metavar="PLATFORM... HOST",
        help="the platform, then the host: name.ns[.svc.cluster.local] or NS/svc/NAME",
    )
    add_input_namespace_argument(r, "--namespace", "-n")
    r.add_argument("--gateway", default="mesh", help="gateway the routes bind to (default: mesh)")
    add_output_arguments(r, ["table", "json"])
    add_fail_on_argument(
        r, PROBLEM, "when a route is shadowed or a route target has a problem (problem)"
    )
    r.add_argument("--quiet", "-q", action="store_true")
    r.set_defaults(handler=run_routes)

    lint = msub.add_parser("lint", help="run the mesh checks (MSH...)")
    lint.add_argument("platform", nargs="+", metavar="PLATFORM")
    add_input_namespace_argument(lint, "--namespace", "-n")
    add_output_arguments(lint, [f.value for f in ReportFormat])
    add_fail_on_argument(
        lint, SEVERITIES, "when a finding at or above this severity remains", default="info"
    )
    lint.add_argument("--quiet", "-q", action="store_true")
    lint.set_defaults(handler=run_lint)


def _split_host(args: argparse.Namespace) -> None:
    """``routes PLATFORM... HOST``: argparse gives every positional to PLATFORM."""
    if len(args.platform) < 2:
        raise ConfigError("mesh routes needs a PLATFORM and a HOST - e.g. mesh routes DIR web.shop")
    args.host = args.platform.pop()


def _mesh_lines(m: MeshVerdict) -> list[str]:
    src = m.deciding_source
    where = f" [{src}]" if src is not None else ""
    lines = [f"  mesh    {m.status.value:11} {m.reason.value}: {m.message}{where}"]
    if m.authz is not None:
        lines.extend(f"          note: {n}" for n in m.authz.notes)
    return lines


def combined_text(v: CombinedVerdict) -> str:
    """Both layers of one flow, one line per decision (what ``net can`` should print)."""
    head = f"{v.network.source} -> {v.network.destination} {v.network.protocol}/{v.network.port}: "
    head += {"denied": "DENIED by the network", "refused": "REFUSED by the mesh"}.get(
        v.status, v.status.upper()
    )
    lines = [
        head,
        decision_line(v.network.egress, "network"),
        decision_line(v.network.ingress, "network"),
        *_mesh_lines(v.mesh),
    ]
    return "\n".join(lines)


def run_can(args: argparse.Namespace) -> int:
    if args.protocol != "ICMP":
        check_port(args.port)
    model = MeshModel(load_platform(args).platform)
    workload_notes(model.platform, args.source, args.destination)
    try:
        result = explain(
            model,
            args.source,
            args.destination,
            args.port,
            args.protocol,
            method=args.method,
            path=args.path,
            host=args.host,
        )
    except NetQueryError as exc:
        raise ConfigError(str(exc)) from exc
    if args.format == "json":
        write_json(result.to_json(), args.output)
        return finish(args, verdict(result.allowed))
    if isinstance(result, CombinedServiceVerdict):
        lines = [
            f"{result.source} -> {result.service} {result.protocol}/{result.port}: "
            + ("ALLOWED (to some backend)" if result.allowed else "NOT ALLOWED (to any backend)")
        ]
        if result.problem:
            lines.append(f"  {result.problem}")
        lines.extend(combined_text(v) for v in result.backends)
        write_output("\n".join(lines), args.output)
    else:
        write_output(combined_text(result), args.output)
    return finish(args, verdict(result.allowed))


def run_injection(args: argparse.Namespace) -> int:
    model = MeshModel(load_platform(args).platform)
    items = sorted(model.injections.values(), key=lambda i: i.pod)
    opted_out = problem(any(i.opted_out for i in items))
    if args.format == "json":
        write_json([i.to_json() for i in items], args.output, indent=1)
        return finish(args, opted_out)
    width = max([len(i.pod) for i in items] + [3])
    lines = [f"{'pod':{width}}  {'data plane':10}  why"]
    lines.extend(f"{i.pod:{width}}  {i.data_plane.value:10}  {i.reason}" for i in items)
    write_output("\n".join(lines), args.output)
    return finish(args, opted_out)


def run_coverage(args: argparse.Namespace) -> int:
    cov = coverage(MeshModel(load_platform(args).platform))
    missed = problem(any(not f.seen for f in cov.flows))
    if args.format == "json":
        write_json(cov.to_json(), args.output, indent=1)
        return finish(args, missed)
    summary = cov.to_json()["summary"]
    assert isinstance(summary, dict)
    lines = [
        f"workloads in the mesh: {summary['workloads_in_mesh']} of {summary['workloads']}; "
        f"allowed flows the mesh sees: {summary['flows_seen']} of {summary['flows']}",
        "",
        "flows the mesh does not see (no sidecar or agent on either side):",
    ]
    unseen = [f for f in cov.flows if not f.seen]
    lines.extend(f"  {f.source} -> {f.destination}" for f in unseen)
    if not unseen:
        lines.append("  none")
    write_output("\n".join(lines), args.output)
    return finish(args, missed)


def routes_text(t: RouteTable) -> str:
    lines = [f"{t.host} (gateway {t.gateway})"]
    if not t.routes:
        if t.default:
            lines.append("  no VirtualService: round robin over the Service's pods")
            lines.extend(f"    {p}" for tg in t.default for p in tg.pods)
        else:
            lines.append("  no VirtualService and no Service for this host")
    for r in t.routes:
        label = f"  {r.virtual_service} {r.kind}[{r.index}]" + (f" {r.name}" if r.name else "")
        match = "any request" if not r.matches else " OR ".join(json.dumps(m) for m in r.matches)
        shadow = f"  (shadowed by {r.kind}[{r.shadowed_by}])" if r.shadowed_by is not None else ""
        where = f"  [{r.source}]" if r.source is not None else ""
        lines.append(f"{label}: {match}{shadow}{where}")
        for tg in r.targets:
            dest = tg.host + (f" subset {tg.subset}" if tg.subset else "")
            dest += f" port {tg.port}" if tg.port else ""
            pods = f" -> {', '.join(tg.pods)}" if tg.pods else ""
            lines.append(f"    {tg.share * 100:5.1f}% {dest}{pods}")
            if tg.problem:
                lines.append(f"           problem: {tg.problem}")
    return "\n".join(lines)


def run_routes(args: argparse.Namespace) -> int:
    _split_host(args)
    table = routes(load_platform(args).platform, args.host, args.gateway)
    if args.format == "json":
        write_json(table.to_json(), args.output, indent=1)
    else:
        write_output(routes_text(table), args.output)
    broken = any(
        r.shadowed_by is not None or any(t.problem for t in r.targets) for r in table.routes
    )
    broken = broken or any(t.problem for t in table.default)
    return finish(args, problem(broken))


def run_lint(args: argparse.Namespace) -> int:
    from ekstwin.analysis import analyze  # the checks: imported by the command that runs them
    from ekstwin.engines.checks import CheckContext, discover_checks

    result = load_platform(args)
    checks = [c for c in discover_checks() if c.id.startswith("MSH")]
    report = analyze(result, ctx=CheckContext(), checks=checks)
    fmt = ReportFormat(args.format)
    write_output(reporter_for(fmt, color=False).render(report), args.output, escaped=True)
    return finish_report(args, report, result)
