"""ACC006."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.access.rbac import ResourceRequest
from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

_WORKLOADS = (
    ("", "pods"),
    ("apps", "deployments"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
)


class ServiceAccountCreatesPodsInKubeSystem(Check):
    """
    ## What it does
    Finds ServiceAccounts (outside the control plane) that can create pods,
    or workloads that make pods, in `kube-system`.

    ## Why is this bad?
    A pod in kube-system can run as any of its ServiceAccounts (the CNI, the
    load balancer controller, CSI drivers: IAM roles and node-level rights),
    tolerate every taint and mount the host; a DaemonSet lands on every node.
    A compromised pod holding such a token takes over nodes and their roles.

    ## Example
    ```yaml
    kind: ClusterRoleBinding
    roleRef: {kind: ClusterRole, name: cluster-admin}
    subjects: [{kind: ServiceAccount, name: argocd-application-controller, namespace: argocd}]
    ```

    ## Fix
    Bind deployers to the namespaces they deploy; manage kube-system add-ons
    through EKS add-ons or a separate, tightly held deployer.

    ## References
    - Kubernetes documentation: RBAC good practices, "Workload creation"
    - PaloAltoNetworks rbac-police policies: assign_sa, steal_pods
    """

    id = "ACC006"
    slug = "service-account-creates-pods-in-kube-system"
    title = "ServiceAccount can create pods in kube-system"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        analyzer = ctx.models(platform).access
        found: dict[str, list[str]] = {}
        for group, resource in _WORKLOADS:
            result = analyzer.who_can(ResourceRequest("create", resource, "", group, "kube-system"))
            for e in result.entries:
                if e.kind == "service-account":
                    found.setdefault(e.name, []).append(
                        f"create {resource}: {' -> '.join(e.chains[0])}"
                    )
        for name, evidence in sorted(found.items()):
            ns, _, sa_name = name.partition("/")
            sa = platform.service_account(ns, sa_name)
            yield self.finding(
                ObjectRef("ServiceAccount", sa_name, ns),
                f"ServiceAccount {name} can create pods in kube-system "
                f"({len(evidence)} kind(s)): a path to node takeover",
                sa.meta.source if sa is not None else None,
                evidence=evidence,
                fix=f"remove kube-system workload creation from {name}'s roles",
                key=name,
            )
