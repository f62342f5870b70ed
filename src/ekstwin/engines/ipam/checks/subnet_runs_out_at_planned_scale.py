"""IPM001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.ipam.plan import Scenario, plan
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


class SubnetRunsOutAtPlannedScale(Check):
    """
    ## What it does
    Plans the VPC CNI's addresses with every managed node group at its
    maximum size (`scaling.max`) and finds the subnets that cannot hold them:
    each node's pod addresses, the addresses ipamd keeps warm (WARM_ENI_TARGET,
    WARM_IP_TARGET, MINIMUM_IP_TARGET, WARM_PREFIX_TARGET) and the primary
    address of every ENI it attaches, plus what else already uses the subnet.

    ## Why is this bad?
    With the VPC CNI every pod takes an address of the node's subnet (or of
    its ENIConfig subnet). When the subnet is empty, ipamd cannot attach
    addresses (`InsufficientFreeAddressesInSubnet`) and new pods stay in
    `ContainerCreating` with "failed to assign an IP address to container",
    exactly when the cluster scales out.

    ## Example
    A `/26` private subnet (59 usable addresses) in a node group of
    `m5.xlarge` nodes with `scaling.max: 8`: each node holds about 30
    addresses with WARM_ENI_TARGET=1.

    ## Fix
    Give the node group larger subnets, add a secondary CIDR (for example
    100.64.0.0/10) with custom networking, lower the warm targets
    (WARM_IP_TARGET / MINIMUM_IP_TARGET), or enable prefix delegation in
    subnets with room for /28 blocks.

    ## References
    - aws/amazon-vpc-cni-k8s docs/eni-and-ip-target.md
    - Amazon EKS Best Practices Guide: Networking, "Optimizing IP Address Utilization"
    """

    id = "IPM001"
    slug = "subnet-runs-out-at-planned-scale"
    title = "Subnet runs out of addresses at the node groups' maximum size"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        cluster = platform.eks_cluster()
        if cluster is None or not cluster.node_groups:
            return
        scale = {g.name: g.scaling.max for g in cluster.node_groups}
        result = plan(platform, Scenario(scale))
        for s in result.subnets:
            if not s.exhausted:
                continue
            subnet = platform.aws.subnet(s.subnet_id)
            evidence = [
                f"subnet {s.subnet_id} ({s.cidr}, {s.zone}): {s.usable} usable addresses",
                f"now: {s.now.nodes} node(s), {s.now.pods} pod address(es), {s.now.warm} warm, "
                f"{s.now.eni_primaries} ENI primaries, {s.now.other} other, {s.now.free} free",
                f"at maximum size: {s.after.nodes} node(s), {s.after.pods} pod address(es), "
                f"{s.after.warm} warm, {s.after.eni_primaries} ENI primaries, "
                f"{-s.after.free} short",
            ]
            if s.runs_out_at:
                evidence.append(f"runs out at {s.runs_out_at}")
            groups = ", ".join(f"{k}={v}" for k, v in sorted(scale.items()))
            yield self.finding(
                ObjectRef("Subnet", s.subnet_id),
                f"subnet {s.subnet_id} ({s.cidr}) runs out of addresses with the node groups "
                f"at their maximum size ({groups}): {-s.after.free} address(es) short",
                subnet.source if subnet else cluster.source,
                evidence=evidence,
                fix="use larger subnets or a secondary CIDR with custom networking, or lower "
                "the warm targets",
                key=s.subnet_id,
            )
