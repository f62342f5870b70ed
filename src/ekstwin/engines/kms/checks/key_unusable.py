"""KMS002."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.kms.keys import key_uses
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class KeyUnusable(Check):
    """
    ## What it does
    Finds KMS keys named by the cluster's `encryptionConfig` or by an EBS
    StorageClass's `kmsKeyId` that cannot be used: not `Enabled` (disabled,
    pending deletion, pending import, unavailable), or in another Region than
    the cluster.

    ## Why is this bad?
    Only an enabled key can encrypt or decrypt. With a disabled Secrets key
    the API server cannot read or write Secrets; a key pending deletion is
    gone after its waiting period and EKS says the cluster cannot be
    recovered. An EBS class on such a key fails every new volume, and
    volumes encrypted with it fail to attach. EKS and EBS both need a key in
    the cluster's own Region.

    ## Example
    ```json
    {"arn": "arn:aws:kms:eu-west-1:111122223333:key/...", "key_state": "PendingDeletion"}
    ```

    ## Fix
    Cancel the deletion (`aws kms cancel-key-deletion`) and enable the key,
    or move the class to a usable key in the cluster's Region.

    ## References
    - AWS KMS Developer Guide: Key states of AWS KMS keys
    - Amazon EKS User Guide: Encrypt Kubernetes secrets with KMS on existing clusters
    """

    id = "KMS002"
    slug = "key-unusable"
    title = "KMS key in use is disabled, pending deletion or in another Region"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for use in key_uses(platform):
            problems: list[str] = []
            if use.key is not None and not use.key.usable:
                problems.append(f"key state {use.key.key_state.value}")
            region = use.key_region
            if region and use.expected_region and region != use.expected_region:
                problems.append(f"key in {region}, cluster in {use.expected_region}")
            if not problems:
                continue
            what = "Secrets encryption" if use.purpose == "secrets" else "EBS volumes"
            yield self.finding(
                use.user,
                f"{use.label}: the KMS key for {what} cannot be used ({'; '.join(problems)})",
                use.user_source,
                evidence=[f"key {use.key_ref}", *problems],
                fix="enable the key (cancel its deletion) or use an enabled key in the "
                "cluster's Region",
                key=use.key_ref,
            )
