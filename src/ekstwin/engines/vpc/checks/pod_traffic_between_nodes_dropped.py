"""VPC003."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.vpc.endpoints import AwsEndpoint, Placement
from ekstwin.engines.vpc.flows import PodFlow, flow_name, layer_text, service_flows, where
from ekstwin.engines.vpc.layers import Layer, LayerVerdict
from ekstwin.engines.vpc.model import VpcModel
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

#: Placements whose security groups are the node's (or the ENIConfig's): the
#: groups every pod of the node shares. Branch-ENI pods carry their own.
_NODE_GROUPS = (Placement.NODE_ENI, Placement.CUSTOM_NETWORKING)
_SG_LAYERS = (Layer.SECURITY_GROUP_EGRESS, Layer.SECURITY_GROUP_INGRESS)


@dataclass(slots=True)
class _Drop:
    layer: LayerVerdict
    flows: list[tuple[PodFlow, LayerVerdict]] = field(default_factory=list)


class PodTrafficBetweenNodesDropped(Check):
    """
    ## What it does
    Judges, with the vpc engine, the pod-to-pod flows the cluster makes
    between pods on different nodes and finds those that the security groups
    of the pods' ENIs drop. The flows are the Services' (each backend at its
    target port, among them CoreDNS on UDP and TCP 53 behind `kube-dns`) from
    every pod whose NetworkPolicies (egress and the backend's ingress) allow
    the call: a flow that a policy forbids does not matter. Pods are judged
    per kind (policy class and VPC class), so a flow is judged once per pair
    of node classes (subnet and security groups), not once per pod pair.

    Only pods whose address sits on a node ENI (the node's groups, or the
    ENIConfig's with custom networking) are judged; pods with a branch ENI
    (security groups for pods) carry their own groups and are another check's.
    Two pods on one node never leave it and are never judged. A security
    group layer that cannot be judged (a group missing from the input, a node
    without an instance record) gives no finding.

    ## Why is this bad?
    With the VPC CNI a pod's address is on one of its node's ENIs, so pod
    traffic between nodes passes the source node's egress rules and the
    destination node's ingress rules. A node security group without a rule
    admitting itself (the self-reference EKS creates), or two node groups
    whose groups admit nothing of each other, break every call between pods
    on different nodes: DNS lookups time out for the pods not on a CoreDNS
    node, and Services answer only from the local backends. The NetworkPolicies
    allow these flows, so `kubectl` shows nothing wrong.

    ## Example
    ```json
    {"group_id": "sg-nodes", "ingress": [
      {"protocol": "tcp", "from_port": 10250, "to_port": 10250, "group_id": "sg-cluster"}]}
    ```

    ## Fix
    Admit the other nodes' group in the destination nodes' group: all traffic
    from the same group (the self-reference EKS puts on node groups), or from
    each other node group's group, at least on the ports listed.

    ## References
    - Amazon EKS User Guide: View Amazon EKS security group requirements for clusters
    - Amazon VPC User Guide: Security group rules ("security group referencing")
    - aws/amazon-vpc-cni-k8s README: secondary ENIs carry the primary ENI's security groups
    """

    id = "VPC003"
    slug = "pod-traffic-between-nodes-dropped"
    title = "Pod traffic between nodes dropped by the nodes' security groups"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        vm = ctx.models(platform).vpc
        if not vm.has_vpc_data:
            return
        drops: dict[tuple[object, ...], _Drop] = {}

        def dropped(src: AwsEndpoint, dst: AwsEndpoint, protocol: str, port: int) -> bool:
            """Between node groups, off one node, and some AWS layer denies (the
            unworded verdict, cached per class)."""
            return (
                src.placement in _NODE_GROUPS
                and dst.placement in _NODE_GROUPS
                and vm.same_node(src, dst) is None
                and vm.aws_allowed(src, dst, protocol, port) is False
            )

        for flow in service_flows(platform, ctx, dropped):
            src, dst = flow.src, flow.dst
            layers = vm.aws_layers(src, dst, flow.protocol, flow.port, worded=False)
            sg = next((v for v in layers if v.layer in _SG_LAYERS and v.allowed is False), None)
            if sg is None:
                continue
            subject = src if sg.layer is Layer.SECURITY_GROUP_EGRESS else dst
            key = (sg.layer, src.group_ids, dst.group_ids, subject.group_ids)
            drops.setdefault(key, _Drop(sg)).flows.append((flow, sg))
        for (layer, src_groups, dst_groups, _), drop in sorted(
            drops.items(), key=lambda kv: str(kv[0])
        ):
            yield self._finding(vm, layer, src_groups, dst_groups, drop)

    def _finding(
        self, vm: VpcModel, layer: object, src_groups: object, dst_groups: object, drop: _Drop
    ) -> Finding:
        assert isinstance(layer, Layer)
        assert isinstance(src_groups, tuple) and isinstance(dst_groups, tuple)
        srcs = ", ".join(src_groups)
        dsts = ", ".join(dst_groups)
        ports = sorted({flow_name(f.protocol, f.port) for f, _ in drop.flows})
        egress = layer is Layer.SECURITY_GROUP_EGRESS
        group = (src_groups if egress else dst_groups)[0]
        evidence: list[str] = []
        examples: dict[tuple[str, int], tuple[PodFlow, LayerVerdict]] = {}
        for flow, verdict in sorted(
            drop.flows, key=lambda fv: (fv[0].protocol, fv[0].port, fv[0].src.name)
        ):
            examples.setdefault((flow.protocol, flow.port), (flow, verdict))
        for flow, verdict in list(examples.values())[:5]:
            verdict = _worded(vm, flow, verdict.layer)
            evidence.append(
                f"{flow_name(flow.protocol, flow.port)} {flow.src.name} (node {flow.src.node}) -> "
                f"{flow.dst.name} (node {flow.dst.node}), {flow.what}: allowed by the "
                "NetworkPolicies"
            )
            evidence.append(layer_text(verdict))
        if len(drop.flows) > min(len(examples), 5):
            evidence.append(
                f"{len(drop.flows)} kind(s) of flow dropped in all (one example per port above)"
            )
        v = _worded(vm, drop.flows[0][0], drop.layer.layer)
        same = src_groups == dst_groups
        between = (
            f"pods on different nodes with security groups {srcs}"
            if same
            else f"pods on nodes with security groups {srcs} to pods on nodes with {dsts}"
        )
        fix = (
            f"add an ingress rule to {group} admitting all traffic from {group} itself "
            "(the self-reference EKS creates for node groups), or at least " + ", ".join(ports)
            if same and not egress
            else f"add an ingress rule to {dst_groups[0]} admitting {', '.join(ports)} (or all "
            f"traffic) from {src_groups[0]}"
            if not egress
            else f"add an egress rule to {group} allowing {', '.join(ports)} to {dst_groups[0]}"
        )
        return self.finding(
            ObjectRef("SecurityGroup", group),
            f"traffic {'between' if same else 'from'} {between} is dropped on "
            f"{', '.join(ports)}: {layer.value} of {group} decides ({v.decided_by}){where(v)}",
            v.source,
            evidence=evidence,
            fix=fix,
            key=f"{srcs}->{dsts}:{layer.value}",
        )


def _worded(vm: VpcModel, flow: PodFlow, layer: Layer) -> LayerVerdict:
    """``layer`` of ``flow`` in its own words (the run judged it unworded)."""
    return next(
        v for v in vm.aws_layers(flow.src, flow.dst, flow.protocol, flow.port) if v.layer is layer
    )
