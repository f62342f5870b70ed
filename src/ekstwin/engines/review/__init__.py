"""Change review: what a change (a pull request, two snapshots) does to the platform.

:func:`diff_platforms` compares a base and a head platform question by question
and returns a :class:`PlatformDiff`:

* reachability: workload-to-workload flows opened, closed, widened or narrowed
  (network policy), each explained by the deciding rules before and after;
* mesh: workload pairs the network connects on both sides where the Istio mesh
  starts or stops refusing a declared port outright;
* kubernetes-access: subjects gaining or losing a sensitive ability (the ones
  ``access user`` lists) cluster-wide or per namespace, with the binding chain;
* aws-access: workloads obtaining or losing IAM roles or role permissions;
* alb: ALB rules added, removed, moved, re-prioritised, re-targeted; group build
  errors introduced or repaired;
* dns: Route 53 records ExternalDNS would create, delete or change;
* capacity: subnets whose free pod addresses move by 5% or more, or run out;
* storage: StatefulSets whose volumes span fewer zones, or that a zone's loss
  newly leaves without quorum;
* findings: new and fixed findings, by fingerprint.

The findings come from the caller (each side's ``analyze``), so this engine
runs no checks of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ekstwin.engines.net.engine import NetModel
from ekstwin.engines.review.access import aws_access_changes, kubernetes_access_changes
from ekstwin.engines.review.capacity import capacity_changes, storage_changes
from ekstwin.engines.review.model import WIDENING, Area, Change, ChangeKind, PlatformDiff
from ekstwin.engines.review.reachability import mesh_changes, reachability_changes
from ekstwin.engines.review.traffic import alb_changes, dns_changes
from ekstwin.findings import Finding, Severity
from ekstwin.model.k8s import NAMESPACE_NAME_LABEL
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import Selector

__all__ = [
    "WIDENING",
    "Area",
    "Change",
    "ChangeKind",
    "PlatformDiff",
    "diff_platforms",
    "exceeds",
]


def _protector(base: Platform, head: Platform, protect: Selector | None) -> Callable[[str], bool]:
    """Whether ``protect`` selects a namespace by its labels (the head's definition,
    else the base's; a namespace neither defines has only its automatic
    ``kubernetes.io/metadata.name`` label)."""
    cache: dict[str, bool] = {}

    def protected(name: str) -> bool:
        if protect is None:
            return False
        got = cache.get(name)
        if got is None:
            ns = head.namespace(name) or base.namespace(name)
            labels = ns.labels if ns is not None else {NAMESPACE_NAME_LABEL: name}
            got = cache[name] = protect.matches(labels)
        return got

    return protected


def diff_platforms(
    base: Platform,
    head: Platform,
    *,
    base_findings: Sequence[Finding] = (),
    head_findings: Sequence[Finding] = (),
    protect: Selector | None = None,
    nets: tuple[NetModel, NetModel] | None = None,
) -> PlatformDiff:
    """Every semantic change from ``base`` to ``head``. ``protect`` is a Calico
    selector over namespace labels: changes that reach into those namespaces are
    marked ``protected``. ``nets`` are the two platforms' compiled network models,
    when the caller has them already."""
    is_protected = _protector(base, head, protect)
    changes: list[Change] = []
    # the caller may hand the network models its analysis compiled (one compile a side)
    net_base, net_head = nets if nets is not None else (NetModel(base), NetModel(head))
    changes += reachability_changes(net_base, net_head, is_protected)
    changes += mesh_changes(net_base, net_head, is_protected)
    changes += kubernetes_access_changes(base, head, is_protected)
    changes += aws_access_changes(base, head, is_protected)
    changes += alb_changes(base, head)
    changes += dns_changes(base, head)
    changes += capacity_changes(base, head)
    changes += storage_changes(base, head)
    old = {f.fingerprint: f for f in base_findings}
    new = {f.fingerprint: f for f in head_findings}
    new_findings = tuple(f for fp, f in new.items() if fp not in old)
    fixed = tuple(f for fp, f in old.items() if fp not in new)
    for f in new_findings:
        changes.append(_finding_change(f, ChangeKind.NEW))
    for f in fixed:
        changes.append(_finding_change(f, ChangeKind.FIXED))
    notes = (
        "reachability covers network policy (Kubernetes, Calico) and the Istio mesh's "
        "outright refusals between workloads; the AWS network layer is not compared yet",
    )
    return PlatformDiff(
        tuple(changes),
        new_findings,
        fixed,
        sum(1 for fp in new if fp in old),
        notes,
    )


def _finding_change(f: Finding, kind: ChangeKind) -> Change:
    where = f" ({f.source})" if f.source is not None else ""
    return Change(
        Area.FINDINGS,
        kind,
        str(f.subject),
        f"{kind.value} {f.severity.value} {f.check_id} on {f.subject}: {f.message}",
        (f"{f.check_id} {f.title}{where}",),
        f.subject.namespace,
    )


def exceeds(diff: PlatformDiff, fail_on: Severity | None) -> bool:
    """Whether the change should fail a review: a new finding at or above
    ``fail_on``, or (with ``fail_on`` set) a change that opens or widens
    something into a protected namespace."""
    if fail_on is None:
        return False
    if any(f.severity.rank >= fail_on.rank for f in diff.new_findings):
        return True
    return any(c.protected and c.kind in WIDENING for c in diff.changes)
