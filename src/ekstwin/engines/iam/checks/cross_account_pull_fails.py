"""IAM004."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class CrossAccountPullFails(Check):
    """
    ## What it does
    Evaluates, for each container whose image is in an ECR repository of
    another account, the kubelet's pull with the node role:
    `ecr:GetAuthorizationToken`, then `ecr:BatchGetImage` and
    `ecr:GetDownloadUrlForLayer` against both the node role's policies and
    the repository policy.

    ## Why is this bad?
    Across accounts both sides must allow. A repository policy that names
    another account or role, or none at all, leaves the pod in
    ImagePullBackOff - found here before the deployment.

    ## Example
    A repository policy granting `arn:aws:iam::555566667777:root` while the
    nodes run as a role of `111122223333`.

    ## Fix
    Add a statement to the repository policy allowing the node role (or its
    account) `ecr:BatchGetImage` and `ecr:GetDownloadUrlForLayer`, and make
    sure the node role allows them too.

    ## References
    - Amazon ECR User Guide: Private repository policy examples
    - AWS IAM User Guide: Cross-account policy evaluation logic
    """

    id = "IAM004"
    slug = "cross-account-pull-fails"
    title = "Cross-account ECR image pull will fail"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        analyzer = ctx.models(platform).iam
        seen: set[tuple[str, str, str]] = set()
        workloads = {w.ref: w.meta for w in platform.workloads}
        for pod in sorted(platform.pods, key=lambda p: p.key):
            meta = workloads.get(pod.workload, pod.meta) if pod.workload else pod.meta
            spec = pod.spec
            access = analyzer.pod_access(pod)
            for pull in access.pulls:
                if pull.ok is not False or pull.repository_arn is None:
                    continue
                owner = pull.repository_arn.split(":")[4]
                if pull.node_role_arn and pull.node_role_arn.split(":")[4] == owner:
                    continue
                key = (str(meta.ref), pull.container, pull.node_role_arn or "")
                if key in seen:
                    continue
                seen.add(key)
                container = next(c for c in spec.containers if c.name == pull.container)
                yield self.finding(
                    meta.ref,
                    f"{meta.ref} container {pull.container!r} cannot pull {pull.image}: "
                    f"{pull.reason}",
                    meta.line_of(f"{container.pointer}/image"),
                    evidence=[f"{a}: {d}" for a, d in pull.decisions],
                    fix=f"allow {pull.node_role_arn} ecr:BatchGetImage and "
                    f"ecr:GetDownloadUrlForLayer in the policy of {pull.repository_arn}",
                    key=f"{pull.container}/{pull.node_role_arn}",
                )
