"""The subnet plan: addresses per subnet and AZ now and after a scaling scenario.

For every node: its instance type, node group, subnet (and ENIConfig subnet
with custom networking), the pods that need a VPC address, and the pool ipamd
holds for them (:func:`ekstwin.engines.ipam.warm.warm_pool`). A node whose
instance carries ENI data holds exactly what the data says while its pod count
is unchanged. Per subnet: usable addresses (the CIDR minus AWS's five),
addresses used by pods, held warm, taken by ENI primary addresses, taken by
anything else (EC2's ``available_ip_addresses`` tells), and free.

The scenario (``--scale GROUP=N``, ``--pods-per-node N``) adds nodes to a node
group one at a time, each in the group's subnet with the fewest of the group's
nodes (EC2 Auto Scaling balances AZs), and records the node at which each
subnet runs out. How many more pods fit on a node is the least of the CNI's max
pods, the kubelet's max pods and what its pod subnet can still give.

The zone-loss scenario (``--lose-az AZ``) removes every node in the zone; each
node group that lost nodes launches replacements in its subnets outside the zone
(EC2 Auto Scaling launches in an unaffected zone, the one with the fewest of the
group's instances), never above its max size; the lost nodes' pods are then
rescheduled onto the nodes left and the replacements (spread, each node up to
its max pods), the groups scale out up to their max size for pods that still do
not fit, and the rest stay pending. docs/ipam.md lists the assumptions.
"""

from __future__ import annotations

import heapq
import ipaddress
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ekstwin.engines.ipam.addresses import DEFAULT_INSTANCE_TYPE, DEFAULT_ZONE, pod_placement
from ekstwin.engines.ipam.limits import (
    IPS_PER_PREFIX,
    InstanceTypeLimits,
    InstanceTypeTable,
    load_instance_types,
    max_pods,
)
from ekstwin.engines.ipam.topology import (
    NODEGROUP_LABEL,
    cluster_subnets,
    eni_config_name,
    eni_configs,
    instance_for,
    instance_index,
    node_zone,
)
from ekstwin.engines.ipam.warm import WarmPool, warm_pool
from ekstwin.errors import ConfigError
from ekstwin.model.aws import EksCluster, Instance, NodeGroup, Subnet, VpcCniSettings
from ekstwin.model.platform import Platform

__all__ = [
    "GroupLoss",
    "Limit",
    "NodePlan",
    "Plan",
    "Scenario",
    "SubnetPlan",
    "SubnetUse",
    "ZoneLoss",
    "plan",
]

RESERVED_PER_SUBNET = 5
DEFAULT_SUBNET_ID = "default"


class Limit(StrEnum):
    """What bounds the pods of a node first."""

    MAX_PODS = "max-pods"  # the ENIs' addresses (CNI max pods)
    KUBELET_MAX_PODS = "kubelet-max-pods"
    SUBNET = "subnet"


@dataclass(frozen=True, slots=True)
class Scenario:
    """``scale``: node group -> desired nodes; ``pods_per_node``: pods on every node;
    ``lose_az``: the availability zone whose nodes are all gone."""

    scale: Mapping[str, int] = field(default_factory=dict)
    pods_per_node: int | None = None
    lose_az: str | None = None

    @property
    def empty(self) -> bool:
        return not self.scale and self.pods_per_node is None and self.lose_az is None

    def to_json(self) -> dict[str, object]:
        return {
            "scale": dict(sorted(self.scale.items())),
            "pods_per_node": self.pods_per_node,
            "lose_az": self.lose_az,
        }


@dataclass(frozen=True, slots=True)
class GroupLoss:
    """What one node group does when a zone is lost."""

    name: str
    lost: int  # nodes of the group in the lost zone
    replaced: int  # replacements launched in the group's other zones
    added_for_pods: int  # more nodes for rescheduled pods that did not fit (up to max size)
    max_size: int | None  # None: not a known node group
    subnets_left: tuple[str, ...]  # the group's subnets outside the lost zone
    note: str  # why it replaced fewer than it lost, or ""

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "lost": self.lost,
            "replaced": self.replaced,
            "added_for_pods": self.added_for_pods,
            "max_size": self.max_size,
            "subnets_left": list(self.subnets_left),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class ZoneLoss:
    """The zone-loss scenario: nodes lost, replacements, pods rescheduled and pending."""

    zone: str
    lost_nodes: tuple[str, ...]
    groups: tuple[GroupLoss, ...]
    pods_to_reschedule: int  # pods of the lost nodes that need a VPC address
    pods_rescheduled: int
    pods_pending: int  # no node left with room: Pending, or no address (ContainerCreating)

    def to_json(self) -> dict[str, object]:
        return {
            "zone": self.zone,
            "lost_nodes": list(self.lost_nodes),
            "groups": [g.to_json() for g in self.groups],
            "pods_to_reschedule": self.pods_to_reschedule,
            "pods_rescheduled": self.pods_rescheduled,
            "pods_pending": self.pods_pending,
        }


@dataclass(frozen=True, slots=True)
class NodePlan:
    name: str
    node_group: str | None
    instance_type: str
    zone: str
    subnet_id: str
    pod_subnet_id: str
    pods: int
    max_pods: int
    kubelet_max_pods: int
    held: int  # subnet addresses the node holds: pod IPs, warm IPs, ENI primaries
    more_pods: int
    limited_by: Limit
    added: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "node_group": self.node_group,
            "instance_type": self.instance_type,
            "zone": self.zone,
            "subnet_id": self.subnet_id,
            "pod_subnet_id": self.pod_subnet_id,
            "pods": self.pods,
            "max_pods": self.max_pods,
            "kubelet_max_pods": self.kubelet_max_pods,
            "held": self.held,
            "more_pods": self.more_pods,
            "limited_by": self.limited_by.value,
            "added": self.added,
        }


@dataclass(frozen=True, slots=True)
class SubnetUse:
    nodes: int
    pods: int
    warm: int
    eni_primaries: int
    other: int
    free: int

    def to_json(self) -> dict[str, int]:
        return {
            "nodes": self.nodes,
            "pods": self.pods,
            "warm": self.warm,
            "eni_primaries": self.eni_primaries,
            "other": self.other,
            "free": self.free,
        }


@dataclass(frozen=True, slots=True)
class SubnetPlan:
    subnet_id: str
    cidr: str
    zone: str
    usable: int
    now: SubnetUse
    after: SubnetUse
    runs_out_at: str | None = None  # the added node that no longer fits
    prefix_risk: str | None = None

    @property
    def exhausted(self) -> bool:
        return self.after.free < 0

    def to_json(self) -> dict[str, object]:
        return {
            "subnet_id": self.subnet_id,
            "cidr": self.cidr,
            "zone": self.zone,
            "usable": self.usable,
            "now": self.now.to_json(),
            "after": self.after.to_json(),
            "exhausted": self.exhausted,
            "runs_out_at": self.runs_out_at,
            "prefix_fragmentation_risk": self.prefix_risk,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    scenario: Scenario
    subnets: tuple[SubnetPlan, ...]
    nodes: tuple[NodePlan, ...]
    runs_out_first: str | None
    assumptions: tuple[str, ...]
    zone_loss: ZoneLoss | None = None

    def zones(self) -> dict[str, dict[str, int]]:
        """Per AZ: usable, free now and free after."""
        out: dict[str, dict[str, int]] = {}
        for s in self.subnets:
            z = out.setdefault(s.zone, {"usable": 0, "free_now": 0, "free_after": 0})
            z["usable"] += s.usable
            z["free_now"] += s.now.free
            z["free_after"] += s.after.free
        return dict(sorted(out.items()))

    def subnet(self, subnet_id: str) -> SubnetPlan | None:
        return next((s for s in self.subnets if s.subnet_id == subnet_id), None)

    def to_json(self) -> dict[str, object]:
        return {
            "scenario": self.scenario.to_json(),
            "runs_out_first": self.runs_out_first,
            "zones": self.zones(),
            "subnets": [s.to_json() for s in self.subnets],
            "nodes": [n.to_json() for n in self.nodes],
            "zone_loss": self.zone_loss.to_json() if self.zone_loss is not None else None,
            "assumptions": list(self.assumptions),
        }


# ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    name: str
    group: str | None
    limits: InstanceTypeLimits
    zone: str
    subnet: str
    pod_subnet: str
    pods: int
    kubelet: int
    measured: tuple[int, int, int] | None  # ENI data: (pods+warm IPs, primaries, node-subnet)
    added: bool = False
    starved: bool = False  # added after its subnet ran out
    labels: Mapping[str, str] = field(default_factory=dict)
    # pods needing an address, by their nodeSelector (the zone-loss scenario moves them)
    selectors: dict[_Selector, int] = field(default_factory=dict)


_Selector = frozenset[tuple[str, str]]
_ANY: _Selector = frozenset()


def _matches(labels: Mapping[str, str], selector: _Selector) -> bool:
    return all(labels.get(k) == v for k, v in selector)


def _usable(cidr: str) -> int:
    try:
        return max(ipaddress.ip_network(cidr, strict=False).num_addresses - RESERVED_PER_SUBNET, 0)
    except ValueError:
        return 0


def _measured(inst: Instance, custom: bool) -> tuple[int, int, int] | None:
    enis = [e for e in inst.network_interfaces if e.interface_type in ("interface", "trunk")]
    if not enis:
        return None
    ips = primaries = node_subnet = 0
    for e in enis:
        extra = e.subnet_addresses_used - (1 if e.primary_ip else 0)
        primaries += 1 if e.primary_ip else 0
        ips += extra
        if (custom and e.device_index == 0) or e.interface_type == "trunk":
            node_subnet += e.subnet_addresses_used
    return ips, primaries, node_subnet


class _Planner:
    def __init__(self, platform: Platform, table: InstanceTypeTable) -> None:
        self.platform = platform
        self.table = table
        self.notes: list[str] = []
        aws = platform.aws
        self.cluster: EksCluster | None = platform.eks_cluster()
        self.settings: VpcCniSettings = (
            self.cluster.vpc_cni if self.cluster is not None else VpcCniSettings()
        )
        self.subnets: dict[str, Subnet] = {s.subnet_id: s for s in aws.subnets}
        self.candidates = cluster_subnets(aws, self.cluster) if aws.subnets else []
        self.configs = eni_configs(platform) if self.settings.custom_network else {}
        self.pool_cache: dict[tuple[str, int, int], WarmPool] = {}
        self.unknown_types: set[str] = set()

    def limits(self, name: str | None) -> InstanceTypeLimits:
        found = self.table.get(name or DEFAULT_INSTANCE_TYPE)
        if found is None:
            self.unknown_types.add(name or "")
            return self.table[DEFAULT_INSTANCE_TYPE]
        return found

    def kubelet_max_pods(self, group: NodeGroup | None, limits: InstanceTypeLimits) -> int:
        s = self.settings
        if group is not None and group.kubelet_max_pods:
            return group.kubelet_max_pods
        computed = max_pods(
            limits,
            prefix_delegation=s.enable_prefix_delegation,
            custom_networking=s.custom_network,
            max_eni=s.max_eni,
        )
        # EKS managed node groups apply the calculator's 110/250 cap; nodeadm does not
        # (an unknown cap leaves the CNI's figure)
        if group is not None and computed.max_pods_capped is not None:
            return computed.max_pods_capped
        return computed.max_pods

    def pool(self, node: _Node, pods: int) -> WarmPool:
        key = (node.limits.instance_type, pods, node.kubelet)
        if key not in self.pool_cache:
            self.pool_cache[key] = warm_pool(
                node.limits, self.settings, pods, kubelet_max_pods=node.kubelet
            )
        return self.pool_cache[key]

    def group(self, name: str | None) -> NodeGroup | None:
        if name is None or self.cluster is None:
            return None
        return self.cluster.node_group(name)

    def pod_subnet_for(self, subnet_id: str, eni_config: str | None) -> str:
        if not self.settings.custom_network:
            return subnet_id
        config = self.configs.get(eni_config or "default")
        if config is not None and config.subnet_id in self.subnets:
            return config.subnet_id
        subnet = self.subnets.get(subnet_id)
        zone = subnet.availability_zone if subnet else None
        by_zone = self.configs.get(zone or "")
        if by_zone is not None and by_zone.subnet_id in self.subnets:
            return by_zone.subnet_id
        return subnet_id

    def existing_nodes(self, pods_per_node: int | None) -> list[_Node]:
        placed, nodes, notes = pod_placement(self.platform)
        self.notes.extend(notes)
        needs_ip: dict[str, int] = {}
        selectors: dict[str, dict[_Selector, int]] = {}
        for pod in self.platform.pods:
            if not pod.spec.host_network:
                name = placed[pod.key]
                needs_ip[name] = needs_ip.get(name, 0) + 1
                sel = frozenset(pod.spec.node_selector.items())
                per = selectors.setdefault(name, {})
                per[sel] = per.get(sel, 0) + 1
        index = instance_index(self.platform.aws)
        out: list[_Node] = []
        guessed = 0
        for node in nodes:
            inst = instance_for(node, index)
            group_name = (inst.node_group if inst else None) or node.meta.labels.get(
                NODEGROUP_LABEL
            )
            group = self.group(group_name)
            itype = node.instance_type or (inst.instance_type if inst else None)
            if itype is None and group is not None and group.instance_types:
                itype = group.instance_types[0]
            limits = self.limits(itype)
            zone = node_zone(node) or (inst.availability_zone if inst else None)
            subnet_id = inst.subnet_id if inst is not None else None
            if subnet_id not in self.subnets:
                pick = [
                    s for s in self.candidates if zone is None or s.availability_zone == zone
                ] or self.candidates
                subnet_id = pick[guessed % len(pick)].subnet_id if pick else DEFAULT_SUBNET_ID
                guessed += 1
            subnet = self.subnets.get(subnet_id)
            zone = zone or (subnet.availability_zone if subnet else DEFAULT_ZONE)
            eni_config = (
                eni_config_name(node, self.settings) if self.settings.custom_network else None
            )
            pods = pods_per_node if pods_per_node is not None else needs_ip.get(node.name, 0)
            kubelet = self.kubelet_max_pods(group, limits)
            measured = None
            if inst is not None and pods_per_node is None:
                measured = _measured(inst, self.settings.custom_network)
            labels = {
                **self.template_labels(group, group_name, zone, limits.instance_type),
                **node.meta.labels,
            }
            out.append(
                _Node(
                    node.name,
                    group_name,
                    limits,
                    zone,
                    subnet_id,
                    self.pod_subnet_for(subnet_id, eni_config),
                    pods,
                    kubelet,
                    measured,
                    labels=labels,
                    selectors=dict(selectors.get(node.name, {})) if pods_per_node is None else {},
                )
            )
        return out

    def template_labels(
        self, group: NodeGroup | None, name: str | None, zone: str | None, itype: str
    ) -> dict[str, str]:
        """The labels a node of the group gets: the group's Kubernetes labels and the
        well-known ones EKS and the kubelet set."""
        out = dict(group.labels) if group is not None else {}
        if name:
            out[NODEGROUP_LABEL] = name
        if zone:
            out["topology.kubernetes.io/zone"] = zone
        out["node.kubernetes.io/instance-type"] = itype
        return out

    def holdings(self, node: _Node) -> tuple[int, int, int, int]:
        """(pods, warm, primaries in pod subnet, addresses in the node subnet)."""
        if node.measured is not None:
            ips, primaries, node_subnet = node.measured
            pods = min(node.pods, ips)
            if node.subnet == node.pod_subnet:
                return pods, ips - pods, primaries, 0
            return pods, ips - pods, primaries - 1, node_subnet
        pool = self.pool(node, node.pods)
        placed = pool.pods_placed
        if node.subnet == node.pod_subnet:
            primaries = pool.node_subnet_addresses - pool.ips
            return placed, pool.ips - placed, primaries, 0
        return (
            placed,
            pool.ips - placed,
            pool.pod_subnet_addresses - pool.ips,
            (pool.node_subnet_addresses),
        )


def _parse_scale(scale: Mapping[str, int], cluster: EksCluster | None) -> None:
    for name, count in scale.items():
        if count < 0:
            raise ConfigError(f"--scale {name}={count}: the node count must be 0 or more")
        if cluster is None or cluster.node_group(name) is None:
            known = ", ".join(g.name for g in cluster.node_groups) if cluster else "none"
            raise ConfigError(f"--scale {name}: no such node group (known: {known})")


def plan(
    platform: Platform,
    scenario: Scenario | None = None,
    *,
    instance_types: InstanceTypeTable | None = None,
) -> Plan:
    """The address plan of the platform now and after ``scenario``."""
    scenario = scenario or Scenario()
    table = instance_types or load_instance_types()
    p = _Planner(platform, table)
    _parse_scale(scenario.scale, p.cluster)
    now_nodes = p.existing_nodes(None)
    if scenario.pods_per_node is not None:
        after_nodes = p.existing_nodes(scenario.pods_per_node)
    else:
        after_nodes = [
            _Node(
                n.name,
                n.group,
                n.limits,
                n.zone,
                n.subnet,
                n.pod_subnet,
                n.pods,
                n.kubelet,
                n.measured,
                labels=n.labels,
                selectors=dict(n.selectors),
            )
            for n in now_nodes
        ]

    # subnets: every subnet a node uses, plus the node groups' subnets
    subnet_ids: dict[str, None] = {}
    for n in now_nodes:
        subnet_ids[n.subnet] = None
        subnet_ids[n.pod_subnet] = None
    for name in scenario.scale:
        group = p.group(name)
        for sid in group.subnet_ids if group else ():
            if sid in p.subnets:
                subnet_ids[sid] = None
                subnet_ids[p.pod_subnet_for(sid, None)] = None

    def cidr_of(sid: str) -> tuple[str, str, int]:
        subnet = p.subnets.get(sid)
        if subnet is None:
            return "198.18.0.0/16", DEFAULT_ZONE, _usable("198.18.0.0/16")
        return subnet.cidr, subnet.availability_zone, _usable(subnet.cidr)

    def use(nodes: Sequence[_Node], other: Mapping[str, int]) -> dict[str, SubnetUse]:
        acc = {sid: [0, 0, 0, 0] for sid in subnet_ids}
        for n in nodes:
            pods, warm, primaries, node_subnet = p.holdings(n)
            row = acc.setdefault(n.pod_subnet, [0, 0, 0, 0])
            row[0] += 1
            row[1] += pods
            row[2] += warm
            row[3] += primaries
            if n.subnet != n.pod_subnet:
                nrow = acc.setdefault(n.subnet, [0, 0, 0, 0])
                nrow[0] += 1
                nrow[3] += node_subnet
        out: dict[str, SubnetUse] = {}
        for sid, (count, pods, warm, primaries) in acc.items():
            usable = cidr_of(sid)[2]
            taken = other.get(sid, 0)
            out[sid] = SubnetUse(
                count, pods, warm, primaries, taken, usable - taken - pods - warm - primaries
            )
        return out

    # "other": addresses EC2 says are taken beyond what the nodes hold
    first = use(now_nodes, {})
    other: dict[str, int] = {}
    for sid, u in first.items():
        subnet = p.subnets.get(sid)
        if subnet is not None and subnet.available_ip_addresses is not None:
            other[sid] = max(u.free - subnet.available_ip_addresses, 0)
    now = use(now_nodes, other)

    # the scenario: remove or add nodes, one at a time
    runs_out: dict[str, str] = {}
    order: list[str] = []
    free_after = {sid: u.free for sid, u in use(after_nodes, other).items()}
    for name, wanted in sorted(scenario.scale.items()):
        group = p.group(name)
        assert group is not None
        members = sorted((n for n in after_nodes if n.group == name), key=lambda n: n.name)
        for gone in members[wanted:]:
            after_nodes.remove(gone)
            pods, warm, primaries, node_subnet = p.holdings(gone)
            free_after[gone.pod_subnet] += pods + warm + primaries
            if gone.subnet != gone.pod_subnet:
                free_after[gone.subnet] += node_subnet
        group_subnets = [sid for sid in group.subnet_ids if sid in p.subnets] or [
            n.subnet for n in members
        ]
        if not group_subnets:
            group_subnets = [s.subnet_id for s in p.candidates] or [DEFAULT_SUBNET_ID]
        limits = p.limits(group.instance_types[0] if group.instance_types else None)
        kubelet = p.kubelet_max_pods(group, limits)
        if scenario.pods_per_node is not None:
            pods_each = scenario.pods_per_node
        elif members:
            pods_each = math.ceil(sum(n.pods for n in members) / len(members))
        else:
            pods_each = 0
        to_add = wanted - len(members)
        if to_add > 0:
            p.notes.append(
                f"node group {name}: {to_add} new {limits.instance_type} node(s) with "
                f"{pods_each} pod(s) each (the group's average now)"
                if scenario.pods_per_node is None
                else f"node group {name}: {to_add} new {limits.instance_type} node(s)"
            )
        count = {sid: sum(1 for n in members if n.subnet == sid) for sid in group_subnets}
        for i in range(max(to_add, 0)):
            sid = min(group_subnets, key=lambda s: (count[s], group_subnets.index(s)))
            count[sid] += 1
            zone = cidr_of(sid)[1]
            node = _Node(
                f"{name}-new-{i + 1}",
                name,
                limits,
                zone,
                sid,
                p.pod_subnet_for(sid, zone if p.settings.custom_network else None),
                pods_each,
                kubelet,
                None,
                added=True,
            )
            after_nodes.append(node)
            pods, warm, primaries, node_subnet = p.holdings(node)
            free_after.setdefault(node.pod_subnet, cidr_of(node.pod_subnet)[2])
            free_after[node.pod_subnet] -= pods + warm + primaries
            if node.subnet != node.pod_subnet:
                free_after.setdefault(node.subnet, cidr_of(node.subnet)[2])
                free_after[node.subnet] -= node_subnet
            node.starved = free_after[node.pod_subnet] < 0 or free_after[node.subnet] < 0
            for touched in {node.pod_subnet, node.subnet}:
                if free_after[touched] < 0 and touched not in runs_out:
                    runs_out[touched] = (
                        f"new node {i + 1} of {to_add} in node group {name} "
                        f"(node {len(members) + i + 1} of the group)"
                    )
                    order.append(touched)
            subnet_ids.setdefault(node.pod_subnet, None)
            subnet_ids.setdefault(node.subnet, None)

    zone_loss: ZoneLoss | None = None
    if scenario.lose_az is not None:
        zone_loss = _ZoneLoss(
            p,
            scenario.lose_az,
            cidr_of=cidr_of,
            free_after=free_after,
            runs_out=runs_out,
            order=order,
        ).run(now_nodes, after_nodes, subnet_ids)
    after = use(after_nodes, other)

    # per node: how many more pods fit
    node_plans: list[NodePlan] = []
    for n in [
        *sorted((n for n in after_nodes if not n.added), key=lambda n: n.name),
        *(n for n in after_nodes if n.added),
    ]:
        cni = max_pods(
            n.limits,
            prefix_delegation=p.settings.enable_prefix_delegation,
            custom_networking=p.settings.custom_network,
            security_groups_for_pods=p.settings.enable_pod_eni,
            max_eni=p.settings.max_eni,
        ).max_pods
        pods, warm, primaries, _ = p.holdings(n)
        subnet_room = warm + max(after[n.pod_subnet].free, 0)
        # every pod IP beyond the pool's is an address of the pod subnet; with
        # prefixes they come 16 at a time
        if n.pod_subnet and p.settings.enable_prefix_delegation and n.limits.cni_prefix_delegation:
            subnet_room = warm + max(after[n.pod_subnet].free, 0) // IPS_PER_PREFIX * IPS_PER_PREFIX
        # two of the CNI's max pods are host-network pods that need no address
        rooms = [
            (max(cni - 2 - pods, 0), Limit.MAX_PODS),
            (max(n.kubelet - pods, 0), Limit.KUBELET_MAX_PODS),
            (max(subnet_room, 0), Limit.SUBNET),
        ]
        room, limit = min(rooms, key=lambda r: r[0])
        if n.starved:
            room, limit = 0, Limit.SUBNET  # the subnet cannot even give the node its pool
        node_plans.append(
            NodePlan(
                n.name,
                n.group,
                n.limits.instance_type,
                n.zone,
                n.subnet,
                n.pod_subnet,
                pods,
                cni,
                n.kubelet,
                pods + warm + primaries,
                room,
                limit,
                n.added,
            )
        )

    subnet_plans: list[SubnetPlan] = []
    for sid in sorted(subnet_ids, key=lambda s: (cidr_of(s)[1], s)):
        cidr, zone, usable = cidr_of(sid)
        empty = SubnetUse(0, 0, 0, 0, other.get(sid, 0), usable - other.get(sid, 0))
        u_now, u_after = now.get(sid, empty), after.get(sid, empty)
        risk = None
        if p.settings.enable_prefix_delegation:
            risk = _prefix_risk(cidr, u_after)
        subnet_plans.append(
            SubnetPlan(sid, cidr, zone, usable, u_now, u_after, runs_out.get(sid), risk)
        )

    first_out: str | None = None
    if order:
        sid = order[0]
        sp = next(s for s in subnet_plans if s.subnet_id == sid)
        first_out = (
            f"{sid} ({sp.zone}, {sp.cidr}) runs out first: {sp.now.free} address(es) free now, "
            f"{sp.after.free} after the scenario; it runs out at {runs_out[sid]}"
        )
    if p.unknown_types:
        p.notes.append(
            "instance type(s) not in the table, counted as "
            f"{DEFAULT_INSTANCE_TYPE}: {', '.join(sorted(p.unknown_types))}"
        )
    if not platform.aws.subnets:
        p.notes.append("no AWS subnets in the input: one default subnet 198.18.0.0/16 assumed")
    return Plan(
        scenario,
        tuple(subnet_plans),
        tuple(node_plans),
        first_out,
        tuple(dict.fromkeys(p.notes)),
        zone_loss,
    )


class _ZoneLoss:
    """Replays the loss of a zone on the nodes after the rest of the scenario.

    ``free_after`` (free addresses per subnet) is kept current node by node and
    pod by pod, so the first event that takes a subnet below zero is recorded in
    ``runs_out``/``order`` as the scaling scenario does.
    """

    def __init__(
        self,
        p: _Planner,
        zone: str,
        *,
        cidr_of: Callable[[str], tuple[str, str, int]],
        free_after: dict[str, int],
        runs_out: dict[str, str],
        order: list[str],
    ) -> None:
        self.p = p
        self.zone = zone
        self.cidr_of = cidr_of
        self.free = free_after
        self.runs_out = runs_out
        self.order = order
        self.cap_cache: dict[tuple[str, int], int] = {}

    def charge(self, node: _Node, sign: int, event: str) -> None:
        """Take (sign 1) or give back (sign -1) the addresses the node holds."""
        pods, warm, primaries, node_subnet = self.p.holdings(node)
        for sid in (node.pod_subnet, node.subnet):
            if sid not in self.free:
                self.free[sid] = self.cidr_of(sid)[2]
        was = {sid: self.free[sid] for sid in (node.pod_subnet, node.subnet)}
        self.free[node.pod_subnet] -= sign * (pods + warm + primaries)
        if node.subnet != node.pod_subnet:
            self.free[node.subnet] -= sign * node_subnet
        if sign > 0:
            # a subnet already short before this event ran out earlier
            for touched in (node.pod_subnet, node.subnet):
                if self.free[touched] < 0 <= was[touched] and touched not in self.runs_out:
                    self.runs_out[touched] = event
                    self.order.append(touched)

    def cap(self, node: _Node) -> int:
        """Pods needing an address the node takes: the CNI's max pods less the two
        host-network pods it counts, and the kubelet's max pods."""
        key = (node.limits.instance_type, node.kubelet)
        if key not in self.cap_cache:
            s = self.p.settings
            cni = max_pods(
                node.limits,
                prefix_delegation=s.enable_prefix_delegation,
                custom_networking=s.custom_network,
                security_groups_for_pods=s.enable_pod_eni,
                max_eni=s.max_eni,
            ).max_pods
            self.cap_cache[key] = max(min(cni - 2, node.kubelet), 0)
        return self.cap_cache[key]

    def run(
        self, now_nodes: Sequence[_Node], nodes: list[_Node], subnet_ids: dict[str, None]
    ) -> ZoneLoss:
        p, zone = self.p, self.zone
        zones = sorted({n.zone for n in now_nodes})
        if zone not in zones:
            raise ConfigError(
                f"--lose-az {zone}: no node of the platform is in that zone "
                f"(zones: {', '.join(zones) or 'none'})"
            )
        lost = sorted((n for n in nodes if n.zone == zone), key=lambda n: n.name)
        before: dict[str | None, int] = {}
        for n in nodes:
            before[n.group] = before.get(n.group, 0) + 1
        for n in lost:
            nodes.remove(n)
            self.charge(n, -1, "")
        pending = sum(n.pods for n in lost)
        p.notes.extend(
            (
                f"{zone} lost: its {len(lost)} node(s) are gone with their addresses; their "
                f"{pending} pod(s) needing an address are rescheduled",
                "each node group that lost nodes launches as many replacements as it lost "
                "(EC2 Auto Scaling restores its size in the unaffected zones, each in the "
                "subnet with the fewest of the group's nodes), never above its max size, "
                "with the group's first instance type",
                "rescheduled pods go to the node matching their nodeSelector with the most "
                "room left, up to its max pods (CNI and kubelet); affinity, taints, "
                "topology spread, CPU and memory are not considered",
                "pods that still do not fit make node groups scale out up to their max "
                "size, the groups that lost nodes first, then the others by name (an "
                "autoscaler such as Cluster Autoscaler is assumed); the rest stay Pending",
            )
        )

        # each group restores its size in its other zones, never above its max size
        groups: list[GroupLoss] = []
        left_subnets: dict[str, list[str]] = {}
        by_group: dict[str | None, list[_Node]] = {}
        for n in lost:
            by_group.setdefault(n.group, []).append(n)
        for name in sorted(by_group, key=lambda g: g or ""):
            gone = len(by_group[name])
            group = p.group(name)
            if name is None or group is None:
                groups.append(
                    GroupLoss(
                        name or "-",
                        gone,
                        0,
                        0,
                        None,
                        (),
                        "not in a known node group: nothing replaces the node(s)",
                    )
                )
                continue
            unknown = [sid for sid in group.subnet_ids if sid not in p.subnets]
            left = [
                sid
                for sid in group.subnet_ids
                if sid in p.subnets and p.subnets[sid].availability_zone != zone
            ]
            left_subnets[name] = left
            survivors = before[name] - gone
            target = min(before[name], group.scaling.max)
            wanted = max(target - survivors, 0)
            note = ""
            if not left:
                note = f"every subnet of the group is in {zone}: nothing is launched"
                wanted = 0
            elif wanted < gone:
                note = (
                    f"at its max size ({group.scaling.max}) with {survivors} node(s) left: "
                    f"{wanted} of {gone} replaced"
                )
            if unknown:
                p.notes.append(
                    f"node group {name}: subnet(s) {', '.join(unknown)} not in the input "
                    "are left out of its replacements"
                )
            launched = self.launch(
                group,
                name,
                left,
                count=wanted,
                nodes=nodes,
                subnet_ids=subnet_ids,
                kind="replacement",
            )
            groups.append(GroupLoss(name, gone, launched, 0, group.scaling.max, tuple(left), note))

        # the pods to reschedule, by nodeSelector; the most constrained first
        todo: dict[_Selector, int] = {}
        for n in lost:
            for sel, count in n.selectors.items():
                todo[sel] = todo.get(sel, 0) + count
            unknown_pods = n.pods - sum(n.selectors.values())
            if unknown_pods > 0:
                todo[_ANY] = todo.get(_ANY, 0) + unknown_pods
        classes = sorted(todo, key=lambda sel: (-len(sel), sorted(sel)))

        # node groups scale out for what did not fit, up to their max size: first
        # the groups that lost nodes, then the cluster's other groups, by name
        others = [
            ng
            for ng in sorted(p.cluster.node_groups if p.cluster else (), key=lambda ng: ng.name)
            if ng.name not in by_group
        ]
        for ng in others:
            left_subnets[ng.name] = [
                sid
                for sid in ng.subnet_ids
                if sid in p.subnets and p.subnets[sid].availability_zone != zone
            ]
        candidates = [*(gl.name for gl in groups), *(ng.name for ng in others)]
        more: dict[str, int] = {}
        placed = rest = 0
        for sel in classes:
            wanted = todo[sel]
            done = self.place(nodes, wanted, placed, sel)
            placed += done
            for name in candidates:
                group = p.group(name)
                if done >= wanted or group is None or not left_subnets.get(name):
                    continue
                template = self.new_node(group, name, left_subnets[name][0], "")
                if not _matches(template.labels, sel):
                    continue
                members = sum(1 for n in nodes if n.group == name)
                room = max(group.scaling.max - members, 0)
                per_node = self.cap(template)
                count = min(room, math.ceil((wanted - done) / per_node)) if per_node else 0
                more[name] = more.get(name, 0) + self.launch(
                    group,
                    name,
                    left_subnets[name],
                    count=count,
                    nodes=nodes,
                    subnet_ids=subnet_ids,
                    kind="more",
                )
                now = self.place(nodes, wanted - done, placed, sel)
                done += now
                placed += now
            rest += wanted - done
            if wanted > done and sel:
                selector = ", ".join(f"{k}={v}" for k, v in sorted(sel))
                p.notes.append(
                    f"{wanted - done} rescheduled pod(s) with nodeSelector {selector} find no "
                    "node with room left"
                )
        for i, gl in enumerate(groups):
            group = p.group(gl.name)
            note = gl.note
            members = sum(1 for n in nodes if n.group == gl.name)
            if rest > 0 and not note and group is not None and members >= group.scaling.max:
                note = f"reaches its max size ({group.scaling.max}) with pods still to place"
            groups[i] = GroupLoss(
                gl.name, gl.lost, gl.replaced, more.pop(gl.name, 0), gl.max_size,
                gl.subnets_left, note,
            )  # fmt: skip
        for name, got in sorted(more.items()):
            if got:
                group = p.group(name)
                assert group is not None
                groups.append(
                    GroupLoss(name, 0, 0, got, group.scaling.max, tuple(left_subnets[name]), "")
                )
        if rest > 0:
            p.notes.append(
                f"{rest} pod(s) of the lost nodes find no node with room left: they stay Pending"
            )
        return ZoneLoss(zone, tuple(n.name for n in lost), tuple(groups), pending, placed, rest)

    def new_node(self, group: NodeGroup, name: str, sid: str, label: str) -> _Node:
        p = self.p
        limits = p.limits(group.instance_types[0] if group.instance_types else None)
        zone = self.cidr_of(sid)[1]
        return _Node(
            label,
            name,
            limits,
            zone,
            sid,
            p.pod_subnet_for(sid, zone if p.settings.custom_network else None),
            0,
            p.kubelet_max_pods(group, limits),
            None,
            added=True,
            labels=p.template_labels(group, name, zone, limits.instance_type),
        )

    def launch(
        self,
        group: NodeGroup,
        name: str,
        left: list[str],
        *,
        count: int,
        nodes: list[_Node],
        subnet_ids: dict[str, None],
        kind: str,
    ) -> int:
        """Launch ``count`` nodes, each in the subnet with the fewest of the group's nodes."""
        if not left or count <= 0:
            return 0
        per = {sid: sum(1 for n in nodes if n.group == name and n.subnet == sid) for sid in left}
        done = sum(1 for n in nodes if n.name.startswith(f"{name}-{kind}-"))
        for i in range(count):
            sid = min(left, key=lambda s: (per[s], left.index(s)))
            per[sid] += 1
            node = self.new_node(group, name, sid, f"{name}-{kind}-{done + i + 1}")
            nodes.append(node)
            what = "replacement" if kind == "replacement" else "extra node for rescheduled pods"
            self.charge(
                node, 1, f"{what} {i + 1} of {count} in node group {name} after losing {self.zone}"
            )
            node.starved = self.free[node.pod_subnet] < 0 or self.free[node.subnet] < 0
            subnet_ids.setdefault(node.pod_subnet, None)
            subnet_ids.setdefault(node.subnet, None)
        return count

    def place(self, nodes: list[_Node], count: int, offset: int, selector: _Selector) -> int:
        """Put up to ``count`` pods with ``selector`` on the matching nodes with the most
        room; how many found one."""
        if count <= 0:
            return 0
        heap = [
            (-(self.cap(n) - n.pods), n.name, i)
            for i, n in enumerate(nodes)
            if _matches(n.labels, selector)
        ]
        heap = [h for h in heap if h[0] < 0]
        heapq.heapify(heap)
        done = 0
        while done < count and heap:
            room, _, i = heapq.heappop(heap)
            node = nodes[i]
            self.charge(node, -1, "")
            node.pods += 1
            node.selectors[selector] = node.selectors.get(selector, 0) + 1
            node.measured = None  # the ENI data no longer describes it
            done += 1
            self.charge(
                node,
                1,
                f"rescheduled pod {offset + done} (onto {node.name}) after losing {self.zone}",
            )
            if room + 1 < 0:
                heapq.heappush(heap, (room + 1, node.name, i))
        return done


def _prefix_risk(cidr: str, u: SubnetUse) -> str | None:
    """Prefix delegation needs free, aligned /28s: scattered single addresses spoil them."""
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    blocks = net.num_addresses // IPS_PER_PREFIX
    # the first /28 holds the four reserved addresses at the start, the last the broadcast
    blocks = max(blocks - 2, 0) if net.num_addresses >= 2 * IPS_PER_PREFIX else 0
    singles = u.eni_primaries + u.other
    held_blocks = math.ceil((u.pods + u.warm) / IPS_PER_PREFIX)
    worst = max(blocks - held_blocks - singles, 0)
    best = max(u.free, 0) // IPS_PER_PREFIX
    if singles and worst < best:
        return (
            f"{best} free aligned /28 block(s) at best, {worst} if the {singles} single "
            "address(es) (ENI primaries, other) are scattered; a fragmented subnet fails "
            "with InsufficientCidrBlocks while single addresses are free"
        )
    return None
