"""What the documents held, by kind (:class:`KubeObjects`), and what a kind
handler is."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ekstwin.findings import DiagnosticCollector
from ekstwin.model.adminpolicy import AdminNetworkPolicy
from ekstwin.model.calico import CalicoPolicy, NetworkSet, Tier
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
    Role,
    RoleBinding,
    Secret,
    Service,
    ServiceAccount,
    StorageClass,
    Workload,
)
from ekstwin.model.vpc import SecurityGroupPolicy

if TYPE_CHECKING:  # the Istio handlers import it when a document is one
    from ekstwin.model.istio import (
        AuthorizationPolicy,
        DestinationRule,
        PeerAuthentication,
        VirtualService,
    )

__all__ = ["KindHandler", "KubeObjects", "in_groups", "kind_table"]


@dataclass
class KubeObjects:
    """What the documents held, by kind, before workloads are expanded."""

    namespaces: list[Namespace] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    pods: list[Pod] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    ingresses: list[Ingress] = field(default_factory=list)
    ingress_classes: list[IngressClass] = field(default_factory=list)
    network_policies: list[NetworkPolicy] = field(default_factory=list)
    service_accounts: list[ServiceAccount] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    role_bindings: list[RoleBinding] = field(default_factory=list)
    config_maps: list[ConfigMap] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)
    storage_classes: list[StorageClass] = field(default_factory=list)
    pvcs: list[PersistentVolumeClaim] = field(default_factory=list)
    pvs: list[PersistentVolume] = field(default_factory=list)
    calico_policies: list[CalicoPolicy] = field(default_factory=list)
    network_sets: list[NetworkSet] = field(default_factory=list)
    tiers: list[Tier] = field(default_factory=list)
    admin_network_policies: list[AdminNetworkPolicy] = field(default_factory=list)
    security_group_policies: list[SecurityGroupPolicy] = field(default_factory=list)
    authorization_policies: list[AuthorizationPolicy] = field(default_factory=list)
    peer_authentications: list[PeerAuthentication] = field(default_factory=list)
    virtual_services: list[VirtualService] = field(default_factory=list)
    destination_rules: list[DestinationRule] = field(default_factory=list)
    opaque: list[OpaqueObject] = field(default_factory=list)
    aws_auth: AwsAuth | None = None
    diagnostics: DiagnosticCollector = field(default_factory=DiagnosticCollector)


#: Reads one document of its kind into ``objs`` (or raises ``InvalidDocument``).
KindHandler = Callable[[KubeObjects, dict[str, object], Meta], None]


def in_groups(
    groups: Iterable[str], handlers: Mapping[str, KindHandler]
) -> dict[tuple[str, str], KindHandler]:
    """The (group, kind) table entries of ``handlers`` (kind -> handler) in every one
    of ``groups``."""
    return {(group, kind): h for group in groups for kind, h in handlers.items()}


def kind_table(
    *parts: Mapping[tuple[str, str], KindHandler],
) -> dict[tuple[str, str], KindHandler]:
    """One (group, kind) table from several; a (group, kind) two parts both claim is
    a mistake in the reader, refused when the module is imported."""
    table: dict[tuple[str, str], KindHandler] = {}
    for part in parts:
        for key, handler in part.items():
            if key in table:
                raise ValueError(f"two handlers for {key}")
            table[key] = handler
    return table
