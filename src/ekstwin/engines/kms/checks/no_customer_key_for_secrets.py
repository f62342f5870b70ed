"""KMS001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.aws import KeyManager
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


def _version_at_least(version: str, major: int, minor: int) -> bool:
    try:
        parts = [int(p) for p in version.split(".")[:2]]
    except ValueError:
        return False
    return len(parts) == 2 and (parts[0], parts[1]) >= (major, minor)


class NoCustomerKeyForSecrets(Check):
    """
    ## What it does
    Finds EKS clusters whose `encryptionConfig` names no customer-managed KMS
    key for the `secrets` resource.

    ## Why is this bad?
    Since Kubernetes 1.28, EKS envelope-encrypts all Kubernetes API data
    (Secrets included) with KMS v2 and an AWS-owned key, so Secrets are not
    stored in plaintext in etcd; but that key is not yours. You cannot see its
    use in CloudTrail, limit who may decrypt with it, or revoke it. With a
    customer-managed key as the key-encryption key, decrypting any Secret
    needs your key, and its policy, grants and CloudTrail events are under
    your control. On clusters older than 1.28 without an encryptionConfig,
    Secrets are not envelope-encrypted at all: they are base64 in etcd.
    Either way, anyone who reads a Secret through the API still sees its
    value: this is about data at rest and key control, not RBAC.

    ## Example
    ```json
    "encryption_config": []
    ```

    ## Fix
    Associate a symmetric customer-managed KMS key in the cluster's Region
    (`aws eks associate-encryption-config --encryption-config
    '[{"resources":["secrets"],"provider":{"keyArn":"..."}}]'`). It cannot be
    removed afterwards, and deleting the key breaks the cluster for good.

    ## References
    - Amazon EKS User Guide: Encrypt Kubernetes secrets with KMS on existing clusters
    - Amazon EKS User Guide: Default envelope encryption for all Kubernetes API data
    """

    id = "KMS001"
    slug = "no-customer-key-for-secrets"
    title = "No customer-managed KMS key envelope-encrypts Secrets"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for cluster in platform.aws.clusters:
            key_arn = cluster.secrets_key_arn
            key = platform.aws.kms_key(key_arn, cluster.region) if key_arn else None
            if key_arn and (key is None or key.key_manager is KeyManager.CUSTOMER):
                continue
            modern = _version_at_least(cluster.version, 1, 28)
            evidence = [f"cluster {cluster.name} runs Kubernetes {cluster.version}"]
            if key_arn and key is not None:
                evidence.append(f"encryptionConfig names {key_arn}, an AWS-managed key")
                message = (
                    f"cluster {cluster.name}: Secrets are envelope-encrypted with AWS-managed "
                    f"key {key_arn}; no customer-managed KMS key controls who can decrypt them"
                )
                severity = Severity.MEDIUM
            elif modern:
                evidence.append("encryptionConfig has no entry for resource 'secrets'")
                evidence.append(
                    "EKS default since 1.28: KMS v2 envelope encryption with an AWS-owned key"
                )
                message = (
                    f"cluster {cluster.name}: Secrets are envelope-encrypted only with an "
                    "AWS-owned key (the EKS default since 1.28); no customer-managed KMS key "
                    "controls who can decrypt them"
                )
                severity = Severity.MEDIUM
            else:
                evidence.append("encryptionConfig has no entry for resource 'secrets'")
                message = (
                    f"cluster {cluster.name} (Kubernetes {cluster.version}, before 1.28): "
                    "Secrets are not envelope-encrypted; etcd holds them base64-encoded"
                )
                severity = Severity.HIGH
            yield self.finding(
                ObjectRef("EksCluster", cluster.arn),
                message,
                cluster.source,
                evidence=evidence,
                fix="associate a symmetric customer-managed KMS key for resource 'secrets' "
                "(aws eks associate-encryption-config)",
                severity=severity,
            )
