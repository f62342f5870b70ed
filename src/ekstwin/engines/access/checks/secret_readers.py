"""ACC002."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.access.rbac import ResourceRequest
from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


class SecretReadersInCredentialNamespaces(Check):
    """
    ## What it does
    For each namespace that holds Secrets, lists every subject that can read
    them (`get`, or `list`, which returns the values too): people through
    SSO, IAM principals, ServiceAccounts, RBAC users and groups, including
    EKS access policies and `system:masters`.

    ## Why is this bad?
    A Secret's value is only base64. Whoever can get or list Secrets in the
    namespace holds its database passwords, API keys and tokens. "Read-only"
    roles that use `*` (such as `AmazonEKSAdminViewPolicy` or a ClusterRole
    with `list` on `*`) include Secrets without saying so.

    ## Example
    ```yaml
    kind: ClusterRole
    rules:
      - apiGroups: [""]
        resources: ["*"]
        verbs: [list, watch]
    ```

    ## Fix
    Name the resources a reader needs instead of `*`; use
    `AmazonEKSViewPolicy` (no Secrets) for read-only people; keep Secrets in
    an external store and give workloads only their own.

    ## References
    - Kubernetes documentation: Good practices for Kubernetes Secrets
    - Amazon EKS User Guide: Review access policy permissions (AmazonEKSAdminViewPolicy)
    """

    id = "ACC002"
    slug = "secret-readers"
    title = "Subjects that can read Secrets in a namespace holding credentials"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        holding: dict[str, list[str]] = {}
        for s in platform.secrets:
            holding.setdefault(s.meta.ns, []).append(s.meta.name)
        if not holding:
            return
        analyzer = ctx.models(platform).access
        for ns in sorted(holding):
            found: dict[tuple[str, str], list[str]] = {}
            for verb in ("get", "list"):
                result = analyzer.who_can(ResourceRequest(verb, "secrets", namespace=ns))
                for e in result.entries:
                    found.setdefault((e.kind, e.name), []).extend(
                        f"{verb}: {' -> '.join(c)}" for c in e.chains[:2]
                    )
            nsobj = platform.namespace(ns)
            source = nsobj.meta.source if nsobj is not None and not nsobj.implicit else None
            for (kind, name), chains in sorted(found.items()):
                yield self.finding(
                    ObjectRef("Namespace", ns),
                    f"{kind} {name} can read the Secrets of namespace {ns} "
                    f"({', '.join(sorted(holding[ns]))})",
                    source,
                    evidence=[f"Secrets: {', '.join(sorted(holding[ns]))}", *chains[:4]],
                    fix=f"remove get/list on secrets in {ns} from {name}'s roles or policies",
                    key=f"{kind}:{name}",
                )
