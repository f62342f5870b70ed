"""What the NET checks share: the compiled platform, endpoint classes, ordered walks.

The checks read the net engine through its public objects only: ``NetModel``
(its endpoints), ``can`` and ``matrix``, and the compiled tiers, policies and
rules of :mod:`ekstwin.engines.net.policies`. :class:`LintModel` puts them
together once per check run and adds what the checks need beyond a single
verdict:

- endpoint classes over every pod, host-network pod and a representative
  address of each stretch of the IPv4 space that no named CIDR splits, so a
  question "for every peer" is asked once per class;
- :meth:`LintModel.applicable`: the tiers, policies and rules that apply to
  an endpoint in a direction, in Calico's order, optionally without one policy;
- :func:`walk` (the connections the ordered decisions allow for one pair, as
  the engine computes them) and :func:`reaching` (the connections still
  undecided when evaluation arrives at one rule, and what decided the rest).
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ekstwin.engines.checks import CheckContext
from ekstwin.engines.net import NetModel
from ekstwin.engines.net.connections import ConnectionSet
from ekstwin.engines.net.endpoints import Cidr, Endpoint, EndpointKind
from ekstwin.engines.net.engine import bit_indices
from ekstwin.engines.net.policies import (
    CalicoPorts,
    CompiledPolicy,
    CompiledRule,
    CompiledTier,
    Direction,
    K8sPeers,
    K8sPorts,
    MatchContext,
    Peer,
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
from ekstwin.model.calico import Action
from ekstwin.model.k8s import Meta
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import And, Eq, Global, Has, Selector
from ekstwin.model.source import ObjectRef, Source

__all__ = [
    "lint_model",
    "net_model",
    "Applicable",
    "EndpointClass",
    "LintModel",
    "Reach",
    "Walked",
    "SideBlocks",
    "policy_meta",
    "policy_ref",
    "rule_location",
    "rule_pointer",
    "rule_text",
    "is_unconditional",
    "judged_at_l4",
    "reaching",
    "walk",
    "first_items",
    "has_host_endpoints",
    "may_select_host_endpoints",
]


#: What one direction's policies at a class let through: (peer class bits, connections)
#: blocks that cover every class.
SideBlocks = tuple[tuple[int, ConnectionSet], ...]

_DECIDING = (Action.ALLOW, Action.DENY, Action.PASS)


# --------------------------------------------------------------------------- policies


def policy_meta(p: CompiledPolicy) -> Meta:
    """The manifest metadata of a compiled policy."""
    if p.k8s is not None:
        return p.k8s.meta
    assert p.calico is not None
    return p.calico.meta


def policy_ref(p: CompiledPolicy) -> ObjectRef:
    meta = policy_meta(p)
    return ObjectRef(meta.kind, meta.name, meta.namespace)


def rule_pointer(direction: Direction, index: int) -> str:
    return f"/spec/{direction.value}/{index}"


def rule_location(p: CompiledPolicy, r: CompiledRule) -> Source | None:
    return r.location or policy_meta(p).line_of(rule_pointer(r.direction, r.index))


def rule_text(p: CompiledPolicy, r: CompiledRule) -> str:
    """``NetworkPolicy shop/web (tier default) ingress rule 0 (Allow)``."""
    return f"{p.id} (tier {p.tier}) {r.direction.value} rule {r.index} ({r.action.value})"


def judged_at_l4(r: CompiledRule) -> bool:
    """False when the rule matches on something the twin judges only partly:
    HTTP fields, Kubernetes Services, IPv6, or source ports."""
    if r.never:
        return False
    if not isinstance(r.ports, CalicoPorts):
        return True
    rule = r.ports.rule
    if rule.http is not None or rule.ip_version == 6:
        return False
    return rule.source.services is None and rule.destination.services is None


def is_unconditional(r: CompiledRule) -> bool:
    """Does the rule match every peer on every connection (for an endpoint its
    subject side already matched)?

    True for a Kubernetes rule without ports whose peers are absent or include
    an ipBlock 0.0.0.0/0 without except, and for a Calico rule without
    protocol, ICMP, HTTP, IPv6 or destination-port criteria whose peer entity
    (the source of an ingress rule, the destination of an egress rule) has no
    criterion (``nets: [0.0.0.0/0]`` alone counts as none).
    """
    if r.never:
        return False
    if isinstance(r.ports, K8sPorts):
        if r.ports.ports:
            return False
        assert isinstance(r.peer, K8sPeers)
        if not r.peer.peers:
            return True
        for peer in r.peer.peers:
            b = peer.peer.ip_block
            if b is not None and not b.except_ and _is_everything(Cidr.parse(b.cidr)):
                return True
        return False
    assert isinstance(r.ports, CalicoPorts)
    rule = r.ports.rule
    if (
        rule.protocol is not None
        or rule.not_protocol is not None
        or rule.icmp is not None
        or rule.not_icmp is not None
        or rule.http is not None
        or rule.ip_version == 6
        or rule.destination.ports
        or rule.destination.not_ports
    ):
        return False
    e = rule.source if r.direction is Direction.INGRESS else rule.destination
    if e.nets and not any(_is_everything(Cidr.parse(n)) for n in e.nets):
        return False
    return not (
        e.not_nets
        or e.selector is not None
        or e.not_selector is not None
        or e.namespace_selector is not None
        or e.service_accounts is not None
        or e.services is not None
    )


def _is_everything(c: Cidr) -> bool:
    return c.first == 0 and c.last == 0xFFFFFFFF


# --------------------------------------------------------------------------- classes


@dataclass(frozen=True, slots=True)
class EndpointClass:
    """Endpoints no policy of the platform can tell apart; ``rep`` stands for all."""

    index: int
    rep: Endpoint
    members: tuple[Endpoint, ...]
    #: For an address class: the (first, last) address of the stretch it stands for.
    span: tuple[int, int] | None = None

    @property
    def is_pod(self) -> bool:
        return self.rep.kind is EndpointKind.POD

    def describe(self) -> str:
        if self.span is not None:
            lo, hi = (str(ipaddress.IPv4Address(x)) for x in self.span)
            return lo if lo == hi else f"{lo}-{hi}"
        names = sorted(m.name for m in self.members)
        more = f" (+{len(names) - 3} more)" if len(names) > 3 else ""
        return ", ".join(names[:3]) + more


def _named_cidrs(platform: Platform) -> list[Cidr]:
    texts: set[str] = set()
    for np in platform.network_policies:
        for r in np.ingress + np.egress:
            for peer in r.peers:
                if peer.ip_block is not None:
                    texts.add(peer.ip_block.cidr)
                    texts.update(peer.ip_block.except_)
    for cp in platform.calico_policies:
        for cr in cp.ingress + cp.egress:
            for e in (cr.source, cr.destination):
                texts.update(e.nets)
                texts.update(e.not_nets)
    for s in platform.network_sets:
        texts.update(s.nets)
    return [c for c in (Cidr.parse(t) for t in sorted(texts)) if c.first <= c.last]


@dataclass(frozen=True, slots=True)
class Reach:
    """What happens to a rule's traffic for one (subject, peer) pair."""

    undecided: ConnectionSet  # still undecided when evaluation reaches the rule
    deciders: tuple[str, ...]  # what decided the part of the rule's traffic that is not


class LintModel:
    """The platform compiled for the NET checks (built once per check run)."""

    def __init__(self, platform: Platform, model: NetModel | None = None) -> None:
        self.platform = platform
        self.model = model if model is not None else NetModel(platform)
        self.ns_labels = self.model.ns_labels
        self.ctx: MatchContext = self.model.ctx
        # The checks read the policies in the order the platform's Calico release
        # evaluates them (its tie-break rule): the network model's compiled tiers
        # when it compiled Calico's own resources (one compilation per run), else
        # (an enforcer that ignores them) every policy as written, in that order.
        self.tiers: tuple[CompiledTier, ...] = (
            self.model.tiers
            if self.model.enforcement.calico_applies
            else compile_policies(platform, self.model.tie_break)
        )
        self.endpoints: tuple[Endpoint, ...] = tuple(
            self.model.endpoints[k] for k in sorted(self.model.endpoints)
        )
        self.pods: tuple[Endpoint, ...] = tuple(
            e for e in self.endpoints if e.kind is EndpointKind.POD
        )
        self.classes: tuple[EndpointClass, ...] = self._build_classes()
        #: id of each endpoint -> its class (members of a class are alike to every policy)
        self._class_of: dict[int, EndpointClass] = {
            id(m): c for c in self.classes for m in c.members
        }
        self._applicable: dict[tuple[object, Direction, int], Applicable] = {}
        #: one object per distinct answer of :meth:`applicable` without a left-out
        #: policy (by the identity of its tiers, policies and rules), so that callers
        #: keying on it share work
        self._interned: dict[tuple[object, ...], Applicable] = {}
        #: (id of an interned answer, id of the policy left out) -> that answer without it
        self._without: dict[tuple[int, int], Applicable] = {}
        #: walk()'s memo of what a rule's connections take of the traffic left
        self._taken: dict[tuple[int, ...], tuple[ConnectionSet, ...]] = {}
        self._selected: dict[int, tuple[EndpointClass, ...]] = {}
        self._pods_by_ns: dict[str | None, tuple[EndpointClass, ...]] | None = None
        self._conns: dict[tuple[int, tuple[tuple[str, str, int], ...]], ConnectionSet] = {}
        self._tier_index: dict[str, dict[str | None, list[tuple[int, CompiledPolicy]]]] = {}
        self._tier_ns: dict[tuple[str, str | None], tuple[CompiledPolicy, ...]] = {}
        self._pod_classes: tuple[EndpointClass, ...] | None = None
        self._label_index: dict[tuple[bool, str, str | None], tuple[EndpointClass, ...]] | None = (
            None
        )
        #: the pod classes of each namespace, as bits, and those of the namespaces
        #: the input does not describe
        self._ns_index: dict[str | None, int] | None = None
        self._undescribed = 0
        self._in_ns: dict[frozenset[str], tuple[EndpointClass, ...]] = {}
        self._selecting_by_class: dict[int, list[tuple[CompiledTier, CompiledPolicy]]] | None = None
        self._peer: dict[int, int] = {}
        self._lifted_bits: dict[int, int] = {}
        self._address_bits: dict[Peer, int] = {}
        self._addresses: tuple[EndpointClass, ...] | None = None
        self._lifted: list[int] | None = None
        self._named: tuple[int, ...] | None = None
        self._sides: dict[tuple[object, ...], SideBlocks] = {}
        self._side_of: dict[tuple[int, Direction, int], SideBlocks] = {}
        self._groups: dict[Direction, tuple[tuple[int, SideBlocks], ...]] = {}
        self.all_bits = (1 << len(self.classes)) - 1
        #: Walks :meth:`side` has made so far (checks bound their work with it).
        self.walks = 0
        self._all_side: SideBlocks = ((self.all_bits, ConnectionSet.all()),)

    # -- policies ----------------------------------------------------------

    def policies(self) -> Iterator[tuple[CompiledTier, CompiledPolicy]]:
        for tier in self.tiers:
            for p in tier.policies:
                yield tier, p

    def selected_classes(self, p: CompiledPolicy) -> list[EndpointClass]:
        """The pod classes ``p`` selects, judged on each class's representative and
        only in the policy's namespace when it has one (found once per policy)."""
        got = self._selected.get(id(p))
        if got is None:
            got = self._selected[id(p)] = tuple(self._find_selected(p))
        return list(got)

    def _find_selected(self, p: CompiledPolicy) -> list[EndpointClass]:
        if self._pods_by_ns is None:
            by_ns: dict[str | None, list[EndpointClass]] = {}
            for c in self.pod_classes():
                by_ns.setdefault(c.rep.namespace, []).append(c)
            self._pods_by_ns = {ns: tuple(cs) for ns, cs in by_ns.items()}
        classes = (
            self._pods_by_ns.get(p.namespace, ()) if p.namespace is not None else self.pod_classes()
        )
        # only classes carrying a label the policy's selector requires can match
        required: tuple[str, str | None] | None = None
        calico = p.calico is not None and p.k8s is None and p.admin is None
        if calico:
            assert p.calico is not None
            required = required_label(p.calico.selector)
        elif p.k8s is not None and p.k8s.pod_selector.match_labels:
            required = p.k8s.pod_selector.match_labels[0]
        if required is not None:
            # those of ``classes`` carrying it, in class order: the shorter list filtered
            labelled = self.pod_classes_labelled(*required, calico=calico)
            if p.namespace is None:
                classes = labelled
            elif len(labelled) < len(classes):
                classes = tuple(c for c in labelled if c.rep.namespace == p.namespace)
            else:
                indices = {c.index for c in labelled}
                classes = tuple(c for c in classes if c.index in indices)
        return [c for c in classes if p.selects(c.rep, self.ctx)]

    def selected_pods(self, p: CompiledPolicy) -> tuple[Endpoint, ...]:
        """The pods ``p`` selects, in name order."""
        chosen = [m for c in self.selected_classes(p) for m in c.members]
        chosen.sort(key=lambda e: e.name)
        return tuple(chosen)

    def applicable(
        self, ep: Endpoint, direction: Direction, without: CompiledPolicy | None = None
    ) -> Applicable:
        """The tiers that hold a policy selecting ``ep`` for ``direction``, in
        order, each with its selecting policies in order and their rules whose
        subject side matches ``ep``; ``without`` leaves one policy out."""
        if ep.kind is not EndpointKind.POD:
            return ()
        # Members of a class are alike to every selector and subject: one answer each.
        cls = self._class_of.get(id(ep))
        who: object = ("class", cls.index) if cls is not None else ("endpoint", id(ep))
        key = (who, direction, id(without) if without is not None else 0)
        got = self._applicable.get(key)
        if got is not None:
            return got
        out: list[tuple[CompiledTier, tuple[tuple[CompiledPolicy, tuple[CompiledRule, ...]], ...]]]
        out = []
        if without is not None:  # the same, one policy left out
            # alike answers are one object (interned), and so are they without it
            base = self.applicable(ep, direction)
            found = self._without.get((id(base), id(without)))
            if found is None:
                for tier, pols in base:
                    kept = tuple(pr for pr in pols if pr[0] is not without)
                    if kept:
                        out.append((tier, kept))
                found = self._without[id(base), id(without)] = tuple(out)
            self._applicable[key] = found
            return found
        if cls is not None:
            # a class's selecting policies come from each policy's selected classes
            selecting = (
                (tier, p)
                for tier, p in self._selecting().get(cls.index, ())
                if direction in p.types
            )
        else:
            selecting = (
                (tier, p)
                for tier in self.tiers
                for p in self._candidates(tier, ep.namespace)
                if direction in p.types and p.selects(ep, self.ctx)
            )
        result = self._intern(applicable(selecting, ep, direction, self.ctx), direction)
        self._applicable[key] = result
        return result

    def _intern(self, tiers: Applicable, direction: Direction) -> Applicable:
        """The one object standing for every answer alike to ``tiers`` (the policies
        and rules of ``direction`` that apply; a policy all of whose rules apply, the
        common case, is named by itself)."""
        ident = (
            direction,
            tuple(
                (
                    id(t),
                    tuple(
                        (id(p), None)
                        if len(rules) == len(p.rules(direction))
                        else (id(p), tuple(map(id, rules)))
                        for p, rules in ps
                    ),
                )
                for t, ps in tiers
            ),
        )
        return self._interned.setdefault(ident, tiers)

    def _selecting(self) -> dict[int, list[tuple[CompiledTier, CompiledPolicy]]]:
        """For each pod class, the policies that select it with their tier, in
        evaluation order: found once, policy by policy, through
        :meth:`selected_classes` (a policy selects pods of its own namespace only)."""
        if self._selecting_by_class is None:
            found: dict[int, list[tuple[CompiledTier, CompiledPolicy]]] = {}
            for tier, p in self.policies():
                for c in self.selected_classes(p):
                    found.setdefault(c.index, []).append((tier, p))
            self._selecting_by_class = found
        return self._selecting_by_class

    def _candidates(self, tier: CompiledTier, namespace: str | None) -> tuple[CompiledPolicy, ...]:
        """The policies of ``tier`` that may select a pod of ``namespace``, in tier
        order: its namespace's own and the global ones."""
        key = (tier.name, namespace)
        got = self._tier_ns.get(key)
        if got is None:
            index = self._tier_index.get(tier.name)
            if index is None:
                by_ns: dict[str | None, list[tuple[int, CompiledPolicy]]] = {}
                for i, p in enumerate(tier.policies):
                    by_ns.setdefault(p.namespace, []).append((i, p))
                index = self._tier_index[tier.name] = by_ns
            own = index.get(namespace, []) if namespace is not None else []
            merged = sorted(own + index.get(None, []), key=lambda ip: ip[0])
            got = self._tier_ns[key] = tuple(p for _, p in merged)
        return got

    def rule_conns(self, rule: CompiledRule, dst: Endpoint) -> ConnectionSet:
        """``rule.conns(dst)``, once per rule and set of named ports (the only thing of
        the destination a rule's ports depend on)."""
        key = (id(rule), dst.named_ports)
        got = self._conns.get(key)
        if got is None:
            got = self._conns[key] = rule.conns(dst)
        return got

    def peer_matches(self, rule: CompiledRule, cls: EndpointClass) -> bool:
        return bool(self.peer_bits(rule) >> cls.index & 1)

    def peer_bits(self, rule: CompiledRule) -> int:
        """The classes ``rule``'s peer side matches, as a bitset over class indices:
        the network model's classes (selectors judged per label set and namespace)
        carried over to these, and each address class judged on its address."""
        got = self._peer.get(id(rule))
        if got is None:
            # rules alike in the model's classes, or written alike, share the work
            model_bits = self.model.peer_classes(rule)
            pods = self._lifted_bits.get(model_bits)
            if pods is None:
                pods = 0
                lift = self._lift()
                for ci in bit_indices(model_bits):
                    pods |= lift[ci]
                self._lifted_bits[model_bits] = pods
            addresses = self._address_bits.get(rule.peer)
            if addresses is None:
                addresses = 0
                for c in self.address_classes():
                    if rule.peer.matches(c.rep, self.ctx):
                        addresses |= 1 << c.index
                self._address_bits[rule.peer] = addresses
            got = self._peer[id(rule)] = pods | addresses
        return got

    def _lift(self) -> list[int]:
        """For each class of the network model, the classes here whose members are in
        it (every class here lies within one of the model's: its key is finer)."""
        if self._lifted is None:
            lift = [0] * len(self.model.class_reps)
            for c in self.classes:
                if c.span is None:
                    for m in c.members:
                        lift[self.model.class_of[m.name]] |= 1 << c.index
            self._lifted = lift
        return self._lifted

    def named_port_groups(self) -> tuple[int, ...]:
        """The classes grouped by the named ports of their members, as bitsets."""
        if self._named is None:
            groups: dict[tuple[tuple[str, str, int], ...], int] = {}
            for c in self.classes:
                groups[c.rep.named_ports] = groups.get(c.rep.named_ports, 0) | (1 << c.index)
            self._named = tuple(groups.values())
        return self._named

    def side(
        self, subject: EndpointClass, direction: Direction, without: CompiledPolicy | None = None
    ) -> SideBlocks:
        """What ``direction``'s policies at ``subject`` let through, for every peer
        class: (class bits, connections) blocks that cover every class; ``without``
        leaves one policy out. Peers that every rule treats alike share one walk."""
        if not subject.is_pod:
            return self._all_side  # not enforced there
        mine = (subject.index, direction, id(without) if without is not None else 0)
        got = self._side_of.get(mine)
        if got is None:
            got = self._side_of[mine] = self._side(subject, direction, without)
        return got

    def side_groups(self, direction: Direction) -> tuple[tuple[int, SideBlocks], ...]:
        """Every class grouped by its :meth:`side` in ``direction`` (classes whose
        policies treat every peer alike share one): (class bits, their side)."""
        got = self._groups.get(direction)
        if got is None:
            groups: dict[int, tuple[int, SideBlocks]] = {}
            for c in self.classes:
                blocks = self.side(c, direction)
                bits, _ = groups.get(id(blocks), (0, blocks))
                groups[id(blocks)] = (bits | (1 << c.index), blocks)
            got = self._groups[direction] = tuple(groups.values())
        return got

    def _side(
        self, subject: EndpointClass, direction: Direction, without: CompiledPolicy | None
    ) -> SideBlocks:
        tiers = self.applicable(subject.rep, direction, without)
        # alike answers of applicable() are one object, kept as long as this model
        ident = (
            direction,
            id(tiers),
            subject.rep.named_ports if direction is Direction.INGRESS else (),
        )
        got = self._sides.get(ident)
        if got is not None:
            return got
        touched = self.all_bits
        kept: SideBlocks = ()
        if without is not None:
            # While the left-out policy's tier still applies, a peer none of its
            # rules matches meets the same decisions without it: only the peers
            # its rules match are walked again.
            for tier, pols in self.applicable(subject.rep, direction):
                for q, rules in pols:
                    if q is without and any(t is tier for t, _ in tiers):
                        touched = 0
                        for r in rules:
                            if r.action in _DECIDING:
                                touched |= self.peer_bits(r)
            if touched != self.all_bits:
                kept = tuple(
                    (bits & ~touched, conns)
                    for bits, conns in self.side(subject, direction)
                    if bits & ~touched
                )
        walked = self._walk_blocks(subject, direction, tiers, touched) if touched else ()
        got = self._sides[ident] = kept + walked
        return got

    def _walk_blocks(
        self, subject: EndpointClass, direction: Direction, tiers: Applicable, peers: int
    ) -> SideBlocks:
        """:meth:`side` over the classes ``peers``: one walk per block of peers that
        every rule (and the destination's named ports) treats alike."""
        blocks = peer_blocks(tiers, peers, self.peer_bits, self.named_port_groups, direction)
        out: dict[ConnectionSet, int] = {}
        self.walks += len(blocks)
        # peer_blocks asked every rule a walk tests (Log rules are not tested) for its
        # peer bits: the walks read them from where peer_bits keeps them
        known, peer_bits = self._peer, self.peer_bits
        for block in blocks:
            rep = (block & -block).bit_length() - 1
            dst = subject.rep if direction is Direction.INGRESS else self.classes[rep].rep

            def peer_ok(rule: CompiledRule, rep: int = rep) -> bool:
                return bool((known.get(id(rule)) or peer_bits(rule)) >> rep & 1)

            conns = walk(tiers, peer_ok, dst, self.rule_conns, self._taken)
            out[conns] = out.get(conns, 0) | block
        return tuple((bits, conns) for conns, bits in out.items())

    # -- classes -----------------------------------------------------------

    def _build_classes(self) -> tuple[EndpointClass, ...]:
        cidrs = _named_cidrs(self.platform)
        points = sorted({0} | {c.first for c in cidrs} | {c.last + 1 for c in cidrs})
        points = [p for p in points if p <= 0xFFFFFFFF]

        def stretch(ip: int | None) -> int:
            return -1 if ip is None else bisect.bisect_right(points, ip) - 1

        groups: dict[tuple[object, ...], list[Endpoint]] = {}
        for ep in self.endpoints:
            if ep.kind is EndpointKind.POD:
                key: tuple[object, ...] = (
                    "pod",
                    ep.namespace,
                    frozenset(ep.labels.items()),
                    ep.service_account,
                    frozenset(ep.sa_labels.items()),
                    ep.named_ports,
                    stretch(ep.ip),
                )
            else:
                key = ("host", stretch(ep.ip))
            groups.setdefault(key, []).append(ep)
        out: list[EndpointClass] = []
        for members in groups.values():
            out.append(EndpointClass(len(out), members[0], tuple(members)))
        taken = {e.ip for e in self.endpoints if e.ip is not None}
        for i, lo in enumerate(points):
            hi = points[i + 1] - 1 if i + 1 < len(points) else 0xFFFFFFFF
            ip = lo
            while ip in taken and ip <= hi and ip - lo < 64:
                ip += 1
            if ip in taken or ip > hi:
                continue
            text = str(ipaddress.IPv4Address(ip))
            rep = Endpoint(EndpointKind.EXTERNAL, text, ip)
            out.append(EndpointClass(len(out), rep, (rep,), span=(lo, hi)))
        return tuple(out)

    def class_of(self, ep: Endpoint) -> EndpointClass:
        got = self._class_of.get(id(ep))
        if got is None:
            raise KeyError(ep.name)
        return got

    def pod_classes(self) -> tuple[EndpointClass, ...]:
        if self._pod_classes is None:
            self._pod_classes = tuple(c for c in self.classes if c.is_pod)
        return self._pod_classes

    def address_classes(self) -> tuple[EndpointClass, ...]:
        if self._addresses is None:
            self._addresses = tuple(c for c in self.classes if c.span is not None)
        return self._addresses

    def pod_classes_labelled(
        self, key: str, value: str | None, *, calico: bool
    ) -> tuple[EndpointClass, ...]:
        """The pod classes whose representative carries the label ``key=value``
        (any value when ``value`` is None): among its Kubernetes labels, or with
        ``calico`` among the labels Calico selectors see (``calico_labels``). A
        selector that requires the label can only match these."""
        if self._label_index is None:
            index: dict[tuple[bool, str, str | None], list[EndpointClass]] = {}
            for c in self.pod_classes():
                for flag, labels in ((False, c.rep.labels), (True, c.rep.calico_labels())):
                    for k, v in labels.items():
                        index.setdefault((flag, k, v), []).append(c)
                        index.setdefault((flag, k, None), []).append(c)
            self._label_index = {k: tuple(v) for k, v in index.items()}
        return self._label_index.get((calico, key, value), ())

    def pod_classes_in(self, namespaces: frozenset[str]) -> tuple[EndpointClass, ...]:
        """The pod classes of these namespaces, and of every namespace the input
        does not describe (a selector over namespace labels may still match
        those: their labels are unknown), in class order."""
        got = self._in_ns.get(namespaces)
        if got is not None:
            return got
        if self._ns_index is None:
            index: dict[str | None, int] = {}
            for c in self.pod_classes():
                index[c.rep.namespace] = index.get(c.rep.namespace, 0) | 1 << c.index
            self._ns_index = index
            self._undescribed = 0
            for n, bits in index.items():
                if n not in self.ns_labels:
                    self._undescribed |= bits
        bits = self._undescribed
        for n in namespaces:
            bits |= self._ns_index.get(n, 0)
        got = self._in_ns[namespaces] = tuple(self.classes[i] for i in bit_indices(bits))
        return got


def required_label(selector: Selector | None) -> tuple[str, str | None] | None:
    """A label every label set ``selector`` matches carries, ``key == "value"``
    or ``has(key)`` (value None): the selector itself or one operand of its
    top-level ``&&``. Classes without it cannot match (see
    :meth:`LintModel.pod_classes_labelled`)."""
    for op in selector.operands if isinstance(selector, And) else (selector,):
        if isinstance(op, Eq):
            return op.key, op.value
        if isinstance(op, Has):
            return op.key, None
    return None


# --------------------------------------------------------------------------- walks


def reaching(
    tiers: Applicable,
    target: CompiledRule,
    peer_ok: Callable[[CompiledRule], bool],
    dst: Endpoint,
    conns_of: Callable[[CompiledRule, Endpoint], ConnectionSet] | None = None,
) -> Reach:
    """The part of ``target``'s connections that evaluation brings to ``target``
    undecided, for one (subject, peer) pair, and what decided the rest.

    Rules the twin judges only in part (HTTP, Services, IPv6, source ports)
    decide nothing here, so that a rule is never called unreachable because of
    them.
    """
    conns = conns_of or _rule_conns
    wanted = conns(target, dst)
    deciders: list[str] = []

    def seen(step: Step) -> None:
        if not (step.conns & wanted).is_empty:
            text = _decider(step)
            if text is not None:
                deciders.append(text)

    take = _deciding_take(peer_ok, conns, dst)
    _, arrived = evaluate(tiers, take, ConnectionSet.all(), until=target, seen=seen)
    return Reach(arrived & wanted, tuple(deciders))


def _deciding_take(
    peer_ok: Callable[[CompiledRule], bool],
    conns: Callable[[CompiledRule, Endpoint], ConnectionSet],
    dst: Endpoint,
) -> Callable[[CompiledRule], ConnectionSet | None]:
    """evaluate()'s ``take`` for :func:`reaching`: only rules that decide at L4."""

    def take(r: CompiledRule) -> ConnectionSet | None:
        if r.action not in _DECIDING or not judged_at_l4(r) or not peer_ok(r):
            return None
        return conns(r, dst)

    return take


def _decider(step: Step) -> str | None:
    """How :func:`reaching` names a step that decided traffic (a Pass at the end
    of a tier decides nothing)."""
    if step.rule is not None:
        return rule_text(step.policy, step.rule)
    if step.action is not Action.PASS:
        return f"the end of tier {step.tier.name} (default action Deny)"
    return None


class Walked:
    """One (subject, peer) pair's walk through every rule of its tiers, as
    :func:`reaching` makes it, recorded: :meth:`reach` reads off it what
    :func:`reaching` answers for any of the rules, without walking again."""

    __slots__ = ("_before", "_steps")

    def __init__(
        self,
        tiers: Applicable,
        peer_ok: Callable[[CompiledRule], bool],
        dst: Endpoint,
        conns_of: Callable[[CompiledRule, Endpoint], ConnectionSet] | None = None,
    ) -> None:
        conns = conns_of or _rule_conns
        #: id of each rule -> (steps met before it, what arrives there undecided)
        self._before: dict[int, tuple[int, ConnectionSet]] = {}
        self._steps: list[Step] = []

        def arrive(r: CompiledRule, undecided: ConnectionSet) -> None:
            self._before[id(r)] = (len(self._steps), undecided)

        take = _deciding_take(peer_ok, conns, dst)
        evaluate(tiers, take, ConnectionSet.all(), seen=self._steps.append, arrive=arrive)

    def reach(self, target: CompiledRule, wanted: ConnectionSet) -> Reach:
        """``reaching(tiers, target, ...)`` for the traffic ``wanted`` of ``target``."""
        got = self._before.get(id(target))
        met, arrived = got if got is not None else (len(self._steps), ConnectionSet.none())
        deciders: list[str] = []
        for step in self._steps[:met]:
            if not (step.conns & wanted).is_empty:
                text = _decider(step)
                if text is not None:
                    deciders.append(text)
        return Reach(arrived & wanted, tuple(deciders))


def _rule_conns(rule: CompiledRule, dst: Endpoint) -> ConnectionSet:
    return rule.conns(dst)


def first_items(items: Sequence[str], limit: int = 5) -> str:
    """``a, b, c`` or ``a, b, c, d, e and 3 more``."""
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def has_host_endpoints(platform: Platform) -> bool:
    """Whether the input holds Calico HostEndpoints (kept, not modelled)."""
    return any(o.meta.kind == "HostEndpoint" for o in platform.opaque)


def may_select_host_endpoints(p: CompiledPolicy, platform: Platform) -> bool:
    """A GlobalNetworkPolicy with no namespace or service-account scope can
    select host endpoints, which the twin does not model: true when the input
    has some, or when the policy is doNotTrack or preDNAT (host endpoints only)."""
    pol = p.calico
    if pol is None or p.namespace is not None:
        return False
    if pol.do_not_track or pol.pre_dnat:
        return True
    if pol.service_account_selector is not None:
        return False
    if pol.namespace_selector is not None and not isinstance(pol.namespace_selector, Global):
        return False
    return has_host_endpoints(platform)


def net_model(platform: Platform, ctx: CheckContext) -> NetModel:
    """The platform's network model, compiled once per check run."""
    return ctx.models(platform).net


def lint_model(platform: Platform, ctx: CheckContext) -> LintModel:
    """The NET checks' model, built once per check run (on the shared network model)."""
    return ctx.models(platform).lint
