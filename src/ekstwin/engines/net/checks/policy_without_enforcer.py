"""NET007."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.net.enforcement import Enforcer, platform_enforcement
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.k8s import Meta
from ekstwin.model.platform import Platform


class PolicyWithoutEnforcer(Check):
    """
    ## What it does
    Finds network policies that nothing enforces, when the input proves it:

    - the input shows the node agents (the `aws-node` DaemonSet or the EKS
      `vpc-cni` add-on) and none enforces network policy: the VPC CNI network
      policy agent is not enabled (`--enable-network-policy=true`, the
      add-on's `enableNetworkPolicy`) and no Calico runs. Every Kubernetes
      NetworkPolicy and Calico policy is then decorative;
    - the VPC CNI network policy agent enforces and no Calico runs: Calico
      NetworkPolicies and GlobalNetworkPolicies are read by no one (the agent
      reads Kubernetes NetworkPolicies only).

    When the input does not show the node agents (an application
    repository), the enforcer is unknown and the check says nothing.

    ## Why is this bad?
    A NetworkPolicy is a request to an enforcer. Without one, every pod
    reaches every other pod whatever the policies say, while reviewers and
    auditors read the policies as the platform's segmentation. A Calico
    `Deny` guard rail on a cluster whose enforcer is the VPC CNI agent blocks
    nothing.

    ## Example
    ```yaml
    # kube-system/aws-node: the agent runs with --enable-network-policy=false
    kind: NetworkPolicy
    metadata: {name: default-deny, namespace: payments}
    spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
    ```

    ## Fix
    Turn enforcement on: set `enableNetworkPolicy: "true"` on the `vpc-cni`
    add-on (the agent then enforces Kubernetes NetworkPolicies), or run Calico
    for policy. Enforcement applies every policy at once: check with
    `ekstwin net matrix` what the policies would block (DNS, health checks)
    before turning it on. For Calico resources under the VPC CNI agent,
    express the rule as a Kubernetes NetworkPolicy, or run Calico for policy.

    ## References
    - Kubernetes documentation: Network Policies, "Prerequisites" (a network
      plugin that implements NetworkPolicy)
    - Amazon EKS User Guide: Limit Pod traffic with Kubernetes network
      policies (cni-network-policy)
    - aws/amazon-vpc-cni-k8s: README, NETWORK_POLICY_ENFORCING_MODE;
      charts/aws-vpc-cni (enableNetworkPolicy)
    """

    id = "NET007"
    slug = "policy-without-enforcer"
    title = "Network policy that no enforcer applies"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        enf = platform_enforcement(platform)
        evidence = [f"enforcer: {enf.describe()}"]
        if enf.enforcer is Enforcer.NONE:
            metas: list[Meta] = [p.meta for p in platform.network_policies]
            metas += [p.meta for p in platform.calico_policies]
            for meta in sorted(metas, key=lambda m: (m.namespace or "", m.kind, m.name)):
                yield self.finding(
                    meta.ref,
                    f"{_name(meta)} has no effect: no node agent enforces network policy, "
                    "so every pod reaches every other pod whatever it says",
                    meta.source,
                    evidence=evidence,
                    fix="enable the VPC CNI network policy agent (vpc-cni add-on "
                    "enableNetworkPolicy) or run Calico for policy, after checking with "
                    "`ekstwin net matrix` what the policies will block",
                )
        elif enf.enforcer is Enforcer.VPC_CNI:
            for p in sorted(
                platform.calico_policies, key=lambda c: (c.meta.namespace or "", c.meta.name)
            ):
                yield self.finding(
                    p.meta.ref,
                    f"{_name(p.meta)} has no effect: the VPC CNI network policy agent enforces "
                    "Kubernetes NetworkPolicies only, and no Calico runs",
                    p.meta.source,
                    evidence=evidence,
                    fix="express the rule as a Kubernetes NetworkPolicy, or run Calico for policy",
                )


def _name(meta: Meta) -> str:
    where = f"{meta.namespace}/" if meta.namespace else ""
    return f"{meta.kind} {where}{meta.name}"
