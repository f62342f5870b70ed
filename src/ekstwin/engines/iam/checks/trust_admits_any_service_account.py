"""IAM002."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.iam.policy import Effect, PolicyError, parse_policy
from ekstwin.findings import Confidence, Finding, ObjectRef, Severity
from ekstwin.model.platform import Platform

_OIDC = ":oidc-provider/"


class TrustAdmitsAnyServiceAccount(Check):
    """
    ## What it does
    Finds IAM roles whose trust policy lets an EKS cluster's OIDC provider
    assume them (`sts:AssumeRoleWithWebIdentity`) without pinning the
    token's `sub` to one ServiceAccount: no `:sub` condition at all, or a
    `StringLike` pattern with a wildcard in the namespace or name.

    ## Why is this bad?
    Every ServiceAccount of the cluster (or of every matching namespace)
    can then obtain the role: anyone who can create a ServiceAccount and a
    pod gets its permissions.

    ## Example
    ```json
    "StringLike": {"oidc.eks.eu-west-1.amazonaws.com/id/X:sub": "system:serviceaccount:*:*"}
    ```

    ## Fix
    Use `StringEquals` on `<issuer>:sub` with exactly
    `system:serviceaccount:NAMESPACE:NAME`, and on `<issuer>:aud` with
    `sts.amazonaws.com`.

    ## References
    - Amazon EKS User Guide: Assign IAM roles to Kubernetes service accounts
    - AWS IAM User Guide: Available keys for AWS web identity federation
    """

    id = "IAM002"
    slug = "trust-admits-any-service-account"
    title = "IRSA trust policy admits any ServiceAccount"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for role in sorted(platform.aws.roles, key=lambda r: r.arn):
            if not role.trust_policy:
                continue
            try:
                trust = parse_policy(role.trust_policy, f"{role.name}/trust")
            except PolicyError:
                continue
            for stmt in trust.statements:
                if stmt.effect is not Effect.ALLOW or stmt.principal is None:
                    continue
                providers = [f for f in stmt.principal.federated if _OIDC in f]
                for provider in providers:
                    host = provider.split(_OIDC, 1)[1]
                    if "oidc.eks." not in host:
                        continue
                    subs = [c for c in stmt.conditions if c.key == f"{host}:sub".lower()]
                    problem = None
                    if not subs:
                        problem = "it has no condition on the token's sub"
                    else:
                        for c in subs:
                            if c.base in ("StringLike",) and any(
                                "*" in v.split(":", 2)[-1] or "?" in v for v in c.values
                            ):
                                problem = f"{c.operator} {c.key_written} {', '.join(c.values)}"
                            elif c.base.startswith(("StringNot", "ArnNot")) or c.if_exists:
                                problem = f"{c.operator} {c.key_written} does not pin one subject"
                    if problem is None:
                        continue
                    actions = stmt.actions.written if stmt.actions else ("NotAction",)
                    yield self.finding(
                        ObjectRef("IamRole", role.arn),
                        f"role {role.name} trusts {provider} for any ServiceAccount: {problem}",
                        role.source,
                        evidence=[
                            f"trust statement {stmt.label} allows {', '.join(actions)}",
                            f"Federated principal {provider}",
                        ],
                        fix=f"add StringEquals {host}:sub = "
                        "system:serviceaccount:NAMESPACE:NAME (and :aud = sts.amazonaws.com)",
                        key=f"{stmt.index}/{provider}",
                    )
