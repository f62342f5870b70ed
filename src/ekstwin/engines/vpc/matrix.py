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

from ekstwin.engines.net import Endpoint, EndpointKind, NetModel, Verdict
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


@dataclass(slots=True)
class _Tally:
    total: int = 0
    allowed: int = 0
    unknown: int = 0
    #: the first pod not allowed: its cached policy judgement, where it sits,
    #: the destination, its name, its verdict
    first: tuple[_Cached, AwsEndpoint | None, AwsEndpoint, int, str, bool | None] | None = None

    def why(self, ctx: VpcModel) -> LayerVerdict | None:
        """The layer that stops the first pod not allowed, worded for that pod."""
        if self.first is None:
            return None
        got_e, src, dst, port, pod_name, verdict = self.first
        layers = renamed((got_e[0],), {got_e[1]: pod_name})
        if src is not None:
            layers = (*layers, *ctx.aws_layers(src, dst, "TCP", port))
        return next((v for v in layers if v.allowed is verdict), None)


def aws_matrix(
    ctx: VpcModel, model: NetModel, by: Granularity = Granularity.WORKLOAD, *, aws: bool = True
) -> AwsMatrix:
    """Every group of pods against every AWS interface on its ports. Only the
    flows some pod may open (allowed, partial or unknown) are listed."""
    dests = aws_destinations(ctx)
    net_dests: list[Endpoint] = [net_endpoint(model, d) for d in dests]
    cluster_vpc = ctx.cluster.vpc_id if ctx.cluster is not None else None
    needs_node = any(d.vpc_id is None or d.vpc_id != cluster_vpc for d in dests)
    combos: dict[tuple[object, ...], _Combo] = {}
    names: set[str] = set()
    pods = {p.key: p for p in ctx.platform.pods}
    for key in sorted(model.endpoints):
        ep = model.endpoints[key]
        pod = pods.get(key)
        if pod is None:
            continue
        group = group_of(ep, by)
        names.add(group)
        src = ctx.place_pod(pod)
        ckey = (
            group,
            model.class_of.get(key),
            ep.kind is EndpointKind.HOST,
            ctx.class_key(src),
            src.node if needs_node and src.snat else None,
        )
        got = combos.get(ckey)
        if got is None:
            combos[ckey] = _Combo(ep, src)
        else:
            got.count += 1
    tallies: dict[tuple[str, int, int], _Tally] = {}
    judged = aws and ctx.has_vpc_data
    # what policy sees of a destination address: the CIDRs and network sets holding it
    cidrs = model._cidrs()
    buckets = [
        (
            tuple(i for i, c in enumerate(cidrs) if c.contains(d.ip)),
            tuple(id(x) for x in model.ctx.sets_containing(d.ip)),
        )
        for d in net_dests
    ]
    egress_cache: dict[tuple[object, ...], tuple[LayerVerdict, str]] = {}
    sides: dict[int, tuple[object, ...]] = {}
    for combo_key, combo in combos.items():
        group = str(combo_key[0])
        ep, src = combo.ep, combo.src
        ci = model.class_of.get(ep.name)
        side = sides.get(ci) if ci is not None else None
        if side is None:
            side = _side_ident(ep, Direction.EGRESS, model.applicable(ep, Direction.EGRESS))
            side = (ep.kind, side)
            if ci is not None:
                sides[ci] = side
        for di, dst in enumerate(dests):
            unknown_dst = dst.name if dst.address is None else None
            for port in dst.ports:
                ekey = (side, buckets[di], port, unknown_dst is None)
                got_e = egress_cache.get(ekey)
                if got_e is None:
                    decision = model.decide(Direction.EGRESS, ep, net_dests[di], "TCP", port)
                    v = Verdict(ep.name, dst.name, "TCP", port, decision.allowed, decision,
                                decision)  # fmt: skip
                    egress_v = cluster_layers(v, unknown_destination=unknown_dst)[0]
                    got_e = egress_cache[ekey] = (egress_v, ep.name)
                verdict = got_e[0].allowed
                if judged and verdict is not False:
                    aws_verdict = ctx.aws_allowed(src, dst, "TCP", port)
                    if aws_verdict is False:
                        verdict = False
                    elif aws_verdict is None:
                        verdict = None
                t = tallies.get((group, di, port))
                if t is None:
                    t = tallies[(group, di, port)] = _Tally()
                t.total += combo.count
                if verdict is True:
                    t.allowed += combo.count
                    continue
                if verdict is None:
                    t.unknown += combo.count
                if t.first is None:
                    t.first = (got_e, src if judged else None, dst, port, ep.name, verdict)
    flows = [
        AwsFlow(group, dests[di].name, "TCP", port, t.total, t.allowed, t.unknown, t.why(ctx))
        for (group, di, port), t in sorted(
            tallies.items(), key=lambda kv: (kv[0][0], dests[kv[0][1]].name, kv[0][2])
        )
        if t.allowed or t.unknown
    ]
    return AwsMatrix(by, tuple(sorted(names)), dests, tuple(flows))
