"""Flows between workloads that a change opens, closes, widens or narrows."""

from __future__ import annotations

from collections.abc import Callable

from ekstwin.engines.mesh.verdict import MeshModel, MeshStatus, mesh_verdict
from ekstwin.engines.net.connections import ConnectionSet
from ekstwin.engines.net.endpoints import Endpoint
from ekstwin.engines.net.engine import Decision, NetModel, Verdict
from ekstwin.engines.net.matrix import Granularity, matrix
from ekstwin.engines.review.model import Area, Change, ChangeKind


def _representatives(model: NetModel) -> dict[str, Endpoint]:
    """One pod of each workload (the first by name): the one whose verdict explains
    a workload's change."""
    out: dict[str, Endpoint] = {}
    for name in sorted(model.endpoints):
        ep = model.endpoints[name]
        key = ep.pod.workload_key if ep.pod is not None else name
        out.setdefault(key, ep)
    return out


def _kind(old: ConnectionSet, new: ConnectionSet) -> ChangeKind:
    if old.is_empty:
        return ChangeKind.OPENED
    if new.is_empty:
        return ChangeKind.CLOSED
    if old.issubset(new):
        return ChangeKind.WIDENED
    if new.issubset(old):
        return ChangeKind.NARROWED
    return ChangeKind.CHANGED


def _sample(conns: ConnectionSet) -> tuple[str, int] | None:
    for proto, intervals in conns:
        return proto, intervals[0][0]
    return None


def decision_text(d: Decision) -> str:
    """One side's decision in a line: direction, verdict, rule, and where it is written."""
    where = f" ({d.source})" if d.source is not None else ""
    return f"{d.direction.value} {'allow' if d.allowed else 'deny'}: {d.message}{where}"


def _explain(label: str, v: Verdict) -> list[str]:
    return [f"{label} {v.protocol}/{v.port}: {decision_text(d)}" for d in (v.egress, v.ingress)]


def reachability_changes(
    base: NetModel, head: NetModel, protected: Callable[[str], bool]
) -> list[Change]:
    """Workload-to-workload changes between two compiled platforms.

    Flows are compared between workloads present in both platforms (a workload
    is ``namespace/name`` of its controller, or the pod's own name); added and
    removed workloads are listed as such. Each flow change is explained by one
    port it concerns: the verdict of one pod of each workload before and after.
    """
    a = matrix(base, Granularity.WORKLOAD)
    b = matrix(head, Granularity.WORKLOAD)
    old_eps, new_eps = set(a.endpoints), set(b.endpoints)
    out: list[Change] = []
    for w in sorted(new_eps - old_eps):
        out.append(
            Change(
                Area.REACHABILITY,
                ChangeKind.ADDED,
                w,
                f"workload {w} is new",
                namespace=w.partition("/")[0],
            )
        )
    for w in sorted(old_eps - new_eps):
        out.append(
            Change(
                Area.REACHABILITY,
                ChangeKind.REMOVED,
                w,
                f"workload {w} is gone",
                namespace=w.partition("/")[0],
            )
        )
    both = old_eps & new_eps
    old_flows = {(f.source, f.destination): f.allow for f in a if f.source != f.destination}
    new_flows = {(f.source, f.destination): f.allow for f in b if f.source != f.destination}
    none = ConnectionSet.none()
    reps_old, reps_new = _representatives(base), _representatives(head)
    for pair in sorted(set(old_flows) | set(new_flows)):
        src, dst = pair
        if src not in both or dst not in both:
            continue
        old, new = old_flows.get(pair, none), new_flows.get(pair, none)
        if old == new:
            continue
        kind = _kind(old, new)
        added, removed = new - old, old - new
        because: list[str] = []
        sample = _sample(added) or _sample(removed)
        if sample is not None:
            proto, port = sample
            because += _explain("after", head.verdict(reps_new[src], reps_new[dst], proto, port))
            because += _explain("before", base.verdict(reps_old[src], reps_old[dst], proto, port))
        parts = []
        if not added.is_empty:
            parts.append(f"now allows {added}")
        if not removed.is_empty:
            parts.append(f"no longer allows {removed}")
        namespace = dst.partition("/")[0]
        out.append(
            Change(
                Area.REACHABILITY,
                kind,
                f"{src} -> {dst}",
                f"{src} -> {dst} {kind.value}: " + "; ".join(parts),
                tuple(because),
                namespace,
                protected=protected(namespace),
            )
        )
    return out


def _refusals(
    mesh: MeshModel, reps: dict[str, Endpoint], pairs: list[tuple[str, str, ConnectionSet]]
) -> dict[tuple[str, str], dict[int, str]]:
    """Per workload pair: the destination's declared TCP ports that the network allows
    and the mesh refuses outright, with the reason (one pod of each workload)."""
    out: dict[tuple[str, str], dict[int, str]] = {}
    for src, dst, conns in pairs:
        a, b = reps[src], reps[dst]
        if b.pod is None:
            continue
        ports = sorted(
            {p.container_port for p in b.pod.spec.all_ports if p.protocol.value == "TCP"}
        )
        refused: dict[int, str] = {}
        for port in ports:
            if not conns.contains("TCP", port):
                continue
            v = mesh_verdict(mesh, a, b, port)
            if v.status is MeshStatus.REFUSED:
                refused[port] = f"{v.reason.value}: {v.message}"
        out[(src, dst)] = refused
    return out


def _meshed(mesh: MeshModel) -> bool:
    return any(i.in_mesh for i in mesh.injections.values())


def mesh_changes(base: NetModel, head: NetModel, protected: Callable[[str], bool]) -> list[Change]:
    """Workload pairs whose network path is open on both sides and where the Istio mesh
    starts or stops refusing a declared TCP port of the destination outright (mTLS
    mode, sidecar injection, AuthorizationPolicy; requests that only some rules refuse
    are conditional, not refused). Nothing is compared when neither side has a pod in
    the mesh."""
    mesh_a, mesh_b = MeshModel(base.platform, base), MeshModel(head.platform, head)
    if not _meshed(mesh_a) and not _meshed(mesh_b):
        return []
    a = matrix(base, Granularity.WORKLOAD)
    b = matrix(head, Granularity.WORKLOAD)
    old_flows = {(f.source, f.destination): f.allow for f in a if f.source != f.destination}
    new_flows = {(f.source, f.destination): f.allow for f in b if f.source != f.destination}
    both = sorted(set(old_flows) & set(new_flows))
    old = _refusals(mesh_a, _representatives(base), [(s, d, old_flows[(s, d)]) for s, d in both])
    new = _refusals(mesh_b, _representatives(head), [(s, d, new_flows[(s, d)]) for s, d in both])
    out: list[Change] = []
    for pair in both:
        before, after = old.get(pair, {}), new.get(pair, {})
        if set(before) == set(after):
            continue  # the same ports (the reasons name files, which move)
        src, dst = pair
        opened = sorted(set(before) - set(after))
        closed = sorted(set(after) - set(before))
        kind = (
            ChangeKind.WIDENED
            if not closed
            else ChangeKind.NARROWED
            if not opened
            else ChangeKind.CHANGED
        )
        parts = []
        if opened:
            parts.append(f"the mesh now admits TCP {', '.join(map(str, opened))}")
        if closed:
            parts.append(f"the mesh now refuses TCP {', '.join(map(str, closed))}")
        because = [f"after TCP/{p}: {after[p]}" for p in closed]
        because += [f"before TCP/{p}: {before[p]}" for p in opened]
        namespace = dst.partition("/")[0]
        out.append(
            Change(
                Area.MESH,
                kind,
                f"{src} -> {dst}",
                f"{src} -> {dst}: " + "; ".join(parts),
                tuple(because),
                namespace,
                protected=protected(namespace),
            )
        )
    return out
