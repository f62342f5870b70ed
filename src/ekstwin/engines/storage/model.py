"""Claims, classes and volumes end to end, as the EBS and EFS CSI drivers see them.

* A claim without ``storageClassName`` gets the default class (the
  DefaultStorageClass admission plugin); ``storageClassName: ""`` means no
  dynamic provisioning.
* EBS (``ebs.csi.aws.com``) parameter keys are case-insensitive, except
  ``csi.storage.k8s.io/fstype``; ``type`` defaults to gp3, ``encrypted`` to
  false; ``kmsKeyId`` is a key ARN (docs/parameters.md of the driver).
* An EBS volume lives in one AZ; EFS (``efs.csi.aws.com``) is regional.
* Nodes made from aws.json instances carry their managed node group's labels,
  as EKS puts them on the nodes it launches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ekstwin.model.aws import EksCluster
from ekstwin.model.k8s import Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

EBS_PROVISIONER = "ebs.csi.aws.com"
EFS_PROVISIONER = "efs.csi.aws.com"
#: The in-tree EBS plugin name; CSI migration hands it to the EBS CSI driver.
IN_TREE_EBS = "kubernetes.io/aws-ebs"
ZONE_KEYS = (
    "topology.ebs.csi.aws.com/zone",
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone",
)
EBS_CSI_ADDON = "aws-ebs-csi-driver"
EBS_CSI_CONTROLLER_SA = "ebs-csi-controller-sa"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


def is_ebs(sc: StorageClass | None) -> bool:
    return sc is not None and sc.provisioner in (EBS_PROVISIONER, IN_TREE_EBS)


def is_efs(sc: StorageClass | None) -> bool:
    return sc is not None and sc.provisioner == EFS_PROVISIONER


@dataclass(frozen=True, slots=True)
class EbsParameters:
    """An EBS class's parameters, read as the driver reads them."""

    type: str = "gp3"
    iops: str | None = None
    iops_per_gb: str | None = None
    throughput: str | None = None
    encrypted: bool = False
    encrypted_raw: str | None = None
    kms_key_id: str | None = None
    fs_type: str | None = None

    @classmethod
    def of(cls, sc: StorageClass) -> EbsParameters:
        lower = {k.lower(): v for k, v in sc.parameters.items()}
        encrypted_raw = lower.get("encrypted")
        return cls(
            type=(lower.get("type") or "gp3").lower(),
            iops=lower.get("iops"),
            iops_per_gb=lower.get("iopspergb"),
            throughput=lower.get("throughput"),
            encrypted=(encrypted_raw or "").lower() == "true",
            encrypted_raw=encrypted_raw,
            kms_key_id=lower.get("kmskeyid") or None,
            fs_type=sc.parameters.get("csi.storage.k8s.io/fstype") or lower.get("fstype"),
        )


@dataclass(frozen=True, slots=True)
class EfsParameters:
    provisioning_mode: str | None = None
    file_system_id: str | None = None
    directory_perms: str | None = None

    @classmethod
    def of(cls, sc: StorageClass) -> EfsParameters:
        p = sc.parameters
        return cls(p.get("provisioningMode"), p.get("fileSystemId"), p.get("directoryPerms"))


def allowed_zones(sc: StorageClass | None) -> frozenset[str] | None:
    """Zones ``allowedTopologies`` permits; None when it does not restrict zones."""
    if sc is None or not sc.allowed_topologies:
        return None
    zones: set[str] = set()
    for term in sc.allowed_topologies:
        values = [v for k, vs in term.items() if k in ZONE_KEYS for v in vs]
        if not values:
            return None  # a term without a zone key admits every zone
        zones.update(values)
    return frozenset(zones)


def class_for(platform: Platform, name: str | None) -> StorageClass | None:
    """The class a claim gets: the named one, or the default when it names none."""
    if name == "":
        return None
    if name is None:
        defaults = [sc for sc in platform.storage_classes if sc.is_default]
        return defaults[-1] if defaults else None
    return next((sc for sc in platform.storage_classes if sc.meta.name == name), None)


def volume_for(platform: Platform, pvc: PersistentVolumeClaim) -> PersistentVolume | None:
    ns = pvc.meta.ns
    for pv in platform.pvs:
        if pvc.volume_name and pv.meta.name == pvc.volume_name:
            return pv
        if pv.claim == ObjectRef("PersistentVolumeClaim", pvc.meta.name, ns):
            return pv
    return None


def claim_users(platform: Platform) -> dict[tuple[str, str], tuple[Pod, ...]]:
    """(namespace, claim name) -> the pods that mount it, StatefulSet templates included."""
    users: dict[tuple[str, str], list[Pod]] = {}
    templates = {(w.meta.ns, w.meta.name): w.volume_claim_templates for w in platform.workloads}
    for pod in platform.pods:
        for name in pod.spec.claim_names:
            users.setdefault((pod.namespace, name), []).append(pod)
        if pod.workload is not None and pod.ordinal is not None:
            for t in templates.get((pod.namespace, pod.workload.name), ()):
                name = f"{t.name}-{pod.workload.name}-{pod.ordinal}"
                users.setdefault((pod.namespace, name), []).append(pod)
    return {k: tuple(v) for k, v in users.items()}


@dataclass(frozen=True, slots=True)
class ClaimView:
    """A claim with its class, its bound volume and the pods that mount it."""

    claim: PersistentVolumeClaim
    storage_class: StorageClass | None
    volume: PersistentVolume | None
    users: tuple[Pod, ...]

    @property
    def namespace(self) -> str:
        return self.claim.meta.ns

    @property
    def zones(self) -> tuple[str, ...]:
        return self.volume.zones if self.volume is not None else ()

    @property
    def on_ebs(self) -> bool:
        if self.volume is not None and self.volume.csi_driver:
            return self.volume.csi_driver == EBS_PROVISIONER
        return is_ebs(self.storage_class)


def claims(platform: Platform) -> tuple[ClaimView, ...]:
    users = claim_users(platform)
    return tuple(
        ClaimView(
            c,
            class_for(platform, c.storage_class_name),
            volume_for(platform, c),
            users.get((c.meta.ns, c.meta.name), ()),
        )
        for c in platform.pvcs
    )


def node_labels(platform: Platform, node: Node) -> Mapping[str, str]:
    """A node's labels, plus its managed node group's labels when it came from aws.json."""
    labels = dict(node.meta.labels)
    if node.instance_id:
        inst = platform.aws.instance(node.instance_id)
        if inst is not None and inst.node_group:
            for cluster in platform.aws.clusters:
                if inst.cluster in (None, cluster.name):
                    group = cluster.node_group(inst.node_group)
                    if group is not None:
                        labels = {**group.labels, **labels}
                        break
    return labels


@dataclass(frozen=True, slots=True)
class EbsCsiIdentity:
    """Where the EBS CSI controller gets AWS credentials.

    ``how`` is ``irsa`` (the add-on's service account role or the
    ServiceAccount annotation), ``pod-identity``, or ``node-role`` (none of
    them: the AWS SDK falls back to the node's instance profile through IMDS).
    The SDK's default chain tries IRSA's web identity token before the Pod
    Identity container endpoint, so IRSA wins when both are set.
    """

    present: bool
    namespace: str
    service_account: str
    how: str
    role_arn: str | None
    evidence: tuple[str, ...]


def ebs_csi_identity(platform: Platform, cluster: EksCluster) -> EbsCsiIdentity:
    addon = cluster.addon(EBS_CSI_ADDON)
    controller = next(
        (
            w
            for w in platform.workloads
            if w.meta.name == "ebs-csi-controller" and w.kind.value == "Deployment"
        ),
        None,
    )
    namespace = (controller.meta.namespace if controller else None) or "kube-system"
    sa_name = controller.spec.service_account if controller else EBS_CSI_CONTROLLER_SA
    if sa_name == "default" and controller is not None:
        sa_name = EBS_CSI_CONTROLLER_SA if addon else sa_name
    evidence: list[str] = []
    if addon is not None:
        evidence.append(f"EKS add-on {EBS_CSI_ADDON} {addon.version or ''}".rstrip())
    if controller is not None:
        evidence.append(f"Deployment {namespace}/ebs-csi-controller runs as {sa_name}")
    present = addon is not None or controller is not None
    sa = platform.service_account(namespace, sa_name)
    annotated = sa.meta.annotations.get(IRSA_ANNOTATION) if sa else None
    if addon is not None and addon.service_account_role_arn:
        evidence.append(f"add-on service account role {addon.service_account_role_arn} (IRSA)")
        return EbsCsiIdentity(
            present, namespace, sa_name, "irsa", addon.service_account_role_arn, tuple(evidence)
        )
    if annotated:
        evidence.append(f"ServiceAccount {namespace}/{sa_name} annotated {annotated} (IRSA)")
        return EbsCsiIdentity(present, namespace, sa_name, "irsa", annotated, tuple(evidence))
    assoc = cluster.pod_identity(namespace, sa_name)
    if assoc is not None:
        evidence.append(f"Pod Identity association {namespace}/{sa_name} -> {assoc.role_arn}")
        return EbsCsiIdentity(
            present, namespace, sa_name, "pod-identity", assoc.role_arn, tuple(evidence)
        )
    evidence.append(
        f"no IRSA role and no Pod Identity association for {namespace}/{sa_name}: "
        "the AWS SDK falls back to the node role through IMDS"
    )
    return EbsCsiIdentity(present, namespace, sa_name, "node-role", None, tuple(evidence))
