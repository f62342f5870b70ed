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

from collections.abc import Iterable
from dataclasses import dataclass

from ekstwin.engines.net import ConnectionSet, Endpoint, EndpointKind, NetModel
from ekstwin.engines.net.matrix import Granularity, Matrix, Row, group_of, matrix
from ekstwin.engines.vpc.endpoints import AwsEndpoint, AwsEndpointKind
from ekstwin.engines.vpc.model import VpcModel, _Step
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


def union_all(sets: list[ConnectionSet]) -> ConnectionSet:
    """The union of many connection sets, merged once."""
    if not sets:
        return NONE
    if len(sets) == 1:
        return sets[0]
    merged: dict[str, Iterable[tuple[int, int]]] = {}
    for c in sets:
        if c.is_all:
            return ALL
        for proto, intervals in c.parts:
            got = merged.setdefault(proto, [])
            assert isinstance(got, list)
            got.extend(intervals)
    return ConnectionSet.of(merged)


class AwsConnections:
    """Per pair of VPC classes, the connections AWS passes (and those it could
    not judge), cached by what they depend on."""

    def __init__(self, ctx: VpcModel) -> None:
        self.ctx = ctx
        self._sg: dict[tuple[object, ...], Pair] = {}
        self._acl: dict[tuple[object, ...], Pair] = {}
        self._pairs: dict[tuple[object, ...], Pair] = {}
        self._rules: dict[int, ConnectionSet] = {}

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
        allowed: list[ConnectionSet] = []
        unknown: list[ConnectionSet] = []
        for gid in subject.group_ids:
            group = ctx.aws.security_group(gid)
            if group is None:
                unknown.append(ALL)
                continue
            for rule in group.ingress if ingress else group.egress:
                hit = ctx.rule_matches(rule, group.vpc_id or subject.vpc_id, peer)
                if hit is False:
                    continue
                conns = self._rules.get(id(rule))
                if conns is None:
                    conns = self._rules[id(rule)] = rule_connections(
                        rule.protocol, rule.from_port, rule.to_port
                    )
                (allowed if hit else unknown).append(conns)
        a = union_all(allowed)
        got = self._sg[key] = (a, union_all(unknown) - a)
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
            *(self._forward(step) for step in ctx.forward_plan(eff, dst, via)),
        ]
        kind = via[0] if via is not None else None
        outside = kind in ("igw", "nat", "vpce") or dst.outside or dst.kind is AwsEndpointKind.S3
        parts.append((ALL, NONE) if outside else self.sg(dst, eff, ingress=True))
        ret_a, ret_u = NONE, NONE
        for number, name in _NAMES.items():
            ok = ctx.return_allowed(src, eff, dst, number, via)
            if ok:
                ret_a |= ConnectionSet.protocol(name)
            elif ok is None:
                ret_u |= ConnectionSet.protocol(name)
        parts.append((ret_a, ret_u))
        allowed, possible = ALL, ALL
        for a, u in parts:
            allowed &= a
            possible &= a | u
        got = self._pairs[key] = (allowed, possible - allowed)
        return got

    def _forward(self, step: _Step) -> Pair:
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
    pod of one may open to some pod of the other, through policy and AWS.

    It starts from the net engine's matrix at the same granularity. A group
    whose pods share one policy class gets, towards another such group, the
    policy connections cut by the union of the AWS connections over every
    pair of their VPC classes (every such pair of pods exists); pods that share
    a node keep their policy connections whole. Other pairs of groups (several
    policy classes, or a group to itself) are computed pod class by pod class.
    """
    if by is Granularity.POD:
        raise ValueError(
            "the cluster matrix with the AWS layer is computed by workload or namespace"
        )
    net = matrix(model, by)
    aws = AwsConnections(ctx)
    pods = {p.key: p for p in ctx.platform.pods}
    vreps: list[AwsEndpoint] = []
    vindex: dict[object, int] = {}
    members: dict[str, dict[tuple[int, int], int]] = {}  # group -> (class, vclass) -> count
    by_node: dict[str, list[tuple[int, str, bool]]] = {}
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
        group = group_of(ep, by)
        counts = members.setdefault(group, {})
        counts[(c, v)] = counts.get((c, v), 0) + 1
        if src.node is not None and ep.kind is EndpointKind.POD:
            by_node.setdefault(src.node, []).append((c, group, not src.branch or not ctx.strict))
    # pods on one node never leave it: the policy connections of those pairs pass whole
    local: dict[tuple[str, str], set[tuple[int, int]]] = {}
    for on_node in by_node.values():
        for i, (c1, g1, ok1) in enumerate(on_node):
            if not ok1:
                continue
            for j, (c2, g2, ok2) in enumerate(on_node):
                if i != j and ok2:
                    local.setdefault((g1, g2), set()).add((c1, c2))
    classes = {g: {c for c, _ in m} for g, m in members.items()}
    vset_ids: dict[frozenset[int], int] = {}
    vsets: dict[str, tuple[int, frozenset[int]]] = {}
    for g, m in members.items():
        vs = frozenset(v for _, v in m)
        vsets[g] = (vset_ids.setdefault(vs, len(vset_ids)), vs)
    rows = model.class_rows()
    pair_ids: dict[tuple[int, int], tuple[int, int]] = {}

    def aws_ids(v1: int, v2: int) -> tuple[int, int]:
        got = pair_ids.get((v1, v2))
        if got is None:
            a, u = aws.pair(vreps[v1], vreps[v2])
            got = pair_ids[(v1, v2)] = (model._intern(a), model._intern(u))
        return got

    def cell(c1: int, c2: int) -> int:
        bit = 1 << c2
        return next((cid for cid, bits in rows[c1].items() if bits & bit), 0)

    def union(g1: str, g2: str) -> tuple[int, int]:
        """The AWS connections over every pair of the two groups' VPC classes."""
        vs1, vs2 = vsets[g1][1], vsets[g2][1]
        ids = [aws_ids(v1, v2) for v1 in vs1 for v2 in vs2]
        a = model.union(i for i, _ in ids)
        u = model.union(j for _, j in ids)
        return a, model._intern(model.conns(u) - model.conns(a))

    interned: dict[int, int] = {}

    def exact(g1: str, g2: str, pairs: set[tuple[int, int]] | None) -> tuple[int, int]:
        """Class by class: (allowed, unknown) connection ids between two groups."""
        a_parts: list[int] = []
        u_parts: list[int] = []
        for (c1, v1), n1 in members[g1].items():
            for (c2, v2), _n2 in members[g2].items():
                if g1 == g2 and (c1, v1) == (c2, v2) and n1 < 2:
                    continue  # a pod's flow to itself is not in the matrix
                cid = cell(c1, c2)
                if not cid:
                    continue
                ai, ui = aws_ids(v1, v2)
                a_parts.append(model.combine(cid, ai))
                u_parts.append(model.combine(cid, ui))
        for c1, c2 in pairs or ():
            a_parts.append(cell(c1, c2))
        both = model.union(a_parts)
        return both, model._intern(model.conns(model.union(u_parts)) - model.conns(both))

    # per group: whether one policy class holds all its pods, and its VPC classes' id
    info = {g: (len(cs) == 1, vsets[g][0]) for g, cs in classes.items()}
    local_rows: dict[str, dict[str, set[tuple[int, int]]]] = {}
    for (a1, a2), found in local.items():
        local_rows.setdefault(a1, {})[a2] = found
    unions: dict[int, dict[int, tuple[int, int]]] = {}
    allowed_rows: list[tuple[str, Row]] = []
    unknown_rows: list[tuple[str, Row]] = []
    conns = model.conns
    combine = model.combine
    no_pairs: dict[str, set[tuple[int, int]]] = {}
    for g1, row in net.rows():
        simple1, vid1 = info[g1]
        lrow = local_rows.get(g1, no_pairs)
        urow = unions.setdefault(vid1, {})
        out_a: list[tuple[str, ConnectionSet]] = []
        out_u: list[tuple[str, ConnectionSet]] = []
        for g2, allow in row:
            pairs = lrow.get(g2)
            simple2, vid2 = info[g2]
            if simple1 and simple2 and g1 != g2:
                if pairs:
                    out_a.append((g2, allow))  # some pair shares a node: all the policy allows
                    continue
                au = urow.get(vid2)
                if au is None:
                    au = urow[vid2] = union(g1, g2)
                a, u = au
                if a == 1 and not u:
                    out_a.append((g2, allow))  # AWS passes everything between them
                    continue
                cid = interned.get(id(allow), -1)
                if cid < 0:
                    cid = interned[id(allow)] = model._intern(allow)
                both, maybe = combine(cid, a), combine(cid, u)
            else:
                both, maybe = exact(g1, g2, pairs)
            if both:
                out_a.append((g2, conns(both)))
            if maybe:
                out_u.append((g2, conns(maybe)))
        if out_a:
            allowed_rows.append((g1, tuple(out_a)))
        if out_u:
            unknown_rows.append((g1, tuple(out_u)))
    return AwsClusterMatrix(
        Matrix(by, net.endpoints, tuple(allowed_rows)),
        Matrix(by, net.endpoints, tuple(unknown_rows)),
    )


def pod_pair(ctx: VpcModel, src: Endpoint, dst: Endpoint) -> Pair:
    """The AWS connections between two of the net engine's pod endpoints."""
    pods = {p.key: p for p in ctx.platform.pods}
    a = pods.get(src.name)
    b = pods.get(dst.name)
    if a is None or b is None:
        raise ValueError("pod_pair takes two pods")
    return AwsConnections(ctx).pair(ctx.place_pod(a), ctx.place_pod(b))
