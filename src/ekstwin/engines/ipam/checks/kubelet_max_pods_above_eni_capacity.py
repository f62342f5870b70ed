"""IPM002."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.ipam.limits import load_instance_types, max_pods
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


class KubeletMaxPodsAboveEniCapacity(Check):
    """
    ## What it does
    Compares a node group's kubelet `maxPods` with the pods its instance
    types' ENIs can address under the cluster's VPC CNI settings:
    `ENIs x (IPv4 per ENI - 1) + 2` on the default network card, one ENI less
    with custom networking, one less again for the trunk ENI of security
    groups for pods (on types the VPC resource controller can trunk), 16
    addresses a slot with prefix delegation.

    ## Why is this bad?
    The scheduler trusts the kubelet's `maxPods`. When it is higher than the
    addresses the node can get, pods are scheduled onto a node that has no
    address left for them and stay in `ContainerCreating` with "failed to
    assign an IP address to container". The classic case is custom
    networking with `maxPods` left at the default.

    ## Example
    An `m5.large` node group with custom networking and `kubelet_max_pods: 29`:
    only 2 ENIs carry pods, 20 pods fit.

    ## Fix
    Set `maxPods` to the CNI figure (`ekstwin ipam max-pods TYPE
    --custom-networking`), or with nodeadm use `maxPodsExpression`, or enable
    prefix delegation on nitro types.

    ## References
    - aws/amazon-vpc-cni-k8s misc/eni-max-pods.txt and README ("Setup")
    - aws/amazon-vpc-cni-k8s issue #331
    """

    id = "IPM002"
    slug = "kubelet-max-pods-above-eni-capacity"
    title = "Kubelet maxPods above what the node's ENIs can address"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        cluster = platform.eks_cluster()
        if cluster is None:
            return
        table = load_instance_types()
        s = cluster.vpc_cni
        for group in cluster.node_groups:
            if not group.kubelet_max_pods:
                continue
            for itype in group.instance_types:
                limits = table.get(itype)
                if limits is None:
                    continue
                cni = max_pods(
                    limits,
                    prefix_delegation=s.enable_prefix_delegation,
                    custom_networking=s.custom_network,
                    security_groups_for_pods=s.enable_pod_eni,
                    max_eni=s.max_eni,
                )
                if group.kubelet_max_pods <= cni.max_pods:
                    continue
                yield self.finding(
                    ObjectRef("NodeGroup", group.name, cluster.name),
                    f"node group {group.name}: kubelet maxPods {group.kubelet_max_pods} is above "
                    f"the {cni.max_pods} pods a {itype} node can address ({cni.mode.value})",
                    group.source,
                    evidence=[
                        f"{itype}: {cni.enis} ENI(s) for pods x ({cni.ips_per_eni} - 1) "
                        f"address slots + 2 = {cni.max_pods}",
                        *cni.notes,
                        f"kubelet_max_pods = {group.kubelet_max_pods}",
                    ],
                    fix=f"set maxPods to {cni.max_pods} or less for {itype}",
                    key=f"{group.name}/{itype}",
                )
