"""Calico projectcalico.org/v3 policy objects.

Selectors are kept parsed (:class:`ekstwin.model.selectors.Selector`); the
loader refuses a policy whose selector does not parse, as the Calico API
server would. Ports stay as written: ``CalicoPort`` is a range or a name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from ekstwin.model._dataclass import dataclass
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


# -- evaluation order ---------------------------------------------------------
# What Felix sorts by, shared by the net engine (its verdicts and checks) and the
# lab (the iptables chains it renders), so that both walk one order.

#: Calico's order of the default tier (fixed in every release that has tiers).
DEFAULT_TIER_ORDER = 1_000_000.0
#: The order Calico gives every Kubernetes NetworkPolicy.
K8S_POLICY_ORDER = 1000.0


class TieBreak(StrEnum):
    """How Felix orders policies of equal ``order`` within a tier.

    ``NAME_NAMESPACE_KIND`` (Calico v3.32.0 and later): the text
    ``name/namespace/kind``, where a Kubernetes NetworkPolicy keeps its own name
    and is of kind ``KubernetesNetworkPolicy`` and a GlobalNetworkPolicy has no
    namespace. ``LEGACY_NAME`` (up to v3.31): the policy key's name alone,
    ``ns/name`` for a namespaced Calico policy, ``ns/knp.default.name`` for a
    Kubernetes one, ``name`` for a global one (felix/calc/policy_sorter.go).
    """

    NAME_NAMESPACE_KIND = "name/namespace/kind"
    LEGACY_NAME = "legacy-name"


def sort_name(tie: TieBreak, kind: str, namespace: str | None, name: str) -> str:
    """The text that breaks a tie of ``order`` between two policies of a tier;
    ``kind`` is ``KubernetesNetworkPolicy``, ``NetworkPolicy`` or
    ``GlobalNetworkPolicy`` (a policy scope's value)."""
    if tie is TieBreak.NAME_NAMESPACE_KIND:
        return f"{name}/{namespace or ''}/{kind}"
    if kind == "KubernetesNetworkPolicy":
        return f"{namespace}/knp.default.{name}"
    return f"{namespace}/{name}" if namespace else name


def policy_key(order: float | None, sort_text: str) -> tuple[bool, float, str]:
    """A policy's place in its tier: by ``order`` (none last), then :func:`sort_name`."""
    return (order is None, order or 0.0, sort_text)


def tier_order(
    tiers: Iterable[Tier],
    named: Iterable[str],
    built_in: Mapping[str, tuple[float | None, Action]] | None = None,
) -> tuple[tuple[str, float | None, Action], ...]:
    """Every tier as (name, order, default action), in evaluation order (by order,
    none last, then by name): the default tier (order 1,000,000 unless its Tier
    object gives one, Deny), ``built_in`` tiers, the Tier objects, and tiers that
    policies name without a Tier object (no order, Deny)."""
    table: dict[str, tuple[float | None, Action]] = {
        DEFAULT_TIER: (DEFAULT_TIER_ORDER, Action.DENY),
        **(built_in or {}),
    }
    for t in tiers:
        order = t.order
        if t.name == DEFAULT_TIER and order is None:
            order = DEFAULT_TIER_ORDER
        table[t.name] = (order, t.default_action)
    for name in named:
        table.setdefault(name, (None, Action.DENY))
    rows = [(name, order, action) for name, (order, action) in table.items()]
    rows.sort(key=lambda row: (row[1] is None, row[1] or 0.0, row[0]))
    return tuple(rows)
