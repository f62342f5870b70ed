"""``ekstwin access``: who can do what in Kubernetes and AWS, and through which chain."""

from __future__ import annotations

import argparse

from ekstwin.cli.common import (
    VERDICTS,
    add_fail_on_argument,
    add_input_namespace_argument,
    add_output_arguments,
    finish,
    json_text,
    load_platform,
    verdict,
    write_output,
)
from ekstwin.engines.access import (
    AccessAnalyzer,
    ResourceRequest,
    SubjectAccess,
    UserAccess,
    WhoCanResult,
)
from ekstwin.errors import ConfigError
from ekstwin.model.platform import Platform


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "access",
        help="who can do what: RBAC, EKS access entries and aws-auth, the Keycloak/GitHub chain",
        description="Answer access questions across Kubernetes RBAC, EKS authentication "
        "(aws-auth, access entries, access policies) and the SSO chain (GitHub -> Keycloak -> "
        "SAML -> IAM role), including exec -> pod -> AWS role chains.",
    )
    asub = p.add_subparsers(dest="access_command", required=True, metavar="COMMAND")

    w = asub.add_parser("who-can", help="every subject allowed VERB on RESOURCE, with chains")
    _platform(w, namespace_flag=False)
    w.add_argument("verb", metavar="VERB")
    w.add_argument(
        "resource",
        metavar="RESOURCE",
        help="resource[.group][/subresource] (pods, pods/exec, deployments.apps) "
        "or a URL (/metrics)",
    )
    w.add_argument("--namespace", "-n", help="namespace (default: cluster-wide)")
    w.add_argument("--subresource", default="", help="subresource, e.g. exec")
    w.add_argument("--name", default="", help="object name (resourceNames)")
    add_output_arguments(w, ["table", "json"])
    add_fail_on_argument(w, VERDICTS, "when some subject may (allow), or no one may (deny)")
    w.add_argument("--quiet", "-q", action="store_true")
    w.set_defaults(handler=run_who_can)

    u = asub.add_parser("user", help="what a GitHub user can do in AWS and Kubernetes")
    _platform(u)
    u.add_argument("login", metavar="GITHUB_LOGIN")
    add_output_arguments(u, ["table", "json"])
    add_fail_on_argument(
        u,
        VERDICTS,
        "when the user holds a risky Kubernetes ability (cluster-admin, read-secrets, "
        "exec-pods, ...: allow), or holds none (deny)",
    )
    u.add_argument("--quiet", "-q", action="store_true")
    u.set_defaults(handler=run_user)

    s = asub.add_parser("sa", help="what a ServiceAccount can do, and the AWS roles behind it")
    _platform(s)
    s.add_argument("service_account", metavar="NS/SA")
    add_output_arguments(s, ["table", "json"])
    add_fail_on_argument(
        s,
        VERDICTS,
        "when the ServiceAccount holds a risky Kubernetes ability (cluster-admin, "
        "read-secrets, exec-pods, ...: allow), or holds none (deny)",
    )
    s.add_argument("--quiet", "-q", action="store_true")
    s.set_defaults(handler=run_sa)


def _platform(parser: argparse.ArgumentParser, namespace_flag: bool = True) -> None:
    parser.add_argument(
        "platform",
        metavar="PLATFORM",
        help="directory of manifests, aws.json and a Keycloak realm export, or a snapshot",
    )
    # who-can's own --namespace is the namespace of the request.
    add_input_namespace_argument(
        parser, *(("--namespace",) if namespace_flag else ("--input-namespace",))
    )


def _load(args: argparse.Namespace) -> Platform:
    """The platform; input errors were printed, and the answer covers the rest
    of the input (the command then exits 2, see ``finish``)."""
    return load_platform(args).platform


def _request(args: argparse.Namespace) -> ResourceRequest:
    resource: str = args.resource
    if resource.startswith("/"):
        return ResourceRequest(args.verb, non_resource_url=resource)
    res, _, sub = resource.partition("/")
    if sub and args.subresource and sub != args.subresource:
        raise ConfigError(
            f"resource {resource!r} and --subresource {args.subresource!r} disagree - give one"
        )
    res, _, group = res.partition(".")
    return ResourceRequest(
        args.verb, res, args.subresource or sub, group, args.namespace, args.name
    )


def who_can_text(result: WhoCanResult) -> str:
    lines = [f"who can {result.request}: {len(result.entries)} subject(s)"]
    lines += [f"note: {n}" for n in result.notes]
    for e in result.entries:
        pods = f" (pods: {', '.join(e.pods)})" if e.pods else ""
        lines.append(f"{e.kind} {e.name}{pods}")
        for chain in e.chains:
            lines.append("  " + " -> ".join(chain))
    return "\n".join(lines)


def subject_text(access: SubjectAccess, indent: str = "") -> list[str]:
    lines = [f"{indent}Kubernetes user {access.username}, groups {', '.join(access.groups)}"]
    if access.identity is not None:
        lines += [f"{indent}  auth: {s}" for s in access.identity.steps]
        lines += [f"{indent}  note: {n}" for n in access.identity.notes]
    for g in access.grants:
        lines.append(f"{indent}  grant [{g.scope}] {g.via}")
    for c in access.capabilities:
        lines.append(f"{indent}  can {c.ability} [{c.scope}]: {c.reasons[0].text()}")
    for p in access.pod_roles:
        lines.append(
            f"{indent}  exec {p.pod} (ServiceAccount {p.service_account}) -> {p.via} "
            f"{p.role_arn}" + (f": {', '.join(p.actions[:6])}" if p.actions else "")
        )
    return lines


def user_text(access: UserAccess) -> str:
    if access.keycloak_user is None:
        lines = [f"GitHub {access.login}: no Keycloak user"]
    else:
        lines = [
            f"GitHub {access.login}: Keycloak user {access.keycloak_user} in realm {access.realm}"
            + ("" if access.enabled else " (cannot sign in)")
        ]
    lines += [f"note: {n}" for n in access.notes]
    for c in access.clients:
        got = "; ".join(f"{k} = {', '.join(v)}" for k, v in c.attributes) or "nothing mapped"
        lines.append(f"client {c.client_id} ({c.protocol}): {got}")
    for r in access.aws_roles:
        state = "assumable" if r.result.ok else "NOT assumable"
        lines.append(f"AWS role {r.role_arn} via {r.client_id}: {state} - {r.result.reason}")
        lines += [f"  granted by {g}" for g in r.granted_by]
    for arn, kube in access.kubernetes:
        lines.append(f"as {arn}:")
        lines += subject_text(kube, "  ")
    return "\n".join(lines)


def run_who_can(args: argparse.Namespace) -> int:
    result = AccessAnalyzer(_load(args)).who_can(_request(args))
    text = json_text(result.to_json(), indent=2) if args.format == "json" else who_can_text(result)
    write_output(text, args.output, escaped=args.format == "json")
    return finish(args, verdict(bool(result.entries)))


def run_user(args: argparse.Namespace) -> int:
    result = AccessAnalyzer(_load(args)).user(args.login)
    text = json_text(result.to_json(), indent=2) if args.format == "json" else user_text(result)
    write_output(text, args.output, escaped=args.format == "json")
    risky = any(access.capabilities for _, access in result.kubernetes)
    return finish(args, verdict(risky))


def run_sa(args: argparse.Namespace) -> int:
    ns, sep, name = args.service_account.partition("/")
    if not sep or not name:
        raise ConfigError(f"service account {args.service_account!r} must be written NS/NAME")
    answer = AccessAnalyzer(_load(args)).service_account_access(ns, name)
    if args.format == "json":
        text = json_text(answer.to_json(), indent=2)
    else:
        text = "\n".join([f"ServiceAccount {answer.service_account}", *subject_text(answer.access)])
    write_output(text, args.output, escaped=args.format == "json")
    return finish(args, verdict(bool(answer.access.capabilities)))
