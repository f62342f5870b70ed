"""The AWS network around the pods, rendered for the lab: security groups, network
ACLs, route tables and the AWS services pods talk to.

Like :mod:`ekstwin.lab.render`, this module reads the model alone and never asks
an engine, so the kernel's verdict on what it renders is an independent check of
the vpc engine. Addresses and nodes come from the lab plan.

What it builds (see docs/lab.md, "The AWS layer"):

* Security groups are stateful filters on the interfaces that stand for ENIs,
  in the ``mangle`` table of the namespace holding the ENI (so that they judge
  every packet before Calico's ``filter`` chains and apart from them): a
  packet of an ESTABLISHED or RELATED flow passes, a NEW one passes when a rule
  of one of the ENI's groups matches it, else it is dropped. A node namespace's
  ``eth0`` is its ENIs (each pod judged by the groups of the ENI holding its
  address, traffic SNATed to the node judged by the primary ENI's), a branch
  link ``b<k>`` is a pod's branch ENI, a service namespace's ``eth0`` the
  service's ENI. Group references and prefix lists are ``hash:net`` ipsets.
* Network ACLs are stateless rules in the ``filter`` table of the VPC router:
  a packet leaving subnet S for another subnet (or outside the VPC) is judged
  by S's outbound entries, a packet entering subnet D from outside it by D's
  inbound entries, in rule-number order, first match, no match drops; replies
  too (no conntrack match anywhere).
* Route tables are routing tables of the VPC router chosen by ``ip rule from
  <subnet>``: ``local`` routes ``throw`` to the main table (the hosts' /32
  routes), internet and NAT gateways lead to the internet namespace, blackhole
  routes and routes whose far side is not in the lab (peering, transit gateway,
  virtual private gateway, network interface, endpoint) are ``blackhole``.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ekstwin.model.aws import Instance, NetworkInterface, RouteTable, RouteTargetKind
from ekstwin.model.k8s import Pod
from ekstwin.model.platform import Platform
from ekstwin.model.vpc import (
    ALL_PROTOCOLS,
    ICMP,
    TCP,
    UDP,
    NaclAction,
    NetworkAcl,
    NetworkAclEntry,
    SecurityGroupRule,
)

__all__ = [
    "FIRST_TABLE",
    "SG_ACCEPT_CHAIN_PREFIX",
    "AwsRules",
    "GroupMembers",
    "NodeEnis",
    "RouterRules",
    "ServiceDestination",
    "aws_layer_present",
    "branch_groups",
    "node_instance",
    "pod_eni_groups",
    "primary_groups",
    "public_sources",
    "render_node_groups",
    "render_router",
    "render_service_groups",
    "route_for",
    "service_destinations",
]

SG_ACCEPT_CHAIN_PREFIX = "ekaws-"
#: The ports an AWS service answers on when the model gives none.
EFS_PORT = 2049
ENDPOINT_PORT = 443
#: Route table ids in the router start here (the kernel reserves 253-255).
FIRST_TABLE = 1000
_PROTO_NAMES = {TCP: "tcp", UDP: "udp", ICMP: "icmp"}


@dataclass(frozen=True, slots=True)
class AwsRules:
    """iptables-restore text (one ``*mangle`` or ``*filter`` section) and ipset
    restore text for one namespace."""

    iptables: str
    ipsets: str


@dataclass(frozen=True, slots=True)
class ServiceDestination:
    """An AWS service's network interface the lab runs as a namespace of its own."""

    name: str  # how ``net can`` names it: rds:ID, cache:ID, efs:ID, vpce:ID
    kind: str  # rds | cache | efs | vpce
    address: str
    subnet_id: str | None
    group_ids: tuple[str, ...]
    port: int


# ---------------------------------------------------------------------------- model reading


def aws_layer_present(platform: Platform) -> bool:
    """Whether the platform describes the VPC around the pods (subnets and
    security groups or network ACLs): only then does the lab render the AWS layer."""
    aws = platform.aws
    return bool(aws.subnets) and bool(aws.security_groups or aws.network_acls)


def _pod_eni_enabled(platform: Platform) -> bool:
    return any(c.vpc_cni.enable_pod_eni for c in platform.aws.clusters)


def branch_groups(platform: Platform, pod: Pod) -> tuple[str, ...] | None:
    """The security groups of the pod's branch ENI: the union of the groups of
    every SecurityGroupPolicy of its namespace that selects it (a policy with both
    selectors selects a pod that both match), or None when no policy does or
    ENABLE_POD_ENI is off. hostNetwork pods never get a branch ENI."""
    if pod.spec.host_network or not _pod_eni_enabled(platform):
        return None
    sa_labels: dict[str, str] = {}
    sa_name = pod.spec.service_account or "default"
    for sa in platform.service_accounts:
        if (sa.meta.namespace or "default") == pod.namespace and sa.meta.name == sa_name:
            sa_labels = dict(sa.meta.labels)
    groups: list[str] = []
    matched = False
    for sgp in sorted(platform.security_group_policies, key=lambda s: s.name):
        if sgp.namespace != pod.namespace:
            continue
        checks: list[bool] = []
        if sgp.pod_selector is not None:
            checks.append(sgp.pod_selector.matches(pod.labels))
        if sgp.service_account_selector is not None:
            checks.append(sgp.service_account_selector.matches(sa_labels))
        if checks and all(checks):
            matched = True
            groups.extend(g for g in sgp.group_ids if g not in groups)
    return tuple(groups) if matched else None


def _subnet_of(platform: Platform, address: str) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    for subnet in platform.aws.subnets:
        try:
            if ip in ipaddress.ip_network(subnet.cidr, strict=False):
                return subnet.subnet_id
        except ValueError:
            continue
    return None


def _eni_holding(instance: Instance, address: str) -> NetworkInterface | None:
    ip = ipaddress.ip_address(address)
    for eni in instance.network_interfaces:
        if eni.primary_ip == address or address in eni.secondary_ips:
            return eni
        for prefix in eni.prefixes:
            try:
                if ip in ipaddress.ip_network(prefix, strict=False):
                    return eni
            except ValueError:
                continue
    return None


def primary_groups(instance: Instance | None) -> tuple[str, ...] | None:
    """The groups of a node's primary ENI (device index 0), else the instance's;
    None when the input names none (unknown)."""
    if instance is None:
        return None
    primary = next((e for e in instance.network_interfaces if e.device_index == 0), None)
    if primary is not None and primary.security_group_ids:
        return primary.security_group_ids
    return instance.security_group_ids or None


#: ``custom`` of :func:`pod_eni_groups`: no custom networking for this node.
NOT_CUSTOM: tuple[str, ...] = ()


def pod_eni_groups(
    instance: Instance | None, pod_ip: str, custom: tuple[str, ...] | None = NOT_CUSTOM
) -> tuple[str, ...] | None:
    """The groups of the ENI holding a (non-branch) pod's address: the ENI that
    lists it (secondary IP or prefix); else with custom networking ``custom``,
    the node's ENIConfig's groups (None: that ENIConfig is unknown); else the
    primary ENI's (every ENI the VPC CNI attaches without custom networking, or
    with an ENIConfig that names no group, carries them). None: unknown."""
    if instance is None:
        return None
    eni = _eni_holding(instance, pod_ip)
    if eni is not None and eni.security_group_ids:
        return eni.security_group_ids
    if custom is None or custom:
        return custom
    return primary_groups(instance)


def node_instance(platform: Platform, node: str, node_ip: str) -> Instance | None:
    for instance in platform.aws.instances:
        if node in (instance.node_name, instance.private_dns_name) or (
            instance.private_ip == node_ip
        ):
            return instance
    return None


def service_destinations(platform: Platform) -> tuple[ServiceDestination, ...]:
    """Every RDS instance, cache cluster, EFS mount target and interface
    endpoint whose (first) interface has a known IPv4 address, as the lab runs them."""
    out: list[ServiceDestination] = []
    seen: set[str] = set()

    def add(name: str, kind: str, address: str | None, subnet: str | None, *,
            groups: tuple[str, ...], port: int) -> None:  # fmt: skip
        if not address or address in seen or ":" in address:
            return
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            return
        seen.add(address)
        out.append(
            ServiceDestination(
                name, kind, address, subnet or _subnet_of(platform, address), groups, port
            )
        )

    aws = platform.aws
    # one interface per service (its first), the one ``net can rds:ID`` judges
    for db in aws.db_instances:
        for itf in db.interfaces[:1]:
            add(f"rds:{db.db_instance_id}", "rds", itf.address, itf.subnet_id,
                groups=db.security_group_ids, port=db.port)  # fmt: skip
    for cache in aws.cache_clusters:
        for itf in cache.interfaces[:1]:
            add(f"cache:{cache.cache_cluster_id}", "cache", itf.address, itf.subnet_id,
                groups=cache.security_group_ids, port=cache.port)  # fmt: skip
    for mt in aws.efs_mount_targets:
        add(f"efs:{mt.mount_target_id}", "efs", mt.address, mt.subnet_id,
            groups=mt.security_group_ids, port=EFS_PORT)  # fmt: skip
    for ep in aws.vpc_endpoints:
        if ep.endpoint_type.value != "Interface":
            continue
        for itf in ep.interfaces[:1]:
            add(f"vpce:{ep.vpc_endpoint_id}", "vpce", itf.address, itf.subnet_id,
                groups=ep.security_group_ids, port=ENDPOINT_PORT)  # fmt: skip
    return tuple(out)


# ---------------------------------------------------------------------------- ipsets


def _hash(text: str, n: int) -> str:
    digest = hashlib.sha224(text.encode()).digest()
    return base64.b32encode(digest).decode().lower().rstrip("=")[:n]


def _net(text: str | None) -> str | None:
    if not text:
        return None
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None
    return str(net) if net.version == 4 else None


def _set_members(nets: Iterable[str]) -> list[str]:
    """ipset entries: CIDRs (``/0`` as two halves) and ``<address> nomatch``
    exceptions (hash:net tries the most specific entry first)."""
    out: set[str] = set()
    for n in nets:
        if n.endswith(" nomatch"):
            net = _net(n.removesuffix(" nomatch"))
            if net is not None:
                out.add(f"{net} nomatch")
            continue
        net = _net(n)
        if net is None:
            continue
        if net == "0.0.0.0/0":  # hash:net cannot hold /0
            out.update(("0.0.0.0/1", "128.0.0.0/1"))
        else:
            out.add(net)
    return sorted(out)


@dataclass(slots=True)
class _Book:
    sets: dict[str, list[str]] = field(default_factory=dict)

    def add(self, ident: str, members: Iterable[str]) -> str:
        name = "ekaws-" + _hash(ident, 20)
        self.sets[name] = _set_members(members)
        return name

    def restore(self) -> str:
        lines: list[str] = []
        for name, members in sorted(self.sets.items()):
            lines.append(f"create {name} hash:net family inet maxelem 1048576")
            lines.extend(f"add {name} {m}" for m in members)
        return "\n".join(lines) + ("\n" if lines else "")


@dataclass(frozen=True, slots=True)
class GroupMembers:
    """The addresses on ENIs that carry each security group (what a rule naming
    the group matches), and the entries of each prefix list."""

    by_group: Mapping[str, tuple[str, ...]]

    @classmethod
    def build(
        cls, platform: Platform, lab_addresses: Iterable[tuple[str, Sequence[str]]]
    ) -> GroupMembers:
        """``lab_addresses``: (address, groups of its ENI) of every node, pod and
        service the lab runs. The model's other ENIs are added as written, but an
        address the lab runs counts only with the groups the lab placed it with:
        a branch-ENI pod's address that the input also lists on its node's ENI
        is the branch ENI's (a ``nomatch`` entry keeps it out of a prefix)."""
        out: dict[str, set[str]] = {}
        placed: dict[str, set[str]] = {}
        for address, groups in lab_addresses:
            placed.setdefault(address, set()).update(groups)
            for g in groups:
                out.setdefault(g, set()).add(address)
        enis: list[NetworkInterface] = list(platform.aws.network_interfaces)
        for instance in platform.aws.instances:
            enis.extend(instance.network_interfaces)
        for eni in enis:
            nets = [*(x for x in (eni.primary_ip,) if x), *eni.secondary_ips, *eni.prefixes]
            for g in eni.security_group_ids:
                members = out.setdefault(g, set())
                for net in nets:
                    if net in placed:
                        continue
                    members.add(net)
                    inside = _inside(net, placed)
                    members.update(f"{a} nomatch" for a in inside if g not in placed[a])
        return cls({g: tuple(sorted(v)) for g, v in out.items()})


def _inside(cidr: str, addresses: Iterable[str]) -> list[str]:
    """The addresses that a CIDR wider than /32 holds."""
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return []
    if net.prefixlen == net.max_prefixlen:
        return []
    out: list[str] = []
    for a in addresses:
        try:
            if ipaddress.ip_address(a) in net:
                out.append(a)
        except ValueError:
            continue
    return out


# ---------------------------------------------------------------------------- security groups


def _ports(rule_protocol: str, first: int | None, last: int | None) -> list[str]:
    """The protocol and port part of a security group rule, or [] when it can
    never match an IPv4 packet (ICMPv6)."""
    if rule_protocol == ALL_PROTOCOLS:
        return [""]
    if rule_protocol in (TCP, UDP):
        proto = _PROTO_NAMES[rule_protocol]
        if first is None and last is None:
            return [f"-p {proto}"]
        lo = 0 if first is None else max(first, 0)
        hi = 65535 if last is None else min(last, 65535)
        if lo == 0 and hi == 65535:
            return [f"-p {proto}"]
        return [f"-p {proto} -m {proto} --dport {lo}:{hi}"]
    if rule_protocol == ICMP:
        if first is None or first < 0:
            return ["-p icmp"]
        code = "" if last is None or last < 0 else f"/{last}"
        return [f"-p icmp -m icmp --icmp-type {first}{code}"]
    if rule_protocol == "58":
        return []
    return [f"-p {rule_protocol}"]


@dataclass(frozen=True, slots=True)
class _Tables:
    """What the chains of one namespace are rendered with and into."""

    platform: Platform
    members: GroupMembers
    book: _Book
    chains: dict[str, list[str]]


def _peer(rule: SecurityGroupRule, side: str, t: _Tables) -> str | None:
    """The address match of a rule's peer; None: matches no IPv4 packet."""
    flag = "-s" if side == "src" else "-d"
    if rule.cidr is not None:
        net = _net(rule.cidr)
        if net is None:
            return None
        return "" if net == "0.0.0.0/0" else f"{flag} {net}"
    if rule.prefix_list_id is not None:
        pl = t.platform.aws.prefix_list(rule.prefix_list_id)
        entries = _set_members(pl.entries) if pl is not None else []
        if not entries:
            return None
        name = t.book.add("pl:" + rule.prefix_list_id, entries)
        return f"-m set --match-set {name} {side}"
    if rule.group_id is not None:
        addresses = t.members.by_group.get(rule.group_id, ())
        if not addresses:
            return None
        name = t.book.add("sg:" + rule.group_id, addresses)
        return f"-m set --match-set {name} {side}"
    return None


def _group_chain_name(direction: str, groups: Sequence[str]) -> str:
    return f"{SG_ACCEPT_CHAIN_PREFIX}{direction}-" + _hash(",".join(sorted(groups)), 16)


def _groups_chain(t: _Tables, direction: str, groups: Sequence[str] | None) -> str:
    """A chain that ACCEPTs (ends the mangle table) a NEW packet that a rule of
    one of ``groups`` allows in ``direction`` (``in``: ingress, the peer is the
    source; ``out``: egress, the peer is the destination) and drops the rest.
    ``groups`` None (the input does not say which groups the ENI carries): the
    packet passes (the engine answers "unknown"; the probe is not compared)."""
    if groups is None:
        name = f"{SG_ACCEPT_CHAIN_PREFIX}unknown"
        t.chains.setdefault(name, [f'-A {name} -m comment --comment "groups unknown" -j ACCEPT'])
        return name
    name = _group_chain_name(direction, groups)
    if name in t.chains:
        return name
    side = "src" if direction == "in" else "dst"
    lines: list[str] = []
    for gid in sorted(set(groups)):
        group = t.platform.aws.security_group(gid)
        if group is None:
            lines.append(f"# {gid} is not in the input: no rule of it is rendered")
            continue
        rules = group.ingress if direction == "in" else group.egress
        for index, rule in enumerate(rules):
            peer = _peer(rule, side, t)
            if peer is None:
                continue
            comment = f'-m comment --comment "{gid} {direction} {index}"'
            for proto in _ports(rule.protocol, rule.from_port, rule.to_port):
                match = " ".join(x for x in (proto, peer) if x)
                lines.append(f"-A {name} {match} {comment} -j ACCEPT".replace("  ", " "))
    what = ",".join(groups)[:200]
    lines.append(f'-A {name} -m comment --comment "no rule of {what}" -j DROP')
    t.chains[name] = lines
    return name


def _iptables(table: str, builtins: Sequence[str], chains: Mapping[str, list[str]],
              head: Sequence[str]) -> str:  # fmt: skip
    out = [f"*{table}", *(f":{b} ACCEPT [0:0]" for b in builtins)]
    out.extend(f":{c} - [0:0]" for c in chains)
    out.extend(head)
    for lines in chains.values():
        out.extend(line for line in lines if not line.startswith("#"))
    out.append("COMMIT")
    return "\n".join(out) + "\n"


_MANGLE = ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING")
_ESTABLISHED = "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"


@dataclass(frozen=True, slots=True)
class NodeEnis:
    """What one node namespace holds of the VPC: the groups of the ENI holding
    each local non-branch pod's address, the primary ENI's groups (the node's own
    traffic and the pod traffic SNATed to the node), and each branch link."""

    node_ip: str
    primary_groups: tuple[str, ...] | None  # None: unknown
    pod_groups: tuple[tuple[str, tuple[str, ...] | None], ...]  # (pod address, groups)
    branches: tuple[tuple[str, str, tuple[str, ...]], ...]  # (iface, pod address, groups)
    snat_exempt: tuple[str, ...]  # destinations not SNATed (VPC CIDRs, excluded); () = no SNAT
    snat: bool
    uplink: str = "eth0"


def render_node_groups(platform: Platform, enis: NodeEnis, members: GroupMembers) -> AwsRules:
    """The ``mangle`` table of one node namespace: its ENIs' security groups."""
    book = _Book()
    chains: dict[str, list[str]] = {}
    t = _Tables(platform, members, book, chains)
    out_chain, in_chain = "ekaws-eni-out", "ekaws-eni-in"
    chains[out_chain] = [f"-A {out_chain} {_ESTABLISHED}"]
    chains[in_chain] = [f"-A {in_chain} {_ESTABLISHED}"]
    primary_out = _groups_chain(t, "out", enis.primary_groups)
    primary_in = _groups_chain(t, "in", enis.primary_groups)
    if enis.snat:
        exempt = book.add("vpc:" + ",".join(enis.snat_exempt), enis.snat_exempt)
        chains[out_chain].append(
            f"-A {out_chain} -m set ! --match-set {exempt} dst "
            '-m comment --comment "SNATed to the primary address" '
            f"-g {primary_out}"
        )
    for address, groups in enis.pod_groups:
        c = _groups_chain(t, "out", groups)
        chains[out_chain].append(f"-A {out_chain} -s {address}/32 -g {c}")
        c = _groups_chain(t, "in", groups)
        chains[in_chain].append(f"-A {in_chain} -d {address}/32 -g {c}")
    chains[out_chain].append(f"-A {out_chain} -g {primary_out}")
    chains[in_chain].append(f"-A {in_chain} -g {primary_in}")
    head = [
        f"-A FORWARD -o {enis.uplink} -j {out_chain}",
        f"-A FORWARD -i {enis.uplink} -j {in_chain}",
        f"-A OUTPUT -o {enis.uplink} -j {out_chain}",
        f"-A INPUT -i {enis.uplink} -j {in_chain}",
    ]
    for iface, _address, groups in enis.branches:
        bout = f"ekaws-br-out-{iface}"
        bin_ = f"ekaws-br-in-{iface}"
        chains[bout] = [
            f"-A {bout} {_ESTABLISHED}",
            f"-A {bout} -g {_groups_chain(t, 'out', groups)}",
        ]
        chains[bin_] = [
            f"-A {bin_} {_ESTABLISHED}",
            f"-A {bin_} -g {_groups_chain(t, 'in', groups)}",
        ]
        head.append(f"-A FORWARD -o {iface} -j {bout}")
        head.append(f"-A FORWARD -i {iface} -j {bin_}")
    return AwsRules(_iptables("mangle", _MANGLE, chains, head), book.restore())


def render_service_groups(
    platform: Platform, groups: Sequence[str] | None, members: GroupMembers
) -> AwsRules:
    """The ``mangle`` table of a service namespace: its ENI's security groups on ``eth0``."""
    book = _Book()
    chains: dict[str, list[str]] = {}
    t = _Tables(platform, members, book, chains)
    out_chain, in_chain = "ekaws-eni-out", "ekaws-eni-in"
    gout = _groups_chain(t, "out", groups)
    gin = _groups_chain(t, "in", groups)
    chains[out_chain] = [f"-A {out_chain} {_ESTABLISHED}", f"-A {out_chain} -g {gout}"]
    chains[in_chain] = [f"-A {in_chain} {_ESTABLISHED}", f"-A {in_chain} -g {gin}"]
    head = [f"-A OUTPUT -o eth0 -j {out_chain}", f"-A INPUT -i eth0 -j {in_chain}"]
    return AwsRules(_iptables("mangle", _MANGLE, chains, head), book.restore())


# ---------------------------------------------------------------------------- network ACLs


def _nacl_match(entry: NetworkAclEntry) -> list[str] | None:
    """The iptables match of one ACL entry (its CIDR is the peer: the destination
    of an outbound entry, the source of an inbound one); None: never matches IPv4."""
    net = _net(entry.cidr)
    if net is None:
        return None
    flag = "-d" if entry.egress else "-s"
    peer = "" if net == "0.0.0.0/0" else f"{flag} {net}"
    proto = entry.protocol
    parts: list[str] = []
    if proto == ALL_PROTOCOLS:
        parts = [""]
    elif proto in (TCP, UDP):
        name = _PROTO_NAMES[proto]
        lo = entry.from_port
        hi = entry.to_port
        if lo is None and hi is None:
            parts = [f"-p {name}"]
        else:
            lo = 0 if lo is None else max(lo, 0)
            hi = 65535 if hi is None else min(hi, 65535)
            parts = [f"-p {name} -m {name} --dport {lo}:{hi}"]
    elif proto == ICMP:
        t = entry.icmp_type
        c = entry.icmp_code
        if t is None or t < 0:
            parts = ["-p icmp"]
        else:
            code = "" if c is None or c < 0 else f"/{c}"
            parts = [f"-p icmp -m icmp --icmp-type {t}{code}"]
    elif proto == "58":
        return None
    else:
        parts = [f"-p {proto}"]
    return [" ".join(x for x in (p, peer) if x) for p in parts]


def _acl_chain(acl: NetworkAcl, egress: bool, chains: dict[str, list[str]]) -> str:
    name = ("ekaws-acl-o-" if egress else "ekaws-acl-i-") + _hash(acl.network_acl_id, 12)
    if name in chains:
        return name
    lines: list[str] = []
    for entry in acl.ordered(egress=egress):
        matches = _nacl_match(entry)
        if matches is None:
            continue
        target = "RETURN" if entry.action is NaclAction.ALLOW else "DROP"
        comment = f'-m comment --comment "{acl.network_acl_id} {entry.rule_number}"'
        for m in matches:
            lines.append(f"-A {name} {m} {comment} -j {target}".replace("  ", " "))
    lines.append(f'-A {name} -m comment --comment "{acl.network_acl_id} *" -j DROP')
    chains[name] = lines
    return name


@dataclass(frozen=True, slots=True)
class RouterRules:
    """The VPC router's filter table (network ACLs) and its policy routing
    (``ip -batch`` lines for the route tables)."""

    iptables: str
    routes: tuple[str, ...]
    internet_in_main: bool
    ipsets: str = ""


def public_sources(platform: Platform) -> tuple[str, ...]:
    """The private addresses an internet gateway translates: instances with a
    public IPv4 address and public NAT gateways (their elastic IP)."""
    out = {i.private_ip for i in platform.aws.instances if i.public_ip and i.private_ip}
    out |= {
        g.private_ip
        for g in platform.aws.nat_gateways
        if g.private_ip and g.connectivity_type == "public"
    }
    return tuple(sorted(a for a in out if _net(a)))


def render_router(
    platform: Platform, internet_dev: str, nat_devs: Mapping[str, str] | None = None
) -> RouterRules:
    """Network ACLs on the subnet boundaries, the internet gateway (only an
    address with a public one leaves by it) and the subnets' route tables;
    ``nat_devs``: the router's link to each NAT gateway the lab runs."""
    aws = platform.aws
    nats = dict(nat_devs or {})
    subnets = [(s.subnet_id, _net(s.cidr)) for s in aws.subnets]
    subnets_v4 = [(sid, cidr) for sid, cidr in subnets if cidr is not None]
    chains: dict[str, list[str]] = {}
    top = "ekaws-nacl"
    same: list[str] = []
    outbound: list[str] = []
    inbound: list[str] = []
    for sid, cidr in subnets_v4:
        same.append(f"-A {top} -s {cidr} -d {cidr} -j RETURN")
        acl = aws.network_acl_for_subnet(sid)
        if acl is None:
            continue  # unknown ACL: not rendered (the lab lets the subnet's traffic pass)
        outbound.append(f"-A {top} -s {cidr} -j {_acl_chain(acl, True, chains)}")
        inbound.append(f"-A {top} -d {cidr} -j {_acl_chain(acl, False, chains)}")
    # A NAT gateway forwards packets whose addresses are not its own: they
    # leave or enter its subnet by its link, whatever their addresses say.
    head: list[str] = []
    nat_chains: dict[str, list[str]] = {}
    cidr_of = dict(subnets_v4)
    for gw in sorted(aws.nat_gateways, key=lambda g: g.nat_gateway_id):
        dev = nats.get(gw.nat_gateway_id)
        nat_cidr = cidr_of.get(gw.subnet_id)
        acl = aws.network_acl_for_subnet(gw.subnet_id)
        if dev is None or nat_cidr is None or acl is None:
            continue
        out_c, in_c = f"ekaws-natgw-o-{dev}", f"ekaws-natgw-i-{dev}"
        nat_chains[out_c] = [
            f"-A {out_c} -d {nat_cidr} -j RETURN",
            f"-A {out_c} -j {_acl_chain(acl, True, chains)}",
        ]
        nat_chains[in_c] = [
            f"-A {in_c} -s {nat_cidr} -j RETURN",
            f"-A {in_c} -j {_acl_chain(acl, False, chains)}",
        ]
        head += [f"-A FORWARD -i {dev} -j {out_c}", f"-A FORWARD -o {dev} -j {in_c}"]
    book = _Book()
    public = book.add("public", public_sources(platform))
    igw = "ekaws-igw"
    all_chains = {
        top: same + outbound + inbound,
        igw: [
            f"-A {igw} -m set --match-set {public} src -j RETURN",
            f'-A {igw} -m comment --comment "no public address: the internet gateway '
            'does not translate it" -j DROP',
        ],
        **nat_chains,
        **chains,
    }
    head = [f"-A FORWARD -o {internet_dev} -j {igw}", *head, f"-A FORWARD -j {top}"]
    iptables = _iptables("filter", ("INPUT", "FORWARD", "OUTPUT"), all_chains, head)
    routes: list[str] = []
    tables: dict[str, int] = {}
    used = False
    for sid, cidr in subnets_v4:
        table = aws.route_table_for_subnet(sid)
        if table is None:
            continue
        used = True
        if table.route_table_id not in tables:
            number = FIRST_TABLE + len(tables)
            tables[table.route_table_id] = number
            routes.extend(_table_routes(platform, table, number, internet_dev, nats))
        routes.append(f"rule add from {cidr} lookup {tables[table.route_table_id]} pref 100")
    return RouterRules(iptables, tuple(routes), not used, book.restore())


def _table_routes(
    platform: Platform,
    table: RouteTable,
    number: int,
    internet_dev: str,
    nats: Mapping[str, str],
) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for route in table.routes:
        if route.to_prefix_list:
            pl = platform.aws.prefix_list(route.destination)
            dests = [d for d in (pl.entries if pl is not None else ()) if _net(d)]
        else:
            dests = [route.destination] if _net(route.destination) else []
        kind = route.target_kind
        for dest in dests:
            net = _net(dest)
            assert net is not None
            if net in seen:
                continue
            seen.add(net)
            if route.state != "active":
                out.append(f"route add blackhole {net} table {number}")
            elif kind is RouteTargetKind.LOCAL:
                out.append(f"route add throw {net} table {number}")
            elif kind is RouteTargetKind.INTERNET_GATEWAY:
                out.append(f"route add {net} dev {internet_dev} table {number}")
            elif kind is RouteTargetKind.NAT_GATEWAY and (route.gateway_id or "") in nats:
                out.append(f"route add {net} dev {nats[route.gateway_id or '']} table {number}")
            else:
                out.append(f"route add blackhole {net} table {number}")
    if "0.0.0.0/0" not in seen:
        # no route matches: AWS drops (never fall through to the router's main table)
        out.append(f"route add blackhole 0.0.0.0/0 table {number}")
    return out


def route_for(platform: Platform, source: str, destination: str) -> str | None:
    """The target (``gateway_id``) of the route the source's subnet takes to
    ``destination`` (longest prefix; prefix-list routes by their entries), or
    None when no route table or route is known."""
    subnet = _subnet_of(platform, source)
    table = platform.aws.route_table_for_subnet(subnet) if subnet else None
    if table is None:
        return None
    dst = ipaddress.ip_address(destination)
    best: tuple[int, str | None] | None = None
    for route in table.routes:
        if route.to_prefix_list:
            pl = platform.aws.prefix_list(route.destination)
            dests = list(pl.entries) if pl is not None else []
        else:
            dests = [route.destination]
        for d in dests:
            net = _net(d)
            if net is None:
                continue
            n = ipaddress.ip_network(net)
            if dst in n and (best is None or n.prefixlen > best[0]):
                best = (n.prefixlen, route.gateway_id)
    return best[1] if best is not None else None
