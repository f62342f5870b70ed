"""KMS004."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.kms.keys import key_uses
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.aws import KeyManager
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


class RotationOffKeyInUse(Check):
    """
    ## What it does
    Finds customer-managed symmetric KMS keys, used for Secrets or by an EBS
    StorageClass, whose automatic key rotation is off. Keys that nothing in
    the platform uses are left alone.

    ## Why is this bad?
    Automatic rotation gives the key new key material every year (or on the
    period you set) while old ciphertexts still decrypt. Without it, the same
    material protects every volume and Secret for the key's whole life, and
    compliance baselines (CIS, PCI DSS) flag it.

    ## Example
    ```json
    {"key_manager": "CUSTOMER", "rotation_enabled": false}
    ```

    ## Fix
    `aws kms enable-key-rotation --key-id KEY` (optionally with
    `--rotation-period-in-days`).

    ## References
    - AWS KMS Developer Guide: Rotate AWS KMS keys
    - CIS AWS Foundations Benchmark: rotation for customer-created symmetric CMKs
    """

    id = "KMS004"
    slug = "rotation-off-key-in-use"
    title = "Customer-managed KMS key in use without automatic rotation"
    severity = Severity.LOW
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        users: dict[str, list[str]] = {}
        keys = {}
        for use in key_uses(platform):
            key = use.key
            if key is None or key.key_manager is not KeyManager.CUSTOMER:
                continue
            if key.rotation_enabled or key.key_spec != "SYMMETRIC_DEFAULT":
                continue
            keys[key.arn] = key
            users.setdefault(key.arn, []).append(str(use.user))
        for arn, key in keys.items():
            aliases = f" ({', '.join(key.aliases)})" if key.aliases else ""
            yield self.finding(
                ObjectRef("KmsKey", arn),
                f"KMS key {key.key_id}{aliases} is in use and its automatic rotation is off",
                key.source,
                evidence=["used by " + ", ".join(users[arn]), "rotation_enabled: false"],
                fix=f"aws kms enable-key-rotation --key-id {key.key_id}",
            )
