"""The storage engine: StorageClasses, claims and volumes end to end, and where
StatefulSet replicas' volumes live (:func:`storage_plan`)."""

from __future__ import annotations

from ekstwin.engines.storage.model import (
    EBS_PROVISIONER,
    EFS_PROVISIONER,
    ClaimView,
    EbsParameters,
    EfsParameters,
    allowed_zones,
    claim_users,
    claims,
    class_for,
    ebs_csi_identity,
    node_labels,
)
from ekstwin.engines.storage.plan import (
    ReplicaPlan,
    ReplicaStatus,
    ReplicaVolume,
    StatefulSetPlan,
    StoragePlan,
    VolumeBasis,
    storage_plan,
)

__all__ = [
    "EBS_PROVISIONER",
    "EFS_PROVISIONER",
    "ClaimView",
    "EbsParameters",
    "EfsParameters",
    "ReplicaPlan",
    "ReplicaStatus",
    "ReplicaVolume",
    "StatefulSetPlan",
    "StoragePlan",
    "VolumeBasis",
    "allowed_zones",
    "claim_users",
    "claims",
    "class_for",
    "ebs_csi_identity",
    "node_labels",
    "storage_plan",
]
