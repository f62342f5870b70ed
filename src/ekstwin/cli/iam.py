"""``ekstwin iam``: evaluate a request, a pod's AWS access, who can do what."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ekstwin.cli.common import (
    PROBLEM,
    VERDICTS,
    add_fail_on_argument,
    add_input_namespace_argument,
    add_output_arguments,
    finish,
    load_platform,
    problem,
    verdict,
    write_json,
    write_output,
)
from ekstwin.engines.iam import Decision, PodAccess, evaluate, parse_case, pod_access
from ekstwin.errors import ConfigError, EkstwinError, LoadError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "iam",
        help="AWS IAM: evaluate policies, what a pod can do, who can do what",
        description="Evaluate IAM requests the way AWS does, follow each pod's chains to AWS "
        "credentials (Pod Identity, IRSA, node role) and answer who can perform an action.",
    )
    isub = p.add_subparsers(dest="iam_command", required=True, metavar="COMMAND")

    e = isub.add_parser(
        "evaluate",
        help="decide one request against its policies (the evaluate file format)",
        description='Read FILE ({"policies": {...}, "request": {...}}) and print the decision: '
        "Allow or Deny, the kind of deny, the reason and the deciding statements.",
    )
    e.add_argument("file", metavar="FILE.json")
    add_output_arguments(e, ["table", "json"])
    add_fail_on_argument(
        e, VERDICTS, "when the request is allowed (allow), or is not: denied or unknown (deny)"
    )
    e.set_defaults(handler=run_evaluate)

    _register_queries(isub)


def _register_queries(isub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = isub.add_parser(
        "pod",
        help="every AWS role a pod can obtain, how, what it may do, and its ECR pulls",
    )
    _platform_argument(p)
    p.add_argument(
        "pod",
        metavar="NS/POD|NS/KIND/NAME",
        help="a pod, or a workload (shop/deployment/web, or shop/web naming one workload): "
        "answered for its first pod",
    )
    add_output_arguments(p, ["table", "json"])
    add_fail_on_argument(
        p, PROBLEM, "when a role the pod tries is not obtained or an image pull fails (problem)"
    )
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(handler=run_pod)

    w = isub.add_parser(
        "who-can", help="which pods and people can perform ACTION on RESOURCE, with chains"
    )
    _platform_argument(w)
    w.add_argument("action", metavar="ACTION")
    w.add_argument("resource", metavar="RESOURCE")
    add_output_arguments(w, ["table", "json"])
    add_fail_on_argument(w, VERDICTS, "when some pod or person may (allow), or no one may (deny)")
    w.add_argument("--quiet", "-q", action="store_true")
    w.set_defaults(handler=run_who_can)


def _platform_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "platform",
        metavar="PLATFORM",
        help="directory or file of manifests and aws.json, or a snapshot (twin.json)",
    )
    add_input_namespace_argument(parser, "--namespace", "-n")


def pod_text(access: PodAccess) -> str:
    lines = [
        f"pod {access.pod} (ServiceAccount {access.service_account}, cluster {access.cluster})",
        "default credentials: "
        + (access.default_credentials.value if access.default_credentials else "none"),
    ]
    for note in access.notes:
        lines.append(f"note: {note}")
    for grant in access.roles:
        state = "obtained" if grant.obtained else "NOT obtained"
        lines.append(f"{grant.via.value}: {grant.role_arn} - {state}")
        for step in grant.steps:
            lines.append(f"  [{'ok' if step.ok else 'FAIL'}] {step.step}: {step.detail}")
        if grant.nodes:
            lines.append(f"  on nodes: {', '.join(grant.nodes)}")
        for perm in grant.permissions:
            act = ("NOT " if perm.negated_action else "") + ", ".join(perm.actions)
            res = ("NOT " if perm.negated_resource else "") + ", ".join(perm.resources)
            cond = " (conditional)" if perm.conditional else ""
            lines.append(f"  {perm.effect:<5} {perm.service}: {act} on {res}{cond}")
    for pull in access.pulls:
        state = {True: "ok", False: "FAIL", None: "unknown"}[pull.ok]
        lines.append(f"image {pull.image} ({pull.container}): [{state}] {pull.reason}")
    return "\n".join(lines)


def run_pod(args: argparse.Namespace) -> int:
    namespace, sep, name = args.pod.partition("/")
    if not sep or not name:
        raise ConfigError(
            f"pod {args.pod!r} must be written NAMESPACE/NAME (a pod or a workload) "
            "or NAMESPACE/KIND/NAME (shop/deployment/web)"
        )
    platform = load_platform(args).platform
    if platform.pod(namespace, name) is None:
        pod, note = platform.workload_pod(args.pod)
        if pod is None:
            raise ConfigError(note)
        print(note, file=sys.stderr)
        namespace, name = pod.namespace, pod.name
    access = pod_access(platform, namespace, name)
    if args.format == "json":
        write_json(access.to_json(), args.output)
    else:
        write_output(pod_text(access), args.output)
    failed = any(not g.obtained for g in access.roles) or any(p.ok is False for p in access.pulls)
    return finish(args, problem(failed))


def run_who_can(args: argparse.Namespace) -> int:
    from ekstwin.engines.access import AccessAnalyzer

    platform = load_platform(args).platform
    answer = AccessAnalyzer(platform).everyone_aws_who_can(args.action, args.resource)
    someone = verdict(bool(answer.pods.entries or answer.people))
    if args.format == "json":
        write_json(answer.to_json(), args.output)
        return finish(args, someone)
    result, people = answer.pods, answer.people
    lines = [
        f"{args.action} on {args.resource}: {len(result.entries)} pod role(s), "
        f"{len(people)} person role(s)"
    ]
    for e in result.entries:
        lines.append(f"{e.pod} via {e.via.value} {e.role_arn}: {e.decision.reason}")
    for g in people:
        lines.append(
            f"{g.login} (Keycloak {g.keycloak_user}) via {g.client_id} -> {g.role_arn}: "
            f"{g.decision.reason}"
        )
    write_output("\n".join(lines), args.output)
    return finish(args, someone)


def _read_json(path: str) -> object:
    try:
        text = Path(path).read_text(encoding="utf-8") if path != "-" else sys.stdin.read()
    except OSError as exc:
        raise LoadError(f"cannot read {path}: {exc.strerror} - check the path") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(f"{path}:{exc.lineno}: not JSON: {exc.msg} - fix the file") from exc


def decision_text(decision: Decision) -> str:
    head = decision.decision
    if decision.deny_kind is not None:
        head += f" ({decision.deny_kind.value})"
    lines = [f"{head}: {decision.reason}"]
    for s in decision.statements:
        sid = f" Sid {s.sid}" if s.sid else ""
        lines.append(f"  {s.effect.value:<5} {s.policy} Statement[{s.index}]{sid}")
    return "\n".join(lines)


def run_evaluate(args: argparse.Namespace) -> int:
    data = _read_json(args.file)
    try:
        request, policies = parse_case(data)
    except EkstwinError as exc:
        raise ConfigError(f"{args.file}: {exc}") from exc
    decision = evaluate(request, policies)
    if args.format == "json":
        write_json(decision.to_json(), args.output)
    else:
        write_output(decision_text(decision), args.output)
    return finish(args, verdict(decision.allowed))
