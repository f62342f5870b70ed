"""STO003."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.storage.model import class_for
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.k8s import WorkloadKind
from ekstwin.model.platform import Platform


class DeleteReclaimForStatefulSet(Check):
    """
    ## What it does
    Finds StatefulSets (databases, queues, anything that keeps state) whose
    claim templates use a StorageClass with `reclaimPolicy: Delete`, the
    default. The StatefulSet's `persistentVolumeClaimRetentionPolicy` is in
    the evidence; `whenDeleted: Delete` makes it worse.

    ## Why is this bad?
    Dynamically provisioned volumes inherit the class's reclaim policy. With
    `Delete`, deleting the claim deletes the EBS volume or EFS access point
    and the data with it: a `kubectl delete namespace`, an uninstall that
    removes claims, or a retention policy of `Delete` is enough to lose a
    database.

    ## Example
    ```yaml
    kind: StorageClass
    reclaimPolicy: Delete
    ```

    ## Fix
    Use a class with `reclaimPolicy: Retain` for stateful data (and patch
    existing PVs' `persistentVolumeReclaimPolicy` to `Retain`); keep
    snapshots or backups either way.

    ## References
    - Kubernetes documentation: Storage Classes, "Reclaim policy"
    - Kubernetes documentation: StatefulSets, "PersistentVolumeClaim retention"
    """

    id = "STO003"
    slug = "delete-reclaim-for-statefulset"
    title = "StatefulSet data on a StorageClass that deletes volumes with claims"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for w in platform.workloads:
            if w.kind is not WorkloadKind.STATEFUL_SET:
                continue
            for t in w.volume_claim_templates:
                sc = class_for(platform, t.storage_class_name)
                if sc is None or sc.reclaim_policy != "Delete":
                    continue
                when_deleted = w.pvc_retention.get("whenDeleted", "Retain")
                when_scaled = w.pvc_retention.get("whenScaled", "Retain")
                severe = "Delete" in (when_deleted, when_scaled)
                yield self.finding(
                    w.ref,
                    f"StatefulSet {w.meta.namespace}/{w.meta.name}: claim template {t.name} uses "
                    f"class {sc.meta.name} (reclaimPolicy Delete); deleting a claim deletes "
                    "its volume and data",
                    w.meta.source,
                    evidence=[
                        f"class {sc.meta.name}: reclaimPolicy {sc.reclaim_policy}"
                        + (" (default class)" if t.storage_class_name is None else ""),
                        f"persistentVolumeClaimRetentionPolicy: whenDeleted {when_deleted}, "
                        f"whenScaled {when_scaled}",
                    ],
                    fix="use a Retain class for stateful data and keep backups",
                    key=t.name,
                    severity=Severity.HIGH if severe else None,
                )
