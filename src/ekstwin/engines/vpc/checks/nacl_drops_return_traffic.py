"""VPC005."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.net import Endpoint
from ekstwin.engines.vpc.endpoints import AwsEndpoint
from ekstwin.engines.vpc.flows import (
    EgressDecisions,
    flow_name,
    layer_text,
    pod_groups,
    service_flows,
    where,
)
from ekstwin.engines.vpc.layers import Layer, LayerVerdict
from ekstwin.engines.vpc.matrix import aws_destinations
from ekstwin.engines.vpc.model import INTERNET_ADDRESS, VpcModel
from ekstwin.engines.vpc.whole import net_endpoint
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

#: The port a node or pod calls the internet on in the flows judged here.
HTTPS = 443
#: The boundary a reply is dropped at, as the nacl-return layer words it.
_BOUNDARY = re.compile(r"(subnet-[0-9A-Za-z]+): (acl-[0-9A-Za-z]+) (outbound|inbound)")
_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class _Flow:
    src: AwsEndpoint
    dst: AwsEndpoint
    protocol: str
    port: int
    what: str


@dataclass(slots=True)
class _Drops:
    subnet_id: str
    flows: list[tuple[_Flow, LayerVerdict]] = field(default_factory=list)


def _flows(platform: Platform, ctx: CheckContext, vm: VpcModel) -> Iterator[_Flow]:
    """The flows some AWS layer denies (the unworded verdict, cached per class),
    among: nodes calling the internet on 443; pods calling it when their
    policies allow; pods calling AWS interfaces on their ports when their
    policies allow; pods calling Services' backends. The AWS verdict is asked
    first, per VPC class: the policies only for what AWS denies."""
    net = ctx.models(platform).net
    decisions = EgressDecisions(net)
    internet = vm.address_endpoint(INTERNET_ADDRESS, "internet")

    def denied(src: AwsEndpoint, dst: AwsEndpoint, protocol: str, port: int) -> bool:
        """Only the replies are dropped: every forward layer passes (per class)."""
        if vm.aws_allowed(src, dst, protocol, port) is not False:
            return False
        return _return_only(vm.aws_layers(src, dst, protocol, port, worded=False)) is not None

    seen: set[object] = set()
    for node in sorted(platform.nodes, key=lambda n: n.name):
        ep = vm.node_endpoint(node.name)
        key = vm.class_key(ep)
        if key not in seen:
            seen.add(key)
            if denied(ep, internet, "TCP", HTTPS):
                yield _Flow(ep, internet, "TCP", HTTPS, "a node calling the internet (HTTPS)")
    targets: list[tuple[AwsEndpoint, Endpoint, tuple[int, ...], str]] = [
        (internet, net.address_endpoint(INTERNET_ADDRESS), (HTTPS,), "the internet")
    ]
    targets += [(d, net_endpoint(net, d), d.ports, d.name) for d in aws_destinations(vm)]
    by_class: dict[tuple[object, ...], bool] = {}
    for g in pod_groups(platform, ctx):
        for ti, (dst, net_dst, ports, name) in enumerate(targets):
            for port in ports:
                key = (g.aws_key, ti, port)
                drop = by_class.get(key)
                if drop is None:
                    drop = by_class[key] = denied(g.aws, dst, "TCP", port)
                if drop and decisions.allows(g.net, net_dst, "TCP", port, explicit=False):
                    what = (
                        "a pod calling the internet (HTTPS)" if ti == 0 else f"a pod calling {name}"
                    )
                    yield _Flow(g.aws, dst, "TCP", port, what)
    for f in service_flows(platform, ctx, denied):
        yield _Flow(f.src, f.dst, f.protocol, f.port, f"a pod calling {f.what}")


def _return_only(layers: tuple[LayerVerdict, ...]) -> LayerVerdict | None:
    """The nacl-return layer when it alone denies (every forward layer passes)."""
    ret = next(v for v in layers if v.layer is Layer.NACL_RETURN)
    if ret.allowed is not False:
        return None
    if not all(v.allowed is True for v in layers if v.layer is not Layer.NACL_RETURN):
        return None
    return ret


def _implied(ep: AwsEndpoint) -> bool:
    return ep.source is not None and ep.source.implied


class NaclDropsReturnTraffic(Check):
    """
    ## What it does
    Judges, with the vpc engine, the flows the cluster makes across a subnet
    boundary and finds the network ACLs that pass a flow on its way out but
    drop its replies (`nacl-return` denied while every forward layer
    passes). The flows: each kind of node calling the internet on HTTPS
    (image pulls, AWS APIs); pods calling the internet on HTTPS and AWS
    network interfaces (RDS, ElastiCache, EFS, interface endpoints) on their
    ports when their NetworkPolicies allow it; pods calling Services' backends
    in other subnets. One finding per ACL and direction, with example flows.

    Replies go to the caller's ephemeral port: Linux's 32768-60999 for pods
    and nodes, 1024-65535 for traffic the VPC CNI translates with random
    ports and for replies to AWS services and the internet (see docs/net.md,
    the AWS layer). A reply range that is only partly allowed is dropped: the
    connection fails whenever the kernel picks a port in the gap. An ACL that
    cannot be judged (a subnet with no ACL known) gives no finding.

    ## Why is this bad?
    Network ACLs are stateless: the reply of an allowed connection needs its
    own allow, outbound from the destination's subnet and inbound into the
    caller's. Without the ephemeral range the connection is opened, the SYN
    arrives, and the SYN-ACK is dropped: calls hang until they time out,
    while security groups, routes and NetworkPolicies all say "allowed".

    ## Example
    ```json
    {"network_acl_id": "acl-batch", "entries": [
      {"rule_number": 100, "egress": false, "action": "allow", "protocol": "tcp",
       "cidr": "0.0.0.0/0", "from_port": 443, "to_port": 443}]}
    ```

    ## Fix
    Add an allow entry for the ephemeral ports (TCP and UDP 1024-65535, the
    range AWS documents) in the direction named, from the peers the replies
    come from. When a deny entry drops them on purpose (a guard rail), keep
    it and number the new allow below it only for the peers the cluster needs.

    ## References
    - Amazon VPC User Guide: Control subnet traffic with network access control lists
    - Amazon VPC User Guide: Ephemeral ports (network ACLs)
    - Linux kernel documentation: ip-sysctl, ip_local_port_range
    """

    id = "VPC005"
    slug = "nacl-drops-return-traffic"
    title = "Network ACL drops the replies of flows the cluster makes"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        vm = ctx.models(platform).vpc
        if not vm.has_vpc_data:
            return
        drops: dict[tuple[str, str], _Drops] = {}
        for flow in _flows(platform, ctx, vm):
            layers = vm.aws_layers(flow.src, flow.dst, flow.protocol, flow.port, worded=False)
            ret = _return_only(layers)
            if ret is None:
                continue
            m = _BOUNDARY.search(ret.decided_by)
            subnet, acl, direction = m.groups() if m else ("?", "?", ret.decided_by)
            got = drops.setdefault((acl, direction), _Drops(subnet))
            got.flows.append((flow, ret))
        for (acl, direction), got in sorted(drops.items()):
            yield self._finding(vm, acl, direction, got)

    def _finding(self, vm: VpcModel, acl: str, direction: str, got: _Drops) -> Finding:
        v = _return(vm, got.flows[0][0])
        evidence: list[str] = []
        # the input's own pods first: an implied pod (CoreDNS) is nobody's to fix
        flows = sorted(got.flows, key=lambda fr: _implied(fr[0].src))
        shown = flows[:_EXAMPLES]
        for flow, _ in shown:
            ret = _return(vm, flow)
            evidence.append(
                f"{flow_name(flow.protocol, flow.port)} {flow.src.name} -> {flow.dst.name} "
                f"({flow.what}): every forward layer passes"
            )
            evidence.append(layer_text(ret))
        if len(got.flows) > len(shown):
            evidence.append(f"{len(got.flows)} kind(s) of flow lose their replies in all")
        way = "into" if direction == "inbound" else "out of"
        return self.finding(
            ObjectRef("NetworkAcl", acl),
            f"network ACL {acl} ({direction}, subnet {got.subnet_id}) drops the replies of "
            f"{len(got.flows)} kind(s) of flow the cluster makes: nacl-return decides "
            f"({v.decided_by}){where(v)}",
            v.source,
            evidence=evidence,
            fix=f"add an {direction} allow entry to {acl} for TCP and UDP 1024-65535 (the "
            f"ephemeral ports replies come back on) {way} {got.subnet_id} for the peers "
            "listed; keep any deny entry a guard rail needs and number the allow below it "
            "only for those peers",
            key=f"{acl}:{direction}",
        )


def _return(vm: VpcModel, flow: _Flow) -> LayerVerdict:
    """The nacl-return layer of ``flow`` in its own words (the run judged it unworded)."""
    layers = vm.aws_layers(flow.src, flow.dst, flow.protocol, flow.port)
    return next(v for v in layers if v.layer is Layer.NACL_RETURN)
