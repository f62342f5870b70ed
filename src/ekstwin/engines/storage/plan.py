"""Where each StatefulSet replica's volumes live, where it can run, and what an AZ loss does.

A replica's volume zone comes, best evidence first, from:

* ``bound``: its PersistentVolume's node affinity (``topology.ebs.csi.aws.com/zone``
  or ``topology.kubernetes.io/zone``);
* ``placed``: the node its pod runs on (``spec.nodeName`` of a live pod), for a
  ``WaitForFirstConsumer`` class: the volume is created in that pod's AZ;
* ``predicted``: ``WaitForFirstConsumer`` and no pod placed yet: the scheduler's
  default zone spreading puts replica *i* in the *i*-th of the eligible zones
  (sorted), round robin. An assumption, said so in the plan;
* ``unpinned``: ``Immediate`` binding: the driver creates the volume before the
  pod is scheduled, in any zone with CSI nodes that ``allowedTopologies``
  permits, whether or not the replica can run there;
* ``regional``: EFS, reachable from every AZ.

Eligible nodes are those whose labels (with their node group's) match the pod
template's ``nodeSelector``; affinity, taints and tolerations are not in the
model and are not applied. When the input holds no node at all, where a
replica can run is ``unknown`` (not ``cannot-run``). A replica can run on the eligible nodes in its
volumes' zone. Losing an AZ removes its nodes; a replica whose volume is in
that AZ cannot be rescheduled anywhere (EBS volumes do not move). A
StatefulSet keeps quorum while a majority (``replicas // 2 + 1``) of its
replicas can run.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ekstwin.engines.storage.model import (
    allowed_zones,
    class_for,
    is_efs,
    node_labels,
    volume_for,
)
from ekstwin.model.k8s import Node, Pod, Workload, WorkloadKind
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

__all__ = [
    "ReplicaPlan",
    "ReplicaStatus",
    "ReplicaVolume",
    "StatefulSetPlan",
    "StoragePlan",
    "VolumeBasis",
    "storage_plan",
]


class VolumeBasis(StrEnum):
    BOUND = "bound"
    PLACED = "placed"
    PREDICTED = "predicted"
    UNPINNED = "unpinned"
    REGIONAL = "regional"
    UNKNOWN = "unknown"


class ReplicaStatus(StrEnum):
    OK = "ok"
    AT_RISK = "at-risk"
    CANNOT_RUN = "cannot-run"
    UNKNOWN = "unknown"  # the input holds no node: where it runs cannot be judged


@dataclass(frozen=True, slots=True)
class ReplicaVolume:
    claim: str
    storage_class: str | None
    provisioner: str | None
    zones: tuple[str, ...]
    basis: VolumeBasis

    def to_json(self) -> dict[str, object]:
        return {
            "claim": self.claim,
            "storage_class": self.storage_class,
            "provisioner": self.provisioner,
            "zones": list(self.zones),
            "basis": self.basis.value,
        }


@dataclass(frozen=True, slots=True)
class ReplicaPlan:
    pod: str
    ordinal: int
    volumes: tuple[ReplicaVolume, ...]
    runnable_nodes: tuple[str, ...]
    status: ReplicaStatus
    reason: str

    def to_json(self) -> dict[str, object]:
        return {
            "pod": self.pod,
            "ordinal": self.ordinal,
            "volumes": [v.to_json() for v in self.volumes],
            "runnable_nodes": list(self.runnable_nodes),
            "status": self.status.value,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class StatefulSetPlan:
    namespace: str
    name: str
    replicas: int
    node_selector: dict[str, str]
    eligible_nodes: tuple[str, ...]
    eligible_zones: tuple[str, ...]
    replica_plans: tuple[ReplicaPlan, ...]

    @property
    def quorum(self) -> int:
        return self.replicas // 2 + 1

    @property
    def available(self) -> int:
        return sum(1 for r in self.replica_plans if r.status is ReplicaStatus.OK)

    @property
    def loses_quorum(self) -> bool:
        return self.replicas > 0 and self.available < self.quorum

    def to_json(self) -> dict[str, object]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "replicas": self.replicas,
            "node_selector": dict(sorted(self.node_selector.items())),
            "eligible_nodes": list(self.eligible_nodes),
            "eligible_zones": list(self.eligible_zones),
            "quorum": self.quorum,
            "available": self.available,
            "loses_quorum": self.loses_quorum,
            "replicas_plan": [r.to_json() for r in self.replica_plans],
        }


@dataclass(frozen=True, slots=True)
class StoragePlan:
    lose_az: str | None
    zones: tuple[str, ...]
    statefulsets: tuple[StatefulSetPlan, ...]
    assumptions: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "lose_az": self.lose_az,
            "zones": list(self.zones),
            "statefulsets": [s.to_json() for s in self.statefulsets],
            "assumptions": list(self.assumptions),
        }


ASSUMPTIONS = (
    "eligible nodes match the pod template's nodeSelector (with their node group's labels); "
    "node affinity, taints and tolerations are not applied",
    "WaitForFirstConsumer volumes without a bound PV or a placed pod are predicted: replica i "
    "in the i-th eligible zone, round robin (the scheduler's default zone spreading)",
    "Immediate volumes may be created in any zone that has nodes and that allowedTopologies "
    "permits, before the pod is scheduled",
)


def _eligible(platform: Platform, w: Workload) -> list[Node]:
    selector = w.spec.node_selector
    out = []
    for node in platform.nodes:
        labels = node_labels(platform, node)
        if all(labels.get(k) == v for k, v in selector.items()):
            out.append(node)
    return out


def _pod_node_zone(platform: Platform, pod: Pod | None) -> str | None:
    if pod is None or not pod.spec.node_name:
        return None
    node = next((n for n in platform.nodes if n.name == pod.spec.node_name), None)
    return node.zone if node else None


def _volume(
    platform: Platform,
    w: Workload,
    claim_name: str,
    class_name: str | None,
    *,
    ordinal: int,
    pod: Pod | None,
    eligible_zones: list[str],
    all_zones: list[str],
) -> ReplicaVolume:
    ns = w.meta.ns
    pvc = next(
        (c for c in platform.pvcs if c.meta.name == claim_name and c.meta.namespace == ns), None
    )
    if pvc is not None and pvc.template_of is None:
        class_name = pvc.storage_class_name
    sc = class_for(platform, class_name)
    sc_name = sc.meta.name if sc else class_name
    provisioner = sc.provisioner if sc else None
    pv = volume_for(platform, pvc) if pvc is not None else None
    if pv is not None and pv.csi_driver:
        provisioner = pv.csi_driver
    if is_efs(sc) or provisioner == "efs.csi.aws.com":
        return ReplicaVolume(claim_name, sc_name, provisioner, (), VolumeBasis.REGIONAL)
    if pv is not None and pv.zones:
        return ReplicaVolume(claim_name, sc_name, provisioner, pv.zones, VolumeBasis.BOUND)
    if sc is None:
        return ReplicaVolume(claim_name, sc_name, provisioner, (), VolumeBasis.UNKNOWN)
    permitted = allowed_zones(sc)
    if sc.volume_binding_mode == "WaitForFirstConsumer":
        zone = _pod_node_zone(platform, pod)
        if zone is not None:
            return ReplicaVolume(claim_name, sc_name, provisioner, (zone,), VolumeBasis.PLACED)
        candidates = [z for z in eligible_zones if permitted is None or z in permitted]
        if not candidates:
            return ReplicaVolume(claim_name, sc_name, provisioner, (), VolumeBasis.UNKNOWN)
        zone = candidates[ordinal % len(candidates)]
        return ReplicaVolume(claim_name, sc_name, provisioner, (zone,), VolumeBasis.PREDICTED)
    possible = tuple(z for z in all_zones if permitted is None or z in permitted)
    return ReplicaVolume(claim_name, sc_name, provisioner, possible, VolumeBasis.UNPINNED)


def _replica(
    pod_name: str,
    ordinal: int,
    volumes: tuple[ReplicaVolume, ...],
    eligible: list[Node],
    lose_az: str | None,
    *,
    has_nodes: bool = True,
) -> ReplicaPlan:
    alive = [n for n in eligible if lose_az is None or n.zone != lose_az]
    pinned = [
        v
        for v in volumes
        if v.basis in (VolumeBasis.BOUND, VolumeBasis.PLACED, VolumeBasis.PREDICTED)
    ]
    unpinned = [v for v in volumes if v.basis is VolumeBasis.UNPINNED]
    zones: set[str] | None = None
    for v in pinned:
        zones = set(v.zones) if zones is None else zones & set(v.zones)
    runnable = [n for n in alive if zones is None or n.zone in zones]
    names = tuple(n.name for n in runnable)
    if not has_nodes:
        return ReplicaPlan(
            pod_name,
            ordinal,
            volumes,
            (),
            ReplicaStatus.UNKNOWN,
            "the input holds no node (no Node objects, no EC2 instances of the cluster): "
            "where it can run is not known",
        )
    if not eligible:
        return ReplicaPlan(
            pod_name,
            ordinal,
            volumes,
            (),
            ReplicaStatus.CANNOT_RUN,
            "no node matches the pod template's nodeSelector",
        )
    for v in pinned:
        if lose_az is not None and lose_az in v.zones and len(v.zones) == 1:
            return ReplicaPlan(
                pod_name,
                ordinal,
                volumes,
                names,
                ReplicaStatus.CANNOT_RUN,
                f"its volume {v.claim} lives in {lose_az} ({v.basis.value}), which is lost; "
                "an EBS volume cannot move to another AZ",
            )
    if not runnable:
        where = ", ".join(sorted(zones or ())) or "no zone"
        return ReplicaPlan(
            pod_name,
            ordinal,
            volumes,
            names,
            ReplicaStatus.CANNOT_RUN,
            f"its volumes are in {where}, where no eligible node"
            + (" is left" if lose_az else " runs"),
        )
    for v in unpinned:
        node_zones = {n.zone for n in runnable}
        stray = [z for z in v.zones if z not in node_zones]
        if stray:
            return ReplicaPlan(
                pod_name,
                ordinal,
                volumes,
                names,
                ReplicaStatus.AT_RISK,
                f"its volume {v.claim} ({v.storage_class}, Immediate binding) may be created in "
                f"{', '.join(stray)}, where no eligible node " + ("is left" if lose_az else "runs"),
            )
    zone_text = ", ".join(sorted({n.zone or "?" for n in runnable}))
    return ReplicaPlan(
        pod_name,
        ordinal,
        volumes,
        names,
        ReplicaStatus.OK,
        f"can run on {len(runnable)} node(s) in {zone_text}",
    )


def _statefulset(
    platform: Platform,
    w: Workload,
    lose_az: str | None,
    all_zones: list[str],
    made: dict[ObjectRef, list[Pod]],
) -> StatefulSetPlan:
    ns = w.meta.ns
    eligible = _eligible(platform, w)
    eligible_zones = sorted({n.zone for n in eligible if n.zone})
    pods = {
        p.ordinal: p for p in made.get(w.ref, ()) if p.ordinal is not None and p.namespace == ns
    }
    plans = []
    for i in range(w.replicas):
        where: dict[str, Any] = {
            "ordinal": i,
            "pod": pods.get(i),
            "eligible_zones": eligible_zones,
            "all_zones": all_zones,
        }
        vols = [
            _volume(
                platform,
                w,
                f"{t.name}-{w.meta.name}-{i}",
                t.storage_class_name,
                **where,
            )
            for t in w.volume_claim_templates
        ]
        vols += [_volume(platform, w, name, None, **where) for name in w.spec.claim_names]
        plans.append(
            _replica(
                f"{w.meta.name}-{i}",
                i,
                tuple(vols),
                eligible,
                lose_az,
                has_nodes=bool(platform.nodes),
            )
        )
    return StatefulSetPlan(
        ns,
        w.meta.name,
        w.replicas,
        dict(w.spec.node_selector),
        tuple(n.name for n in eligible),
        tuple(eligible_zones),
        tuple(plans),
    )


def storage_plan(platform: Platform, lose_az: str | None = None) -> StoragePlan:
    """The plan of every StatefulSet; with ``lose_az``, as if that AZ's nodes were gone."""
    all_zones = sorted({n.zone for n in platform.nodes if n.zone})
    made: dict[ObjectRef, list[Pod]] = {}
    for pod in platform.pods:
        if pod.workload is not None:
            made.setdefault(pod.workload, []).append(pod)
    sets = sorted(
        (w for w in platform.workloads if w.kind is WorkloadKind.STATEFUL_SET),
        key=lambda w: (w.meta.ns, w.meta.name),
    )
    return StoragePlan(
        lose_az,
        tuple(all_zones),
        tuple(_statefulset(platform, w, lose_az, all_zones, made) for w in sets),
        ASSUMPTIONS,
    )
