"""IAM003."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.iam.chains import Via
from ekstwin.findings import Confidence, Finding, ObjectRef, Severity
from ekstwin.model.platform import Platform

#: AWS managed policies a node needs (or commonly carries for SSM access)
NODE_POLICIES = frozenset(
    {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKSWorkerNodeMinimalPolicy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonEC2ContainerRegistryPullOnly",
        "AmazonEKS_CNI_Policy",
        "AmazonSSMManagedInstanceCore",
    }
)


class NodeRoleBroaderThanNode(Check):
    """
    ## What it does
    Finds node instance roles that pods inherit (through instance metadata:
    IMDSv1 allowed, or a hop limit of 2 or more, or hostNetwork pods) while
    the role carries permissions beyond what a node needs: inline policies,
    customer managed policies, or AWS managed policies other than the
    worker node, CNI, ECR read and SSM core policies.

    ## Why is this bad?
    Every pod without its own role, and every pod that simply asks IMDS,
    gets the node role. Application permissions on the node role are
    shared by every workload on those nodes.

    ## Example
    A node role with an inline policy allowing `s3:PutObject` on an
    application bucket, on nodes with `HttpTokens=optional`.

    ## Fix
    Move application permissions to per-workload roles (IRSA or EKS Pod
    Identity), and block pods from IMDS: `HttpTokens=required` with
    `HttpPutResponseHopLimit=1`.

    ## References
    - Amazon EKS Best Practices Guide: Security, Identity and Access Management
    - Amazon EKS User Guide: Amazon EKS node IAM role
    """

    id = "IAM003"
    slug = "node-role-broader-than-node"
    title = "Pods inherit a node role with permissions beyond a node's needs"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        analyzer = ctx.models(platform).iam
        inheriting: dict[str, list[str]] = {}
        for pod in sorted(platform.pods, key=lambda p: p.key):
            access = analyzer.pod_access(pod)
            for grant in access.roles:
                if grant.via is Via.NODE_ROLE and grant.obtained:
                    inheriting.setdefault(grant.role_arn, []).append(pod.key)
        for role_arn, pods in sorted(inheriting.items()):
            role = platform.aws.role(role_arn)
            if role is None:
                continue
            extra = [f"inline policy {name}" for name in sorted(role.inline_policies)]
            for arn in role.attached_policy_arns:
                name = arn.rsplit("/", 1)[-1]
                managed = platform.aws.policy(arn)
                if managed is None or not managed.aws_managed or name not in NODE_POLICIES:
                    extra.append(f"attached policy {arn}")
            if not extra:
                continue
            shown = ", ".join(pods[:5]) + (f" and {len(pods) - 5} more" if len(pods) > 5 else "")
            yield self.finding(
                ObjectRef("IamRole", role_arn),
                f"{len(pods)} pod(s) can use node role {role.name}, which has "
                f"{', '.join(extra)} beyond a node's needs",
                role.source,
                evidence=[f"pods reaching it through IMDS: {shown}", *extra],
                fix="move these permissions to IRSA or Pod Identity roles and require IMDSv2 "
                "with hop limit 1 on the nodes",
                key=role_arn,
            )
