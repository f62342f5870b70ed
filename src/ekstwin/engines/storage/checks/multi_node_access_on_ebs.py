"""STO001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.storage.model import EbsParameters, claims
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class MultiNodeAccessOnEbs(Check):
    """
    ## What it does
    Finds claims on EBS classes that ask for `ReadWriteMany` or
    `ReadOnlyMany`. The one exception is `ReadWriteMany` with
    `volumeMode: Block` on an `io2` class: EBS Multi-Attach.

    ## Why is this bad?
    The EBS CSI controller accepts only single-node writers, plus multi-node
    writers for Block volumes (io2 Multi-Attach). A filesystem claim with
    `ReadWriteMany`, or any `ReadOnlyMany` claim, is never provisioned: it
    stays `Pending` and so do its pods.

    ## Example
    ```yaml
    spec:
      accessModes: [ReadWriteMany]
      storageClassName: gp3   # ebs.csi.aws.com
    ```

    ## Fix
    Use an EFS class (`efs.csi.aws.com`) for files shared between pods, or
    `ReadWriteOnce` (`ReadWriteOncePod`) for one pod's data.

    ## References
    - aws-ebs-csi-driver: docs/multi-attach.md
    - Amazon EKS User Guide: Store Kubernetes volumes with Amazon EBS
    """

    id = "STO001"
    slug = "multi-node-access-on-ebs"
    title = "ReadWriteMany or ReadOnlyMany claim on an EBS StorageClass"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        seen: set[tuple[str, str]] = set()
        for view in claims(platform):
            if not view.on_ebs:
                continue
            pvc = view.claim
            bad = [m for m in pvc.access_modes if m in ("ReadWriteMany", "ReadOnlyMany")]
            if not bad:
                continue
            params = EbsParameters.of(view.storage_class) if view.storage_class else None
            if (
                bad == ["ReadWriteMany"]
                and pvc.volume_mode == "Block"
                and params is not None
                and params.type == "io2"
            ):
                continue
            subject = pvc.template_of or pvc.meta.ref
            key = (
                pvc.meta.name
                if pvc.template_of is None
                else pvc.meta.name.rsplit(f"-{pvc.template_of.name}-", 1)[0]
            )
            if (str(subject), key) in seen:
                continue
            seen.add((str(subject), key))
            sc_name = view.storage_class.meta.name if view.storage_class else "?"
            what = (
                f"StatefulSet {subject.namespace}/{subject.name} claim template {key}"
                if pvc.template_of
                else f"claim {view.namespace}/{pvc.meta.name}"
            )
            yield self.finding(
                subject,
                f"{what} asks for {' and '.join(bad)} on EBS class {sc_name}; "
                "EBS cannot provision it",
                pvc.meta.source,
                evidence=[
                    f"access modes: {', '.join(pvc.access_modes)}",
                    f"volume mode: {pvc.volume_mode}",
                    f"class {sc_name}: provisioner {view.storage_class.provisioner}"
                    + (f", type {params.type}" if params else "")
                    if view.storage_class
                    else "class not in the input",
                ],
                fix="use an EFS class for shared files, or ReadWriteOnce",
                key=key,
            )
