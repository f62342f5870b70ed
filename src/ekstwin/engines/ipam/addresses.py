"""Deterministic pod and node addresses, the way the VPC CNI would hand them out.

Every pod of the model gets an IPv4 address:

1. a pod's ``status.podIP`` (``Pod.ip``) wins;
2. a ``hostNetwork`` pod gets its node's address;
3. otherwise the next free address of its node: the ENIs' secondary IPs in
   ENI order (device index), or the 16 addresses of each /28 prefix with
   prefix delegation; with custom networking the primary ENI is skipped. When
   the ENI data runs out (or there is none), the next free address of the
   node's pod subnet (the ENIConfig subnet with custom networking) is taken,
   or with prefix delegation the next free, aligned /28 of it.

Pods without a node are spread round-robin over the nodes sorted by name (pods
sorted by ``namespace/name``); a pod whose ``status.hostIP`` names a node goes
to that node. Without AWS subnets in the input, the nodes are assumed to sit in
a default VPC inside 198.18.0.0/15, one subnet per availability zone, and
``Addressing.assumptions`` says so. Addresses never collide: anything the input
already holds (instance and ENI addresses, NAT gateways, given pod IPs) is
skipped, as are the five addresses AWS reserves in every subnet.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ekstwin.engines.ipam.topology import (
    cluster_subnets,
    eni_config_name,
    eni_configs,
    instance_for,
    instance_index,
    node_zone,
)
from ekstwin.errors import ModelError
from ekstwin.model.aws import Instance, NetworkInterface, Subnet, VpcCniSettings
from ekstwin.model.k8s import Meta, Node, Pod
from ekstwin.model.platform import Platform
from ekstwin.model.source import Source

__all__ = [
    "DEFAULT_INSTANCE_TYPE",
    "DEFAULT_NODE_NAME",
    "DEFAULT_VPC_RANGE",
    "DEFAULT_ZONE",
    "Addressing",
    "pod_addressing",
    "pod_placement",
]

DEFAULT_INSTANCE_TYPE = "m5.large"
DEFAULT_NODE_NAME = "ekstwin-node-0"
DEFAULT_ZONE = "us-east-1a"
DEFAULT_VPC_RANGE = "198.18.0.0/15"
PREFIX_SIZE = 16  # a /28 delegated prefix
_DEFAULT_SUBNET_PREFIXLEN = 20


@dataclass(frozen=True, slots=True)
class Addressing:
    """Where every pod and node is in the VPC.

    ``pod_nodes`` names the node each pod runs on (given by ``spec.nodeName``
    or assigned here), for the engines that need to place pods on nodes.
    """

    pod_ips: dict[str, str]
    node_ips: dict[str, str]
    node_subnets: dict[str, str]
    vpc_cidrs: tuple[str, ...]
    assumptions: tuple[str, ...]
    pod_nodes: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# address pools


def _ip(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(ipaddress.IPv4Address(text))
    except ValueError:
        return None


def _network(cidr: str) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None


class _SubnetPool:
    """Free addresses of one subnet, handed out lowest first; shares the ``used`` set."""

    __slots__ = ("_block", "_end", "_next", "_used", "cidr")

    def __init__(self, cidr: str, used: set[int]) -> None:
        net = _network(cidr)
        if net is None:
            raise ModelError(f"subnet {cidr!r} is not an IPv4 CIDR")
        self.cidr = str(net)
        first = int(net.network_address)
        # AWS reserves the first four addresses and the last one.
        self._next = first + 4
        self._end = int(net.broadcast_address)  # exclusive: the broadcast is reserved
        self._block = (first + 4 + PREFIX_SIZE - 1) // PREFIX_SIZE * PREFIX_SIZE
        self._used = used

    def take(self) -> int | None:
        used = self._used
        n = self._next
        while n < self._end and n in used:
            n += 1
        if n >= self._end:
            self._next = n
            return None
        used.add(n)
        self._next = n + 1
        return n

    def take_prefix(self) -> int | None:
        """The lowest aligned /28 with no address in use (``InsufficientCidrBlocks`` if none)."""
        used = self._used
        start = self._block
        while start + PREFIX_SIZE <= self._end:
            clash = next((a for a in range(start, start + PREFIX_SIZE) if a in used), None)
            if clash is None:
                used.update(range(start, start + PREFIX_SIZE))
                self._block = start + PREFIX_SIZE
                return start
            start += PREFIX_SIZE
        self._block = start
        return None


class _NodePool:
    """The addresses one node hands to its pods: ENI data first, then its pod subnet."""

    __slots__ = ("_block", "_block_left", "_eni", "_given", "_prefix", "_subnet", "overflow")

    def __init__(
        self, eni_addresses: list[int], subnet: _SubnetPool, prefix: bool, given: set[int]
    ) -> None:
        self._eni: Iterator[int] = iter(eni_addresses)
        self._subnet = subnet
        self._prefix = prefix
        self._given = given
        self._block = 0
        self._block_left = 0
        self.overflow = 0

    def take(self) -> int:
        for n in self._eni:
            if n not in self._given:
                return n
        self.overflow += 1
        if self._prefix:
            if self._block_left == 0:
                start = self._subnet.take_prefix()
                if start is not None:
                    self._block, self._block_left = start, PREFIX_SIZE
            if self._block_left:
                n = self._block
                self._block += 1
                self._block_left -= 1
                return n
        n_single = self._subnet.take()
        if n_single is None:
            raise ModelError(
                f"subnet {self._subnet.cidr} has no free address left for the model's pods"
            )
        return n_single


def _eni_held(eni: NetworkInterface, *, primary: bool) -> Iterator[int]:
    """The addresses an ENI holds for pods (its secondary addresses and every
    address of its prefixes), and its primary address with ``primary``."""
    for text in (eni.primary_ip, *eni.secondary_ips) if primary else eni.secondary_ips:
        n = _ip(text)
        if n is not None:
            yield n
    for prefix in eni.prefixes:
        net = _network(prefix)
        if net is not None:
            start = int(net.network_address)
            yield from range(start, start + net.num_addresses)


def _eni_addresses(inst: Instance, skip_primary: bool) -> list[int]:
    out: list[int] = []
    enis = sorted(
        (e for e in inst.network_interfaces if e.interface_type == "interface"),
        key=lambda e: (e.network_card_index, e.device_index, e.eni_id),
    )
    for eni in enis:
        if skip_primary and eni.device_index == 0 and eni.network_card_index == 0:
            continue
        out.extend(_eni_held(eni, primary=False))
    return out


def _held_addresses(platform: Platform) -> set[int]:
    """Every address the AWS data says is taken."""
    held: set[int] = set()
    for inst in platform.aws.instances:
        for text in (inst.private_ip, inst.public_ip):
            n = _ip(text)
            if n is not None:
                held.add(n)
        for eni in inst.network_interfaces:
            held.update(_eni_held(eni, primary=True))
    for nat in platform.aws.nat_gateways:
        n = _ip(nat.private_ip)
        if n is not None:
            held.add(n)
    return held


# ---------------------------------------------------------------------------
# placing pods on nodes


def _implicit_node(name: str) -> Node:
    source = Source("<assumed by ekstwin ipam>")
    return Node(
        meta=Meta("v1", "Node", name, None, source, labels={"kubernetes.io/hostname": name}),
        implicit=True,
    )


def _nodes(platform: Platform, pods: list[Pod]) -> tuple[list[Node], list[str]]:
    notes: list[str] = []
    nodes = {n.name: n for n in platform.nodes}
    for pod in pods:
        name = pod.spec.node_name
        if name and name not in nodes:
            nodes[name] = _implicit_node(name)
    if not nodes:
        nodes[DEFAULT_NODE_NAME] = _implicit_node(DEFAULT_NODE_NAME)
        notes.append(f"no nodes in the input: assumed one node {DEFAULT_NODE_NAME}")
    return sorted(nodes.values(), key=lambda n: n.name), notes


def pod_placement(platform: Platform) -> tuple[dict[str, str], list[Node], tuple[str, ...]]:
    """The node of every pod (key -> node name), the nodes, and what was assumed.

    The same placement :func:`pod_addressing` uses, without computing addresses.
    """
    pods = sorted(platform.pods, key=lambda p: p.key)
    nodes, notes = _nodes(platform, pods)
    known_ips = {n.name: n.internal_ip for n in nodes if n.internal_ip}
    placed, more = _place(pods, nodes, known_ips)
    return placed, nodes, (*notes, *more)


def _place(
    pods: list[Pod], nodes: list[Node], node_ip_of: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """Node of every pod: ``spec.nodeName``, a node whose IP is ``status.hostIP``, round-robin."""
    by_ip = {ip: name for name, ip in node_ip_of.items()}
    names = [n.name for n in nodes]
    placed: dict[str, str] = {}
    spread = 0
    for pod in pods:
        if pod.spec.node_name:
            placed[pod.key] = pod.spec.node_name
        elif pod.host_ip and pod.host_ip in by_ip:
            placed[pod.key] = by_ip[pod.host_ip]
        else:
            placed[pod.key] = names[spread % len(names)]
            spread += 1
    notes = []
    if spread:
        notes.append(
            f"{spread} pod(s) without a node spread round-robin over "
            f"{len(names)} node(s) sorted by name"
        )
    return placed, notes


# ---------------------------------------------------------------------------
# the two worlds: AWS data, or the default VPC


@dataclass(slots=True)
class _NodeSite:
    subnet: _SubnetPool  # the node's own subnet
    pod_subnet: _SubnetPool  # where pod addresses come from
    eni_addresses: list[int]
    ip: int | None
    has_enis: bool = False


def _sites_from_aws(
    platform: Platform, nodes: list[Node], used: set[int], notes: list[str]
) -> tuple[dict[str, _NodeSite], VpcCniSettings, tuple[str, ...]]:
    aws = platform.aws
    cluster = platform.eks_cluster()
    settings = cluster.vpc_cni if cluster is not None else VpcCniSettings()
    index = instance_index(aws)
    candidates = cluster_subnets(aws, cluster)
    configs = eni_configs(platform) if settings.custom_network else {}
    pools: dict[str, _SubnetPool] = {}

    def pool(subnet: Subnet) -> _SubnetPool:
        if subnet.subnet_id not in pools:
            pools[subnet.subnet_id] = _SubnetPool(subnet.cidr, used)
        return pools[subnet.subnet_id]

    sites: dict[str, _NodeSite] = {}
    guessed: list[str] = []
    unplaced = 0
    subnets_seen: list[Subnet] = []
    for node in nodes:
        inst = instance_for(node, index)
        subnet = aws.subnet(inst.subnet_id) if inst is not None else None
        if subnet is None:
            zone = node_zone(node)
            pick = [s for s in candidates if zone is None or s.availability_zone == zone]
            pick = pick or candidates
            subnet = pick[unplaced % len(pick)]
            unplaced += 1
            guessed.append(f"{node.name} -> {subnet.subnet_id}")
        subnets_seen.append(subnet)
        pod_subnet = subnet
        if settings.custom_network:
            name = eni_config_name(node, settings)
            config = configs.get(name)
            found = aws.subnet(config.subnet_id) if config and config.subnet_id else None
            if found is None:
                notes.append(
                    f"custom networking: node {node.name} names ENIConfig {name!r} "
                    "whose subnet is not in the input; pods assumed in the node subnet"
                )
            else:
                pod_subnet = found
                subnets_seen.append(found)
        ip = _ip(node.internal_ip)
        if ip is None and inst is not None:
            ip = _ip(inst.private_ip)
            if ip is None:
                primary = next((e for e in inst.network_interfaces if e.device_index == 0), None)
                ip = _ip(primary.primary_ip) if primary else None
        eni = _eni_addresses(inst, settings.custom_network) if inst is not None else []
        has_enis = inst is not None and bool(inst.network_interfaces)
        sites[node.name] = _NodeSite(pool(subnet), pool(pod_subnet), eni, ip, has_enis)
    if guessed:
        notes.append(
            "no EC2 instance in the input for node(s); assumed subnets: " + ", ".join(guessed)
        )
    return sites, settings, _vpc_cidrs(platform, cluster.vpc_id if cluster else None, subnets_seen)


def _vpc_cidrs(
    platform: Platform, vpc_id: str | None, subnets: Iterable[Subnet]
) -> tuple[str, ...]:
    subnets = list(subnets)
    if vpc_id is None and subnets:
        vpc_id = subnets[0].vpc_id
    vpc = platform.aws.vpc(vpc_id) if vpc_id else None
    cidrs: list[str] = list(vpc.cidr_blocks) if vpc is not None else []
    nets = [n for n in (_network(c) for c in cidrs) if n is not None]
    for subnet in sorted(subnets, key=lambda s: s.cidr):
        net = _network(subnet.cidr)
        if net is not None and not any(net.subnet_of(v) for v in nets):
            nets.append(net)
            cidrs.append(str(net))
    return tuple(dict.fromkeys(cidrs))


def _sites_default(
    nodes: list[Node],
    placed: dict[str, str],
    pods: list[Pod],
    used: set[int],
    notes: list[str],
) -> tuple[dict[str, _NodeSite], tuple[str, ...]]:
    zone_of = {n.name: node_zone(n) or DEFAULT_ZONE for n in nodes}
    need: dict[str, int] = dict.fromkeys(sorted(set(zone_of.values())), 0)
    for node in nodes:
        need[zone_of[node.name]] += 1
    for pod in pods:
        if pod.ip is None and not pod.spec.host_network:
            need[zone_of[placed[pod.key]]] += 1
    biggest = max(need.values()) + 5
    prefixlen = _DEFAULT_SUBNET_PREFIXLEN
    while prefixlen > 16 and (1 << (32 - prefixlen)) < biggest:
        prefixlen -= 1
    zones = list(need)
    total = len(zones) << (32 - prefixlen)
    if total > 1 << 17:
        raise ModelError(
            f"{sum(need.values())} addresses do not fit the default VPC {DEFAULT_VPC_RANGE}; "
            "give the AWS data (aws.json) of the platform"
        )
    vpc = ipaddress.IPv4Network("198.18.0.0/16" if total <= 1 << 16 else DEFAULT_VPC_RANGE)
    base = int(vpc.network_address)
    size = 1 << (32 - prefixlen)
    pools: dict[str, _SubnetPool] = {}
    layout: list[str] = []
    for i, zone in enumerate(zones):
        cidr = str(ipaddress.IPv4Network((base + i * size, prefixlen)))
        pools[zone] = _SubnetPool(cidr, used)
        layout.append(f"{zone} {cidr}")
    types = sorted({n.instance_type for n in nodes if n.instance_type})
    typed = f"instance types {', '.join(types)}" if types else ""
    default_type = f"default instance type {DEFAULT_INSTANCE_TYPE}"
    kinds = default_type if not types else f"{typed} (others {default_type})"
    notes.append(
        f"no AWS subnets in the input: assumed a default VPC {vpc} with one subnet per "
        f"availability zone ({'; '.join(layout)}), nodes of {kinds}, "
        "VPC CNI defaults (secondary IPs, WARM_ENI_TARGET=1)"
    )
    sites = {}
    for node in nodes:
        subnet = pools[zone_of[node.name]]
        sites[node.name] = _NodeSite(subnet, subnet, [], _ip(node.internal_ip))
    return sites, (str(vpc),)


# ---------------------------------------------------------------------------


def pod_addressing(platform: Platform) -> Addressing:
    """An IPv4 address for every pod and node of the platform; see the module doc."""
    pods = sorted(platform.pods, key=lambda p: p.key)
    nodes, notes = _nodes(platform, pods)

    given: set[int] = set()
    for pod in pods:
        n = _ip(pod.ip)
        if n is not None:
            given.add(n)
    used = _held_addresses(platform) | given
    for node in nodes:
        n = _ip(node.internal_ip)
        if n is not None:
            used.add(n)

    known_ips = {n.name: n.internal_ip for n in nodes if n.internal_ip}
    placed, place_notes = _place(pods, nodes, known_ips)

    if platform.aws.subnets:
        sites, settings, vpc_cidrs = _sites_from_aws(platform, nodes, used, notes)
    else:
        settings = VpcCniSettings()
        sites, vpc_cidrs = _sites_default(nodes, placed, pods, used, notes)
    notes.extend(place_notes)

    node_ips: dict[str, str] = {}
    node_subnets: dict[str, str] = {}
    for node in nodes:
        site = sites[node.name]
        if site.ip is None:
            site.ip = site.subnet.take()
            if site.ip is None:
                raise ModelError(
                    f"subnet {site.subnet.cidr} has no free address for node {node.name}"
                )
        used.add(site.ip)
        node_ips[node.name] = str(ipaddress.IPv4Address(site.ip))
        node_subnets[node.name] = site.subnet.cidr

    prefix = settings.enable_prefix_delegation
    node_pools = {
        name: _NodePool(site.eni_addresses, site.pod_subnet, prefix, given)
        for name, site in sites.items()
    }
    pod_ips: dict[str, str] = {}
    for pod in pods:
        node_name = placed[pod.key]
        if pod.ip is not None and _ip(pod.ip) is not None:
            pod_ips[pod.key] = pod.ip
        elif pod.spec.host_network:
            pod_ips[pod.key] = node_ips[node_name]
        else:
            pod_ips[pod.key] = str(ipaddress.IPv4Address(node_pools[node_name].take()))
    if platform.aws.subnets:
        overflow = {
            n: p.overflow for n, p in node_pools.items() if p.overflow and sites[n].has_enis
        }
        if overflow:
            notes.append(
                f"{sum(overflow.values())} pod(s) on {len(overflow)} node(s) found no free "
                "address in their node's ENI data: given the next free addresses of the pod subnet"
            )
    return Addressing(
        pod_ips=pod_ips,
        node_ips=node_ips,
        node_subnets=node_subnets,
        vpc_cidrs=vpc_cidrs,
        assumptions=tuple(notes),
        pod_nodes=placed,
    )
