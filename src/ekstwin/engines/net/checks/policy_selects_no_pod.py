"""NET001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.net.endpoints import Endpoint, EndpointKind
from ekstwin.engines.net.lint import (
    first_items,
    lint_model,
    may_select_host_endpoints,
    policy_meta,
    policy_ref,
)
from ekstwin.engines.net.policies import CompiledPolicy
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.k8s import Pod
from ekstwin.model.platform import Platform


def _selection_text(p: CompiledPolicy) -> list[str]:
    if p.k8s is not None:
        sel = str(p.k8s.pod_selector) or "{} (every pod)"
        return [f"podSelector {sel} in namespace {p.namespace}"]
    pol = p.calico
    assert pol is not None
    out = [f"selector {pol.selector}" + (f" in namespace {p.namespace}" if p.namespace else "")]
    if pol.namespace_selector is not None:
        out.append(f"namespaceSelector {pol.namespace_selector}")
    if pol.service_account_selector is not None:
        out.append(f"serviceAccountSelector {pol.service_account_selector}")
    return out


class PolicySelectsNoPod(Check):
    """
    ## What it does
    Finds network policies that apply to no pod of the platform: a Kubernetes
    NetworkPolicy whose `podSelector` matches no pod of its namespace, a
    Calico NetworkPolicy whose `selector` (and `serviceAccountSelector`)
    matches no pod of its namespace, a Calico GlobalNetworkPolicy whose
    `selector`, `namespaceSelector` and `serviceAccountSelector` together
    match no pod. Pods on the host network do not count: pod policy does not
    apply to them.

    A GlobalNetworkPolicy that may be meant for host endpoints is left
    alone: one with `doNotTrack` or `preDNAT` (host endpoints only), and,
    when the input holds HostEndpoint objects, one without a namespace or
    service-account scope. Pods are those of the input and those its
    workloads would create.

    ## Why is this bad?
    A policy that selects nothing protects nothing. It is usually a typo in a
    label, a label that changed in the workload and not in the policy, or a
    policy left behind by a removed workload. Reviewers read it as if it
    isolated something, so the pods it was written for stay open.

    ## Example
    ```yaml
    kind: NetworkPolicy
    metadata: {name: db-ingress, namespace: shop}
    spec:
      podSelector:
        matchLabels: {app: postgress}   # the pods are labelled app=postgres
      policyTypes: [Ingress]
    ```

    A Kubernetes policy whose selector matches only host-network pods (a
    node exporter DaemonSet) is reported as such: pod network policy does not
    apply to them, and the fix is at the node, not in the selector.

    Pods that operators make from their custom resources are in the model
    for the operators ekstwin knows (prometheus-operator's Prometheus,
    Alertmanager and ThanosRuler: docs/implied.md). When the policy's
    namespace holds other custom resources, an unknown operator may make the
    pods: the finding is then of low confidence and does not advise deleting
    the policy.

    ## Fix
    Correct the selector so that it matches the pods it is meant for
    (`kubectl get pods -l app=postgres -n shop` lists them), or delete the
    policy.

    ## References
    - Kubernetes documentation: Network Policies, "The NetworkPolicy resource" (podSelector)
    - Calico documentation: NetworkPolicy and GlobalNetworkPolicy resources, selector,
      namespaceSelector and serviceAccountSelector
    """

    id = "NET001"
    slug = "policy-selects-no-pod"
    title = "Network policy selects no pod"
    severity = Severity.LOW
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        lm = lint_model(platform, ctx)
        # what a finding says of the policy's namespace, gathered once per namespace
        endpoints: dict[str | None, list[Endpoint]] = {}
        for e in lm.endpoints:
            endpoints.setdefault(e.namespace, []).append(e)
        custom: dict[str | None, set[str]] = {}
        for o in platform.opaque:
            custom.setdefault(o.meta.namespace, set()).add(f"{o.meta.kind} {o.meta.name}")
        host_pods: dict[str | None, list[Pod]] = {}
        for pod in platform.pods:
            if pod.spec.host_network:
                host_pods.setdefault(pod.namespace, []).append(pod)
        for _, p in lm.policies():
            if lm.selected_pods(p) or may_select_host_endpoints(p, platform):
                continue
            meta = policy_meta(p)
            evidence = _selection_text(p)
            if p.namespace is not None:
                in_ns = endpoints.get(p.namespace, [])
                pods = [e.name for e in in_ns if e.kind is EndpointKind.POD]
                hosts = [e.name for e in in_ns if e.kind is not EndpointKind.POD]
                if not in_ns:
                    evidence.append(f"namespace {p.namespace} has no pod")
                else:
                    evidence.append(
                        f"namespace {p.namespace} has {len(pods)} pod(s), none selected"
                        + (f": {first_items(pods)}" if pods else "")
                    )
                if hosts:
                    evidence.append(
                        f"host-network pods are not subject to pod policy: {first_items(hosts)}"
                    )
            else:
                evidence.append(f"none of the {len(lm.pods)} pod(s) of the platform is selected")
            # Custom resources in the namespace may be what makes the pods (an operator
            # the table of operators does not know): unknown, not empty.
            resources = sorted(custom.get(p.namespace, ())) if p.namespace is not None else []
            fix = (
                "correct the selector to match the pods the policy is meant for, "
                "or delete the policy"
            )
            confidence = None
            if resources:
                evidence.append(
                    f"namespace {p.namespace} holds custom resources an operator may make pods "
                    f"from: {first_items(resources)}"
                )
                fix = (
                    "if an operator makes the pods it is meant for from these resources, "
                    "nothing is wrong (add the operator to ekstwin's operator table); "
                    "otherwise correct the selector"
                )
                confidence = Confidence.LOW
            k8s = p.k8s
            host_network = (
                sorted(
                    pod.key
                    for pod in host_pods.get(p.namespace, ())
                    if k8s.pod_selector.matches(pod.labels)
                )
                if k8s is not None
                else []
            )
            if host_network:
                # kube-prometheus's node-exporter: the DaemonSet runs in the node's network.
                yield self.finding(
                    policy_ref(p),
                    f"{p.id} (tier {p.tier}) selects only host-network pods, which pod network "
                    "policy does not apply to, so it protects nothing",
                    meta.line_of("/spec/podSelector"),
                    evidence=[*evidence[:1], f"host-network pods: {first_items(host_network)}"],
                    fix="guard these pods' ports at the node (security group, Calico host "
                    "endpoint policy); this policy has no effect on them",
                    key="host-network",
                )
                continue
            yield self.finding(
                policy_ref(p),
                f"{p.id} (tier {p.tier}) selects no pod, so it protects nothing",
                meta.line_of("/spec/selector" if p.calico is not None else "/spec/podSelector"),
                evidence=evidence,
                fix=fix,
                confidence=confidence,
            )
