"""``net matrix --to-aws``: which workloads reach which AWS network interfaces
(RDS and Aurora instances, ElastiCache clusters, EFS mount targets, interface
VPC endpoints) on their listener ports, over the whole path.

Pods are grouped by what decides their answer (their policy class in the net
engine, their class in the VPC model) and each group is judged once per
destination, so the cost follows the classes, not the pods.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ekstwin.engines.net import Endpoint, NetModel, Verdict
from ekstwin.engines.net.engine import _side_ident
from ekstwin.engines.net.matrix import Granularity, group_of
from ekstwin.engines.net.policies import Direction
from ekstwin.engines.vpc.endpoints import AwsEndpoint
from ekstwin.engines.vpc.layers import LayerVerdict
from ekstwin.engines.vpc.model import VpcModel, renamed
from ekstwin.engines.vpc.place import candidates
from ekstwin.engines.vpc.whole import cluster_layers, net_endpoint


@dataclass(frozen=True, slots=True)
class AwsFlow:
    """One source group to one AWS interface on one port.

    ``status``: ``allowed`` (every pod of the group), ``partial`` (some),
    ``unknown`` (none allowed, some could not be judged) or ``denied``.
    ``decided_by``: the layer that stops (or could not judge) the first pod
    that is not allowed."""

    source: str
    destination: str
    protocol: str
    port: int
    pods: int
    pods_allowed: int
    pods_unknown: int
    decided_by: LayerVerdict | None

    @property
    def status(self) -> str:
        if self.pods_allowed == self.pods:
            return "allowed"
        if self.pods_allowed:
            return "partial"
        return "unknown" if self.pods_unknown else "denied"

    @property
    def allowed(self) -> bool | None:
        return {"allowed": True, "denied": False}.get(self.status)

    def to_json(self) -> dict[str, object]:
        return {
            "from": self.source,
            "to": self.destination,
            "protocol": self.protocol,
            "port": self.port,
            "allowed": self.allowed,
            "status": self.status,
            "pods": self.pods,
            "pods_allowed": self.pods_allowed,
            "pods_unknown": self.pods_unknown,
            "decided_by": None if self.decided_by is None else self.decided_by.to_json(),
        }


@dataclass(frozen=True, slots=True)
class AwsMatrix:
    granularity: Granularity
    endpoints: tuple[str, ...]
    destinations: tuple[AwsEndpoint, ...]
    flows: tuple[AwsFlow, ...]

    def __iter__(self) -> Iterator[AwsFlow]:
        return iter(self.flows)

    def to_json(self) -> dict[str, object]:
        return {
            "granularity": self.granularity.value,
            "endpoints": list(self.endpoints),
            "destinations": [
                {
                    "name": d.name,
                    "kind": d.kind.value,
                    "address": d.address,
                    "subnet": d.subnet_id,
                    "security_groups": None if d.group_ids is None else list(d.group_ids),
                    "ports": list(d.ports),
                }
                for d in self.destinations
            ],
            "flows": [f.to_json() for f in self.flows],
        }


def aws_destinations(ctx: VpcModel) -> tuple[AwsEndpoint, ...]:
    """Every AWS network interface pods may call, with its listener ports."""
    aws = ctx.aws
    specs = [f"rds:{d.db_instance_id}" for d in aws.db_instances]
    specs += [f"cache:{c.cache_cluster_id}" for c in aws.cache_clusters]
    specs += [f"efs:{m.mount_target_id}" for m in aws.efs_mount_targets]
    specs += [
        f"vpce:{e.vpc_endpoint_id}"
        for e in aws.vpc_endpoints
        if e.endpoint_type.value == "Interface"
    ]
    out: list[AwsEndpoint] = []
    for spec in specs:
        out.extend(candidates(ctx, spec)[:1])
    return tuple(sorted(out, key=lambda d: d.name))


@dataclass(slots=True)
class _Combo:
    """Pods of one group that every layer judges alike: one of them, and how many."""

    ep: Endpoint
    src: AwsEndpoint
    count: int = 1


_Cached = tuple[LayerVerdict, str]
_MISSING = object()
_Vector = tuple[tuple[int, int, bool | None], ...]


class _Judge:
    """The verdicts of one kind of pod (its egress policy side, its VPC class)
    against every destination and port, computed once and shared."""

    def __init__(
        self, ctx: VpcModel, model: NetModel, dests: tuple[AwsEndpoint, ...], *, aws: bool
    ) -> None:
        self.ctx = ctx
        self.model = model
        self.dests = dests
        self.net_dests = [net_endpoint(model, d) for d in dests]
        self.judged = aws and ctx.has_vpc_data
        # what policy sees of a destination address: the CIDRs and network sets holding it
        cidrs = model._cidrs()
        self.buckets = [
            (
                tuple(i for i, c in enumerate(cidrs) if c.contains(d.ip)),
                tuple(id(x) for x in model.ctx.sets_containing(d.ip)),
            )
            for d in self.net_dests
        ]
        self.side_ids: dict[object, int] = {}
        self.sides: dict[int, int] = {}
        self.egress: dict[tuple[object, ...], _Cached] = {}
        self.aws: dict[tuple[object, ...], bool | None] = {}
        self.vectors: dict[tuple[object, ...], _Vector] = {}

    def side(self, ep: Endpoint) -> int:
        """A small id for what egress policy does to ``ep``'s class."""
        ci = self.model.class_of.get(ep.name)
        got = self.sides.get(ci) if ci is not None else None
        if got is None:
            tiers = self.model.applicable(ep, Direction.EGRESS)
            ident = (ep.kind, _side_ident(ep, Direction.EGRESS, tiers))
            got = self.side_ids.setdefault(ident, len(self.side_ids))
            if ci is not None:
                self.sides[ci] = got
        return got

    def egress_layer(self, side: int, ep: Endpoint, di: int, port: int) -> _Cached:
        dst = self.dests[di]
        unknown_dst = dst.name if dst.address is None else None
        key = (side, self.buckets[di], port, unknown_dst is None)
        got = self.egress.get(key)
        if got is None:
            decision = self.model.decide(Direction.EGRESS, ep, self.net_dests[di], "TCP", port)
            v = Verdict(ep.name, dst.name, "TCP", port, decision.allowed, decision, decision)
            layer = cluster_layers(v, unknown_destination=unknown_dst)[0]
            got = self.egress[key] = (layer, ep.name)
        return got

    def verdict(self, combo: _Combo, side: int, vclass: object, di: int, port: int) -> bool | None:
        verdict = self.egress_layer(side, combo.ep, di, port)[0].allowed
        if self.judged and verdict is not False:
            akey = (vclass, di, port)
            if akey in self.aws:
                got = self.aws[akey]
            else:
                got = self.aws[akey] = self.ctx.aws_allowed(combo.src, self.dests[di], "TCP", port)
            if got is not True:
                verdict = got
        return verdict

    def vector(self, combo: _Combo, side: int, vclass: object) -> _Vector:
        """(destination, port, verdict) for every flow this kind of pod may open."""
        key = (side, vclass)
        got = self.vectors.get(key)
        if got is None:
            out = []
            for di, dst in enumerate(self.dests):
                for port in dst.ports:
                    v = self.verdict(combo, side, vclass, di, port)
                    if v is not False:
                        out.append((di, port, v))
            got = self.vectors[key] = tuple(out)
        return got

    def why(
        self, combo: _Combo, side: int, vclass: object, di: int, port: int
    ) -> LayerVerdict | None:
        """The layer that stops ``combo``'s pods, worded for its pod."""
        verdict = self.verdict(combo, side, vclass, di, port)
        got_e = self.egress_layer(side, combo.ep, di, port)
        layers = renamed((got_e[0],), {got_e[1]: combo.ep.name})
        if self.judged:
            layers = (*layers, *self.ctx.aws_layers(combo.src, self.dests[di], "TCP", port))
        return next((v for v in layers if v.allowed is verdict), None)


def aws_matrix(
    ctx: VpcModel, model: NetModel, by: Granularity = Granularity.WORKLOAD, *, aws: bool = True
) -> AwsMatrix:
    """Every group of pods against every AWS interface on its ports. Only the
    flows some pod may open (allowed, partial or unknown) are listed."""
    dests = aws_destinations(ctx)
    judge = _Judge(ctx, model, dests, aws=aws)
    cluster_vpc = ctx.cluster.vpc_id if ctx.cluster is not None else None
    needs_node = any(d.vpc_id is None or d.vpc_id != cluster_vpc for d in dests)
    pods = {p.key: p for p in ctx.platform.pods}
    # the pods of a group that every layer judges alike, with how many
    combos: dict[tuple[str, int, object], _Combo] = {}
    totals: dict[str, int] = {}
    for key in sorted(model.endpoints):
        ep = model.endpoints[key]
        pod = pods.get(key)
        if pod is None:
            continue
        group = group_of(ep, by)
        totals[group] = totals.get(group, 0) + 1
        src = ctx.place_pod(pod)
        vclass = (ctx.class_key(src), src.node if needs_node and src.snat else None)
        ckey = (group, judge.side(ep), vclass)
        got = combos.get(ckey)
        if got is None:
            combos[ckey] = _Combo(ep, src)
        else:
            got.count += 1
    allowed: dict[tuple[str, int, int], int] = {}
    unknown: dict[tuple[str, int, int], int] = {}
    by_group: dict[str, list[tuple[int, object, _Combo]]] = {}
    for (group, side, kind), combo in combos.items():
        by_group.setdefault(group, []).append((side, kind, combo))
        for di, port, verdict in judge.vector(combo, side, kind):
            cells = allowed if verdict else unknown
            cells[(group, di, port)] = cells.get((group, di, port), 0) + combo.count
    flows = []
    for group, di, port in sorted(
        set(allowed) | set(unknown), key=lambda k: (k[0], dests[k[1]].name, k[2])
    ):
        total = totals[group]
        ok = allowed.get((group, di, port), 0)
        why = None
        if ok < total:
            for side, kind, combo in by_group[group]:
                if judge.verdict(combo, side, kind, di, port) is not True:
                    why = judge.why(combo, side, kind, di, port)
                    break
        maybe = unknown.get((group, di, port), 0)
        flows.append(AwsFlow(group, dests[di].name, "TCP", port, total, ok, maybe, why))
    return AwsMatrix(by, tuple(sorted(totals)), dests, tuple(flows))
