"""The reachability engine: endpoint classes, ordered decisions, verdicts.

Pods that policy cannot tell apart (same namespace and namespace labels, pod
labels, service account and its labels, named ports, and the same membership
in every CIDR any policy or network set names) form one class. For each class
and direction the engine walks the applicable tiers, policies and rules once
over typed connection sets, partitioning the peer classes by the rules that
match them, so the cost grows with classes and rules, not with pod pairs and
ports. A flow is allowed when egress at the source AND ingress at the
destination allow it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from ekstwin.engines.net.connections import PROTOCOLS, ConnectionSet, protocol_range
from ekstwin.engines.net.endpoints import (
    Cidr,
    Endpoint,
    EndpointKind,
    ip_int,
    namespace_labels,
    platform_addresses,
    service_account_labels,
)
from ekstwin.engines.net.enforcement import (
    UNKNOWN_ENFORCEMENT,
    Enforcement,
    platform_enforcement,
)
from ekstwin.engines.net.platform_calico import admin_policy_support, tie_break
from ekstwin.engines.net.policies import (
    AdminPeers,
    CalicoEntity,
    CompiledPolicy,
    CompiledRule,
    Direction,
    K8sPeer,
    K8sPeers,
    MatchContext,
    PolicyId,
    compile_network_sets,
    compile_policies,
)
from ekstwin.engines.net.tiers import (
    Applicable,
    Step,
    applicable,
    evaluate,
    peer_blocks,
    walk,
)
from ekstwin.errors import EkstwinError
from ekstwin.model.calico import Action, EntityRule
from ekstwin.model.k8s import ContainerPort, Pod
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import LabelSelector
from ekstwin.model.source import Source


class Reason(StrEnum):
    RULE = "rule"
    NO_POLICY = "no-policy"
    END_OF_TIER = "end-of-tier"
    PASSED = "passed-to-profile"
    NOT_ENFORCED = "not-enforced"
    LOOPBACK = "loopback"
    NO_ENFORCER = "no-enforcer"
    STRICT_MODE = "strict-mode-default-deny"


@dataclass(frozen=True, slots=True)
class Decision:
    """What decided one direction of one flow."""

    direction: Direction
    allowed: bool
    reason: Reason
    message: str
    tier: str | None = None
    policy: PolicyId | None = None
    rule_index: int | None = None
    action: str | None = None
    source: Source | None = None
    passed_tiers: tuple[str, ...] = ()
    logged_by: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "allowed": self.allowed,
            "reason": self.reason.value,
            "message": self.message,
            "tier": self.tier,
            "policy": None if self.policy is None else self.policy.to_json(),
            "rule": self.rule_index,
            "action": self.action,
            "file": None if self.source is None else self.source.file,
            "line": None if self.source is None else self.source.line,
            "passed_tiers": list(self.passed_tiers),
            "logged_by": list(self.logged_by),
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    source: str
    destination: str
    protocol: str
    port: int
    allowed: bool
    egress: Decision
    ingress: Decision
    enforcement: Enforcement = UNKNOWN_ENFORCEMENT

    def to_json(self) -> dict[str, object]:
        return {
            "from": self.source,
            "to": self.destination,
            "protocol": self.protocol,
            "port": self.port,
            "allowed": self.allowed,
            "egress": self.egress.to_json(),
            "ingress": self.ingress.to_json(),
            "enforcer": self.enforcement.to_json(),
        }


class _Answer(Protocol):
    @property
    def allowed(self) -> bool: ...

    def to_json(self) -> dict[str, object]: ...


AnswerT = TypeVar("AnswerT", bound=_Answer)


@dataclass(frozen=True, slots=True)
class BackendAnswers(Generic[AnswerT]):
    """``--to NS/svc/NAME``: one answer per backing pod, at its target port (the
    Service's backends: ``Service.backends``). The Service is reachable when one
    backend is; ``problem`` says why there is none to ask about."""

    source: str
    service: str
    protocol: str
    port: int
    backends: tuple[AnswerT, ...]
    problem: str | None = None

    @property
    def allowed(self) -> bool:
        return any(v.allowed for v in self.backends)

    def to_json(self) -> dict[str, object]:
        return {
            "from": self.source,
            "to": self.service,
            "protocol": self.protocol,
            "port": self.port,
            "allowed": self.allowed,
            "problem": self.problem,
            "backends": [v.to_json() for v in self.backends],
        }


@dataclass(frozen=True, slots=True)
class ServiceVerdict(BackendAnswers[Verdict]):
    """The network policy verdict for each backend of a Service."""


class NetQueryError(EkstwinError, ValueError):
    """A query names an endpoint or port the platform does not have."""


def _side_ident(subject: Endpoint, direction: Direction, tiers: Applicable) -> tuple[object, ...]:
    """What one side of a class's flows depends on: the direction, the rules of the
    policies that apply, and (ingress) the subject's named ports. Classes alike in
    this share their side's tables."""
    return (
        direction,
        tuple(
            (t.name, tuple((p.id, tuple(r.uid for r in rules)) for p, rules in ps))
            for t, ps in tiers
        ),
        subject.named_ports if direction is Direction.INGRESS else (),
    )


def bit_indices(bits: int) -> list[int]:
    """The positions of the set bits of ``bits``, lowest first."""
    if bits.bit_count() < 48:
        out = []
        while bits:
            low = bits & -bits
            out.append(low.bit_length() - 1)
            bits ^= low
        return out
    text = bin(bits)[:1:-1]
    out = []
    find = text.find
    i = find("1")
    while i >= 0:
        out.append(i)
        i = find("1", i + 1)
    return out


#: Per peer block: (peer class bits, (connections, decision) regions); see
#: :meth:`NetModel.side_decisions`.
SideDecisions = tuple[tuple[int, tuple[tuple[ConnectionSet, Decision], ...]], ...]


def _policy_text(p: CompiledPolicy, tier: str) -> str:
    return f"{p.id} (tier {tier})"


class NetModel:
    """The compiled platform: endpoints, classes and ordered policies."""

    def __init__(self, platform: Platform, *, calico_version: str | None = None) -> None:
        self.platform = platform
        self.tie_break = tie_break(platform, calico_version)
        enforcement = platform_enforcement(platform)
        admin = admin_policy_support(platform, enforcement, calico_version)
        self.enforcement = replace(enforcement, admin=admin)
        addrs = platform_addresses(platform)
        self.vpc_cidrs = tuple(Cidr.parse(c) for c in addrs.vpc_cidrs)
        self.node_ips = {ip_int(v): k for k, v in addrs.node_ips.items() if ip_int(v) is not None}
        self.node_ip_by_name = dict(addrs.node_ips)
        self.ns_labels = namespace_labels(platform)
        self.ctx = MatchContext(
            self.ns_labels,
            compile_network_sets(platform),
            {n.name: dict(n.meta.labels) for n in platform.nodes},
        )
        self.tiers = compile_policies(
            platform,
            self.tie_break,
            calico=self.enforcement.calico_applies,
            admin=admin is not None and admin.admin,
            baseline=admin is not None and admin.baseline,
        )
        sa_labels = service_account_labels(platform)
        self.endpoints: dict[str, Endpoint] = {}
        for pod in platform.pods:
            self.endpoints[pod.key] = self._pod_endpoint(pod, addrs.pod_ips, sa_labels)
        # the policies of each namespace (None: the global ones) for each direction
        self._by_ns_policies: dict[
            tuple[str | None, Direction], list[tuple[int, int, CompiledPolicy]]
        ] = {}
        for ti, tier in enumerate(self.tiers):
            for pi, p in enumerate(tier.policies):
                for d in p.types:
                    self._by_ns_policies.setdefault((p.namespace, d), []).append((ti, pi, p))
        self._build_classes()
        self._label_cache: dict[LabelSelector, int] = {}
        self._ns_sel_cache: dict[LabelSelector, int] = {}
        self._k8s_peer_cache: dict[object, int] = {}
        self._entity_cache: dict[CalicoEntity | EntityRule, int] = {}
        self._admin_cache: dict[AdminPeers, int] = {}
        self._by_class: list[list[tuple[int, CompiledPolicy]]] | None = None
        self._applicable_cache: dict[tuple[int, Direction], Applicable] = {}
        # applicable() of the model's own pod endpoints outside the class tables
        self._applicable_by_name: dict[tuple[str, Direction], Applicable] = {}
        self._rule_conns_cache: dict[
            tuple[int, tuple[tuple[str, str, int], ...]], ConnectionSet
        ] = {}
        self._side_cache: dict[tuple[object, ...], tuple[tuple[int, int], ...]] = {}
        self._side_decisions_cache: dict[tuple[object, ...], SideDecisions] = {}
        self._conns: list[ConnectionSet] = [ConnectionSet.none(), ConnectionSet.all()]
        self._conn_ids: dict[ConnectionSet, int] = {self._conns[0]: 0, self._conns[1]: 1}
        self._and_cache: dict[tuple[int, int], int] = {}
        self._union_cache: dict[frozenset[int], int] = {}
        self._rows: list[dict[int, int]] | None = None

    # -- endpoints -------------------------------------------------------

    def _pod_endpoint(
        self,
        pod: Pod,
        pod_ips: dict[str, str],
        sa_labels: dict[tuple[str, str], dict[str, str]],
    ) -> Endpoint:
        node = pod.spec.node_name
        if pod.spec.host_network:
            ip = (
                ip_int(self.node_ip_by_name.get(node or ""))
                or ip_int(pod.host_ip)
                or ip_int(pod_ips.get(pod.key))
            )
            return Endpoint(EndpointKind.HOST, pod.key, ip, pod.namespace, node=node, pod=pod)
        ports = tuple(
            sorted(
                (p.name, p.protocol.value, p.container_port)
                for p in pod.spec.all_ports
                if isinstance(p, ContainerPort) and p.name
            )
        )
        sa = pod.spec.service_account or "default"
        return Endpoint(
            EndpointKind.POD,
            pod.key,
            ip_int(pod_ips.get(pod.key)),
            pod.namespace,
            labels=dict(pod.labels),
            ns_labels=self.ns_labels.get(pod.namespace, {}),
            service_account=sa,
            sa_labels=sa_labels.get((pod.namespace, sa), {}),
            named_ports=ports,
            node=node,
            pod=pod,
        )

    def address_endpoint(self, address: str) -> Endpoint:
        ip = ip_int(address)
        if ip is None:
            raise NetQueryError(f"{address!r} is not an IPv4 address")
        for ep in self.endpoints.values():
            if ep.kind is EndpointKind.POD and ep.ip == ip:
                return ep
        node = self.node_ips.get(ip)
        if node is not None:
            return Endpoint(EndpointKind.HOST, f"node/{node}", ip, node=node)
        return Endpoint(EndpointKind.EXTERNAL, address, ip)

    def is_in_vpc(self, ep: Endpoint) -> bool:
        return any(c.contains(ep.ip) for c in self.vpc_cidrs)

    # -- classes ---------------------------------------------------------

    def _cidrs(self) -> list[Cidr]:
        texts: set[str] = set()
        for np in self.platform.network_policies:
            for r in np.ingress + np.egress:
                for peer in r.peers:
                    if peer.ip_block is not None:
                        texts.add(peer.ip_block.cidr)
                        texts.update(peer.ip_block.except_)
        for cp in self.platform.calico_policies:
            for cr in cp.ingress + cp.egress:
                for e in (cr.source, cr.destination):
                    texts.update(e.nets)
                    texts.update(e.not_nets)
        for s in self.platform.network_sets:
            texts.update(s.nets)
        for ap in self.platform.admin_network_policies:
            for ar in ap.ingress + ap.egress:
                for apeer in ar.peers:
                    texts.update(apeer.networks)
        return [Cidr.parse(t) for t in sorted(texts)]

    def _build_classes(self) -> None:
        cidrs = self._cidrs()
        index: dict[tuple[object, ...], int] = {}
        self.class_reps: list[Endpoint] = []
        self.class_members: list[list[Endpoint]] = []
        self.class_of: dict[str, int] = {}
        for key in sorted(self.endpoints):
            ep = self.endpoints[key]
            bucket = 0
            for i, c in enumerate(cidrs):
                if c.contains(ep.ip):
                    bucket |= 1 << i
            ckey = (
                ep.kind,
                ep.namespace,
                frozenset(ep.labels.items()),
                ep.service_account,
                ep.named_ports,
                bucket,
                ep.ip is None,
            )
            ci = index.get(ckey)
            if ci is None:
                ci = index[ckey] = len(self.class_reps)
                self.class_reps.append(ep)
                self.class_members.append([])
            self.class_members[ci].append(ep)
            self.class_of[key] = ci
        self.all_bits = (1 << len(self.class_reps)) - 1
        self._ns_bits: dict[str | None, int] = {}
        self._pod_bits = 0
        self._named_bits: dict[tuple[tuple[str, str, int], ...], int] = {}
        for ci, ep in enumerate(self.class_reps):
            self._ns_bits[ep.namespace] = self._ns_bits.get(ep.namespace, 0) | (1 << ci)
            if ep.kind is EndpointKind.POD:
                self._pod_bits |= 1 << ci
            self._named_bits[ep.named_ports] = self._named_bits.get(ep.named_ports, 0) | (1 << ci)
        self._in_sets_bits = 0
        for ci, ep in enumerate(self.class_reps):
            if self.ctx.sets_containing(ep.ip):
                self._in_sets_bits |= 1 << ci
        by_labels: dict[frozenset[tuple[str, str]], int] = {}
        for ci, ep in enumerate(self.class_reps):
            if ep.kind is EndpointKind.POD:
                lkey = frozenset(ep.labels.items())
                by_labels[lkey] = by_labels.get(lkey, 0) | (1 << ci)
        self._labelsets = [(dict(k), bits) for k, bits in by_labels.items()]

    # -- applicable policies ---------------------------------------------

    def applicable(self, ep: Endpoint, direction: Direction) -> Applicable:
        """Tiers with the policies that select ``ep`` for ``direction``, in order,
        each with its rules whose subject side matches ``ep``."""
        if ep.kind is not EndpointKind.POD:
            return ()
        ci = self.class_of.get(ep.name)
        own = self.endpoints.get(ep.name) is ep
        if self._by_class is not None and ci is not None and own:
            return self._applicable_class(ci, direction)
        if own:
            cached = self._applicable_by_name.get((ep.name, direction))
            if cached is not None:
                return cached
        found: list[tuple[int, int, CompiledPolicy]] = []
        for ns in (ep.namespace, None):
            for ti, pi, p in self._by_ns_policies.get((ns, direction), ()):
                if p.selects(ep, self.ctx):
                    found.append((ti, pi, p))
        found.sort(key=lambda tp: tp[:2])
        got = applicable(((self.tiers[ti], p) for ti, _, p in found), ep, direction, self.ctx)
        if own:
            self._applicable_by_name[(ep.name, direction)] = got
        return got

    def _applicable_class(self, ci: int, direction: Direction) -> Applicable:
        """:meth:`applicable` for the members of class ``ci``."""
        got = self._applicable_cache.get((ci, direction))
        if got is not None:
            return got
        ep = self.class_reps[ci]
        got = ()
        if ep.kind is EndpointKind.POD:
            pols = ((self.tiers[ti], p) for ti, p in self._class_policies()[ci])
            got = applicable(pols, ep, direction, self.ctx)
        self._applicable_cache[(ci, direction)] = got
        return got

    # -- one flow, one port: the explained walk --------------------------

    def decide(
        self, direction: Direction, src: Endpoint, dst: Endpoint, protocol: str, port: int
    ) -> Decision:
        subject = src if direction is Direction.EGRESS else dst
        peer = dst if direction is Direction.EGRESS else src
        if subject.kind is not EndpointKind.POD:
            what = "a host address" if subject.kind is EndpointKind.HOST else "outside the cluster"
            return Decision(
                direction,
                True,
                Reason.NOT_ENFORCED,
                f"{subject.name} is {what}: no {direction.value} policy is enforced there",
            )
        enf = self.enforcement
        if not enf.enforces:
            return Decision(
                direction,
                True,
                Reason.NO_ENFORCER,
                f"allowed: no enforcer, policies have no effect ({enf.describe()})",
            )
        tiers = self.applicable(subject, direction)
        if not tiers and enf.strict:
            return Decision(
                direction,
                False,
                Reason.STRICT_MODE,
                f"no policy selects {subject.name}: denied, the VPC CNI network policy agent "
                "runs in strict mode (a pod no policy selects is default-deny)",
            )
        if not tiers:
            return Decision(
                direction, True, Reason.NO_POLICY, f"no policy selects {subject.name}: allowed"
            )
        passed: list[str] = []
        logged: list[str] = []
        decided: list[Decision] = []

        def take(r: CompiledRule) -> ConnectionSet | None:
            return r.conns(dst) if r.peer.matches(peer, self.ctx) else None

        def seen(step: Step) -> None:
            tier, p, r = step.tier, step.policy, step.rule
            if r is None:  # the end of a tier
                if step.action is Action.PASS:
                    passed.append(tier.name)
                    return
                names = ", ".join(str(q.id) for q, _ in next(ps for t, ps in tiers if t is tier))
                decided.append(
                    Decision(
                        direction,
                        False,
                        Reason.END_OF_TIER,
                        f"selected by {names} but no rule matched: denied at the end of tier "
                        f"{tier.name}",
                        tier.name,
                        p.id,
                        None,
                        None,
                        p.source,
                        tuple(passed),
                        tuple(logged),
                    )
                )
                return
            where = f"{_policy_text(p, tier.name)} {direction.value} rule {r.index}"
            if r.label:
                where += f" ({r.label})"
            if r.action is Action.LOG:
                logged.append(where)
            elif r.action is Action.PASS:
                passed.append(tier.name)
            else:
                allowed = r.action is Action.ALLOW
                decided.append(
                    Decision(
                        direction,
                        allowed,
                        Reason.RULE,
                        f"{'allowed' if allowed else 'denied'} by {where}",
                        tier.name,
                        p.id,
                        r.index,
                        r.action.value,
                        r.location or p.source,
                        tuple(passed),
                        tuple(logged),
                    )
                )

        # the one connection asked about, as given (a port out of range matches no rule)
        flow = ConnectionSet(((protocol, ((port, port),)),))
        evaluate(tiers, take, flow, seen=seen)
        if decided:
            return decided[0]
        return Decision(
            direction,
            True,
            Reason.PASSED,
            f"passed by tier(s) {', '.join(passed)}: the namespace profile allows",
            passed_tiers=tuple(passed),
            logged_by=tuple(logged),
        )

    def verdict(self, src: Endpoint, dst: Endpoint, protocol: str, port: int) -> Verdict:
        protocol = protocol.upper()
        if src is dst or (src.kind is EndpointKind.POD and src.name == dst.name):
            for_both = [
                Decision(d, True, Reason.LOOPBACK, "a pod reaching itself is never filtered")
                for d in (Direction.EGRESS, Direction.INGRESS)
            ]
            return Verdict(
                src.name, dst.name, protocol, port, True, for_both[0], for_both[1],
                self.enforcement,
            )  # fmt: skip
        eg = self.decide(Direction.EGRESS, src, dst, protocol, port)
        ing = self.decide(Direction.INGRESS, src, dst, protocol, port)
        return Verdict(
            src.name, dst.name, protocol, port, eg.allowed and ing.allowed, eg, ing,
            self.enforcement,
        )  # fmt: skip

    # -- whole connectivity over classes ---------------------------------

    def _intern(self, conns: ConnectionSet) -> int:
        cid = self._conn_ids.get(conns)
        if cid is None:
            cid = self._conn_ids[conns] = len(self._conns)
            self._conns.append(conns)
        return cid

    def conns(self, cid: int) -> ConnectionSet:
        return self._conns[cid]

    def union(self, cids: Iterable[int]) -> int:
        """The connection id of the union of the connection sets ``cids``."""
        key = frozenset(cids)
        got = self._union_cache.get(key)
        if got is None:
            out = ConnectionSet.none()
            for cid in sorted(key):
                out = out | self._conns[cid]
            got = self._union_cache[key] = self._intern(out)
        return got

    def _label_bits(self, sel: LabelSelector | None) -> int:
        """Pod classes whose labels ``sel`` matches (None: every pod class)."""
        if sel is None:
            return self._pod_bits
        got = self._label_cache.get(sel)
        if got is None:
            got = 0
            for labels, bits in self._labelsets:
                if sel.matches(labels):
                    got |= bits
            self._label_cache[sel] = got
        return got

    def _namespace_bits(self, sel: LabelSelector) -> int:
        """Classes in the namespaces whose labels ``sel`` matches."""
        got = self._ns_sel_cache.get(sel)
        if got is None:
            got = 0
            for ns, labels in self.ns_labels.items():
                if sel.matches(labels):
                    got |= self._ns_bits.get(ns, 0)
            self._ns_sel_cache[sel] = got
        return got

    def _k8s_peer_bits(self, peer: K8sPeer) -> int:
        p = peer.peer
        if p.ip_block is not None:
            key: object = p.ip_block
        elif p.namespace_selector is not None:
            key = (p.namespace_selector, p.pod_selector)
        else:
            key = (peer.policy_namespace, p.pod_selector)
        got = self._k8s_peer_cache.get(key)
        if got is not None:
            return got
        if p.ip_block is not None:
            got = 0
            for ci, ep in enumerate(self.class_reps):
                if peer.matches(ep, self.ctx):
                    got |= 1 << ci
        else:
            ns_bits = (
                self._ns_bits.get(peer.policy_namespace, 0)
                if p.namespace_selector is None
                else self._namespace_bits(p.namespace_selector)
            )
            got = ns_bits & self._label_bits(p.pod_selector) & self._pod_bits
        self._k8s_peer_cache[key] = got
        return got

    def peer_classes(self, rule: CompiledRule) -> int:
        """The classes (a bitset over :attr:`class_reps`) whose endpoints ``rule``'s
        peer side matches: selectors are judged per label set and namespace, not
        per endpoint, and the answer is kept for the model's lifetime."""
        return self._peer_bits(rule)

    def _peer_bits(self, rule: CompiledRule) -> int:
        """The classes ``rule``'s peer side matches."""
        peer = rule.peer
        if isinstance(peer, K8sPeers):
            if not peer.peers:
                return self.all_bits
            bits = 0
            for p in peer.peers:
                bits |= self._k8s_peer_bits(p)
            return bits
        if isinstance(peer, AdminPeers):
            got = self._admin_cache.get(peer)
            if got is None:
                got = 0
                for ci, ep in enumerate(self.class_reps):
                    if peer.matches(ep, self.ctx):
                        got |= 1 << ci
                self._admin_cache[peer] = got
            return got
        e = peer.entity
        key: CalicoEntity | EntityRule = peer
        if (
            e.selector is None
            and e.not_selector is None
            and e.namespace_selector is None
            and e.service_accounts is None
        ):
            key = e  # the policy's namespace plays no part
        got = self._entity_cache.get(key)
        if got is not None:
            return got
        narrowed = peer.namespaces(self.ns_labels)
        if narrowed is None:
            candidates = self.all_bits
        else:
            candidates = 0
            for n in narrowed:
                candidates |= self._ns_bits.get(n, 0)
            # an address in a network set the selector matches is matched too,
            # whatever the namespace of the pod (or node) that has it
            candidates = (candidates & self._pod_bits) | self._in_sets_bits
        got = 0
        for ci in bit_indices(candidates):
            if peer.matches(self.class_reps[ci], self.ctx):
                got |= 1 << ci
        self._entity_cache[key] = got
        return got

    def _selected_bits(self, p: CompiledPolicy) -> int:
        """The pod classes policy ``p`` selects."""
        if p.k8s is not None:
            return self._ns_bits.get(p.namespace, 0) & self._label_bits(p.k8s.pod_selector)
        candidates = self.all_bits if p.namespace is None else self._ns_bits.get(p.namespace, 0)
        bits = 0
        for ci in bit_indices(candidates & self._pod_bits):
            if p.selects(self.class_reps[ci], self.ctx):
                bits |= 1 << ci
        return bits

    def _class_policies(self) -> list[list[tuple[int, CompiledPolicy]]]:
        """Per class, the (tier index, policy) pairs that select it, in evaluation order."""
        if self._by_class is None:
            by_class: list[list[tuple[int, CompiledPolicy]]] = [[] for _ in self.class_reps]
            for ti, tier in enumerate(self.tiers):
                for p in tier.policies:
                    for ci in bit_indices(self._selected_bits(p)):
                        by_class[ci].append((ti, p))
            self._by_class = by_class
        return self._by_class

    def _rule_conns(self, rule: CompiledRule, dst: Endpoint) -> ConnectionSet:
        key = (rule.uid, dst.named_ports if rule.ports.uses_named_ports else ())
        got = self._rule_conns_cache.get(key)
        if got is None:
            got = self._rule_conns_cache[key] = rule.conns(dst)
        return got

    def side(self, direction: Direction, ci: int) -> tuple[tuple[int, int], ...]:
        """For subject class ``ci``: (peer class bits, connection id) blocks covering
        every peer class, the connections ``direction`` lets through."""
        subject = self.class_reps[ci]
        if not self.enforcement.enforces:
            return ((self.all_bits, 1),)
        tiers = self._applicable_class(ci, direction)
        if not tiers:
            strict = self.enforcement.strict and subject.kind is EndpointKind.POD
            return ((self.all_bits, 0 if strict else 1),)
        ident = _side_ident(subject, direction, tiers)
        cached = self._side_cache.get(ident)
        if cached is not None:
            return cached
        blocks = peer_blocks(
            tiers, self.all_bits, self._peer_bits, self._named_bits.values, direction
        )
        merged: dict[int, int] = {}
        for block in blocks:
            rep = (block & -block).bit_length() - 1
            peer_ep = self.class_reps[rep]
            dst = peer_ep if direction is Direction.EGRESS else subject
            allowed = walk(tiers, self._peer_test(rep), dst, self._rule_conns)
            cid = self._intern(allowed)
            merged[cid] = merged.get(cid, 0) | block
        result = tuple((bits, cid) for cid, bits in sorted(merged.items()))
        self._side_cache[ident] = result
        return result

    def _peer_test(self, rep: int) -> Callable[[CompiledRule], bool]:
        def test(rule: CompiledRule) -> bool:
            return bool(self._peer_bits(rule) >> rep & 1)

        return test

    def combine(self, e: int, i: int) -> int:
        if e == 0 or i == 0:
            return 0
        if e == 1:
            return i
        if i in (1, e):
            return e
        key = (e, i)
        got = self._and_cache.get(key)
        if got is None:
            got = self._and_cache[key] = self._intern(self._conns[e] & self._conns[i])
        return got

    def class_rows(self) -> list[dict[int, int]]:
        """The whole pod-level connectivity over classes: for each source class, a
        map from connection id to the bitset of destination classes it reaches with
        exactly those connections (a pod of a class reaching another pod of the
        same class is the class's own bit). Denied pairs are absent. Rows of
        equivalent sources are the same (shared, read-only) dict.

        Egress blocks are already rows. Ingress blocks are per destination; they
        are turned around per source through each ingress signature's largest
        block (its default) and the source's exceptions to the defaults, so the
        cost follows the blocks, not the class pairs.
        """
        if self._rows is not None:
            return self._rows
        n = len(self.class_reps)
        groups: dict[tuple[tuple[int, int], ...], int] = {}
        for d in range(n):
            sig = self.side(Direction.INGRESS, d)
            groups[sig] = groups.get(sig, 0) | (1 << d)
        defaults: dict[int, int] = {}
        entries: list[tuple[int, int, int]] = []
        exceptions: list[list[int]] = [[] for _ in range(n)]
        for sig, dest in groups.items():
            top = max(range(len(sig)), key=lambda k: sig[k][0].bit_count())
            default_cid = sig[top][1]
            defaults[default_cid] = defaults.get(default_cid, 0) | dest
            for k, (bits, cid) in enumerate(sig):
                if k == top:
                    continue
                eid = len(entries)
                entries.append((dest, default_cid, cid))
                for s in bit_indices(bits):
                    exceptions[s].append(eid)
        memo: dict[tuple[object, ...], dict[int, int]] = {}
        rows: list[dict[int, int]] = []
        for s in range(n):
            eblocks = self.side(Direction.EGRESS, s)
            key = (eblocks, tuple(exceptions[s]))
            row = memo.get(key)
            if row is None:
                incoming = dict(defaults)
                for eid in exceptions[s]:
                    dest, default_cid, cid = entries[eid]
                    incoming[default_cid] &= ~dest
                    incoming[cid] = incoming.get(cid, 0) | dest
                row = {}
                for ebits, e in eblocks:
                    if e == 0:
                        continue
                    for i, dbits in incoming.items():
                        if i == 0:
                            continue
                        both = ebits & dbits
                        if both:
                            c = self.combine(e, i)
                            if c:
                                row[c] = row.get(c, 0) | both
                memo[key] = row
            rows.append(row)
        self._rows = rows
        return rows

    def class_pairs(self) -> Iterator[tuple[int, int, int]]:
        """Every (source class, destination class, connection id) with some connection."""
        for s, row in enumerate(self.class_rows()):
            for cid, bits in row.items():
                for d in bit_indices(bits):
                    yield s, d, cid

    def side_decisions(self, direction: Direction, ci: int) -> SideDecisions:
        """For subject class ``ci``: every peer class and every connection, with the
        :class:`Decision` that ``direction`` takes for it, as (peer class bits,
        regions) blocks; a block's regions are (connections, decision) pairs that
        partition all connections. It is :meth:`decide` on the class
        representatives, once per region: a reader can explain any pair of pods
        and any port by lookup (the web report does, for the pair a user opens).

        Peer classes are split by every rule's peer (Log rules too: they name the
        decision's ``logged_by``) and, for egress rules with named ports, by the
        peers' named ports; each block's connections are split at every bound of
        its matching rules' ports, and neighbouring pieces with the same decision
        are merged.
        """
        subject = self.class_reps[ci]
        tiers = self._applicable_class(ci, direction)
        # Classes with the same rules (and, for ingress, named ports) share their
        # tables; without any policy the message names the pod, so no sharing.
        ident: tuple[object, ...] | None = None
        if tiers:
            ident = _side_ident(subject, direction, tiers)
            cached = self._side_decisions_cache.get(ident)
            if cached is not None:
                return cached
        # Log rules split the peers too: they name the decision's logged_by
        blocks = peer_blocks(
            tiers, self.all_bits, self._peer_bits, self._named_bits.values, direction, logs=True
        )
        out: list[tuple[int, tuple[tuple[ConnectionSet, Decision], ...]]] = []
        for block in blocks:
            rep = self.class_reps[(block & -block).bit_length() - 1]
            src, dst = (subject, rep) if direction is Direction.EGRESS else (rep, subject)
            cuts: dict[str, set[int]] = {p: set() for p in PROTOCOLS}
            for _, pols in tiers:
                for _, rules in pols:
                    for r in rules:
                        if not self._peer_bits(r) >> ((block & -block).bit_length() - 1) & 1:
                            continue
                        for proto, ivs in self._rule_conns(r, dst):
                            for lo, hi in ivs:
                                cuts[proto].update((lo, hi + 1))
            regions: dict[Decision, list[tuple[str, int, int]]] = {}
            for proto in PROTOCOLS:
                low, high = protocol_range(proto)
                points = sorted({low, *(c for c in cuts[proto] if low < c <= high)})
                for k, lo in enumerate(points):
                    hi = points[k + 1] - 1 if k + 1 < len(points) else high
                    d = self.decide(direction, src, dst, proto, lo)
                    regions.setdefault(d, []).append((proto, lo, hi))
            parts = []
            for d, pieces in regions.items():
                by_proto: dict[str, Iterable[tuple[int, int]]] = {
                    p: [(lo, hi) for q, lo, hi in pieces if q == p] for p in PROTOCOLS
                }
                parts.append((ConnectionSet.of(by_proto), d))
            out.append((block, tuple(parts)))
        result = tuple(out)
        if ident is not None:
            self._side_decisions_cache[ident] = result
        return result
