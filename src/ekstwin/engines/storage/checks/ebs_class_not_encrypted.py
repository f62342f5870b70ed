"""STO004."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.storage.model import EbsParameters, is_ebs
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform

KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+")


class EbsClassNotEncrypted(Check):
    """
    ## What it does
    Finds EBS StorageClasses that do not set `encrypted: "true"`, and those
    whose `kmsKeyId` is not a key ARN (a key id, an alias, or an alias ARN).

    ## Why is this bad?
    The EBS CSI driver creates unencrypted volumes unless the class says
    `encrypted: "true"` (its default is false), unless the account turned on
    EBS encryption by default, which aws.json does not record. The driver
    documents `kmsKeyId` as the full ARN of the key; anything else makes the
    intended key a guess, and a key from another account must be named by
    ARN anyway. Without `kmsKeyId`, encrypted volumes use the account's
    `aws/ebs` key.

    ## Example
    ```yaml
    parameters:
      type: gp3
      kmsKeyId: alias/ebs
    ```

    ## Fix
    Set `encrypted: "true"` and `kmsKeyId:
    arn:aws:kms:REGION:ACCOUNT:key/KEY-ID` (a new class; parameters cannot
    be changed).

    ## References
    - aws-ebs-csi-driver: docs/parameters.md (`encrypted`, `kmsKeyId`)
    - Amazon EC2 User Guide: Amazon EBS encryption
    """

    id = "STO004"
    slug = "ebs-class-not-encrypted"
    title = "EBS StorageClass not encrypted, or kmsKeyId not a key ARN"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for sc in platform.storage_classes:
            if not is_ebs(sc):
                continue
            params = EbsParameters.of(sc)
            evidence = [
                f"provisioner {sc.provisioner}, type {params.type}",
                f"encrypted: {params.encrypted_raw!r}"
                if params.encrypted_raw is not None
                else "encrypted not set (driver default: false)",
            ]
            if not params.encrypted:
                yield self.finding(
                    sc.meta.ref,
                    f"EBS class {sc.meta.name} creates unencrypted volumes",
                    sc.meta.source,
                    evidence=evidence
                    + (
                        [f"kmsKeyId {params.kms_key_id} is not used without encrypted: true"]
                        if params.kms_key_id
                        else []
                    ),
                    fix='set encrypted: "true" and kmsKeyId to a customer-managed key ARN',
                    key="encrypted",
                )
            if params.kms_key_id and not KEY_ARN.fullmatch(params.kms_key_id):
                yield self.finding(
                    sc.meta.ref,
                    f"EBS class {sc.meta.name}: kmsKeyId {params.kms_key_id} is not a key ARN",
                    sc.meta.source,
                    evidence=[*evidence, f"kmsKeyId: {params.kms_key_id}"],
                    fix="name the key by its ARN: arn:aws:kms:REGION:ACCOUNT:key/KEY-ID",
                    key="kmsKeyId",
                    severity=Severity.LOW,
                )
