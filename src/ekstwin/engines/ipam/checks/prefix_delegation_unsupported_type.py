"""IPM003."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.ipam.limits import load_instance_types
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef, Source


class PrefixDelegationUnsupportedType(Check):
    """
    ## What it does
    With `ENABLE_PREFIX_DELEGATION=true`, finds node groups and nodes whose
    instance type is neither nitro nor bare metal, where ipamd cannot
    delegate /28 prefixes.

    ## Why is this bad?
    ipamd logs "Prefix delegation is not supported on non-nitro instance"
    and falls back to secondary IPs: such a node holds a tenth of the pods
    the settings suggest, while a kubelet `maxPods` computed for prefixes
    lets the scheduler send it far more pods than it can address.

    ## Example
    `ENABLE_PREFIX_DELEGATION=true` with an `m4.large` (xen) node group.

    ## Fix
    Use nitro instance types (m5, c6i, m7g, ...) in the node groups of a
    cluster with prefix delegation, or size those nodes' `maxPods` for
    secondary IPs.

    ## References
    - aws/amazon-vpc-cni-k8s README: ENABLE_PREFIX_DELEGATION
    - Amazon EKS User Guide: Assign more IP addresses to Amazon EKS nodes with prefixes
    """

    id = "IPM003"
    slug = "prefix-delegation-unsupported-type"
    title = "Prefix delegation enabled on instance types that cannot use it"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        cluster = platform.eks_cluster()
        if cluster is None or not cluster.vpc_cni.enable_prefix_delegation:
            return
        table = load_instance_types()
        subjects: list[tuple[ObjectRef, str, str, Source]] = []
        for group in cluster.node_groups:
            for itype in group.instance_types:
                ref = ObjectRef("NodeGroup", group.name, cluster.name)
                subjects.append((ref, f"node group {group.name}", itype, group.source))
        grouped = {g.name for g in cluster.node_groups}
        for inst in platform.aws.instances:
            if inst.cluster == cluster.name and inst.node_group not in grouped:
                ref = ObjectRef("Instance", inst.instance_id)
                what = f"node {inst.node_name or inst.instance_id}"
                subjects.append((ref, what, inst.instance_type, inst.source))
        for ref, what, itype, source in subjects:
            limits = table.get(itype)
            if limits is None or limits.cni_prefix_delegation:
                continue
            yield self.finding(
                ref,
                f"{what}: prefix delegation is on but {itype} is not nitro or bare metal "
                "(ipamd falls back to secondary IPs)",
                source,
                evidence=[
                    f"{cluster.name}: ENABLE_PREFIX_DELEGATION=true",
                    f"{itype}: hypervisor {limits.hypervisor or 'unknown'}, bare metal "
                    f"{str(limits.bare_metal).lower()}",
                ],
                fix=f"replace {itype} with a nitro instance type",
                key=f"{ref}/{itype}",
            )
