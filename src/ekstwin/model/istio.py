"""Istio security and networking objects (security.istio.io, networking.istio.io).

The model keeps what the resources say; what they mean for a flow is the
mesh engine's business.
"""

from __future__ import annotations

from dataclasses import field

from ekstwin.model._dataclass import dataclass
from ekstwin.model.k8s import Meta
from ekstwin.model.source import Source


@dataclass(frozen=True, slots=True)
class WorkloadSelector:
    """``selector.matchLabels``; None on a policy means every workload in scope."""

    match_labels: dict[str, str]


@dataclass(frozen=True, slots=True)
class TargetRef:
    group: str
    kind: str
    name: str
    namespace: str | None = None


@dataclass(frozen=True, slots=True)
class AuthzSource:
    principals: tuple[str, ...] = ()
    not_principals: tuple[str, ...] = ()
    request_principals: tuple[str, ...] = ()
    not_request_principals: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    not_namespaces: tuple[str, ...] = ()
    ip_blocks: tuple[str, ...] = ()
    not_ip_blocks: tuple[str, ...] = ()
    remote_ip_blocks: tuple[str, ...] = ()
    not_remote_ip_blocks: tuple[str, ...] = ()
    service_accounts: tuple[str, ...] = ()  # "ns/sa", or "sa" in the policy's namespace
    not_service_accounts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuthzOperation:
    hosts: tuple[str, ...] = ()
    not_hosts: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()
    not_ports: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    not_methods: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    not_paths: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuthzCondition:
    key: str
    values: tuple[str, ...] = ()
    not_values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuthzRule:
    """``from`` entries OR together, ``to`` entries OR together, ``when`` ANDs."""

    sources: tuple[AuthzSource, ...] = ()
    operations: tuple[AuthzOperation, ...] = ()
    conditions: tuple[AuthzCondition, ...] = ()
    location: Source | None = None


@dataclass(frozen=True, slots=True)
class AuthorizationPolicy:
    """``rules`` None is ``spec: {}`` (or no rules): for ALLOW it allows nothing."""

    meta: Meta
    action: str
    selector: WorkloadSelector | None
    target_refs: tuple[TargetRef, ...]
    rules: tuple[AuthzRule, ...]
    provider: str | None = None
    has_rules_field: bool = False


@dataclass(frozen=True, slots=True)
class PeerAuthentication:
    meta: Meta
    selector: WorkloadSelector | None
    mode: str | None  # STRICT, PERMISSIVE, DISABLE, UNSET, or None when absent
    port_level_mtls: dict[int, str] = field(default_factory=dict)
    created: str | None = None


@dataclass(frozen=True, slots=True)
class RouteDestination:
    host: str
    subset: str | None = None
    port: int | None = None
    weight: int | None = None


@dataclass(frozen=True, slots=True)
class HttpRoute:
    name: str | None
    matches: tuple[dict[str, object], ...]
    destinations: tuple[RouteDestination, ...]
    location: Source | None = None


@dataclass(frozen=True, slots=True)
class VirtualService:
    meta: Meta
    hosts: tuple[str, ...]
    gateways: tuple[str, ...]
    http: tuple[HttpRoute, ...] = ()
    tcp: tuple[HttpRoute, ...] = ()
    tls: tuple[HttpRoute, ...] = ()
    export_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Subset:
    name: str
    labels: dict[str, str]


@dataclass(frozen=True, slots=True)
class DestinationRule:
    meta: Meta
    host: str
    subsets: tuple[Subset, ...] = ()
    tls_mode: str | None = None
    export_to: tuple[str, ...] = ()
