"""Storage: StorageClass, PersistentVolumeClaim, PersistentVolume."""

from __future__ import annotations

from ekstwin.loaders.kubernetes.fields import (
    as_bool,
    as_list,
    as_map,
    as_str,
    req_str,
    str_list,
    str_map,
)
from ekstwin.loaders.kubernetes.kinds import CORE_GROUPS
from ekstwin.loaders.kubernetes.objects import KindHandler, in_groups
from ekstwin.model.k8s import (
    DEFAULT_NAMESPACE,
    Meta,
    PersistentVolume,
    PersistentVolumeClaim,
    StorageClass,
)
from ekstwin.model.source import ObjectRef

__all__ = ["HANDLERS"]


def _storage_class(doc: dict[str, object], meta: Meta) -> StorageClass:
    topologies = []
    for i, t in enumerate(as_list(doc.get("allowedTopologies"), "/allowedTopologies")):
        terms: dict[str, tuple[str, ...]] = {}
        tm = as_map(t, f"/allowedTopologies/{i}")
        for j, e in enumerate(as_list(tm.get("matchLabelExpressions"), f"/allowedTopologies/{i}")):
            em = as_map(e, f"/allowedTopologies/{i}/matchLabelExpressions/{j}")
            key = req_str(em.get("key"), f"/allowedTopologies/{i}/matchLabelExpressions/{j}/key")
            terms[key] = str_list(em.get("values"), f"/allowedTopologies/{i}")
        topologies.append(terms)
    default_annotations = (
        "storageclass.kubernetes.io/is-default-class",
        "storageclass.beta.kubernetes.io/is-default-class",
    )
    return StorageClass(
        meta=meta,
        provisioner=req_str(doc.get("provisioner"), "/provisioner"),
        parameters=str_map(doc.get("parameters"), "/parameters"),
        reclaim_policy=as_str(doc.get("reclaimPolicy"), "/reclaimPolicy") or "Delete",
        volume_binding_mode=as_str(doc.get("volumeBindingMode"), "/volumeBindingMode")
        or "Immediate",
        allow_volume_expansion=bool(
            as_bool(doc.get("allowVolumeExpansion"), "/allowVolumeExpansion", False)
        ),
        allowed_topologies=tuple(topologies),
        is_default=any(meta.annotations.get(a) == "true" for a in default_annotations),
    )


def _pvc(doc: dict[str, object], meta: Meta) -> PersistentVolumeClaim:
    spec = as_map(doc.get("spec"), "/spec")
    requests = as_map(as_map(spec.get("resources"), "/spec/resources").get("requests"), "/spec")
    return PersistentVolumeClaim(
        meta=meta,
        storage_class_name=as_str(spec.get("storageClassName"), "/spec/storageClassName"),
        access_modes=str_list(spec.get("accessModes"), "/spec/accessModes"),
        storage=as_str(requests.get("storage"), "/spec/resources/requests/storage"),
        volume_name=as_str(spec.get("volumeName"), "/spec/volumeName"),
        volume_mode=as_str(spec.get("volumeMode"), "/spec/volumeMode") or "Filesystem",
    )


_ZONE_KEYS = frozenset(
    {
        "topology.ebs.csi.aws.com/zone",
        "topology.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/zone",
    }
)


def _pv(doc: dict[str, object], meta: Meta) -> PersistentVolume:
    spec = as_map(doc.get("spec"), "/spec")
    csi = as_map(spec.get("csi"), "/spec/csi")
    zones: list[str] = []
    required = as_map(
        as_map(spec.get("nodeAffinity"), "/spec/nodeAffinity").get("required"), "/spec"
    )
    for term in as_list(required.get("nodeSelectorTerms"), "/spec/nodeAffinity/required"):
        if not isinstance(term, dict):
            continue
        for expr in as_list(term.get("matchExpressions"), "/spec/nodeAffinity"):
            if isinstance(expr, dict) and expr.get("key") in _ZONE_KEYS:
                zones.extend(str(v) for v in as_list(expr.get("values"), "/spec/nodeAffinity"))
    claim = as_map(spec.get("claimRef"), "/spec/claimRef")
    capacity = as_map(spec.get("capacity"), "/spec/capacity")
    return PersistentVolume(
        meta=meta,
        storage_class_name=as_str(spec.get("storageClassName"), "/spec/storageClassName"),
        access_modes=str_list(spec.get("accessModes"), "/spec/accessModes"),
        capacity=as_str(capacity.get("storage"), "/spec/capacity/storage"),
        reclaim_policy=as_str(spec.get("persistentVolumeReclaimPolicy"), "/spec") or "Retain",
        csi_driver=as_str(csi.get("driver"), "/spec/csi/driver"),
        volume_handle=as_str(csi.get("volumeHandle"), "/spec/csi/volumeHandle"),
        zones=tuple(zones),
        claim=ObjectRef(
            "PersistentVolumeClaim",
            str(claim["name"]),
            str(claim.get("namespace") or DEFAULT_NAMESPACE),
        )
        if claim.get("name")
        else None,
    )


HANDLERS: dict[tuple[str, str], KindHandler] = in_groups(
    CORE_GROUPS,
    {
        "StorageClass": lambda objs, data, meta: objs.storage_classes.append(
            _storage_class(data, meta)
        ),
        "PersistentVolumeClaim": lambda objs, data, meta: objs.pvcs.append(_pvc(data, meta)),
        "PersistentVolume": lambda objs, data, meta: objs.pvs.append(_pv(data, meta)),
    },
)
