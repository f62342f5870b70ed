"""Kubernetes and Calico policy rendered into iptables the way Calico's Felix does.

This module works from the model and the policy semantics alone; it never asks
the reachability engine (``ekstwin.engines.net``), so that the kernel's verdict
on the rendered rules is an independent check of the engine.

Shape of the ``filter`` table of each node namespace (Felix's, trimmed to what
the lab uses):

* ``FORWARD`` jumps to ``cali-FORWARD``, which sends packets from a workload
  interface (``cali+``) to ``cali-from-wl-dispatch`` and packets to one to
  ``cali-to-wl-dispatch``; these go (``-g``) to the endpoint chains
  ``cali-fw-<iface>`` (pod egress) and ``cali-tw-<iface>`` (pod ingress).
  ``cali-FORWARD`` accepts what came back with the accept mark.
* An endpoint chain accepts RELATED/ESTABLISHED, drops INVALID, clears the
  mark bits, then for each tier holding a policy that applies to the endpoint
  in that direction: clears the pass bit, and for each policy in order jumps to
  its chain while the pass bit is clear and returns when the accept bit is set;
  at the end of the tier drops when the pass bit is still clear (unless the
  tier's defaultAction is Pass). Then the namespace profile ``kns.<ns>`` (allow
  all), and a final drop.
* Policy chains ``cali-pi-…``/``cali-po-…`` hold one block per rule: Allow sets
  the accept bit and returns, Pass sets the pass bit and returns, Deny drops,
  Log logs and falls through.
* Selectors, network sets and ``nets`` are ipsets (``hash:net``), named ports
  ``hash:ip,port`` sets of (address, protocol:port) of the selected endpoints.

A Kubernetes NetworkPolicy is converted as Calico converts it
(``knp.default.<name>``, order 1000, default tier, one Allow rule per peer
and port). The ``nat`` table carries the VPC CNI's SNAT chain.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ekstwin.model.calico import (
    DEFAULT_TIER,
    K8S_POLICY_ORDER,
    Action,
    CalicoPolicy,
    CalicoPort,
    CalicoRule,
    EntityRule,
    PolicyScope,
    ServiceAccountMatch,
    TieBreak,
    policy_key,
    sort_name,
    tier_order,
)
from ekstwin.model.k8s import NAMESPACE_NAME_LABEL, NetpolPeer, NetpolRule, NetworkPolicy
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import All, Global, Selector

__all__ = [
    "ACCEPT_MARK",
    "PASS_MARK",
    "LocalEndpoint",
    "NodeRules",
    "PolicyRenderer",
    "SnatConfig",
]

ACCEPT_MARK = 0x10000
PASS_MARK = 0x20000
#: The lab renders the order of the current Calico release.
CURRENT = TieBreak.NAME_NAMESPACE_KIND
_MAX_CHAIN = 28
_PORT_PROTOCOLS = ("tcp", "udp", "sctp")
_PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 132: "sctp", 136: "udplite", 58: "icmpv6"}

CALICO_NAME = "projectcalico.org/name"
CALICO_NAMESPACE = "projectcalico.org/namespace"
CALICO_ORCHESTRATOR = "projectcalico.org/orchestrator"
CALICO_SA = "projectcalico.org/serviceaccount"


@dataclass(frozen=True, slots=True)
class LocalEndpoint:
    """A workload endpoint on the node being rendered."""

    key: str
    ip: str
    iface: str


@dataclass(frozen=True, slots=True)
class SnatConfig:
    node_ip: str
    vpc_cidrs: tuple[str, ...]
    exclude_cidrs: tuple[str, ...] = ()
    uplink: str = "eth0"
    #: AWS_VPC_K8S_CNI_RANDOMIZESNAT: prng (--random-fully), hashrandom (--random), none.
    randomize: str = "none"


@dataclass(frozen=True, slots=True)
class NodeRules:
    iptables: str  # iptables-restore input (filter and nat)
    ipsets: str  # ipset restore input
    set_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Workload:
    key: str
    namespace: str
    ip: str
    labels: Mapping[str, str]  # Kubernetes labels
    calico_labels: Mapping[str, str]
    service_account: str
    sa_labels: Mapping[str, str]
    named_ports: tuple[tuple[str, str, int], ...]  # (name, protocol, port)


@dataclass(frozen=True, slots=True)
class _NetSet:
    namespace: str | None
    labels: Mapping[str, str]
    nets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Policy:
    display: str  # the name Felix sorts and prints: ns/knp.default.x, ns/name, name
    tier: str
    order: float | None
    namespace: str | None  # None: global
    types: frozenset[str]
    ingress: tuple[CalicoRule, ...]
    egress: tuple[CalicoRule, ...]
    k8s: NetworkPolicy | None = None
    calico: CalicoPolicy | None = None
    tie: str = ""  # Felix's tie-break text since v3.32: name/namespace/kind

    def key(self) -> tuple[bool, float, str]:
        return policy_key(self.order, self.tie)


@dataclass(frozen=True, slots=True)
class _Tier:
    name: str
    order: float | None
    default_action: Action
    policies: tuple[_Policy, ...]


def _hash(text: str, n: int) -> str:
    digest = hashlib.sha224(text.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:n]


def _chain(prefix: str, name: str) -> str:
    if len(prefix) + len(name) <= _MAX_CHAIN and all(c.isalnum() or c in "._-" for c in name):
        return prefix + name
    return prefix + "_" + _hash(name, _MAX_CHAIN - len(prefix) - 1)


def _quote(text: str) -> str:
    clean = "".join(c if c.isprintable() and c not in "\"'\\" else "_" for c in text)
    return '"' + clean[:250] + '"'


# ---------------------------------------------------------------------------- K8s conversion


def _k8s_peer_entity(peer: NetpolPeer) -> EntityRule:
    if peer.ip_block is not None:
        return EntityRule(nets=(peer.ip_block.cidr,), not_nets=tuple(peer.ip_block.except_))
    sel = peer.pod_selector.to_calico() if peer.pod_selector is not None else None
    ns_sel = peer.namespace_selector.to_calico() if peer.namespace_selector is not None else None
    if ns_sel is not None and sel is None:
        sel = All()
    return EntityRule(selector=sel, namespace_selector=ns_sel)


def _k8s_rules(rules: tuple[NetpolRule, ...], ingress: bool) -> tuple[CalicoRule, ...]:
    out: list[CalicoRule] = []
    for r in rules:
        peers = [_k8s_peer_entity(p) for p in r.peers] or [EntityRule()]
        port_specs: list[tuple[str | None, tuple[CalicoPort, ...]]] = []
        for p in r.ports:
            if p.port is None:
                port_specs.append((p.protocol.value, ()))
            elif isinstance(p.port, str):
                port_specs.append((p.protocol.value, (CalicoPort(name=p.port),)))
            else:
                port_specs.append((p.protocol.value, (CalicoPort(p.port, p.end_port or p.port),)))
        if not port_specs:
            port_specs.append((None, ()))
        for peer in peers:
            for proto, ports in port_specs:
                dst_ports = EntityRule(ports=ports)
                if ingress:
                    out.append(
                        CalicoRule(
                            Action.ALLOW,
                            protocol=proto,
                            source=peer,
                            destination=dst_ports,
                            location=r.source,
                        )
                    )
                else:
                    dst = EntityRule(
                        nets=peer.nets,
                        not_nets=peer.not_nets,
                        selector=peer.selector,
                        namespace_selector=peer.namespace_selector,
                        ports=ports,
                    )
                    out.append(CalicoRule(Action.ALLOW, protocol=proto, destination=dst))
    return tuple(out)


# ---------------------------------------------------------------------------- renderer


@dataclass(slots=True)
class _SetBook:
    """The ipsets one node needs: name -> (type, members)."""

    sets: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def add(self, kind: str, type_: str, ident: str, members: Iterable[str]) -> str:
        name = f"cali40{kind}:" + _hash(ident, 23)
        self.sets[name] = (type_, tuple(sorted(set(members))))
        return name


class PolicyRenderer:
    """Renders the platform's policy for the workloads of each node.

    ``pod_ips`` gives the address of every pod of the platform (not only those
    the lab runs): Felix's ipsets hold every matching endpoint of the cluster.
    """

    def __init__(self, platform: Platform, pod_ips: Mapping[str, str]) -> None:
        self.platform = platform
        self.ns_labels: dict[str, dict[str, str]] = {}
        for ns in platform.namespaces:
            labels = dict(ns.labels)
            labels.setdefault(NAMESPACE_NAME_LABEL, ns.name)
            self.ns_labels[ns.name] = labels
        for pod in platform.pods:
            self.ns_labels.setdefault(pod.namespace, {NAMESPACE_NAME_LABEL: pod.namespace})
        sa_labels = {
            (sa.meta.ns, sa.meta.name): dict(sa.meta.labels) for sa in platform.service_accounts
        }
        self.workloads: list[_Workload] = []
        for pod in sorted(platform.pods, key=lambda p: p.key):
            ip = pod_ips.get(pod.key)
            if pod.spec.host_network or ip is None or ":" in ip:
                continue
            sa = pod.spec.service_account or "default"
            calico = dict(pod.labels)
            calico[CALICO_NAMESPACE] = pod.namespace
            calico[CALICO_ORCHESTRATOR] = "k8s"
            calico[CALICO_SA] = sa
            named = tuple(
                sorted(
                    (p.name, p.protocol.value, p.container_port)
                    for p in pod.spec.all_ports
                    if p.name
                )
            )
            self.workloads.append(
                _Workload(
                    pod.key,
                    pod.namespace,
                    ip,
                    dict(pod.labels),
                    calico,
                    sa,
                    sa_labels.get((pod.namespace, sa), {}),
                    named,
                )
            )
        self.by_key = {w.key: w for w in self.workloads}
        self.net_sets = [
            _NetSet(
                None if s.is_global else s.meta.ns,
                {
                    **s.meta.labels,
                    **({} if s.is_global else {CALICO_NAMESPACE: s.meta.ns}),
                },
                tuple(s.nets),
            )
            for s in platform.network_sets
        ]
        self.tiers = self._tiers()

    # -- policies and tiers ------------------------------------------------

    def _tiers(self) -> tuple[_Tier, ...]:
        policies: list[_Policy] = []
        for np in self.platform.network_policies:
            ns = np.meta.ns
            policies.append(
                _Policy(
                    f"{ns}/knp.default.{np.meta.name}",
                    DEFAULT_TIER,
                    K8S_POLICY_ORDER,
                    ns,
                    frozenset(np.policy_types),
                    _k8s_rules(np.ingress, True),
                    _k8s_rules(np.egress, False),
                    k8s=np,
                    tie=sort_name(CURRENT, "KubernetesNetworkPolicy", ns, np.meta.name),
                )
            )
        for cp in self.platform.calico_policies:
            namespaced = cp.scope is PolicyScope.NAMESPACED
            cns = cp.meta.ns if namespaced else None
            policies.append(
                _Policy(
                    f"{cns}/{cp.meta.name}" if cns else cp.meta.name,
                    cp.tier,
                    cp.order,
                    cns,
                    frozenset(cp.types),
                    cp.ingress,
                    cp.egress,
                    calico=cp,
                    tie=sort_name(CURRENT, cp.scope.value, cns, cp.meta.name),
                )
            )
        by_tier: dict[str, list[_Policy]] = {}
        for p in policies:
            by_tier.setdefault(p.tier, []).append(p)
        out = [
            _Tier(name, order, action, tuple(sorted(by_tier.get(name, []), key=_Policy.key)))
            for name, order, action in tier_order(self.platform.tiers, by_tier)
        ]
        return tuple(out)

    def _calico_ns_labels(self, namespace: str) -> dict[str, str]:
        labels = dict(self.ns_labels.get(namespace, {NAMESPACE_NAME_LABEL: namespace}))
        labels[CALICO_NAME] = namespace
        return labels

    def _sa_matches(self, w: _Workload, sel: Selector) -> bool:
        labels = dict(w.sa_labels)
        labels[CALICO_NAME] = w.service_account
        return sel.matches(labels)

    def _applies(self, p: _Policy, w: _Workload) -> bool:
        if p.k8s is not None:
            return w.namespace == p.namespace and p.k8s.pod_selector.matches(w.labels)
        cp = p.calico
        assert cp is not None
        if cp.do_not_track or cp.pre_dnat:
            return False  # Felix renders these for host endpoints only
        if p.namespace is not None:
            if w.namespace != p.namespace:
                return False
        elif cp.namespace_selector is not None:
            if isinstance(cp.namespace_selector, Global):
                return False
            if not cp.namespace_selector.matches(self._calico_ns_labels(w.namespace)):
                return False
        if cp.service_account_selector is not None and not self._sa_matches(
            w, cp.service_account_selector
        ):
            return False
        return cp.selector.matches(w.calico_labels)

    # -- entity matches ----------------------------------------------------

    def _in_scope(self, scope: Selector | str | None, namespace: str | None) -> bool:
        if scope is None:
            return True
        if isinstance(scope, str):
            return namespace == scope
        if isinstance(scope, Global):
            return namespace is None
        return namespace is not None and scope.matches(self._calico_ns_labels(namespace))

    def _positive_members(
        self, e: EntityRule, policy_ns: str | None
    ) -> tuple[str, list[str]] | None:
        """The positive selector of an entity as (identity, members), or None when the
        entity has no positive selector (libcalico-go's rule conversion: the namespace
        scope is ANDed in when a selector, notSelector or namespaceSelector is given)."""
        scope: Selector | str | None = (
            e.namespace_selector if e.namespace_selector is not None else policy_ns
        )
        scoped = scope is not None and (
            e.selector is not None or e.not_selector is not None or e.namespace_selector is not None
        )
        if e.selector is None and e.service_accounts is None and not scoped:
            return None
        sel = e.selector if e.selector is not None else All()
        sa: ServiceAccountMatch | None = e.service_accounts
        members: list[str] = []
        for w in self.workloads:
            if scope is not None and not self._in_scope(scope, w.namespace):
                continue
            if sa is not None:
                if sa.names and w.service_account not in sa.names:
                    continue
                if sa.selector is not None and not self._sa_matches(w, sa.selector):
                    continue
            if sel.matches(w.calico_labels):
                members.append(w.ip + "/32")
        if sa is None:
            for s in self.net_sets:
                if self._in_scope(scope, s.namespace) and sel.matches(s.labels):
                    members.extend(s.nets)
        ident = f"sel:{scope}|{sel}|{sa}"
        return ident, members

    def _not_members(self, sel: Selector) -> list[str]:
        out = [w.ip + "/32" for w in self.workloads if sel.matches(w.calico_labels)]
        for s in self.net_sets:
            if sel.matches(s.labels):
                out.extend(s.nets)
        return out

    def _named_members(
        self, e: EntityRule, policy_ns: str | None, name: str, protocols: Sequence[str]
    ) -> list[str]:
        pos = self._positive_members(e, policy_ns)
        allowed = None if pos is None else set(pos[1])
        out = []
        for w in self.workloads:
            if allowed is not None and w.ip + "/32" not in allowed:
                continue
            for pname, proto, port in w.named_ports:
                if pname == name and proto.lower() in protocols:
                    out.append(f"{w.ip},{proto.lower()}:{port}")
        return out

    # -- one rule ------------------------------------------------------------

    def _entity_matches(
        self, e: EntityRule, policy_ns: str | None, side: str, book: _SetBook
    ) -> list[str] | None:
        """iptables matches (ANDed) for the address part of an entity; None: never matches."""
        flag = "-s" if side == "src" else "-d"
        parts: list[str] = []
        if e.nets:
            nets = [_net(n) for n in e.nets]
            if any(n is None for n in nets):
                nets = [n for n in nets if n is not None]
                if not nets:
                    return None
            if any(n == "0.0.0.0/0" for n in nets):
                pass
            elif len(nets) == 1:
                parts.append(f"{flag} {nets[0]}")
            else:
                name = book.add(
                    "n",
                    "hash:net",
                    "nets:" + ",".join(sorted(str(n) for n in nets)),
                    (str(n) for n in nets),
                )
                parts.append(f"-m set --match-set {name} {side}")
        if e.not_nets:
            nets = [n for n in (_net(x) for x in e.not_nets) if n is not None]
            if any(n == "0.0.0.0/0" for n in nets):
                return None
            if nets:
                name = book.add(
                    "n",
                    "hash:net",
                    "nets:" + ",".join(sorted(str(n) for n in nets)),
                    (str(n) for n in nets),
                )
                parts.append(f"-m set ! --match-set {name} {side}")
        pos = self._positive_members(e, policy_ns)
        if pos is not None:
            ident, members = pos
            name = book.add("s", "hash:net", ident, _safe_nets(members))
            parts.append(f"-m set --match-set {name} {side}")
        if e.not_selector is not None:
            name = book.add(
                "s",
                "hash:net",
                f"sel:None|{e.not_selector}|None",
                _safe_nets(self._not_members(e.not_selector)),
            )
            parts.append(f"-m set ! --match-set {name} {side}")
        return parts

    def _port_alternatives(
        self,
        e: EntityRule,
        policy_ns: str | None,
        side: str,
        protocol: str,
        book: _SetBook,
    ) -> list[str] | None:
        """OR-alternatives for the port part of an entity, each a match string
        (ANDed with the not-ports part); None: the entity never matches."""
        key = "dports" if side == "dst" else "sports"
        pair = f"{side},{side}"
        negs: list[str] = []
        numeric_not = [p for p in e.not_ports if p.name is None]
        for group in _multiport_groups(numeric_not):
            negs.append(f"-m multiport ! --{key} {group}")
        for p in e.not_ports:
            if p.name is not None:
                members = self._named_members(e, policy_ns, p.name, (protocol,))
                name = book.add(
                    "n", "hash:ip,port", f"np:{e}|{policy_ns}|{p.name}|{protocol}", members
                )
                negs.append(f"-m set ! --match-set {name} {pair}")
        neg = " ".join(negs)
        if not e.ports:
            return [neg]
        alts: list[str] = []
        numeric = [p for p in e.ports if p.name is None]
        for group in _multiport_groups(numeric):
            alts.append(f"-m multiport --{key} {group} {neg}".strip())
        for p in e.ports:
            if p.name is not None:
                members = self._named_members(e, policy_ns, p.name, (protocol,))
                name = book.add(
                    "n", "hash:ip,port", f"np:{e}|{policy_ns}|{p.name}|{protocol}", members
                )
                alts.append(f"-m set --match-set {name} {pair} {neg}".strip())
        return alts

    def _rule_lines(
        self, chain: str, rule: CalicoRule, policy: _Policy, index: int, book: _SetBook
    ) -> list[str]:
        ns = policy.namespace
        src = self._entity_matches(rule.source, ns, "src", book)
        dst = self._entity_matches(rule.destination, ns, "dst", book)
        if src is None or dst is None:
            return [f"# rule {index} can never match"]
        proto = _proto(rule.protocol)
        not_proto = _proto(rule.not_protocol)
        has_ports = bool(
            rule.source.ports
            or rule.source.not_ports
            or rule.destination.ports
            or rule.destination.not_ports
        )
        protos: list[str | None]
        if has_ports and proto is None:
            protos = [p for p in _PORT_PROTOCOLS if p != not_proto]
        else:
            protos = [proto]
        matches: list[str] = []
        for pr in protos:
            head = []
            if pr is not None:
                head.append(f"-p {pr}")
            elif not_proto is not None:
                head.append(f"! -p {not_proto}")
            if pr is not None and pr in _PORT_PROTOCOLS:
                sp = self._port_alternatives(rule.source, ns, "src", pr, book)
                dp = self._port_alternatives(rule.destination, ns, "dst", pr, book)
            else:
                sp, dp = [""], [""]
            if sp is None or dp is None:
                continue
            if pr == "icmp" and rule.icmp is not None and rule.icmp.type is not None:
                t = str(rule.icmp.type) + ("" if rule.icmp.code is None else f"/{rule.icmp.code}")
                head.append(f"-m icmp --icmp-type {t}")
            if pr == "icmp" and rule.not_icmp is not None and rule.not_icmp.type is not None:
                t = str(rule.not_icmp.type) + (
                    "" if rule.not_icmp.code is None else f"/{rule.not_icmp.code}"
                )
                head.append(f"-m icmp ! --icmp-type {t}")
            for s in sp:
                for d in dp:
                    text = " ".join(x for x in (*head, *src, *dst, s, d) if x)
                    matches.append(text)
        comment = f"-m comment --comment {_quote(f'{policy.display} rule {index}')}"
        lines: list[str] = []
        act = rule.action
        for m in matches:
            base = f"-A {chain} {m} {comment}".replace("  ", " ")
            if act is Action.ALLOW:
                lines.append(f"{base} -j MARK --set-xmark {ACCEPT_MARK:#x}/{ACCEPT_MARK:#x}")
            elif act is Action.PASS:
                lines.append(f"{base} -j MARK --set-xmark {PASS_MARK:#x}/{PASS_MARK:#x}")
            elif act is Action.DENY:
                lines.append(f"{base} -j DROP")
            else:
                lines.append(f'{base} -j LOG --log-prefix "calico-packet: "')
        if act is Action.ALLOW and matches:
            lines.append(f"-A {chain} -m mark --mark {ACCEPT_MARK:#x}/{ACCEPT_MARK:#x} -j RETURN")
        elif act is Action.PASS and matches:
            lines.append(f"-A {chain} -m mark --mark {PASS_MARK:#x}/{PASS_MARK:#x} -j RETURN")
        return lines

    # -- one node ------------------------------------------------------------

    def render_node(
        self, locals_: Sequence[LocalEndpoint], snat: SnatConfig | None = None
    ) -> NodeRules:
        book = _SetBook()
        chains: dict[str, list[str]] = {}
        order: list[str] = ["cali-FORWARD", "cali-from-wl-dispatch", "cali-to-wl-dispatch"]
        fwd = [
            '-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD',
            "-A cali-FORWARD -i cali+ -j cali-from-wl-dispatch",
            "-A cali-FORWARD -o cali+ -j cali-to-wl-dispatch",
            f"-A cali-FORWARD -m mark --mark {ACCEPT_MARK:#x}/{ACCEPT_MARK:#x} "
            '-m comment --comment "Policy explicitly accepted packet." -j ACCEPT',
        ]
        dispatch_from: list[str] = []
        dispatch_to: list[str] = []
        rendered_policies: set[str] = set()
        profiles: set[str] = set()
        for local in sorted(locals_, key=lambda x: x.iface):
            w = self.by_key.get(local.key)
            if w is None:
                continue
            for direction, prefix, pchain_prefix, profile_prefix in (
                ("Ingress", "cali-tw-", "cali-pi-", "cali-pri-"),
                ("Egress", "cali-fw-", "cali-po-", "cali-pro-"),
            ):
                ep_chain = prefix + local.iface
                lines = [
                    f"-A {ep_chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
                    f"-A {ep_chain} -m conntrack --ctstate INVALID -j DROP",
                    f"-A {ep_chain} -j MARK --set-xmark 0x0/{ACCEPT_MARK | PASS_MARK:#x}",
                ]
                for tier in self.tiers:
                    pols = [
                        p for p in tier.policies if direction in p.types and self._applies(p, w)
                    ]
                    if not pols:
                        continue
                    start = _quote("Start of tier " + tier.name)
                    lines.append(
                        f"-A {ep_chain} -m comment --comment {start} "
                        f"-j MARK --set-xmark 0x0/{PASS_MARK:#x}"
                    )
                    for p in pols:
                        pchain = _chain(pchain_prefix, f"{tier.name}/{p.display}")
                        if pchain not in rendered_policies:
                            rendered_policies.add(pchain)
                            rules = p.ingress if direction == "Ingress" else p.egress
                            body: list[str] = []
                            for i, r in enumerate(rules):
                                body.extend(self._rule_lines(pchain, r, p, i, book))
                            chains[pchain] = body
                            order.append(pchain)
                        lines.append(f"-A {ep_chain} -m mark --mark 0x0/{PASS_MARK:#x} -j {pchain}")
                        lines.append(
                            f"-A {ep_chain} -m mark --mark {ACCEPT_MARK:#x}/{ACCEPT_MARK:#x} "
                            '-m comment --comment "Return if policy accepted" -j RETURN'
                        )
                    if tier.default_action is not Action.PASS:
                        lines.append(
                            f"-A {ep_chain} -m mark --mark 0x0/{PASS_MARK:#x} "
                            '-m comment --comment "Drop if no policies passed packet" -j DROP'
                        )
                profile = _chain(profile_prefix, f"kns.{w.namespace}")
                if profile not in profiles:
                    profiles.add(profile)
                    chains[profile] = [
                        f"-A {profile} -j MARK --set-xmark {ACCEPT_MARK:#x}/{ACCEPT_MARK:#x}",
                        f"-A {profile} -m mark --mark {ACCEPT_MARK:#x}/{ACCEPT_MARK:#x} -j RETURN",
                    ]
                    order.append(profile)
                lines.append(f"-A {ep_chain} -j {profile}")
                lines.append(
                    f"-A {ep_chain} -m mark --mark {ACCEPT_MARK:#x}/{ACCEPT_MARK:#x} "
                    '-m comment --comment "Return if profile accepted" -j RETURN'
                )
                lines.append(
                    f'-A {ep_chain} -m comment --comment "Drop if no profiles matched" -j DROP'
                )
                chains[ep_chain] = lines
                order.append(ep_chain)
            dispatch_from.append(
                f"-A cali-from-wl-dispatch -i {local.iface} -g cali-fw-{local.iface}"
            )
            dispatch_to.append(f"-A cali-to-wl-dispatch -o {local.iface} -g cali-tw-{local.iface}")
        dispatch_from.append(
            '-A cali-from-wl-dispatch -m comment --comment "Unknown interface" -j DROP'
        )
        dispatch_to.append(
            '-A cali-to-wl-dispatch -m comment --comment "Unknown interface" -j DROP'
        )
        out = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"]
        out.extend(f":{c} - [0:0]" for c in order)
        out.extend(fwd)
        out.extend(dispatch_from)
        out.extend(dispatch_to)
        for c in order[3:]:
            out.extend(line for line in chains[c] if not line.startswith("#"))
        out.append("COMMIT")
        out.extend(_nat_table(snat))
        sets: list[str] = []
        for name, (type_, members) in sorted(book.sets.items()):
            sets.append(f"create {name} {type_} family inet maxelem 1048576")
            sets.extend(f"add {name} {m}" for m in members)
        return NodeRules("\n".join(out) + "\n", "\n".join(sets) + "\n", tuple(sorted(book.sets)))


def _nat_table(snat: SnatConfig | None) -> list[str]:
    out = ["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
           ":POSTROUTING ACCEPT [0:0]"]  # fmt: skip
    if snat is not None:
        chain = "AWS-SNAT-CHAIN-0"
        out.append(f":{chain} - [0:0]")
        out.append(f'-A POSTROUTING -m comment --comment "AWS SNAT CHAIN" -j {chain}')
        for cidr in (*snat.vpc_cidrs, *snat.exclude_cidrs):
            net = _net(cidr)
            if net is not None:
                out.append(f'-A {chain} -d {net} -m comment --comment "AWS SNAT CHAIN" -j RETURN')
        flag = {"prng": " --random-fully", "hashrandom": " --random"}.get(snat.randomize, "")
        out.append(
            f'-A {chain} -o {snat.uplink} -m comment --comment "AWS, SNAT" '
            f"-j SNAT --to-source {snat.node_ip}{flag}"
        )
    out.append("COMMIT")
    return out


def _net(text: str) -> str | None:
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None
    return str(net) if net.version == 4 else None


def _safe_nets(members: Iterable[str]) -> list[str]:
    out: list[str] = []
    for m in members:
        net = _net(m)
        if net is None:
            continue
        if net == "0.0.0.0/0":  # hash:net cannot hold /0: two halves
            out.extend(("0.0.0.0/1", "128.0.0.0/1"))
        else:
            out.append(net)
    return out


def _proto(value: str | int | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, int):
        return _PROTO_NAMES.get(value, str(value))
    low = value.lower()
    return {"icmpv6": "icmpv6", "udplite": "udplite"}.get(low, low)


def _multiport_groups(ports: Sequence[CalicoPort]) -> list[str]:
    """Port ranges in groups of at most 15 slots (a range takes two), as multiport needs."""
    groups: list[str] = []
    cur: list[str] = []
    slots = 0
    for p in ports:
        text = str(p.first) if p.first == p.last else f"{p.first}:{p.last}"
        need = 1 if p.first == p.last else 2
        if slots + need > 15:
            groups.append(",".join(cur))
            cur, slots = [], 0
        cur.append(text)
        slots += need
    if cur:
        groups.append(",".join(cur))
    return groups
