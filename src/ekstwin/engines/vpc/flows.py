"""The flows a cluster makes, as the vpc checks judge them.

A check asks about flows that matter, not about every pod pair: pods calling
Services (each backend at its target port, when the pods' NetworkPolicies
allow it), and pods or nodes calling out (the internet, AWS network
interfaces). Pods are grouped by what decides their answers (their policy
class in the net engine and their class in the VPC model), so each kind of
flow is judged once, with one pod of each group standing for the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ekstwin.engines.checks import CheckContext
from ekstwin.engines.net import Decision, Endpoint, NetModel, Reason, service_backends
from ekstwin.engines.net.engine import _side_ident
from ekstwin.engines.net.policies import Direction
from ekstwin.engines.vpc.endpoints import AwsEndpoint
from ekstwin.engines.vpc.layers import LayerVerdict
from ekstwin.engines.vpc.model import VpcModel
from ekstwin.engines.vpc.rules import PROTOCOL_NUMBERS, flow_text
from ekstwin.model.k8s import Pod
from ekstwin.model.platform import Platform

#: Egress decisions that are not a policy's allow: a pod no policy selects is
#: allowed everything, which says nothing of what its owners mean it to reach.
#: Calico's namespace profile, reached when every tier passes, allows by default too.
NOT_A_POLICY_ALLOW = (
    Reason.NO_POLICY,
    Reason.NOT_ENFORCED,
    Reason.NO_ENFORCER,
    Reason.LOOPBACK,
    Reason.PASSED,
)


def layer_text(v: LayerVerdict) -> str:
    """``security-group-ingress denied: <why> (aws.json:12)``: one layer as evidence."""
    word = {True: "allowed", False: "denied", None: "unknown"}[v.allowed]
    where = f" ({v.source})" if v.source is not None else ""
    return f"{v.layer.value} {word}: {v.decided_by}{where}"


def flow_name(protocol: str, port: int) -> str:
    """``tcp/5432`` for a protocol named as the net engine names it (``TCP``)."""
    return flow_text(PROTOCOL_NUMBERS.get(protocol.upper(), protocol), port)


def where(v: LayerVerdict) -> str:
    """`` (aws.json:12)`` or nothing."""
    return f" ({v.source})" if v.source is not None else ""


@dataclass(frozen=True, slots=True)
class PodGroup:
    """Pods that the net engine and the VPC model judge alike."""

    members: tuple[Pod, ...]
    net: Endpoint
    aws: AwsEndpoint
    #: The VPC side of the group's key: groups with one ``aws_key`` get the same
    #: AWS judgements (they differ only in their network policies).
    aws_key: tuple[object, ...]
    #: The node every member runs on, or None when they are spread (or unplaced).
    node: str | None

    @property
    def pod(self) -> Pod:
        return self.members[0]


def pod_groups(platform: Platform, ctx: CheckContext) -> list[PodGroup]:
    """The run's :func:`group_pods` (built once per ``analyze``)."""
    return ctx.models(platform).pod_groups


def group_pods(platform: Platform, net: NetModel, vm: VpcModel) -> list[PodGroup]:
    """Every pod of the input (hostNetwork pods are their node: left out) in
    groups of one policy class and one VPC class (and, for traffic the VPC CNI
    translates, one class of node: its subnet, groups and public address)."""
    node_classes: dict[str, object] = {}

    def node_class(name: str | None) -> object:
        if name is None:
            return None
        got = node_classes.get(name)
        if got is None:
            got = node_classes[name] = vm.class_key(vm.node_endpoint(name))
        return got

    groups: dict[tuple[object, ...], list[Pod]] = {}
    firsts: dict[tuple[object, ...], tuple[Endpoint, AwsEndpoint]] = {}
    nodes: dict[tuple[object, ...], set[str | None]] = {}
    for pod in sorted(platform.pods, key=lambda p: p.key):
        ep = net.endpoints.get(pod.key)
        if ep is None or pod.spec.host_network:
            continue
        placed = vm.place_pod(pod)
        key = (
            net.class_of.get(pod.key),
            vm.class_key(placed),
            node_class(placed.node) if placed.snat else None,
        )
        groups.setdefault(key, []).append(pod)
        firsts.setdefault(key, (ep, placed))
        nodes.setdefault(key, set()).add(placed.node)
    return [PodGroup(tuple(m), *firsts[k], k[1:], _only(nodes[k])) for k, m in groups.items()]


def _only(nodes: set[str | None]) -> str | None:
    return next(iter(nodes)) if len(nodes) == 1 else None


class EgressDecisions:
    """The net engine's egress decisions for pods, one per egress side (the rules
    of the policies that apply, as the pod-to-AWS matrix keys them), destination
    and port."""

    def __init__(self, net: NetModel) -> None:
        self.net = net
        self._cache: dict[tuple[object, ...], Decision] = {}
        self._sides: dict[object, tuple[object, ...]] = {}

    def side(self, src: Endpoint) -> tuple[object, ...]:
        cls = self.net.class_of.get(src.name)
        got = self._sides.get(cls) if cls is not None else None
        if got is None:
            tiers = self.net.applicable(src, Direction.EGRESS)
            got = (src.kind, _side_ident(src, Direction.EGRESS, tiers))
            if cls is not None:
                self._sides[cls] = got
        return got

    def decide(self, src: Endpoint, dst: Endpoint, protocol: str, port: int) -> Decision:
        key = (self.side(src), dst.name, dst.ip, protocol, port)
        got = self._cache.get(key)
        if got is None:
            got = self._cache[key] = self.net.decide(Direction.EGRESS, src, dst, protocol, port)
        return got

    def allows(
        self, src: Endpoint, dst: Endpoint, protocol: str, port: int, *, explicit: bool
    ) -> bool:
        """Does ``src``'s egress policy allow the flow (``explicit``: a policy rule
        allows it, not the absence of any policy)?"""
        d = self.decide(src, dst, protocol, port)
        return d.allowed and (not explicit or d.reason not in NOT_A_POLICY_ALLOW)


@dataclass(frozen=True, slots=True)
class PodFlow:
    """One pod calling another (a Service's backend at its target port)."""

    src: AwsEndpoint
    dst: AwsEndpoint
    protocol: str
    port: int
    what: str  # "Service kube-system/kube-dns port 53"


#: Which flows a check wants judged further, asked before the NetworkPolicies:
#: (source, destination, protocol, port) -> keep it.
AwsFilter = Callable[[AwsEndpoint, AwsEndpoint, str, int], bool]


def service_flows(
    platform: Platform, ctx: CheckContext, keep: AwsFilter | None = None
) -> Iterator[PodFlow]:
    """Pods calling Services: for each Service port, each kind of backend at its
    target port from one pod of every group whose NetworkPolicies (both ends)
    allow it, a pod on another node than the backend's when there is one. One
    flow per (source group, backend class, protocol, port).

    ``keep`` (the AWS side of what a check looks for, such as "some AWS layer
    denies it") is asked before the NetworkPolicies, and must answer alike for
    endpoints of one VPC class on different nodes, as
    :meth:`VpcModel.aws_allowed` does: it is asked once per VPC class of the
    callers and kind of backend, and pod by pod only where the pair shares a
    node. The cost follows the classes, not the pods, and the policies are
    judged only for the flows kept."""
    models = ctx.models(platform)
    net, vm = models.net, models.vpc
    groups = pod_groups(platform, ctx)
    buckets: dict[tuple[object, ...], list[int]] = {}
    local: dict[tuple[tuple[object, ...], str], list[int]] = {}
    for gi, g in enumerate(groups):
        buckets.setdefault(g.aws_key, []).append(gi)
        if g.node is not None:
            local.setdefault((g.aws_key, g.node), []).append(gi)
    pods = {p.key: p for p in platform.pods}
    seen: set[tuple[object, ...]] = set()
    for svc in sorted(platform.services, key=lambda s: (s.meta.namespace or "", s.meta.name)):
        name = f"{svc.meta.namespace}/{svc.meta.name}"
        for sp in svc.ports:
            proto = sp.protocol.value
            backends, _ = service_backends(net, svc, sp.port, proto)
            kinds: dict[tuple[object, object, int], list[tuple[Endpoint, AwsEndpoint]]] = {}
            for backend, target in backends:
                pod = pods.get(backend.name)
                if pod is None or pod.spec.host_network:
                    continue
                dst = vm.place_pod(pod)
                kind = (vm.class_key(dst), net.class_of.get(backend.name), target)
                kinds.setdefault(kind, []).append((backend, dst))
            for (dst_class, dst_policy, port), members in kinds.items():
                if (dst_class, dst_policy, proto, port) in seen:
                    continue
                seen.add((dst_class, dst_policy, proto, port))
                dst_nodes = {dst.node for _, dst in members}
                only = next(iter(dst_nodes)) if len(dst_nodes) == 1 else None
                kept: list[int] = []
                for aws_key, bucket in buckets.items():
                    # the groups all on the backends' only node call them on that node
                    near = local.get((aws_key, only), []) if only is not None else []
                    if keep is None:
                        kept += bucket
                        continue
                    for gi in near:
                        pair = _apart(vm, groups[gi], members)
                        if pair is not None and keep(pair[0], pair[2], proto, port):
                            kept.append(gi)
                    # the others call them off their node: one answer for them all
                    far = (
                        bucket if only is None else [gi for gi in bucket if groups[gi].node != only]
                    )
                    for gi in far:
                        pair = _apart(vm, groups[gi], members)
                        if pair is not None:
                            if keep(pair[0], pair[2], proto, port):
                                kept += far
                            break
                for gi in sorted(kept):
                    g = groups[gi]
                    pair = _apart(vm, g, members)
                    if pair is None:
                        continue
                    src, backend, dst = pair
                    if not net.verdict(g.net, backend, proto, port).allowed:
                        continue
                    yield PodFlow(src, dst, proto, port, f"Service {name} port {sp.port}")


def _apart(
    vm: VpcModel, g: PodGroup, backends: list[tuple[Endpoint, AwsEndpoint]]
) -> tuple[AwsEndpoint, Endpoint, AwsEndpoint] | None:
    """A pod of ``g`` and a backend on different nodes (else on one node, else
    None when the only pair is a pod and itself), in time linear in both."""
    nodes = {dst.node for _, dst in backends}
    first = vm.place_pod(g.pod)
    if len(nodes) > 1 or first.node not in nodes:
        backend, dst = next((b, d) for b, d in backends if d.node != first.node)
        return first, backend, dst
    (only,) = nodes
    for m in g.members:
        src = vm.place_pod(m)
        if src.node != only:
            return src, *backends[0]
    other = next(((b, d) for b, d in backends if d.name != first.name), None)
    return None if other is None else (first, *other)


def vpc_ready(vm: VpcModel) -> bool:
    """Is there VPC network data to judge with (else every AWS layer is not judged)?"""
    return vm.has_vpc_data
