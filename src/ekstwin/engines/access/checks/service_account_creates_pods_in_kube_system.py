"""ACC006."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.access.rbac import ResourceRequest
from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

#: Creating a workload runs a pod; patching or updating one changes the pod template
#: (image, command, ServiceAccount) of pods that already run there.
_VERBS = ("create", "patch", "update")
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
    or workloads that make pods, in `kube-system`, or patch or update them:
    patching a DaemonSet or Deployment there changes the template of pods
    that already run (image, command, ServiceAccount), which is as good as
    creating one (Argo CD's argocd-server may patch every resource
    cluster-wide).

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
    title = "ServiceAccount can create or patch pods in kube-system"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        analyzer = ctx.models(platform).access
        # account -> verb -> [(resource, the first chain that grants it)]
        found: dict[str, dict[str, list[tuple[str, str]]]] = {}
        for verb in _VERBS:
            for group, resource in _WORKLOADS:
                request = ResourceRequest(verb, resource, "", group, "kube-system")
                for e in analyzer.who_can(request).entries:
                    if e.kind == "service-account":
                        grants = found.setdefault(e.name, {}).setdefault(verb, [])
                        grants.append((resource, " -> ".join(e.chains[0])))
        for name, by_verb in sorted(found.items()):
            ns, _, sa_name = name.partition("/")
            sa = platform.service_account(ns, sa_name)
            verbs = [v for v in _VERBS if v in by_verb]
            evidence = []
            for verb in verbs:
                grants = by_verb[verb]
                chains = list(dict.fromkeys(chain for _, chain in grants))
                resources = ", ".join(r for r, _ in grants)
                evidence.append(f"{verb} {resources}: {chains[0]}")
                evidence.extend(f"  also: {chain}" for chain in chains[1:])
            said = ", ".join(verbs[:-1]) + (" and " if len(verbs) > 1 else "") + verbs[-1]
            yield self.finding(
                ObjectRef("ServiceAccount", sa_name, ns),
                f"ServiceAccount {name} can {said} pods or the workloads that make them "
                "in kube-system: a path to node takeover",
                sa.meta.source if sa is not None else None,
                evidence=evidence,
                fix=f"remove kube-system workload create, patch and update from {name}'s roles",
                key=name,
            )
