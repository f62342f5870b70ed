"""ACC003."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.access.analyzer import WhoCanResult
from ekstwin.engines.access.rbac import ResourceRequest
from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.iam.chains import Via
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


class ExecIntoPodsWithIamRoles(Check):
    """
    ## What it does
    Finds workloads whose pods obtain an IAM role of their own (IRSA or EKS
    Pod Identity) and lists everyone who can open a shell in them:
    `create` on `pods/exec` (or `pods/attach`), and before Kubernetes 1.35
    also `get`, which is enough over WebSocket.

    ## Why is this bad?
    A shell in the pod reads the projected token or asks the Pod Identity
    agent, and then acts as the pod's IAM role in AWS. Access to the pod is
    access to the role, usually with fewer controls than the role's own
    trust policy.

    ## Example
    ```yaml
    # AmazonEKSAdminViewPolicy (cluster scope) grants get on *:
    # on Kubernetes 1.30 that includes get pods/exec over WebSocket
    ```

    ## Fix
    Grant exec only to on-call roles in the namespaces they run; on clusters
    before 1.35 remove `get` on `pods/exec`, `pods/attach` and
    `pods/portforward` (and `*` verbs or resources) from read-only roles.

    ## References
    - kubernetes/kubernetes#78741 and #134577 (KEP-4006): WebSocket exec needed only get before 1.35
    - Amazon EKS User Guide: IAM roles for service accounts
    """

    id = "ACC003"
    slug = "exec-into-pods-with-iam-roles"
    title = "People or ServiceAccounts can exec into pods that carry IAM roles"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        analyzer = ctx.models(platform).access
        seen: set[str] = set()
        by_namespace: dict[str, WhoCanResult] = {}
        for pod in platform.pods:
            if pod.workload_key in seen:
                continue
            seen.add(pod.workload_key)
            access = analyzer.iam.pod_access(pod)
            roles = [g for g in access.roles if g.obtained and g.via is not Via.NODE_ROLE]
            if not roles:
                continue
            result = by_namespace.get(pod.namespace)
            if result is None:  # one question per namespace, not per workload
                request = ResourceRequest("create", "pods", "exec", "", pod.namespace)
                result = by_namespace[pod.namespace] = analyzer.who_can(request)
            if not result.entries:
                continue
            subject = pod.workload or pod.meta.ref
            subject = ObjectRef(subject.kind, subject.name, pod.namespace)
            role_text = ", ".join(f"{g.via.value} {g.role_arn}" for g in roles)
            names = [f"{e.kind} {e.name}" for e in result.entries]
            yield self.finding(
                subject,
                f"{len(names)} subject(s) can exec into {pod.workload_key} and act as {role_text}",
                pod.meta.source,
                evidence=[
                    f"pod {pod.key} ServiceAccount {access.service_account} obtains {role_text}",
                    *result.notes,
                    *(f"{e.kind} {e.name}: {' -> '.join(e.chains[0])}" for e in result.entries),
                ],
                fix="limit pods/exec in namespace "
                f"{pod.namespace} to the people who must debug {pod.workload_key}",
                key=pod.workload_key,
            )
