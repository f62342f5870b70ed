"""VPC007."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.vpc.endpoints import Placement
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.k8s import Pod
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef
from ekstwin.model.vpc import SecurityGroupPolicy


class PodSecurityGroupsStandardMode(Check):
    """
    ## What it does
    With security groups for pods on (`ENABLE_POD_ENI=true`) and aws-node's
    `POD_SECURITY_GROUP_ENFORCING_MODE=standard`, reports every
    SecurityGroupPolicy that gives pods a branch ENI, and says which of the
    pod's traffic its security groups do not judge: what stays on the node
    (the pod's node neighbours, the kubelet) and what leaves the VPC (SNATed
    to the node and judged by the node's groups), naming the pods that share
    a node with others.

    ## Why is this bad?
    Teams adopt pod security groups to isolate a workload ("only payments-api
    may reach the ledger database"), and in strict mode (the default) that is
    what happens. In standard mode a pod's traffic to and from pods on its own
    node bypasses the pod's groups entirely, and its internet traffic carries
    the node's groups, so the isolation is weaker than the groups suggest and
    changes with scheduling.

    ## Example
    aws-node with `POD_SECURITY_GROUP_ENFORCING_MODE: standard` and a
    SecurityGroupPolicy for `payments-api`.

    ## Fix
    Use strict mode where the pod security group is a security boundary (then
    admit the node group in the pod group for kubelet probes), or keep standard
    mode knowingly and enforce the same-node part with NetworkPolicies.

    ## References
    - Amazon EKS User Guide: Security groups for pods ("standard" and "strict" enforcing modes)
    - aws/amazon-vpc-cni-k8s README: POD_SECURITY_GROUP_ENFORCING_MODE
    """

    id = "VPC007"
    slug = "pod-security-groups-standard-mode"
    title = "Pod security groups in standard mode skip some of the pods' traffic"
    severity = Severity.LOW
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        vpc = ctx.models(platform).vpc
        settings = vpc.settings
        if not settings.enable_pod_eni or vpc.strict:
            return
        branch: dict[str, list[tuple[Pod, str | None]]] = {}
        per_node: dict[str, int] = {}
        for pod in sorted(platform.pods, key=lambda p: p.key):
            if pod.spec.host_network:
                continue
            placed = vpc.place_pod(pod)
            if placed.node is not None:
                per_node[placed.node] = per_node.get(placed.node, 0) + 1
            if placed.placement is not Placement.BRANCH_ENI:
                continue
            _, names = vpc.sgp_groups(pod)
            for name in names:
                branch.setdefault(name, []).append((pod, placed.node))
        for sgp in sorted(platform.security_group_policies, key=lambda s: (s.namespace, s.name)):
            pods = branch.get(f"{sgp.namespace}/{sgp.name}", [])
            if pods:
                yield self._finding(sgp, pods, per_node)

    def _finding(
        self,
        sgp: SecurityGroupPolicy,
        pods: list[tuple[Pod, str | None]],
        per_node: dict[str, int],
    ) -> Finding:
        shared = [
            f"{p.key} on {node} with {per_node[node] - 1} other pod(s)"
            for p, node in pods
            if node is not None and per_node.get(node, 0) > 1
        ]
        groups = ", ".join(sgp.group_ids)
        evidence = [
            "aws-node: ENABLE_POD_ENI=true, POD_SECURITY_GROUP_ENFORCING_MODE=standard",
            f"SecurityGroupPolicy {sgp.namespace}/{sgp.name} gives {len(pods)} pod(s) a branch "
            f"ENI with {groups}",
            "same node: traffic between these pods and their node neighbours passes no security "
            "group (standard mode)",
            "outside the VPC: SNATed to the node's primary address and judged by the node's "
            "security groups, not " + groups,
        ]
        evidence += [f"shares a node: {s}" for s in shared[:5]]
        return self.finding(
            ObjectRef("SecurityGroupPolicy", sgp.name, sgp.namespace),
            f"SecurityGroupPolicy {sgp.namespace}/{sgp.name} runs in standard mode: {groups} "
            "judge only the pods' traffic to other hosts in the VPC; same-node traffic and "
            "traffic leaving the VPC bypass them",
            sgp.source,
            evidence=evidence,
            fix="set POD_SECURITY_GROUP_ENFORCING_MODE=strict on aws-node if the group is a "
            "security boundary (and admit the node group in it for kubelet probes), or cover "
            "the same-node traffic with NetworkPolicies",
            key=f"{sgp.namespace}/{sgp.name}",
        )
