"""IAM001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.iam.chains import AUDIENCE, DEFAULT_AUDIENCE, ROLE_ARN, ChainStep
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class ServiceAccountTrustRefused(Check):
    """
    ## What it does
    Finds ServiceAccounts annotated `eks.amazonaws.com/role-arn` whose role
    will not accept the pod's token: the role's account has no IAM OIDC
    provider for the cluster's issuer, the provider does not list the
    token's audience, or the trust policy does not admit the issuer, the
    namespace, the ServiceAccount or the audience.

    ## Why is this bad?
    The pod identity webhook still injects `AWS_ROLE_ARN` and the token, so
    the SDK tries the web identity and fails with AccessDenied; the
    workload has no AWS access, or silently ends up on whatever other
    credentials it finds.

    ## Example
    ```json
    "StringEquals": {"oidc.eks.eu-west-1.amazonaws.com/id/X:sub":
                     "system:serviceaccount:payment:ledger-writer"}
    ```
    while the ServiceAccount lives in namespace `payments`.

    ## Fix
    Make the trust policy's `sub` condition name exactly
    `system:serviceaccount:NAMESPACE:NAME`, its `aud` the audience, and its
    Federated principal the OIDC provider of this cluster in the role's
    account (create the provider if it is missing).

    ## References
    - Amazon EKS User Guide: Assign IAM roles to Kubernetes service accounts
    - aws/amazon-eks-pod-identity-webhook: annotations and injected variables
    """

    id = "IAM001"
    slug = "service-account-trust-refused"
    title = "ServiceAccount's IAM role does not trust its token"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        cluster = platform.eks_cluster()
        if cluster is None:
            return
        analyzer = ctx.models(platform).iam
        for sa in sorted(platform.service_accounts, key=lambda s: str(s.meta.ref)):
            role_arn = sa.meta.annotations.get(ROLE_ARN)
            if not role_arn or platform.aws.role(role_arn) is None:
                continue
            ns = sa.meta.ns
            audience = sa.meta.annotations.get(AUDIENCE) or DEFAULT_AUDIENCE
            steps: list[ChainStep] = []
            grant = analyzer.irsa_chain(
                steps,
                cluster.oidc_issuer,
                f"system:serviceaccount:{ns}:{sa.meta.name}",
                audience,
                role_arn,
            )
            if grant.obtained:
                continue
            yield self.finding(
                sa.meta.ref,
                f"{sa.meta.ref} is annotated with {role_arn}, which refuses its token: "
                f"{grant.failure}",
                sa.meta.line_of(f"/metadata/annotations/{ROLE_ARN.replace('/', '~1')}"),
                evidence=[f"{s.step}: {s.detail}" for s in grant.steps],
                fix="make the role's trust name this cluster's OIDC provider, "
                f"sub system:serviceaccount:{ns}:{sa.meta.name} and aud {audience}",
                key=role_arn,
            )
