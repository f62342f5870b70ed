"""The flows a cluster makes, as the vpc checks judge them.

A check asks about flows that matter, not about every pod pair: pods calling
Services (each backend at its target port, when the pods' NetworkPolicies
allow it), and pods or nodes calling out (the internet, AWS network
interfaces). Pods are grouped by what decides their answers (their policy
class in the net engine and their class in the VPC model), so each kind of
flow is judged once, with one pod of each group standing for the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ekstwin.engines.checks import CheckContext
from ekstwin.engines.net import Endpoint, NetModel, Reason, service_backends
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

    @property
    def pod(self) -> Pod:
        return self.members[0]


def pod_groups(platform: Platform, ctx: CheckContext) -> list[PodGroup]:
    """Every pod of the input (hostNetwork pods are their node: left out) in
    groups of one policy class and one VPC class (and one SNAT node)."""
    models = ctx.models(platform)
    net, vm = models.net, models.vpc
    groups: dict[tuple[object, ...], list[Pod]] = {}
    firsts: dict[tuple[object, ...], tuple[Endpoint, AwsEndpoint]] = {}
    for pod in sorted(platform.pods, key=lambda p: p.key):
        ep = net.endpoints.get(pod.key)
        if ep is None or pod.spec.host_network:
            continue
        placed = vm.place_pod(pod)
        key = (
            net.class_of.get(pod.key),
            vm.class_key(placed),
            placed.node if placed.snat else None,
        )
        groups.setdefault(key, []).append(pod)
        firsts.setdefault(key, (ep, placed))
    return [PodGroup(tuple(m), *firsts[k]) for k, m in groups.items()]


def policy_allows(
    net: NetModel, src: Endpoint, dst: Endpoint, protocol: str, port: int, *, explicit: bool
) -> bool:
    """Does ``src``'s egress policy allow the flow (``explicit``: a policy rule
    allows it, not the absence of any policy)?"""
    d = net.decide(Direction.EGRESS, src, dst, protocol, port)
    return d.allowed and (not explicit or d.reason not in NOT_A_POLICY_ALLOW)


@dataclass(frozen=True, slots=True)
class PodFlow:
    """One pod calling another (a Service's backend at its target port)."""

    src: AwsEndpoint
    dst: AwsEndpoint
    protocol: str
    port: int
    what: str  # "Service kube-system/kube-dns port 53"


def service_flows(platform: Platform, ctx: CheckContext) -> Iterator[PodFlow]:
    """Pods calling Services: for each Service port, each backend at its target
    port from one pod of every group whose NetworkPolicies (both ends) allow
    it, preferring a pod on another node than the backend's. One flow per
    (source class, backend class, protocol, port)."""
    models = ctx.models(platform)
    net, vm = models.net, models.vpc
    groups = pod_groups(platform, ctx)
    pods = {p.key: p for p in platform.pods}
    seen: set[tuple[object, ...]] = set()
    for svc in sorted(platform.services, key=lambda s: (s.meta.namespace or "", s.meta.name)):
        name = f"{svc.meta.namespace}/{svc.meta.name}"
        for sp in svc.ports:
            proto = sp.protocol.value
            backends, _ = service_backends(net, svc, sp.port, proto)
            for backend, target in backends:
                pod = pods.get(backend.name)
                if pod is None or pod.spec.host_network:
                    continue
                dst = vm.place_pod(pod)
                for g in groups:
                    key = (
                        vm.class_key(g.aws), vm.class_key(dst), g.net.name,
                        net.class_of.get(backend.name), proto, target,
                    )  # fmt: skip
                    if key in seen:
                        continue
                    src = next(
                        (vm.place_pod(m) for m in g.members if vm.place_pod(m).node != dst.node),
                        None,
                    )
                    if src is None or src.name == dst.name:
                        continue
                    seen.add(key)
                    if not net.verdict(g.net, backend, proto, target).allowed:
                        continue
                    yield PodFlow(src, dst, proto, target, f"Service {name} port {sp.port}")


def vpc_ready(vm: VpcModel) -> bool:
    """Is there VPC network data to judge with (else every AWS layer is not judged)?"""
    return vm.has_vpc_data
