"""KMS003."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.kms.keys import key_decision, key_uses
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class KeyPolicyDeniesUser(Check):
    """
    ## What it does
    Evaluates, with the iam engine, whether the principal that uses each key
    may: the EBS CSI controller's role (IRSA or Pod Identity) for an EBS
    class's `kmsKeyId` (`kms:CreateGrant` for an AWS resource,
    `kms:GenerateDataKeyWithoutPlaintext`, `kms:Decrypt`, `kms:DescribeKey`
    through EC2), and the cluster role for the `encryptionConfig` key
    (`kms:Encrypt`, `kms:Decrypt`, `kms:DescribeKey`). The key policy must
    allow it, directly or by naming the account so IAM policies decide, and
    SCPs and permissions boundaries apply.

    ## Why is this bad?
    A key policy is the primary control of a KMS key: without it admitting
    the caller no IAM policy helps. The EBS CSI driver then fails every
    encrypted volume with a KMS access error, and claims stay `Pending`;
    EKS cannot envelope-encrypt Secrets.

    ## Example
    A key policy that allows only `arn:aws:iam::111122223333:role/admin`,
    used by `kmsKeyId` of a gp3 class.

    ## Fix
    Add a key policy statement for the role (or one naming the account root,
    with an IAM policy on the role), with `kms:GrantIsForAWSResource` on
    `kms:CreateGrant`.

    ## References
    - Amazon EKS User Guide: Store Kubernetes volumes with Amazon EBS (KMS permissions)
    - AWS KMS Developer Guide: Key policies in AWS KMS
    """

    id = "KMS003"
    slug = "key-policy-denies-user"
    title = "KMS key policy does not let the EBS CSI or cluster role use the key"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for use in key_uses(platform):
            if use.key is None or use.principal_arn is None:
                continue
            region = use.expected_region or use.key_region or ""
            context = {"aws:RequestedRegion": region}
            if use.purpose == "ebs":
                context["kms:ViaService"] = f"ec2.{region}.amazonaws.com"
                context["kms:GrantIsForAWSResource"] = "true"
            denied = []
            for action in use.actions:
                decision = key_decision(platform, use.key, use.principal_arn, action, context)
                if decision is not None and not decision.allowed:
                    denied.append(f"{action}: {decision.reason}")
            if not denied:
                continue
            who = "the EBS CSI controller role" if use.purpose == "ebs" else "the cluster role"
            yield self.finding(
                use.user,
                f"{use.label}: {who} {use.principal_arn} may not use KMS key {use.key.arn}",
                use.user_source,
                evidence=denied,
                fix=f"allow {', '.join(use.actions)} for {use.principal_arn} in the key policy "
                "(or name the account root and grant it in the role's IAM policy)",
                key=use.key.arn,
            )
