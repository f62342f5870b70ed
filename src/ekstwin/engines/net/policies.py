"""Kubernetes NetworkPolicies and Calico policies compiled into ordered decisions.

Every policy becomes a :class:`CompiledPolicy` in a :class:`CompiledTier`;
every rule a :class:`CompiledRule` that answers three questions about a flow
from ``src`` to ``dst``: does the rule's subject side match (the endpoint the
policy protects), does its peer side match, and which connections (protocol,
destination port) it covers when ``dst`` is the destination. A Kubernetes
NetworkPolicy is a Calico policy of order 1000 in the ``default`` tier whose
rules all Allow. An AdminNetworkPolicy is a global policy of order
``priority`` in the ``adminnetworkpolicy`` tier (order 1000, ahead of the
default tier), the BaselineAdminNetworkPolicy one in the
``baselineadminnetworkpolicy`` tier (order 10,000,000, behind it); both tiers
pass what no rule decides, as Calico 3.29+ builds them
(projectcalico/api pkg/apis/projectcalico/v3/tier.go).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ekstwin.engines.net.connections import PORT_PROTOCOLS, ConnectionSet
from ekstwin.engines.net.endpoints import (
    CALICO_NAME_LABEL,
    CALICO_NAMESPACE_LABEL,
    Cidr,
    Endpoint,
    EndpointKind,
)
from ekstwin.model.adminpolicy import (
    AdminAction,
    AdminNetworkPolicy,
    AdminPeer,
    AdminPort,
    AdminRule,
)
from ekstwin.model.calico import (
    DEFAULT_TIER,
    K8S_POLICY_ORDER,
    Action,
    CalicoPolicy,
    CalicoPort,
    CalicoRule,
    EntityRule,
    PolicyScope,
    TieBreak,
    policy_key,
    sort_name,
    tier_order,
)
from ekstwin.model.k8s import NetpolPeer, NetpolPort, NetpolRule, NetworkPolicy
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import Global, LabelSelector, Selector
from ekstwin.model.source import Source

#: Calico's tiers for AdminNetworkPolicy and BaselineAdminNetworkPolicy.
ADMIN_TIER = "adminnetworkpolicy"
ADMIN_TIER_ORDER = 1_000.0
BASELINE_TIER = "baselineadminnetworkpolicy"
BASELINE_TIER_ORDER = 10_000_000.0
#: The name libcalico-go gives the global policy an AdminNetworkPolicy becomes.
ADMIN_NAME_PREFIX = "kanp.adminnetworkpolicy."

_PROTOCOL_NUMBERS = {1: "ICMP", 6: "TCP", 17: "UDP", 132: "SCTP"}


class Direction(StrEnum):
    INGRESS = "ingress"
    EGRESS = "egress"


class PolicyKind(StrEnum):
    K8S = "NetworkPolicy"
    CALICO = "projectcalico.org/NetworkPolicy"
    CALICO_GLOBAL = "projectcalico.org/GlobalNetworkPolicy"
    ADMIN = "AdminNetworkPolicy"
    BASELINE = "BaselineAdminNetworkPolicy"


@dataclass(frozen=True, slots=True)
class PolicyId:
    kind: PolicyKind
    namespace: str | None
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind.value} {where}{self.name}"

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind.value, "namespace": self.namespace, "name": self.name}


# --------------------------------------------------------------------------- network sets


@dataclass(frozen=True, slots=True)
class CompiledNetworkSet:
    namespace: str | None  # None for a GlobalNetworkSet
    labels: Mapping[str, str]
    nets: tuple[Cidr, ...]

    def contains(self, ip: int | None) -> bool:
        return any(c.contains(ip) for c in self.nets)


def compile_network_sets(platform: Platform) -> tuple[CompiledNetworkSet, ...]:
    out = []
    for ns in platform.network_sets:
        labels = dict(ns.meta.labels)
        namespace = None if ns.is_global else ns.meta.ns
        if namespace is not None:
            labels[CALICO_NAMESPACE_LABEL] = namespace
        out.append(CompiledNetworkSet(namespace, labels, tuple(Cidr.parse(n) for n in ns.nets)))
    return tuple(out)


# --------------------------------------------------------------------------- context


@dataclass(frozen=True, slots=True)
class MatchContext:
    """What peer matching needs beyond the two endpoints."""

    ns_labels: Mapping[str, Mapping[str, str]]
    network_sets: tuple[CompiledNetworkSet, ...]
    node_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: The network sets holding each address asked about (many rules ask of one pod).
    _sets_of: dict[int, tuple[CompiledNetworkSet, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def calico_ns_labels(self, namespace: str) -> dict[str, str]:
        labels = dict(self.ns_labels.get(namespace, {}))
        labels[CALICO_NAME_LABEL] = namespace
        return labels

    def sets_containing(self, ip: int | None) -> tuple[CompiledNetworkSet, ...]:
        if ip is None:
            return ()
        got = self._sets_of.get(ip)
        if got is None:
            got = self._sets_of[ip] = tuple(s for s in self.network_sets if s.contains(ip))
        return got


# --------------------------------------------------------------------------- peers


@dataclass(frozen=True, slots=True)
class K8sPeer:
    """One ``from``/``to`` entry of a Kubernetes NetworkPolicy, scoped to its namespace."""

    peer: NetpolPeer
    policy_namespace: str
    _block: tuple[Cidr, tuple[Cidr, ...]] | None = field(
        init=False, compare=False, repr=False, default=None
    )

    def __post_init__(self) -> None:
        b = self.peer.ip_block
        if b is not None:
            parsed = (Cidr.parse(b.cidr), tuple(Cidr.parse(e) for e in b.except_))
            object.__setattr__(self, "_block", parsed)

    def matches(self, ep: Endpoint, ctx: MatchContext) -> bool:
        if self._block is not None:
            cidr, excepts = self._block
            if not cidr.contains(ep.ip):
                return False
            return not any(e.contains(ep.ip) for e in excepts)
        if ep.kind is not EndpointKind.POD:
            return False
        ns_sel = self.peer.namespace_selector
        if ns_sel is None:
            if ep.namespace != self.policy_namespace:
                return False
        elif not ns_sel.matches(ep.ns_labels):
            return False
        pod_sel = self.peer.pod_selector
        return pod_sel is None or pod_sel.matches(ep.labels)

    def namespaces(self, all_namespaces: Mapping[str, Mapping[str, str]]) -> frozenset[str] | None:
        """The namespaces whose pods may match, or None when any address may."""
        if self.peer.ip_block is not None:
            return None
        sel = self.peer.namespace_selector
        if sel is None:
            return frozenset((self.policy_namespace,))
        return frozenset(n for n, labels in all_namespaces.items() if sel.matches(labels))


@dataclass(frozen=True, slots=True)
class K8sPeers:
    peers: tuple[K8sPeer, ...]  # empty: every peer

    def matches(self, ep: Endpoint, ctx: MatchContext) -> bool:
        if not self.peers:
            return True
        return any(p.matches(ep, ctx) for p in self.peers)

    def namespaces(self, all_namespaces: Mapping[str, Mapping[str, str]]) -> frozenset[str] | None:
        if not self.peers:
            return None
        out: set[str] = set()
        for p in self.peers:
            got = p.namespaces(all_namespaces)
            if got is None:
                return None
            out |= got
        return frozenset(out)


@dataclass(frozen=True, slots=True)
class CalicoEntity:
    """A Calico EntityRule with the scope its policy gives it.

    Follows libcalico-go's rule conversion: the positive selector is the AND of
    the serviceAccounts match and ``selector``; when the rule has a namespace
    scope (its ``namespaceSelector``, else the namespace of a namespaced
    policy) and any of selector, notSelector or namespaceSelector is given,
    the scope is ANDed in. ``notSelector`` is not scoped. A packet from an
    address matches a selector when a network set in scope holding that address
    does (Calico matches selectors through IP sets).
    """

    entity: EntityRule
    policy_namespace: str | None  # None for a GlobalNetworkPolicy
    _nets: tuple[tuple[Cidr, ...], tuple[Cidr, ...]] = field(
        init=False, compare=False, repr=False, default=((), ())
    )

    def __post_init__(self) -> None:
        nets = tuple(Cidr.parse(n) for n in self.entity.nets)
        not_nets = tuple(Cidr.parse(n) for n in self.entity.not_nets)
        object.__setattr__(self, "_nets", (nets, not_nets))

    @property
    def has_source_ports(self) -> bool:
        return bool(self.entity.ports or self.entity.not_ports)

    def _scope(self) -> Selector | str | None:
        if self.entity.namespace_selector is not None:
            return self.entity.namespace_selector
        return self.policy_namespace

    def _positive(self) -> bool:
        e = self.entity
        if e.selector is not None or e.service_accounts is not None:
            return True
        return self._scope() is not None and (
            e.not_selector is not None or e.namespace_selector is not None
        )

    def _in_scope(self, namespace: str | None, ctx: MatchContext) -> bool:
        scope = self._scope()
        if scope is None:
            return True
        if isinstance(scope, str):
            return namespace == scope
        if isinstance(scope, Global):
            return namespace is None
        return namespace is not None and scope.matches(ctx.calico_ns_labels(namespace))

    def _positive_pod(self, ep: Endpoint, ctx: MatchContext) -> bool:
        if ep.kind is not EndpointKind.POD or not self._in_scope(ep.namespace, ctx):
            return False
        e = self.entity
        sa = e.service_accounts
        if sa is not None:
            if sa.names and ep.service_account not in sa.names:
                return False
            if sa.selector is not None and not sa.selector.matches(ep.calico_sa_labels()):
                return False
        return e.selector is None or e.selector.matches(ep.calico_labels())

    def _positive_set(self, s: CompiledNetworkSet, ctx: MatchContext) -> bool:
        e = self.entity
        if e.service_accounts is not None or not self._in_scope(s.namespace, ctx):
            return False
        return e.selector is None or e.selector.matches(s.labels)

    def matches(self, ep: Endpoint, ctx: MatchContext) -> bool:
        e = self.entity
        nets, not_nets = self._nets
        if nets and not any(c.contains(ep.ip) for c in nets):
            return False
        if not_nets and any(c.contains(ep.ip) for c in not_nets):
            return False
        positive = self._positive()
        if not positive and e.not_selector is None:
            return True  # no selector to judge (a port-only side, nets alone)
        sets = ctx.sets_containing(ep.ip) if ctx.network_sets else ()
        if positive and not (
            self._positive_pod(ep, ctx) or any(self._positive_set(s, ctx) for s in sets)
        ):
            return False
        ns = e.not_selector
        if ns is not None:
            if ep.kind is EndpointKind.POD and ns.matches(ep.calico_labels()):
                return False
            if any(ns.matches(s.labels) for s in sets):
                return False
        return True

    def namespaces(self, all_namespaces: Mapping[str, Mapping[str, str]]) -> frozenset[str] | None:
        """Namespaces whose pods may match, or None when the set is not narrowed."""
        if not self._positive() or self.entity.nets or self.entity.not_nets:
            return None
        scope = self._scope()
        if scope is None:
            return None
        if isinstance(scope, str):
            return frozenset((scope,))
        if isinstance(scope, Global):
            return frozenset()
        out = set()
        for n, labels in all_namespaces.items():
            full = dict(labels)
            full[CALICO_NAME_LABEL] = n
            if scope.matches(full):
                out.add(n)
        return frozenset(out)


@dataclass(frozen=True, slots=True)
class AdminPeers:
    """The ``from``/``to`` list of an AdminNetworkPolicy or baseline rule: any
    entry may match. ``namespaces`` and ``pods`` match pods (never host-network
    ones), ``nodes`` the addresses of the matching nodes, ``networks`` any
    address in the CIDRs, pods included."""

    peers: tuple[AdminPeer, ...]
    _nets: tuple[Cidr, ...] = field(init=False, compare=False, repr=False, default=())

    def __post_init__(self) -> None:
        nets = tuple(Cidr.parse(n) for p in self.peers for n in p.networks)
        object.__setattr__(self, "_nets", nets)

    def matches(self, ep: Endpoint, ctx: MatchContext) -> bool:
        if self._nets and any(c.contains(ep.ip) for c in self._nets):
            return True
        for p in self.peers:
            if p.nodes is not None:
                if ep.kind is EndpointKind.HOST and ep.node is not None:
                    labels = ctx.node_labels.get(ep.node)
                    if labels is not None and p.nodes.matches(labels):
                        return True
                continue
            if ep.kind is not EndpointKind.POD:
                continue
            if p.namespaces is not None and p.namespaces.matches(ep.ns_labels):
                return True
            if (
                p.namespace_selector is not None
                and p.namespace_selector.matches(ep.ns_labels)
                and (p.pod_selector is None or p.pod_selector.matches(ep.labels))
            ):
                return True
        return False


Peer = K8sPeers | CalicoEntity | AdminPeers


# --------------------------------------------------------------------------- ports


def _resolve_named(ep: Endpoint, name: str, protocols: tuple[str, ...]) -> ConnectionSet:
    mapping: dict[str, list[tuple[int, int]]] = {}
    for pname, proto, port in ep.named_ports:
        if pname == name and proto in protocols:
            mapping.setdefault(proto, []).append((port, port))
    return ConnectionSet.of(dict(mapping))


@dataclass(frozen=True, slots=True)
class K8sPorts:
    ports: tuple[NetpolPort, ...]  # empty: every port of every protocol

    @property
    def uses_named_ports(self) -> bool:
        return any(isinstance(p.port, str) for p in self.ports)

    def conns(self, dst: Endpoint) -> ConnectionSet:
        if not self.ports:
            return ConnectionSet.all()
        out = ConnectionSet.none()
        for p in self.ports:
            proto = p.protocol.value
            if p.port is None:
                out = out | ConnectionSet.protocol(proto)
            elif isinstance(p.port, str):
                out = out | _resolve_named(dst, p.port, (proto,))
            else:
                out = out | ConnectionSet.protocol(proto, p.port, p.end_port or p.port)
        return out


def _protocol_name(value: str | int | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, int):
        return _PROTOCOL_NUMBERS.get(value, f"#{value}")
    return value.upper()


@dataclass(frozen=True, slots=True)
class CalicoPorts:
    rule: CalicoRule

    @property
    def uses_named_ports(self) -> bool:
        d = self.rule.destination
        return any(p.name is not None for p in d.ports + d.not_ports)

    def _protocols(self) -> ConnectionSet:
        proto = _protocol_name(self.rule.protocol)
        base = ConnectionSet.all() if proto is None else _single_protocol(proto)
        not_proto = _protocol_name(self.rule.not_protocol)
        if not_proto is not None:
            base = base - _single_protocol(not_proto)
        return base

    def _port_list(self, ports: tuple[CalicoPort, ...], dst: Endpoint) -> ConnectionSet:
        out = ConnectionSet.none()
        for port in ports:
            if port.name is not None:
                out = out | _resolve_named(dst, port.name, PORT_PROTOCOLS)
            else:
                out = out | ConnectionSet.of({p: [(port.first, port.last)] for p in PORT_PROTOCOLS})
        return out

    def conns(self, dst: Endpoint) -> ConnectionSet:
        r = self.rule
        base = self._protocols()
        d = r.destination
        if d.ports:
            base = base & self._port_list(d.ports, dst)
        if d.not_ports:
            base = base - self._port_list(d.not_ports, dst)
        if r.icmp is not None:
            base = (base - ConnectionSet.protocol("ICMP")) | (
                base & _icmp_set(r.icmp.type, r.icmp.code)
            )
        if r.not_icmp is not None:
            base = base - _icmp_set(r.not_icmp.type, r.not_icmp.code)
        return base


def _single_protocol(name: str) -> ConnectionSet:
    if name in ("TCP", "UDP", "SCTP", "ICMP"):
        return ConnectionSet.protocol(name)
    return ConnectionSet.none()  # ICMPv6, UDPLite, other numbers: outside the modelled IPv4 set


def _icmp_set(icmp_type: int | None, code: int | None) -> ConnectionSet:
    if icmp_type is None:
        return ConnectionSet.protocol("ICMP")
    if code is None:
        return ConnectionSet.protocol("ICMP", icmp_type * 256, icmp_type * 256 + 255)
    return ConnectionSet.protocol("ICMP", icmp_type * 256 + code)


@dataclass(frozen=True, slots=True)
class AdminPorts:
    """An AdminNetworkPolicy rule's ports (None: every port of every protocol);
    a named port resolves on the destination pod, for its declared protocol."""

    ports: tuple[AdminPort, ...] | None

    @property
    def uses_named_ports(self) -> bool:
        return self.ports is not None and any(p.name is not None for p in self.ports)

    def conns(self, dst: Endpoint) -> ConnectionSet:
        if self.ports is None:
            return ConnectionSet.all()
        out = ConnectionSet.none()
        for p in self.ports:
            if p.name is not None:
                out = out | _resolve_named(dst, p.name, PORT_PROTOCOLS)
            else:
                out = out | ConnectionSet.protocol(p.protocol.value, p.first, p.last)
        return out


Ports = K8sPorts | CalicoPorts | AdminPorts


# --------------------------------------------------------------------------- rules and policies


@dataclass(frozen=True, slots=True, eq=False)
class CompiledRule:
    """One rule in a direction. ``subject`` constrains the protected endpoint,
    ``peer`` the other end; ``ports`` the destination's connections."""

    uid: int
    index: int
    direction: Direction
    action: Action
    peer: Peer
    subject: CalicoEntity | None
    ports: Ports
    location: Source | None
    never: bool = False  # constrains something the twin does not model (source ports)
    label: str = ""  # the rule's own name, when it has one (AdminNetworkPolicy rules)

    def subject_matches(self, ep: Endpoint, ctx: MatchContext) -> bool:
        return not self.never and (self.subject is None or self.subject.matches(ep, ctx))

    def conns(self, dst: Endpoint) -> ConnectionSet:
        return self.ports.conns(dst)


@dataclass(frozen=True, slots=True, eq=False)
class CompiledPolicy:
    id: PolicyId
    tier: str
    order: float | None
    sort_name: str
    ingress: tuple[CompiledRule, ...]
    egress: tuple[CompiledRule, ...]
    types: frozenset[Direction]
    namespace: str | None
    k8s: NetworkPolicy | None = None
    calico: CalicoPolicy | None = None
    source: Source | None = None
    admin: AdminNetworkPolicy | None = None

    def rules(self, direction: Direction) -> tuple[CompiledRule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress

    @property
    def host_endpoints_only(self) -> bool:
        """A doNotTrack or preDNAT policy: Felix renders it into the untracked or
        pre-DNAT chains of host endpoints only; a workload endpoint's chains hold
        the normal policies alone (felix/calc/event_sequencer.go)."""
        pol = self.calico
        return pol is not None and (pol.do_not_track or pol.pre_dnat)

    def selects(self, ep: Endpoint, ctx: MatchContext) -> bool:
        """Whether the policy applies to a workload endpoint (pods only)."""
        if ep.kind is not EndpointKind.POD:
            return False
        if self.k8s is not None:
            return ep.namespace == self.namespace and self.k8s.pod_selector.matches(ep.labels)
        if self.admin is not None:
            subject = self.admin.subject
            if not subject.namespace_selector.matches(ep.ns_labels):
                return False
            return subject.pod_selector is None or subject.pod_selector.matches(ep.labels)
        pol = self.calico
        assert pol is not None
        if pol.do_not_track or pol.pre_dnat:
            return False
        if pol.scope is PolicyScope.NAMESPACED:
            if ep.namespace != self.namespace:
                return False
        elif pol.namespace_selector is not None:
            if isinstance(pol.namespace_selector, Global) or ep.namespace is None:
                return False
            if not pol.namespace_selector.matches(ctx.calico_ns_labels(ep.namespace)):
                return False
        sa_selector = pol.service_account_selector
        if sa_selector is not None and not sa_selector.matches(ep.calico_sa_labels()):
            return False
        return pol.selector.matches(ep.calico_labels())

    def key(self) -> tuple[bool, float, str]:
        return policy_key(self.order, self.sort_name)


@dataclass(frozen=True, slots=True)
class CompiledTier:
    name: str
    order: float | None
    default_action: Action
    policies: tuple[CompiledPolicy, ...]


def _k8s_rules(
    rules: tuple[NetpolRule, ...], direction: Direction, namespace: str, start: int
) -> tuple[CompiledRule, ...]:
    out = []
    for i, r in enumerate(rules):
        peers = K8sPeers(tuple(K8sPeer(p, namespace) for p in r.peers))
        out.append(
            CompiledRule(
                start + i, i, direction, Action.ALLOW, peers, None, K8sPorts(r.ports), r.source
            )
        )
    return tuple(out)


def _calico_rules(
    rules: tuple[CalicoRule, ...], direction: Direction, namespace: str | None, start: int
) -> tuple[CompiledRule, ...]:
    out = []
    for i, r in enumerate(rules):
        src = CalicoEntity(r.source, namespace)
        dst = CalicoEntity(r.destination, namespace)
        peer, subject = (src, dst) if direction is Direction.INGRESS else (dst, src)
        never = src.has_source_ports
        out.append(
            CompiledRule(
                start + i, i, direction, r.action, peer, subject, CalicoPorts(r), r.location, never
            )
        )
    return tuple(out)


_ADMIN_ACTIONS = {
    AdminAction.ALLOW: Action.ALLOW,
    AdminAction.DENY: Action.DENY,
    AdminAction.PASS: Action.PASS,
}


def _admin_rules(
    rules: tuple[AdminRule, ...], direction: Direction, start: int
) -> tuple[CompiledRule, ...]:
    out = []
    for i, r in enumerate(rules):
        out.append(
            CompiledRule(
                start + i,
                i,
                direction,
                _ADMIN_ACTIONS[r.action],
                AdminPeers(r.peers),
                None,
                AdminPorts(r.ports),
                r.source,
                label=r.name,
            )
        )
    return tuple(out)


def compile_policies(
    platform: Platform,
    tie_break: TieBreak = TieBreak.NAME_NAMESPACE_KIND,
    *,
    calico: bool = True,
    admin: bool = False,
    baseline: bool = False,
) -> tuple[CompiledTier, ...]:
    """Every policy of the platform, in Calico's evaluation order; ``calico``
    False leaves out Calico's own policies and tiers (an enforcer that reads
    Kubernetes NetworkPolicies only); ``admin`` and ``baseline`` take in the
    AdminNetworkPolicies and the BaselineAdminNetworkPolicy (an enforcer that
    implements them)."""
    policies: list[CompiledPolicy] = []
    uid = 0
    for np in platform.network_policies:
        ns = np.meta.ns
        ing = _k8s_rules(np.ingress, Direction.INGRESS, ns, uid)
        uid += len(ing)
        eg = _k8s_rules(np.egress, Direction.EGRESS, ns, uid)
        uid += len(eg)
        policies.append(
            CompiledPolicy(
                id=PolicyId(PolicyKind.K8S, ns, np.meta.name),
                tier=DEFAULT_TIER,
                order=K8S_POLICY_ORDER,
                sort_name=sort_name(tie_break, "KubernetesNetworkPolicy", ns, np.meta.name),
                ingress=ing,
                egress=eg,
                types=frozenset(Direction(t.lower()) for t in np.policy_types),
                namespace=ns,
                k8s=np,
                source=np.meta.source,
            )
        )
    for cp in platform.calico_policies if calico else ():
        namespaced = cp.scope is PolicyScope.NAMESPACED
        cns = cp.meta.ns if namespaced else None
        ing = _calico_rules(cp.ingress, Direction.INGRESS, cns, uid)
        uid += len(ing)
        eg = _calico_rules(cp.egress, Direction.EGRESS, cns, uid)
        uid += len(eg)
        kind = PolicyKind.CALICO if namespaced else PolicyKind.CALICO_GLOBAL
        policies.append(
            CompiledPolicy(
                id=PolicyId(kind, cns, cp.meta.name),
                tier=cp.tier,
                order=cp.order,
                sort_name=sort_name(tie_break, cp.scope.value, cns, cp.meta.name),
                ingress=ing,
                egress=eg,
                types=frozenset(Direction(t.lower()) for t in cp.types),
                namespace=cns,
                calico=cp,
                source=cp.meta.source,
            )
        )
    for ap in platform.admin_network_policies:
        if not (baseline if ap.baseline else admin):
            continue
        ing = _admin_rules(ap.ingress, Direction.INGRESS, uid)
        uid += len(ing)
        eg = _admin_rules(ap.egress, Direction.EGRESS, uid)
        uid += len(eg)
        kind = PolicyKind.BASELINE if ap.baseline else PolicyKind.ADMIN
        policies.append(
            CompiledPolicy(
                id=PolicyId(kind, None, ap.meta.name),
                tier=BASELINE_TIER if ap.baseline else ADMIN_TIER,
                order=None if ap.priority is None else float(ap.priority),
                sort_name=sort_name(
                    tie_break,
                    PolicyScope.GLOBAL.value,
                    None,
                    ap.meta.name if ap.baseline else ADMIN_NAME_PREFIX + ap.meta.name,
                ),
                ingress=ing,
                egress=eg,
                # a policy without rules in a direction does not touch that direction
                types=frozenset(
                    d for d, rules in ((Direction.INGRESS, ing), (Direction.EGRESS, eg)) if rules
                ),
                namespace=None,
                source=ap.meta.source,
                admin=ap,
            )
        )
    built_in: dict[str, tuple[float | None, Action]] = {}
    if admin:
        built_in[ADMIN_TIER] = (ADMIN_TIER_ORDER, Action.PASS)
    if baseline:
        built_in[BASELINE_TIER] = (BASELINE_TIER_ORDER, Action.PASS)
    by_tier: dict[str, list[CompiledPolicy]] = {}
    for p in policies:
        by_tier.setdefault(p.tier, []).append(p)
    out = []
    for name, order, action in tier_order(platform.tiers if calico else (), by_tier, built_in):
        pols = tuple(sorted(by_tier.get(name, []), key=CompiledPolicy.key))
        out.append(CompiledTier(name, order, action, pols))
    return tuple(out)


def label_selector_text(sel: LabelSelector | None) -> str:
    return "" if sel is None else str(sel.to_calico())
