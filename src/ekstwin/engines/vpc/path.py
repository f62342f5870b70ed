"""``net path``: a flow hop by hop, each hop with its decision, its source and a
short explanation code, and the first hop that drops it (in the manner of VPC
Reachability Analyzer's explanations, extended to the cluster's layers)."""

from __future__ import annotations

from dataclasses import dataclass

from ekstwin.engines.net import Verdict
from ekstwin.engines.vpc.endpoints import AwsEndpoint, Placement
from ekstwin.engines.vpc.layers import Layer, LayerVerdict
from ekstwin.engines.vpc.model import NOT_JUDGED, VpcModel
from ekstwin.engines.vpc.whole import FlowAnswer, PathVerdict


@dataclass(frozen=True, slots=True)
class Hop:
    """One component on the way: what it is, the layer it enforces, its answer."""

    index: int
    component: str
    layer: Layer
    allowed: bool | None
    code: str
    explanation: str
    source: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "hop": self.index,
            "component": self.component,
            "layer": self.layer.value,
            "allowed": self.allowed,
            "code": self.code,
            "explanation": self.explanation,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class NetPath:
    source: str
    destination: str
    protocol: str
    port: int
    allowed: bool | None
    hops: tuple[Hop, ...]

    @property
    def first_drop(self) -> Hop | None:
        return next((h for h in self.hops if h.allowed is False), None)

    def to_json(self) -> dict[str, object]:
        drop = self.first_drop
        return {
            "from": self.source,
            "to": self.destination,
            "protocol": self.protocol,
            "port": self.port,
            "allowed": self.allowed,
            "first_drop": None if drop is None else drop.index,
            "hops": [h.to_json() for h in self.hops],
        }


def _code(v: LayerVerdict) -> str:
    """A short, stable explanation code: the layer and what it did."""
    if v.decided_by == NOT_JUDGED:
        return "not-judged"
    if v.allowed is None:
        return f"{v.layer.value}-unknown"
    text = v.decided_by
    if v.layer is Layer.ROUTE and not v.allowed:
        if "blackhole" in text:
            return "route-blackhole"
        if "no public" in text:
            return "route-no-public-address"
        if "NAT gateway's subnet" in text:
            return "route-nat-without-internet-gateway"
        return "route-none"
    if text.startswith("same node"):
        return "same-node"
    if text.startswith("same subnet"):
        return "same-subnet"
    if v.layer in (Layer.SECURITY_GROUP_EGRESS, Layer.SECURITY_GROUP_INGRESS) and not v.allowed:
        return f"{v.layer.value}-no-matching-rule"
    if v.layer in (Layer.NACL_INBOUND, Layer.NACL_OUTBOUND, Layer.NACL_RETURN) and not v.allowed:
        return f"{v.layer.value}-denied" if "allows only" not in text else f"{v.layer.value}-gap"
    return f"{v.layer.value}-{'allowed' if v.allowed else 'denied'}"


def _eni(ep: AwsEndpoint) -> str:
    groups = "unknown groups" if ep.group_ids is None else ", ".join(ep.group_ids) or "no group"
    if ep.placement is Placement.BRANCH_ENI:
        where = f"branch ENI of {ep.name}"
    elif ep.eni_id:
        where = ep.eni_id
    elif ep.outside or not ep.has_groups:
        return ep.name
    else:
        where = f"the ENI of {ep.name}"
    return f"{where} [{groups}]"


def _acl(ctx: VpcModel, subnet: str | None) -> str:
    if subnet is None:
        return "network ACL of an unknown subnet"
    acl = ctx.network_acl(subnet)
    return f"{acl.network_acl_id if acl is not None else 'unknown ACL'} ({subnet})"


def _inbound(ctx: VpcModel, eff: AwsEndpoint, dst: AwsEndpoint) -> str:
    """Where the flow enters a subnet: the destination's, or the NAT gateway's."""
    _, via = ctx.route(eff, dst)
    if via is not None and via[0] == "nat":
        nat = ctx.nat_by_id.get(via[1] or "")
        if nat is not None:
            return f"{_acl(ctx, nat.subnet_id)}, the subnet of {nat.nat_gateway_id}"
    if dst.outside or (via is not None and via[0] in ("igw", "vpce")):
        return dst.name
    return _acl(ctx, dst.subnet_id)


def net_path(
    ctx: VpcModel, path: PathVerdict, *, source: str, destination: str, protocol: str, port: int
) -> NetPath:
    """The hops of one judged flow (``path`` from :func:`whole_path`)."""
    src, dst = path.src, path.dst
    eff = ctx.effective_source(src, dst) if src is not None and dst is not None else None
    components: dict[Layer, str] = {
        Layer.NETWORKPOLICY_EGRESS: f"{source}: egress policy",
        Layer.NETWORKPOLICY_INGRESS: f"{destination}: ingress policy",
        Layer.MESH: f"{destination}: mesh (sidecar)",
    }
    if eff is not None and dst is not None:
        table = ctx.route_table(eff.subnet_id) if eff.subnet_id else None
        components |= {
            Layer.SECURITY_GROUP_EGRESS: _eni(eff),
            Layer.NACL_OUTBOUND: _acl(ctx, eff.subnet_id) if not eff.outside else eff.name,
            Layer.ROUTE: table.table.route_table_id + f" ({eff.subnet_id})"
            if table is not None
            else "route table of an unknown subnet",
            Layer.NACL_INBOUND: _inbound(ctx, eff, dst),
            Layer.SECURITY_GROUP_INGRESS: _eni(dst),
            Layer.NACL_RETURN: "the reply through the network ACLs",
        }
    hops = tuple(
        Hop(
            i + 1, components.get(v.layer, v.layer.value), v.layer, v.allowed, _code(v),
            v.decided_by, None if v.source is None else f"{v.source.file}:{v.source.line}",
        )
        for i, v in enumerate(path.layers)
    )  # fmt: skip
    return NetPath(source, destination, protocol, port, path.allowed, hops)


@dataclass(frozen=True, slots=True)
class PathAnswer:
    """What ``ekstwin net path`` answers: the hops of each verdict of the flow (one,
    or one per backend of a Service). ``to_json`` is the command's JSON
    (``ekstwin/schemas/net-path.schema.json``): the path, or a list of them."""

    paths: tuple[NetPath, ...]

    @property
    def allowed(self) -> bool | None:
        """Some path gets through; else unknown when one could not be judged; else not."""
        got = [p.allowed for p in self.paths]
        if True in got:
            return True
        return None if None in got else False

    def to_json(self) -> dict[str, object] | list[dict[str, object]]:
        docs = [p.to_json() for p in self.paths]
        return docs[0] if len(docs) == 1 else docs


def path_answer(ctx: VpcModel, flow: FlowAnswer) -> PathAnswer:
    """``net path`` of a flow :func:`ekstwin.engines.vpc.whole.explain_flow` judged."""
    verdicts = (v if isinstance(v, Verdict) else v.network for v in flow.verdicts)
    return PathAnswer(
        tuple(
            net_path(
                ctx, p, source=v.source, destination=v.destination, protocol=v.protocol,
                port=v.port,
            )
            for v, p in zip(verdicts, flow.paths, strict=True)
        )
    )  # fmt: skip
