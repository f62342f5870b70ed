"""IPM004."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.ipam.plan import plan
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

#: A subnet this small or smaller (usable addresses) counts as small.
SMALL_SUBNET = 1019  # a /22
#: Warm addresses above this share of the usable addresses are flagged.
WARM_SHARE = 0.25


class WarmPoolHoldsSmallSubnet(Check):
    """
    ## What it does
    Finds small subnets (a /22 or smaller) where the addresses ipamd keeps
    warm on the nodes, unused by any pod, take a quarter or more of the
    usable addresses.

    ## Why is this bad?
    With the default WARM_ENI_TARGET=1 every node holds a whole spare ENI of
    addresses (9 on an m5.large, 49 on a c5.24xlarge), whether pods need
    them or not. In a small subnet those idle addresses are what the next
    nodes and pods would need: the subnet runs out while most of its
    addresses sit unused.

    ## Example
    Two m5.large nodes with 8 pods each in a /26: 27 addresses held per node,
    19 of them warm.

    ## Fix
    Set WARM_IP_TARGET and MINIMUM_IP_TARGET to a few addresses above the
    pods per node (they override WARM_ENI_TARGET), or move the nodes to
    larger subnets.

    ## References
    - aws/amazon-vpc-cni-k8s docs/eni-and-ip-target.md
    """

    id = "IPM004"
    slug = "warm-pool-holds-small-subnet"
    title = "Warm IP pools hold a large share of a small subnet"
    severity = Severity.LOW
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        cluster = platform.eks_cluster()
        if cluster is None or not platform.aws.subnets:
            return
        env = cluster.vpc_cni
        settings = ", ".join(
            f"{k}={env.env[k]}"
            for k in (
                "WARM_ENI_TARGET",
                "WARM_IP_TARGET",
                "MINIMUM_IP_TARGET",
                "WARM_PREFIX_TARGET",
            )
            if k in env.env
        )
        for s in plan(platform).subnets:
            if s.usable > SMALL_SUBNET or s.usable == 0 or s.now.warm < s.usable * WARM_SHARE:
                continue
            subnet = platform.aws.subnet(s.subnet_id)
            share = round(100 * s.now.warm / s.usable)
            yield self.finding(
                ObjectRef("Subnet", s.subnet_id),
                f"subnet {s.subnet_id} ({s.cidr}): {s.now.warm} of {s.usable} usable addresses "
                f"({share}%) are held warm by {s.now.nodes} node(s) without a pod",
                subnet.source if subnet else cluster.source,
                evidence=[
                    f"{s.now.pods} pod address(es), {s.now.warm} warm, "
                    f"{s.now.eni_primaries} ENI primaries, {s.now.free} free",
                    f"VPC CNI settings: {settings or 'defaults (WARM_ENI_TARGET=1)'}",
                ],
                fix="set WARM_IP_TARGET / MINIMUM_IP_TARGET close to the pods per node",
                key=s.subnet_id,
            )
