"""STO002."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.storage.model import claims, is_ebs
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class EbsImmediateBinding(Check):
    """
    ## What it does
    Finds EBS StorageClasses with `volumeBindingMode: Immediate` (the
    Kubernetes default when the field is left out).

    ## Why is this bad?
    An EBS volume lives in one Availability Zone. With `Immediate` binding
    the volume is created as soon as the claim exists, in a zone chosen
    without looking at the pod, so it can land in an AZ where none of the
    pod's eligible nodes run: the pod then stays `Pending` with a volume node
    affinity conflict. `WaitForFirstConsumer` creates the volume in the AZ of
    the node the scheduler picked.

    ## Example
    ```yaml
    provisioner: ebs.csi.aws.com
    volumeBindingMode: Immediate
    ```

    ## Fix
    Set `volumeBindingMode: WaitForFirstConsumer` (a class's binding mode
    cannot be changed: create a new class and move the claims).

    ## References
    - aws-ebs-csi-driver: docs/parameters.md and the StorageClass examples
    - Kubernetes documentation: Storage Classes, "Volume binding mode"
    """

    id = "STO002"
    slug = "ebs-immediate-binding"
    title = "EBS StorageClass binds volumes before pods are scheduled"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        views = claims(platform)
        for sc in platform.storage_classes:
            if not is_ebs(sc) or sc.volume_binding_mode != "Immediate":
                continue
            users = sorted(
                {
                    str(v.claim.template_of or v.claim.meta.ref)
                    for v in views
                    if v.storage_class is sc
                }
            )
            yield self.finding(
                sc.meta.ref,
                f"EBS class {sc.meta.name} uses Immediate binding: its volumes get an AZ before "
                "their pod is scheduled",
                sc.meta.source,
                evidence=[
                    f"provisioner {sc.provisioner}, volumeBindingMode {sc.volume_binding_mode}",
                    "used by " + (", ".join(users) if users else "no claim in the input"),
                ],
                fix="use a WaitForFirstConsumer class",
                severity=Severity.MEDIUM if users else Severity.LOW,
            )
