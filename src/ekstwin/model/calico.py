"""Calico projectcalico.org/v3 policy objects.

Selectors are kept parsed (:class:`ekstwin.model.selectors.Selector`); the
loader refuses a policy whose selector does not parse, as the Calico API
server would. Ports stay as written: ``CalicoPort`` is a range or a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ekstwin.model.k8s import Meta
from ekstwin.model.selectors import Selector
from ekstwin.model.source import Source

DEFAULT_TIER = "default"


class Action(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"
    LOG = "Log"
    PASS = "Pass"


@dataclass(frozen=True, slots=True)
class CalicoPort:
    """A port range (``first``..``last``) or a named port (``name``)."""

    first: int = 0
    last: int = 0
    name: str | None = None

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        return str(self.first) if self.first == self.last else f"{self.first}:{self.last}"


@dataclass(frozen=True, slots=True)
class IcmpMatch:
    type: int | None = None
    code: int | None = None


@dataclass(frozen=True, slots=True)
class ServiceAccountMatch:
    names: tuple[str, ...] = ()
    selector: Selector | None = None


@dataclass(frozen=True, slots=True)
class ServiceMatch:
    name: str
    namespace: str | None = None


@dataclass(frozen=True, slots=True)
class EntityRule:
    """The source or destination of a rule. Every field given must match."""

    nets: tuple[str, ...] = ()
    not_nets: tuple[str, ...] = ()
    selector: Selector | None = None
    not_selector: Selector | None = None
    namespace_selector: Selector | None = None
    ports: tuple[CalicoPort, ...] = ()
    not_ports: tuple[CalicoPort, ...] = ()
    service_accounts: ServiceAccountMatch | None = None
    services: ServiceMatch | None = None

    @property
    def is_empty(self) -> bool:
        return self == _EMPTY_ENTITY


_EMPTY_ENTITY = EntityRule()


@dataclass(frozen=True, slots=True)
class HttpMatch:
    methods: tuple[str, ...] = ()
    paths: tuple[tuple[str, str], ...] = ()  # (exact|prefix, value)


@dataclass(frozen=True, slots=True)
class CalicoRule:
    action: Action
    protocol: str | int | None = None
    not_protocol: str | int | None = None
    icmp: IcmpMatch | None = None
    not_icmp: IcmpMatch | None = None
    ip_version: int | None = None
    source: EntityRule = _EMPTY_ENTITY
    destination: EntityRule = _EMPTY_ENTITY
    http: HttpMatch | None = None
    location: Source | None = None


class PolicyScope(StrEnum):
    NAMESPACED = "NetworkPolicy"
    GLOBAL = "GlobalNetworkPolicy"


@dataclass(frozen=True, slots=True)
class CalicoPolicy:
    """A Calico NetworkPolicy (namespaced) or GlobalNetworkPolicy.

    ``types`` is effective (Calico's defaulting: Ingress when the policy has
    ingress rules or no rules at all, Egress when it has egress rules);
    ``declared_types`` is what the spec said. ``order`` None sorts last.
    """

    meta: Meta
    scope: PolicyScope
    tier: str
    order: float | None
    selector: Selector
    types: tuple[str, ...]
    ingress: tuple[CalicoRule, ...] = ()
    egress: tuple[CalicoRule, ...] = ()
    namespace_selector: Selector | None = None
    service_account_selector: Selector | None = None
    declared_types: tuple[str, ...] | None = None
    do_not_track: bool = False
    pre_dnat: bool = False
    apply_on_forward: bool = False

    @property
    def namespace(self) -> str | None:
        return self.meta.namespace

    @property
    def name(self) -> str:
        return self.meta.name


@dataclass(frozen=True, slots=True)
class NetworkSet:
    """A NetworkSet (namespaced) or GlobalNetworkSet: labelled CIDRs."""

    meta: Meta
    nets: tuple[str, ...]
    is_global: bool
    allowed_egress_domains: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Tier:
    """A policy tier. ``order`` None sorts last; ``default_action`` Deny or Pass."""

    meta: Meta
    order: float | None
    default_action: Action = Action.DENY

    @property
    def name(self) -> str:
        return self.meta.name
