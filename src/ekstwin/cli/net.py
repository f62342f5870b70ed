"""``ekstwin net``: can, matrix, diff and lint over pod reachability."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from typing import TYPE_CHECKING

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
    json_text,
    load_platform,
    problem,
    verdict,
    write_ascii_json_parts,
    write_json,
    write_output,
)
from ekstwin.engines.net import (
    Decision,
    Granularity,
    Matrix,
    NetModel,
    NetQueryError,
    ServiceVerdict,
    Verdict,
    matrix,
)
from ekstwin.errors import ConfigError
from ekstwin.reporters._text import csv_cell, dot_string
from ekstwin.reporters.interface import ReportFormat, reporter_for

if TYPE_CHECKING:  # the mesh, the checks and diff are imported by the commands that use them
    from ekstwin.engines.mesh.combined import CombinedVerdict
    from ekstwin.engines.net.diff import NetDiff
    from ekstwin.engines.vpc import LayerVerdict
    from ekstwin.engines.vpc.whole import PathVerdict
    from ekstwin.model.platform import Platform


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "net", help="pod reachability (network policy and the Istio mesh): can, matrix, diff, lint"
    )
    nsub = p.add_subparsers(dest="net_command", required=True, metavar="COMMAND")

    c = nsub.add_parser("can", help="may one endpoint reach another on a port, and why")
    c.add_argument("platform", nargs="+", metavar="PLATFORM")
    add_input_namespace_argument(c, "--namespace", "-n")
    c.add_argument(
        "--from", dest="source", required=True, metavar="NS/POD|NS/KIND/NAME|IP",
        help="a pod, a workload (shop/deployment/web, or shop/web naming one workload: "
        "answered for its first pod), an address, node/NAME, internet, imds, alb:NAME, "
        "control-plane or eni:ID",
    )  # fmt: skip
    c.add_argument(
        "--to", dest="destination", required=True, metavar="NS/POD|NS/KIND/NAME|NS/svc/NAME|IP",
        help="as --from, a Service (shop/svc/web, followed to its backends), rds:ID, "
        "cache:ID, efs:ID, eni:ID, vpce:ID or s3",
    )  # fmt: skip
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--protocol", default="TCP", choices=["TCP", "UDP", "SCTP", "ICMP"])
    c.add_argument("--method", help="HTTP method, for the mesh's AuthorizationPolicy rules")
    c.add_argument("--path", help="HTTP path, for the mesh's AuthorizationPolicy rules")
    c.add_argument("--host", help="HTTP Host/authority, for the mesh's rules")
    c.add_argument("--no-mesh", action="store_true", help="judge the network layer only (no Istio)")
    c.add_argument(
        "--no-aws",
        action="store_true",
        help="judge the cluster layers only (no security groups, network ACLs or routes)",
    )
    _calico_version_argument(c)
    add_output_arguments(c, ["table", "json"])
    add_fail_on_argument(c, VERDICTS, "when the flow is allowed (allow), or is not (deny)")
    c.add_argument("--quiet", "-q", action="store_true")
    c.set_defaults(handler=run_can)

    pa = nsub.add_parser(
        "path", help="one flow hop by hop through every layer, and the first hop that drops it"
    )
    pa.add_argument("platform", nargs="+", metavar="PLATFORM")
    add_input_namespace_argument(pa, "--namespace", "-n")
    pa.add_argument("--from", dest="source", required=True, metavar="ENDPOINT",
                    help="as net can --from")  # fmt: skip
    pa.add_argument("--to", dest="destination", required=True, metavar="ENDPOINT",
                    help="as net can --to")  # fmt: skip
    pa.add_argument("--port", type=int, required=True)
    pa.add_argument("--protocol", default="tcp", type=str.lower, choices=["tcp", "udp"])
    _calico_version_argument(pa)
    add_output_arguments(pa, ["table", "json"])
    add_fail_on_argument(
        pa, VERDICTS, "when the flow gets through (allow), or does not: dropped or unknown (deny)"
    )
    pa.add_argument("--quiet", "-q", action="store_true")
    pa.set_defaults(handler=run_path)

    m = nsub.add_parser("matrix", help="allowed connections between every pair of endpoints")
    m.add_argument("platform", nargs="+", metavar="PLATFORM")
    add_input_namespace_argument(m, "--namespace", "-n")
    m.add_argument(
        "--by",
        choices=[g.value for g in Granularity],
        default=None,
        help="pod (the default), workload or namespace; with --to-aws the default is workload",
    )
    m.add_argument(
        "--to-aws",
        action="store_true",
        help="which workloads reach which AWS network interfaces (RDS, caches, EFS, interface "
        "endpoints) on their listener ports, over the whole path",
    )
    m.add_argument(
        "--mesh",
        action="store_true",
        help="with --by pod: add, per flow, the declared TCP ports the mesh refuses "
        "(JSON key mesh_refused)",
    )
    _calico_version_argument(m)
    add_output_arguments(m, ["table", "json", "csv", "dot"])
    add_fail_on_argument(
        m, VERDICTS, "when some pair of endpoints connects (allow), or none does (deny)"
    )
    m.add_argument("--quiet", "-q", action="store_true")
    m.set_defaults(handler=run_matrix)

    d = nsub.add_parser(
        "diff", help="connectivity opened, closed and changed between two platforms"
    )
    d.add_argument("old", metavar="OLD")
    d.add_argument("new", metavar="NEW")
    _calico_version_argument(d)
    add_output_arguments(d, ["table", "json"])
    add_fail_on_argument(d, PROBLEM, "when connectivity changed (problem)")
    d.add_argument("--quiet", "-q", action="store_true")
    d.set_defaults(handler=run_diff)

    lint = nsub.add_parser("lint", help="run the network policy checks (NET...)")
    lint.add_argument("platform", nargs="+", metavar="PLATFORM")
    add_input_namespace_argument(lint, "--namespace", "-n")
    add_output_arguments(lint, [f.value for f in ReportFormat])
    add_fail_on_argument(
        lint, SEVERITIES, "when a finding at or above this severity remains", default="info"
    )
    lint.add_argument("--quiet", "-q", action="store_true")
    lint.set_defaults(handler=run_lint)


def _calico_version_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--calico-version",
        metavar="VERSION",
        help="the Calico release whose policy ordering to follow (e.g. v3.31.2); default: the "
        "calico-node image tag in the input, else the current release",
    )


def _model(args: argparse.Namespace) -> NetModel:
    return NetModel(load_platform(args).platform, calico_version=args.calico_version)


def decision_line(d: Decision, layer: str = "") -> str:
    """One network decision: direction, verdict, why and where (``net can`` and ``mesh can``)."""
    verdict = "allow" if d.allowed else "deny"
    where = f" ({d.source})" if d.source is not None else ""
    label = f"{layer} " if layer else ""
    return f"  {label}{d.direction.value:7} {verdict:5} {d.message}{where}"


def _verdict_text(v: Verdict) -> str:
    head = f"{v.source} -> {v.destination} {v.protocol}/{v.port}: "
    head += "ALLOWED" if v.allowed else "DENIED"
    enforcer = f"  enforcer: {v.enforcement.describe()}"
    if v.enforcement.assumed:
        enforcer += " (assumed)"
    return "\n".join([head, decision_line(v.egress), decision_line(v.ingress), enforcer])


def workload_notes(platform: Platform, *specs: str) -> None:
    """Say on stderr which pod answers for a workload given as ``--from``/``--to``,
    and when an endpoint is one ekstwin implied (not in the input)."""
    for spec in specs:
        text = (
            "kube-system/svc/kube-dns" if spec.lower() in ("coredns", "dns", "kube-dns") else spec
        )
        parts = text.strip().split("/")
        source = None
        if len(parts) == 3 and parts[1] in ("svc", "service"):
            svc = platform.service(parts[0], parts[2])
            source = svc.meta.source if svc is not None else None
        elif len(parts) == 2 and platform.pod(parts[0], parts[1]) is not None:
            pod = platform.pod(parts[0], parts[1])
            source = pod.meta.source if pod is not None else None
        elif len(parts) in (2, 3) and parts[0] != "node":
            pod, note = platform.workload_pod(text)
            if pod is not None:
                print(note, file=sys.stderr)
                source = pod.meta.source
        if source is not None and source.implied:
            print(f"{text} is not in the input: {source.file}", file=sys.stderr)


def run_can(args: argparse.Namespace) -> int:
    from ekstwin.engines.mesh import MeshModel
    from ekstwin.engines.mesh.combined import CombinedServiceVerdict
    from ekstwin.engines.vpc import VpcModel, VpcQueryError
    from ekstwin.engines.vpc.whole import explain_flow

    if args.protocol != "ICMP":
        check_port(args.port)
    model = _model(args)
    workload_notes(model.platform, args.source, args.destination)
    try:
        answer = explain_flow(
            VpcModel.build(model.platform),
            model,
            args.source,
            args.destination,
            args.port,
            args.protocol,
            mesh=None if args.no_mesh else MeshModel(model.platform, model),
            aws=not args.no_aws,
            method=args.method,
            path=args.path,
            host=args.host,
        )
    except (NetQueryError, VpcQueryError) as exc:
        raise ConfigError(str(exc)) from exc
    if args.format == "json":
        write_json(answer.to_json(), args.output)
        return finish(args, verdict(answer.allowed))
    result = answer.result
    if isinstance(result, ServiceVerdict | CombinedServiceVerdict):
        lines = [
            f"{result.source} -> {result.service} {result.protocol}/{result.port}: "
            + _service_word(answer.allowed)
        ]
        if result.problem:
            lines.append(f"  {result.problem}")
        lines.extend(
            _with_layers(_any_text(v), p)
            for v, p in zip(answer.verdicts, answer.paths, strict=True)
        )
        write_output("\n".join(lines), args.output)
    else:
        write_output(_with_layers(_any_text(result), answer.paths[0]), args.output)
    return finish(args, verdict(answer.allowed))


def run_path(args: argparse.Namespace) -> int:
    from ekstwin.engines.mesh import MeshModel
    from ekstwin.engines.vpc import VpcModel, VpcQueryError
    from ekstwin.engines.vpc.path import path_answer
    from ekstwin.engines.vpc.whole import explain_flow

    check_port(args.port)
    model = _model(args)
    workload_notes(model.platform, args.source, args.destination)
    ctx = VpcModel.build(model.platform)
    protocol = args.protocol.upper()
    try:
        answer = explain_flow(
            ctx, model, args.source, args.destination, args.port, protocol,
            mesh=MeshModel(model.platform, model),
        )  # fmt: skip
    except (NetQueryError, VpcQueryError) as exc:
        raise ConfigError(str(exc)) from exc
    paths = path_answer(ctx, answer)
    if not paths.paths:
        raise ConfigError(f"{args.destination}: no backend to follow (no ready pod)")
    through = verdict(paths.allowed)
    if args.format == "json":
        write_json(paths.to_json(), args.output)
        return finish(args, through)
    blocks = []
    for p in paths.paths:
        word = {True: "REACHABLE", False: "NOT REACHABLE", None: "UNKNOWN"}[p.allowed]
        lines = [f"{p.source} -> {p.destination} {p.protocol}/{p.port}: {word}"]
        drop = p.first_drop
        for h in p.hops:
            mark = {True: "pass", False: "DROP", None: "?"}[h.allowed]
            where = f" ({h.source})" if h.source else ""
            lines.append(f"  {h.index:>2}. {mark:4} {h.layer.value:23} {h.component}")
            lines.append(f"      {h.code}: {h.explanation}{where}")
        if drop is not None:
            lines.append(f"  first drop: hop {drop.index} ({drop.layer.value}, {drop.component})")
        blocks.append("\n".join(lines))
    write_output("\n\n".join(blocks), args.output)
    return finish(args, through)


def _service_word(allowed: bool | None) -> str:
    if allowed is None:
        return "UNKNOWN (no backend allowed; some could not be judged)"
    return "ALLOWED (to some backend)" if allowed else "NOT ALLOWED (to any backend)"


def _with_layers(text: str, path: PathVerdict) -> str:
    """The cluster layers' text, with the whole path's verdict and layers when
    the AWS layers were judged (as before when the input has no VPC data)."""
    if not path.aws_judged:
        return text
    head, _, rest = text.partition("\n")
    flow = head.rsplit(": ", 1)[0]
    allowed = path.allowed
    if allowed is True:
        word = "ALLOWED"
    elif allowed is False:
        drop = path.denied_at
        word = "DENIED" + (f" at {drop.layer.value}" if drop is not None else "")
    else:
        word = "UNKNOWN"
    lines = [f"{flow}: {word}", rest, "  layers:"]
    for v in path.layers:
        verdict = {True: "allow", False: "deny", None: "unknown"}[v.allowed]
        where = f" ({v.source})" if v.source is not None else ""
        lines.append(f"    {v.layer.value:23} {verdict:7} {v.decided_by}{where}")
    return "\n".join(lines)


def _any_text(v: Verdict | CombinedVerdict) -> str:
    from ekstwin.cli.mesh import combined_text
    from ekstwin.engines.mesh.combined import CombinedVerdict

    return combined_text(v) if isinstance(v, CombinedVerdict) else _verdict_text(v)


def _matrix_text(m: Matrix, fmt: str) -> str:
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
        w.writerow(["from", "to", "allow"])
        for f in m.flows:
            w.writerow([csv_cell(f.source), csv_cell(f.destination), csv_cell(str(f.allow))])
        return buf.getvalue()
    if fmt == "dot":
        lines = ["digraph connectivity {"]
        lines.extend(f"  {dot_string(e)};" for e in m.endpoints)
        lines.extend(
            f"  {dot_string(f.source)} -> {dot_string(f.destination)} "
            f"[label={dot_string(str(f.allow))}];"
            for f in m.flows
        )
        lines.append("}")
        return "\n".join(lines)
    width = max([len(e) for e in m.endpoints] + [4])
    lines = [f"{'from':{width}}  {'to':{width}}  allow"]
    lines.extend(f"{f.source:{width}}  {f.destination:{width}}  {f.allow}" for f in m.flows)
    return "\n".join(lines)


def run_matrix(args: argparse.Namespace) -> int:
    if args.to_aws:
        return _run_aws_matrix(args)
    args.by = args.by or Granularity.POD.value
    model = _model(args)
    m = matrix(model, Granularity(args.by))
    connects = verdict(any(f.allow for f in m))
    if not args.mesh:
        if args.format == "json":  # written with ensure_ascii: made safe in one pass
            write_ascii_json_parts(m.json_text_parts(), args.output)
        else:
            write_output(_matrix_text(m, args.format), args.output)
        return finish(args, connects)
    if Granularity(args.by) is not Granularity.POD or args.format != "json":
        raise ConfigError("--mesh goes with --by pod --format json")
    from ekstwin.engines.mesh import MeshModel, mesh_matrix
    from ekstwin.engines.mesh.combined import MatrixWithMesh

    meshed = MatrixWithMesh(m, mesh_matrix(MeshModel(model.platform, model)))
    write_json(meshed.to_json(), args.output, indent=1)
    return finish(args, connects)


def _layer_text(v: LayerVerdict | None) -> str:
    return "" if v is None else f"{v.layer.value}: {v.decided_by}"


def _run_aws_matrix(args: argparse.Namespace) -> int:
    from ekstwin.engines.vpc import VpcModel
    from ekstwin.engines.vpc.matrix import aws_matrix

    if args.mesh or args.format == "dot":
        raise ConfigError("--to-aws goes with --format table, json or csv (and without --mesh)")
    model = _model(args)
    by = Granularity(args.by or Granularity.WORKLOAD.value)
    m = aws_matrix(VpcModel.build(model.platform), model, by)
    connects = verdict(any(f.pods_allowed for f in m.flows))
    if args.format == "json":
        write_json(m.to_json(), args.output, indent=1)
        return finish(args, connects)
    rows = [
        (
            f.source, f.destination, f"{f.protocol}/{f.port}", f.status,
            f"{f.pods_allowed}/{f.pods}",
            _layer_text(f.decided_by),
        )
        for f in m.flows
    ]  # fmt: skip
    if args.format == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
        w.writerow(["from", "to", "port", "status", "pods_allowed", "decided_by"])
        for row in rows:
            w.writerow([csv_cell(c) for c in row])
        write_output(buf.getvalue(), args.output)
        return finish(args, connects)
    head = ("from", "to", "port", "status", "pods", "not allowed because")
    widths = [max([len(head[i])] + [len(r[i]) for r in rows]) for i in range(5)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, [*widths, 0], strict=True)).rstrip()]
    lines.extend(
        "  ".join(c.ljust(w) for c, w in zip(r, [*widths, 0], strict=True)).rstrip() for r in rows
    )
    write_output("\n".join(lines), args.output)
    return finish(args, connects)


def _diff_text(d: NetDiff) -> str:
    lines = [f"endpoint added: {e}" for e in d.endpoints_added]
    lines += [f"endpoint removed: {e}" for e in d.endpoints_removed]
    for c in d.changes:
        lines.append(f"{c.kind.value}: {c.source} -> {c.destination}: {c.old} => {c.new}")
        if c.example_old is not None and c.example_new is not None:
            for label, v in (("before", c.example_old), ("after", c.example_new)):
                lines.append(f"  {label} ({v.protocol}/{v.port}):")
                lines.append("  " + decision_line(v.egress))
                lines.append("  " + decision_line(v.ingress))
    return "\n".join(lines) if lines else "no connectivity change"


def run_diff(args: argparse.Namespace) -> int:
    from ekstwin.engines.net.diff import diff

    flags = {"quiet": args.quiet, "no_implied": args.no_implied}
    old = load_platform(argparse.Namespace(platform=[args.old], **flags))
    new = load_platform(argparse.Namespace(platform=[args.new], **flags))
    version = args.calico_version
    result = diff(
        NetModel(old.platform, calico_version=version),
        NetModel(new.platform, calico_version=version),
    )
    text = json_text(result.to_json(), indent=1) if args.format == "json" else _diff_text(result)
    write_output(text, args.output, escaped=args.format == "json")
    changed = bool(result.changes or result.endpoints_added or result.endpoints_removed)
    return finish(args, problem(changed), input_errors=old.input_errors or new.input_errors)


def run_lint(args: argparse.Namespace) -> int:
    from ekstwin.analysis import analyze
    from ekstwin.engines.checks import CheckContext, discover_checks

    result = load_platform(args)
    checks = [c for c in discover_checks() if c.id.startswith("NET")]
    report = analyze(result, ctx=CheckContext(), checks=checks)
    fmt = ReportFormat(args.format)
    write_output(reporter_for(fmt, color=False).render(report), args.output, escaped=True)
    return finish_report(args, report, result)
