"""The AWS layers over every port at once: the connections (protocol and port
sets, as the net engine's :class:`ConnectionSet`) that pass from one VPC class
to another, and those that could not be judged; and the whole cluster's
connectivity with the AWS layer applied on top of the net engine's.

Between two pods the AWS layers depend only on the two VPC classes (subnet,
security groups, placement, CIDR class: :meth:`VpcModel.class_key`), except
that two pods on one node never leave it. So the matrix is computed on
(policy class, VPC class) pairs with bitsets, and the pods that share a node
add their policy connections back, pair by pair on each node.
"""

from __future__ import annotations

from dataclasses import dataclass

from ekstwin.engines.net import ConnectionSet, Endpoint, EndpointKind, NetModel
from ekstwin.engines.net.engine import bit_indices
from ekstwin.engines.net.matrix import Flow, Granularity, Matrix, group_of
from ekstwin.engines.vpc.endpoints import AwsEndpoint, AwsEndpointKind
from ekstwin.engines.vpc.model import VpcModel
from ekstwin.engines.vpc.rules import cidr_range
from ekstwin.model.vpc import NaclAction

ALL = ConnectionSet.all()
NONE = ConnectionSet.none()
_NAMES = {"6": "TCP", "17": "UDP", "132": "SCTP", "1": "ICMP"}
Pair = tuple[ConnectionSet, ConnectionSet]  # (allowed, unknown)


def rule_connections(
    protocol: str,
    low: int | None,
    high: int | None,
    *,
    icmp_type: int | None = None,
    icmp_code: int | None = None,
) -> ConnectionSet:
    """The connections a security group rule or ACL entry covers (protocols
    the net engine does not model cover nothing)."""
    if protocol == "-1":
        return ALL
    name = _NAMES.get(protocol)
    if name is None:
        return NONE
    if name in ("TCP", "UDP"):
        if low is None and high is None:
            return ConnectionSet.protocol(name)
        lo = 1 if low is None or low < 1 else low
        hi = 65535 if high is None or high < 0 else high
        return ConnectionSet.of({name: [(lo, hi)]})
    if name == "SCTP":
        return ConnectionSet.protocol(name)
    t = icmp_type if icmp_type is not None else low
    c = icmp_code if icmp_code is not None else high
    if t is None or t < 0:
        return ConnectionSet.protocol("ICMP")
    if c is None or c < 0:
        return ConnectionSet.of({"ICMP": [(t * 256, t * 256 + 255)]})
    return ConnectionSet.of({"ICMP": [(t * 256 + c, t * 256 + c)]})


class AwsConnections:
    """Per pair of VPC classes, the connections AWS passes (and those it could
    not judge), cached by what they depend on."""

    def __init__(self, ctx: VpcModel) -> None:
        self.ctx = ctx
        self._sg: dict[tuple[object, ...], Pair] = {}
        self._acl: dict[tuple[object, ...], Pair] = {}
        self._pairs: dict[tuple[object, ...], Pair] = {}

    def sg(self, subject: AwsEndpoint, peer: AwsEndpoint, *, ingress: bool) -> Pair:
        if not subject.has_groups:
            return ALL, NONE
        if subject.group_ids is None:
            return NONE, ALL
        ctx = self.ctx
        key = (subject.group_ids, subject.vpc_id, ingress, ctx.peer_key(peer), peer.kind)
        got = self._sg.get(key)
        if got is not None:
            return got
        allowed, unknown = NONE, NONE
        for gid in subject.group_ids:
            group = ctx.aws.security_group(gid)
            if group is None:
                unknown = ALL
                continue
            for rule in group.ingress if ingress else group.egress:
                hit = ctx.rule_matches(rule, group.vpc_id or subject.vpc_id, peer)
                if hit is False:
                    continue
                conns = rule_connections(rule.protocol, rule.from_port, rule.to_port)
                if hit:
                    allowed |= conns
                else:
                    unknown |= conns
        got = self._sg[key] = (allowed, unknown - allowed)
        return got

    def acl(self, subnet_id: str, *, egress: bool, peer: AwsEndpoint) -> Pair:
        ctx = self.ctx
        acl = ctx.network_acl(subnet_id)
        if acl is None:
            return NONE, ALL
        n = ctx.ip(peer.address)
        key = (acl.network_acl_id, egress, n if peer.subnet_id is None else ctx.address_class(peer))
        got = self._acl.get(key)
        if got is not None:
            return got
        remaining, allowed, unknown = ALL, NONE, NONE
        for entry in ctx.entries(acl, egress):
            rng = cidr_range(entry.cidr)
            if rng is None:
                continue
            if n is None and rng[2] != 0:
                unknown = remaining
                break
            if n is not None and not rng[0] <= n <= rng[1]:
                continue
            covered = remaining & rule_connections(
                entry.protocol, entry.from_port, entry.to_port,
                icmp_type=entry.icmp_type, icmp_code=entry.icmp_code,
            )  # fmt: skip
            if entry.action is NaclAction.ALLOW:
                allowed |= covered
            remaining -= covered
        got = self._acl[key] = (allowed, unknown)
        return got

    def pair(self, src: AwsEndpoint, dst: AwsEndpoint) -> Pair:
        """The connections from ``src`` to ``dst`` that every AWS layer passes,
        and those some layer could not judge (none of them decided)."""
        ctx = self.ctx
        if not ctx.has_vpc_data:
            return ALL, NONE
        if ctx.same_node(src, dst) is not None:
            return ALL, NONE
        key = (ctx.class_key(src), ctx.class_key(dst), ctx.snat_node(src, dst))
        got = self._pairs.get(key)
        if got is not None:
            return got
        eff = ctx.effective_source(src, dst)
        route, via = ctx.route(eff, dst)
        parts: list[Pair] = [
            self.sg(eff, dst, ingress=False),
            (ALL, NONE) if route.allowed else (NONE, ALL if route.allowed is None else NONE),
            self._forward(eff, dst, via, egress=True),
            self._forward(eff, dst, via, egress=False),
        ]
        kind = via[0] if via is not None else None
        outside = kind in ("igw", "nat", "vpce") or dst.outside or dst.kind is AwsEndpointKind.S3
        parts.append((ALL, NONE) if outside else self.sg(dst, eff, ingress=True))
        ret_a, ret_u = NONE, NONE
        for number, name in _NAMES.items():
            v = ctx.return_acls(src, eff, dst, number, 0, via)
            if v.allowed:
                ret_a |= ConnectionSet.protocol(name)
            elif v.allowed is None:
                ret_u |= ConnectionSet.protocol(name)
        parts.append((ret_a, ret_u))
        allowed, possible = ALL, ALL
        for a, u in parts:
            allowed &= a
            possible &= a | u
        got = self._pairs[key] = (allowed, possible - allowed)
        return got

    def _forward(
        self, src: AwsEndpoint, dst: AwsEndpoint, via: tuple[str, str | None] | None, *,
        egress: bool,
    ) -> Pair:  # fmt: skip
        step = self.ctx.forward_plan(src, dst, via)[0 if egress else 1]
        if len(step) == 2:
            return (ALL, NONE) if step[0] else (NONE, ALL if step[0] is None else NONE)
        subnet_id, out, peer, _ = step
        return self.acl(subnet_id, egress=out, peer=peer)


@dataclass(frozen=True, slots=True)
class AwsClusterMatrix:
    """The cluster's connectivity with the AWS layer: ``allowed`` holds what every
    layer passes, ``unknown`` what policy allows but some AWS layer could not
    judge (the input lacks its data)."""

    allowed: Matrix
    unknown: Matrix


def cluster_matrix(
    ctx: VpcModel, model: NetModel, by: Granularity = Granularity.WORKLOAD
) -> AwsClusterMatrix:
    """Every pair of groups (workloads or namespaces) with the connections some
    pod of one may open to some pod of the other, through policy and AWS."""
    if by is Granularity.POD:
        raise ValueError(
            "the cluster matrix with the AWS layer is computed by workload or namespace"
        )
    aws = AwsConnections(ctx)
    pods = {p.key: p for p in ctx.platform.pods}
    names = sorted({group_of(ep, by) for ep in model.endpoints.values()})
    gid = {g: i for i, g in enumerate(names)}
    # combined classes: (policy class, VPC class) with their groups and nodes
    vreps: list[AwsEndpoint] = []
    vindex: dict[object, int] = {}
    combo_groups: dict[tuple[int, int], dict[int, int]] = {}
    by_node: dict[str, list[tuple[int, int, bool]]] = {}
    for key, ep in model.endpoints.items():
        pod = pods.get(key)
        c = model.class_of.get(key)
        if pod is None or c is None:
            continue
        src = ctx.place_pod(pod)
        vkey = ctx.class_key(src)  # pod to pod stays in the VPC: no SNAT
        v = vindex.get(vkey)
        if v is None:
            v = vindex[vkey] = len(vreps)
            vreps.append(src)
        g = gid[group_of(ep, by)]
        counts = combo_groups.setdefault((c, v), {})
        counts[g] = counts.get(g, 0) + 1
        if src.node is not None and ep.kind is EndpointKind.POD:
            local = not src.branch or not ctx.strict
            by_node.setdefault(src.node, []).append((c, g, local))
    classes_of_v: dict[int, int] = {}
    for c, v in combo_groups:
        classes_of_v[v] = classes_of_v.get(v, 0) | (1 << c)
    rows = model.class_rows()
    allowed_cells: dict[tuple[int, int], ConnectionSet] = {}
    unknown_cells: dict[tuple[int, int], ConnectionSet] = {}
    pair_cache: dict[tuple[int, int], tuple[int, int]] = {}
    for (c1, v1), groups1 in combo_groups.items():
        merged: dict[tuple[int, int, int], int] = {}
        for cid, bits in rows[c1].items():
            for v2, members in classes_of_v.items():
                b = bits & members
                if not b:
                    continue
                ids = pair_cache.get((v1, v2))
                if ids is None:
                    a, u = aws.pair(vreps[v1], vreps[v2])
                    ids = pair_cache[(v1, v2)] = (model._intern(a), model._intern(u))
                both = model.combine(cid, ids[0])
                maybe = model.combine(cid, ids[1])
                if both:
                    merged[(0, v2, both)] = merged.get((0, v2, both), 0) | b
                if maybe:
                    merged[(1, v2, maybe)] = merged.get((1, v2, maybe), 0) | b
        for (kind, v2, cid), bits in merged.items():
            cells = unknown_cells if kind else allowed_cells
            conns = model.conns(cid)
            for c2 in bit_indices(bits):
                groups2 = combo_groups.get((c2, v2))
                if groups2 is None:
                    continue
                for g1, n1 in groups1.items():
                    for g2 in groups2:
                        if (c1, v1) == (c2, v2) and g1 == g2 and n1 < 2:
                            continue  # a pod's flow to itself is not in the matrix
                        cell = cells.get((g1, g2))
                        cells[(g1, g2)] = conns if cell is None else cell | conns
    # pods on one node never leave it: their policy connections pass as they are
    for on_node in by_node.values():
        for i, (c1, g1, local1) in enumerate(on_node):
            if not local1:
                continue
            row = rows[c1]
            for j, (c2, g2, local2) in enumerate(on_node):
                if i == j or not local2:
                    continue
                bit = 1 << c2
                cid = next((k for k, bits in row.items() if bits & bit), 0)
                if cid:
                    conns = model.conns(cid)
                    cell = allowed_cells.get((g1, g2))
                    allowed_cells[(g1, g2)] = conns if cell is None else cell | conns
    for cell_key, conns in list(unknown_cells.items()):
        rest = conns - allowed_cells.get(cell_key, NONE)
        if rest:
            unknown_cells[cell_key] = rest
        else:
            del unknown_cells[cell_key]
    endpoints = tuple(names)

    def as_matrix(cells: dict[tuple[int, int], ConnectionSet]) -> Matrix:
        flows = [Flow(names[a], names[b], conns) for (a, b), conns in sorted(cells.items())]
        return Matrix.of_flows(by, endpoints, flows)

    return AwsClusterMatrix(as_matrix(allowed_cells), as_matrix(unknown_cells))


def pod_pair(ctx: VpcModel, src: Endpoint, dst: Endpoint) -> Pair:
    """The AWS connections between two of the net engine's pod endpoints."""
    pods = {p.key: p for p in ctx.platform.pods}
    a = pods.get(src.name)
    b = pods.get(dst.name)
    if a is None or b is None:
        raise ValueError("pod_pair takes two pods")
    return AwsConnections(ctx).pair(ctx.place_pod(a), ctx.place_pod(b))
