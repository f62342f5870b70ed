"""Who gains or loses what: sensitive Kubernetes abilities, and AWS roles and
permissions of workloads."""

from __future__ import annotations

from collections.abc import Callable

from ekstwin.engines.access.analyzer import ABILITIES, AccessAnalyzer, ability_request
from ekstwin.engines.iam import IamAnalyzer
from ekstwin.engines.review.model import Area, Change, ChangeKind
from ekstwin.model.platform import Platform

#: (ability, scope) -> (subject kind, subject name) -> the chains that grant it
_Abilities = dict[tuple[str, str], dict[tuple[str, str], tuple[str, ...]]]


def _abilities(analyzer: AccessAnalyzer, scopes: list[str | None]) -> _Abilities:
    out: _Abilities = {}
    for ability, *_ in ABILITIES:
        cluster_wide: set[tuple[str, str]] = set()
        for ns in scopes:
            result = analyzer.who_can(ability_request(ability, ns))
            holders = out.setdefault((ability, ns or "cluster"), {})
            for e in result.entries:
                key = (e.kind, e.name)
                if ns is not None and key in cluster_wide:
                    continue  # a cluster-wide grant is reported once, at cluster scope
                holders[key] = tuple(" -> ".join(c) for c in e.chains)
                if ns is None:
                    cluster_wide.add(key)
    return out


def _namespaced_grants(analyzer: AccessAnalyzer) -> set[str] | None:
    """The namespaces where something grants inside the namespace only: RoleBindings
    and EKS access policies scoped to namespaces (None: a scope with a wildcard,
    which may name any namespace). Elsewhere only cluster-wide grants apply, and
    those are compared once, at cluster scope."""
    names = {b.namespace for b in analyzer.rbac.bindings if b.namespace is not None}
    for cluster in analyzer.platform.aws.clusters:
        for entry in cluster.access_entries:
            for assoc in entry.access_policies:
                for ns in assoc.access_scope.namespaces:
                    if "*" in ns:
                        return None
                    names.add(ns)
    return names


def kubernetes_access_changes(
    base: Platform, head: Platform, protected: Callable[[str], bool]
) -> list[Change]:
    """Subjects (people by GitHub login, IAM principals, ServiceAccounts, users,
    groups) that gain or lose one of the sensitive abilities of ``access user``
    (cluster-admin, read/list secrets, create pods, exec, impersonation, token
    creation, bind/escalate, create RoleBindings), cluster-wide or per namespace,
    with the chain of bindings after the change (gained) or before it (lost).

    Namespaces are asked about only where a namespaced grant exists on either
    side; in the others a subject holds exactly its cluster-wide abilities."""
    a, b = AccessAnalyzer(base), AccessAnalyzer(head)
    every = sorted({n.name for n in base.namespaces} | {n.name for n in head.namespaces})
    found_a, found_b = _namespaced_grants(a), _namespaced_grants(b)
    wanted = None if found_a is None or found_b is None else found_a | found_b
    names = every if wanted is None else sorted(wanted)
    scopes: list[str | None] = [None, *names]
    old, new = _abilities(a, scopes), _abilities(b, scopes)
    out: list[Change] = []
    for ability, *_ in ABILITIES:
        for ns in scopes:
            scope = ns or "cluster"
            before, after = old.get((ability, scope), {}), new.get((ability, scope), {})
            for key in sorted(set(before) | set(after)):
                if (key in before) == (key in after):
                    continue
                kind = ChangeKind.GAINED if key in after else ChangeKind.LOST
                chains = after.get(key) or before.get(key) or ()
                where = "cluster-wide" if ns is None else f"in namespace {ns}"
                subject = f"{key[0]} {key[1]}"
                out.append(
                    Change(
                        Area.KUBERNETES_ACCESS,
                        kind,
                        subject,
                        f"{subject} {kind.value} {ability} {where}",
                        chains,
                        ns,
                        protected=ns is not None and protected(ns),
                    )
                )
    return out


#: workload -> (role ARN, how) -> the Allow statements of the role, as text
_Roles = dict[str, dict[tuple[str, str], frozenset[str]]]


def _workload_roles(platform: Platform) -> _Roles:
    analyzer = IamAnalyzer(platform)
    out: _Roles = {}
    seen: set[str] = set()
    for pod in sorted(platform.pods, key=lambda p: p.key):
        workload = pod.workload_key
        if workload in seen:
            continue
        seen.add(workload)
        roles: dict[tuple[str, str], frozenset[str]] = {}
        for grant in analyzer.pod_access(pod).roles:
            if not grant.obtained:
                continue
            statements = frozenset(
                f"{p.effect} {'NOT ' if p.negated_action else ''}{','.join(p.actions)} on "
                f"{'NOT ' if p.negated_resource else ''}{','.join(p.resources)}"
                + (" (with conditions)" if p.conditional else "")
                + f" [{p.policy}]"
                for p in grant.permissions
            )
            roles[(grant.role_arn, grant.via.value)] = statements
        out[workload] = roles
    return out


def aws_access_changes(
    base: Platform, head: Platform, protected: Callable[[str], bool]
) -> list[Change]:
    """Workloads that obtain or lose an IAM role (IRSA, Pod Identity, the node
    role), and for a role they hold before and after, the identity-policy
    statements that appear or disappear."""
    old, new = _workload_roles(base), _workload_roles(head)
    out: list[Change] = []
    for workload in sorted(set(old) & set(new)):
        before, after = old[workload], new[workload]
        ns = workload.partition("/")[0]
        for key in sorted(set(before) | set(after)):
            arn, via = key
            if key not in before or key not in after:
                kind = ChangeKind.GAINED if key in after else ChangeKind.LOST
                statements = sorted(after.get(key) or before.get(key) or ())
                out.append(
                    Change(
                        Area.AWS_ACCESS,
                        kind,
                        workload,
                        f"{workload} {kind.value} role {arn} (via {via})",
                        tuple(statements),
                        ns,
                        protected=protected(ns),
                    )
                )
                continue
            added = sorted(after[key] - before[key])
            removed = sorted(before[key] - after[key])
            if added or removed:
                kind = (
                    ChangeKind.WIDENED
                    if not removed
                    else ChangeKind.NARROWED
                    if not added
                    else ChangeKind.CHANGED
                )
                out.append(
                    Change(
                        Area.AWS_ACCESS,
                        kind,
                        workload,
                        f"{workload}: the permissions of {arn} (via {via}) {kind.value}",
                        (*(f"+ {s}" for s in added), *(f"- {s}" for s in removed)),
                        ns,
                        protected=protected(ns),
                    )
                )
    return out
