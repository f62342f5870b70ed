"""AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1).

Both are cluster-scoped policies of the sig-network network-policy-api project.
An AdminNetworkPolicy has a ``priority`` (0-1000, lower first) and rules whose
action is Allow, Deny or Pass; the BaselineAdminNetworkPolicy is a singleton
named ``default`` whose rules Allow or Deny. The loader refuses what the
API server's validation refuses (priority out of range, an unknown action, a
peer or port with zero or several of its one-of fields set).
"""

from __future__ import annotations

from enum import StrEnum

from ekstwin.model._dataclass import dataclass
from ekstwin.model.k8s import Meta, Protocol
from ekstwin.model.selectors import LabelSelector
from ekstwin.model.source import Source

#: The only name a BaselineAdminNetworkPolicy may have.
BASELINE_NAME = "default"
PRIORITY_MIN = 0
PRIORITY_MAX = 1000


class AdminAction(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"
    PASS = "Pass"


@dataclass(frozen=True, slots=True)
class AdminPeer:
    """One ``from``/``to`` entry; exactly one kind of peer is set.

    ``namespaces``: every pod of the matching namespaces. ``pods``: the pods
    ``pod_selector`` matches in the namespaces ``namespace_selector`` matches.
    ``nodes`` (egress): the addresses of the matching nodes. ``networks``
    (egress): CIDRs.
    """

    namespaces: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    pod_selector: LabelSelector | None = None
    nodes: LabelSelector | None = None
    networks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AdminPort:
    """A port number (``first == last``), a range, or a named port (``name``)."""

    protocol: Protocol = Protocol.TCP
    first: int = 0
    last: int = 0
    name: str | None = None


@dataclass(frozen=True, slots=True)
class AdminRule:
    name: str
    action: AdminAction
    peers: tuple[AdminPeer, ...]
    ports: tuple[AdminPort, ...] | None  # None: every port of every protocol
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class AdminSubject:
    """``subject.namespaces`` (pod_selector None) or ``subject.pods``."""

    namespace_selector: LabelSelector
    pod_selector: LabelSelector | None = None


@dataclass(frozen=True, slots=True)
class AdminNetworkPolicy:
    """An AdminNetworkPolicy, or (``baseline``) the BaselineAdminNetworkPolicy."""

    meta: Meta
    subject: AdminSubject
    ingress: tuple[AdminRule, ...] = ()
    egress: tuple[AdminRule, ...] = ()
    priority: int | None = None  # None for the baseline policy
    baseline: bool = False

    @property
    def kind(self) -> str:
        return "BaselineAdminNetworkPolicy" if self.baseline else "AdminNetworkPolicy"
