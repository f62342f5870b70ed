"""The platform: every object the twin loaded, typed and immutable."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from ekstwin.model.adminpolicy import AdminNetworkPolicy
from ekstwin.model.aws import AwsState
from ekstwin.model.calico import CalicoPolicy, NetworkSet, Tier
from ekstwin.model.istio import (
    AuthorizationPolicy,
    DestinationRule,
    PeerAuthentication,
    VirtualService,
)
from ekstwin.model.k8s import (
    AwsAuth,
    ConfigMap,
    Ingress,
    IngressClass,
    Meta,
    Namespace,
    NetworkPolicy,
    Node,
    OpaqueObject,
    PersistentVolume,
    PersistentVolumeClaim,
    Pod,
    PodSpec,
    Role,
    RoleBinding,
    Secret,
    Service,
    ServiceAccount,
    StorageClass,
    Workload,
)
from ekstwin.model.keycloak import Realm
from ekstwin.model.source import ObjectRef


@dataclass(frozen=True, slots=True)
class Platform:
    """One platform as loaded. Build it with ``ekstwin.loaders.load``.

    ``pods`` holds both the Pod objects of the input and the pods that the
    workloads would create; ``workloads`` the controllers themselves.
    """

    namespaces: tuple[Namespace, ...] = ()
    nodes: tuple[Node, ...] = ()
    workloads: tuple[Workload, ...] = ()
    pods: tuple[Pod, ...] = ()
    services: tuple[Service, ...] = ()
    ingresses: tuple[Ingress, ...] = ()
    ingress_classes: tuple[IngressClass, ...] = ()
    network_policies: tuple[NetworkPolicy, ...] = ()
    service_accounts: tuple[ServiceAccount, ...] = ()
    roles: tuple[Role, ...] = ()
    role_bindings: tuple[RoleBinding, ...] = ()
    config_maps: tuple[ConfigMap, ...] = ()
    secrets: tuple[Secret, ...] = ()
    storage_classes: tuple[StorageClass, ...] = ()
    pvcs: tuple[PersistentVolumeClaim, ...] = ()
    pvs: tuple[PersistentVolume, ...] = ()
    calico_policies: tuple[CalicoPolicy, ...] = ()
    network_sets: tuple[NetworkSet, ...] = ()
    tiers: tuple[Tier, ...] = ()
    admin_network_policies: tuple[AdminNetworkPolicy, ...] = ()
    authorization_policies: tuple[AuthorizationPolicy, ...] = ()
    peer_authentications: tuple[PeerAuthentication, ...] = ()
    virtual_services: tuple[VirtualService, ...] = ()
    destination_rules: tuple[DestinationRule, ...] = ()
    opaque: tuple[OpaqueObject, ...] = ()
    aws_auth: AwsAuth | None = None
    aws: AwsState = field(default_factory=AwsState)
    realms: tuple[Realm, ...] = ()

    # -- lookups ---------------------------------------------------------

    def namespace(self, name: str) -> Namespace | None:
        for ns in self.namespaces:
            if ns.name == name:
                return ns
        return None

    def pod(self, namespace: str, name: str) -> Pod | None:
        for p in self.pods:
            if p.namespace == namespace and p.name == name:
                return p
        return None

    def pods_in(self, namespace: str) -> tuple[Pod, ...]:
        return tuple(p for p in self.pods if p.namespace == namespace)

    def service(self, namespace: str, name: str) -> Service | None:
        for s in self.services:
            if s.meta.namespace == namespace and s.meta.name == name:
                return s
        return None

    def service_account(self, namespace: str, name: str) -> ServiceAccount | None:
        for sa in self.service_accounts:
            if sa.meta.namespace == namespace and sa.meta.name == name:
                return sa
        return None

    def pod_specs(self) -> Iterator[tuple[Meta, PodSpec]]:
        """Each pod template as written: every workload's, and every pod's whose
        workload is not in the input (bare Pods, or live pods of unknown owners)."""
        known = set()
        for w in self.workloads:
            known.add(w.ref)
            yield w.meta, w.spec
        for p in self.pods:
            if p.workload is None or (p.workload not in known and p.meta.kind == "Pod"):
                if p.workload is not None:
                    known.add(p.workload)
                yield p.meta, p.spec

    def metas(self, *, include_opaque: bool = True) -> Iterator[Meta]:
        """Every object read from the input (pods made from workloads excluded)."""
        groups: list[tuple[object, ...]] = [
            self.namespaces,
            self.nodes,
            self.workloads,
            self.services,
            self.ingresses,
            self.ingress_classes,
            self.network_policies,
            self.service_accounts,
            self.roles,
            self.role_bindings,
            self.config_maps,
            self.secrets,
            self.storage_classes,
            self.pvcs,
            self.pvs,
            self.calico_policies,
            self.network_sets,
            self.tiers,
            self.admin_network_policies,
            self.authorization_policies,
            self.peer_authentications,
            self.virtual_services,
            self.destination_rules,
        ]
        if include_opaque:
            groups.append(self.opaque)
        for group in groups:
            for obj in group:
                if getattr(obj, "implicit", False):
                    continue
                if getattr(obj, "template_of", None) is not None:
                    continue
                meta = getattr(obj, "meta", None)
                if isinstance(meta, Meta):
                    yield meta
        for pod in self.pods:
            if pod.workload is None:
                yield pod.meta

    def meta_of(self, ref: ObjectRef) -> Meta | None:
        for meta in self.metas():
            if meta.ref == ref:
                return meta
        return None

    def kind_counts(self) -> dict[str, int]:
        counts = Counter(m.kind for m in self.metas(include_opaque=False))
        return dict(sorted(counts.items()))

    def opaque_counts(self) -> dict[str, int]:
        counts = Counter(f"{o.meta.api_version}/{o.meta.kind}" for o in self.opaque)
        return dict(sorted(counts.items()))
