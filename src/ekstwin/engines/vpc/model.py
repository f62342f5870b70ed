"""The compiled VPC model: where every endpoint sits, and the AWS layers of a flow.

``VpcModel.build(platform)`` indexes the AWS state once (security groups and
their rules, prefix lists, network ACLs, route tables, ENIs by address, nodes'
primary ENIs, ENIConfigs, SecurityGroupPolicies). Endpoints that AWS cannot
tell apart share their judgements: a security group, ACL or route answer is
cached by what it depends on (the groups, the subnet, the peer's groups and
the peer address's membership in every CIDR the rules name), never per pod
pair. See docs/net.md (the AWS layer) for every choice made here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from ekstwin.engines.ipam.topology import EniConfig, eni_config_name, eni_configs
from ekstwin.engines.net.enforcement import Enforcement, platform_enforcement
from ekstwin.engines.vpc.endpoints import AwsEndpoint, AwsEndpointKind, Placement
from ekstwin.engines.vpc.layers import AWS_LAYERS, Layer, LayerVerdict
from ekstwin.engines.vpc.rules import (
    PROTOCOL_NUMBERS,
    AclJudgement,
    CompiledTable,
    PrefixRanges,
    cidr_range,
    compile_prefix_list,
    compile_table,
    flow_text,
    ip_int,
    ip_text,
    judge_acl,
    ports_match,
    rule_text,
)
from ekstwin.errors import EkstwinError, ModelError
from ekstwin.model.aws import (
    EksCluster,
    Instance,
    NetworkInterface,
    RouteTargetKind,
    VpcCniSettings,
)
from ekstwin.model.k8s import Node, Pod
from ekstwin.model.platform import Platform
from ekstwin.model.source import Source
from ekstwin.model.vpc import ICMP, NetworkAcl, NetworkAclEntry, SecurityGroupRule

log = logging.getLogger(__name__)

#: Linux's default ip_local_port_range: the source ports of pods and nodes.
LINUX_EPHEMERAL = (32768, 60999)
#: The range AWS documents for replies to AWS services, load balancers, NAT
#: gateways and clients on the internet (and iptables' --random-fully SNAT).
AWS_EPHEMERAL = (1024, 65535)
#: What ``internet`` stands for (TEST-NET-3, as the net engine).
INTERNET_ADDRESS = "203.0.113.1"

NOT_JUDGED = "not judged: the input has no security groups or network ACLs (no VPC network data)"


class VpcQueryError(EkstwinError, ValueError):
    """A query names an AWS endpoint the input does not have."""


@dataclass(frozen=True, slots=True)
class NodePlace:
    """A node's primary ENI: address, subnet, security groups, public address."""

    name: str
    address: str | None
    subnet_id: str | None
    group_ids: tuple[str, ...] | None
    vpc_id: str | None
    eni_id: str | None
    public_address: str | None
    instance: Instance | None
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Match:
    """A security group judgement before it is worded for one flow."""

    allowed: bool | None
    group_id: str | None = None
    index: int = 0
    rule: SecurityGroupRule | None = None
    reason: str = ""


_Peer = tuple[object, ...]
_MISSING = object()
#: One boundary on the way: an ACL to walk (subnet, egress, peer, text prefix)
#: or a fixed answer (allowed, why).
_Step = tuple[str, bool, AwsEndpoint, str] | tuple[bool | None, str]


def renamed(layers: tuple[LayerVerdict, ...], names: dict[str, str]) -> tuple[LayerVerdict, ...]:
    """Layers judged for one endpoint of a class, worded for another of it."""
    names = {old: new for old, new in names.items() if old != new}
    if not names:
        return layers
    pattern = re.compile("|".join(rf"(?<![\w/.-]){re.escape(old)}(?![\w/.-])" for old in names))
    return tuple(
        replace(v, decided_by=pattern.sub(lambda m: names[m.group(0)], v.decided_by))
        for v in layers
    )


class VpcModel:
    """One platform's AWS network, compiled for judging flows."""

    def __init__(
        self,
        platform: Platform,
        *,
        pod_ips: Mapping[str, str] | None = None,
        pod_nodes: Mapping[str, str] | None = None,
    ) -> None:
        self.platform = platform
        aws = platform.aws
        self.aws = aws
        self.has_vpc_data = bool(aws.security_groups or aws.network_acls)
        self.cluster: EksCluster | None = platform.eks_cluster()
        self.settings: VpcCniSettings = (
            self.cluster.vpc_cni if self.cluster is not None else VpcCniSettings()
        )
        self.strict = self.settings.pod_security_group_enforcing_mode != "standard"
        #: the NetworkPolicy enforcer: Calico does not manage strict-mode branch pods
        self.enforcement: Enforcement = platform_enforcement(platform)
        self.random_snat = self.settings.randomize_snat != "none"
        self.exclude_snat = tuple(
            r for r in (cidr_range(c) for c in self.settings.exclude_snat_cidrs) if r is not None
        )
        self.pod_ips = dict(pod_ips or {})
        self.pod_nodes = dict(pod_nodes or {})
        # subnets and VPCs
        self.subnets = {s.subnet_id: s for s in aws.subnets}
        self._subnet_ranges: dict[int, dict[int, str]] = {}
        for s in aws.subnets:
            rng = cidr_range(s.cidr)
            if rng is None:
                continue
            self._subnet_ranges.setdefault(rng[2], {}).setdefault(
                rng[0] >> (32 - rng[2]), s.subnet_id
            )
        self.vpc_ranges: dict[str, tuple[tuple[int, int, int], ...]] = {}
        for v in aws.vpcs:
            self.vpc_ranges[v.vpc_id] = tuple(
                r for r in (cidr_range(c) for c in v.cidr_blocks) if r is not None
            )
        self.peerings: dict[frozenset[str], str] = {}
        self.peering_by_id = {p.peering_connection_id: p for p in aws.vpc_peering_connections}
        for p in aws.vpc_peering_connections:
            if p.status == "active":
                self.peerings[frozenset((p.requester_vpc_id, p.accepter_vpc_id))] = (
                    p.peering_connection_id
                )
        # ENIs by address and id
        self.eni_by_address: dict[int, tuple[NetworkInterface, Instance | None]] = {}
        self.eni_by_prefix: dict[int, tuple[NetworkInterface, Instance | None]] = {}
        self.eni_by_id: dict[str, tuple[NetworkInterface, Instance | None]] = {}
        for inst in aws.instances:
            for eni in inst.network_interfaces:
                self._index_eni(eni, inst)
        for eni in aws.network_interfaces:
            self._index_eni(eni, None)
        self.nat_by_id = {n.nat_gateway_id: n for n in aws.nat_gateways}
        # Kubernetes side
        self.nodes = {n.name: n for n in platform.nodes}
        self.eni_configs: dict[str, EniConfig] = eni_configs(platform)
        self.sgps: dict[str, list[object]] = {}
        for sgp in platform.security_group_policies:
            self.sgps.setdefault(sgp.namespace, []).append(sgp)
        self.sa_labels: dict[tuple[str, str], dict[str, str]] = {
            (sa.meta.ns, sa.meta.name): dict(sa.meta.labels) for sa in platform.service_accounts
        }
        # CIDRs any rule names, for the classes of addresses
        cidrs: set[tuple[int, int, int]] = set()
        for g in aws.security_groups:
            for r in (*g.ingress, *g.egress):
                if r.cidr:
                    rng = cidr_range(r.cidr)
                    if rng is not None:
                        cidrs.add(rng)
        for pl in aws.prefix_lists:
            for e in pl.entries:
                rng = cidr_range(e)
                if rng is not None:
                    cidrs.add(rng)
        for acl in aws.network_acls:
            for entry in acl.entries:
                rng = cidr_range(entry.cidr)
                if rng is not None:
                    cidrs.add(rng)
        self._cidrs = sorted(cidrs, key=lambda r: (r[2], r[0]))
        # caches
        self._lists: dict[str, PrefixRanges] = {}
        self._tables: dict[str, CompiledTable | None] = {}
        self._acls: dict[str, NetworkAcl | None] = {}
        self._acl_entries: dict[tuple[str, bool], tuple[NetworkAclEntry, ...]] = {}
        self._node_places: dict[str, NodePlace] = {}
        self._pod_places: dict[str, AwsEndpoint] = {}
        self._partial: dict[str, tuple[tuple[int, int, int], ...]] = {}
        self._sg_cache: dict[tuple[object, ...], _Match] = {}
        self._acl_cache: dict[tuple[object, ...], AclJudgement | None] = {}
        self._layers_cache: dict[tuple[object, ...], tuple[tuple[LayerVerdict, ...], str, str]] = {}
        self._address_classes: dict[tuple[str | None, str | None], object] = {}
        self._cidr_ranges: dict[str, object] = {}
        self._ip_ints: dict[str | None, object] = {}
        self._allowed_cache: dict[tuple[object, ...], object] = {}
        self._route_cache: dict[
            tuple[object, ...], tuple[bool | None, tuple[str, str | None] | None]
        ] = {}

    @classmethod
    def build(cls, platform: Platform) -> VpcModel:
        """Compile ``platform``'s AWS network, with every pod's address and node
        from the ipam engine (given addresses kept, missing ones assigned)."""
        pod_ips: dict[str, str] = {}
        pod_nodes: dict[str, str] = {}
        if platform.aws.security_groups or platform.aws.network_acls:
            try:
                from ekstwin.engines.ipam.addresses import pod_addressing

                got = pod_addressing(platform)
                pod_ips, pod_nodes = dict(got.pod_ips), dict(got.pod_nodes)
            except ModelError as exc:
                log.debug("pod addressing failed (%s); using the input's addresses", exc)
        for p in platform.pods:
            if p.ip and p.key not in pod_ips:
                pod_ips[p.key] = p.ip
            if p.spec.node_name and p.key not in pod_nodes:
                pod_nodes[p.key] = p.spec.node_name
        return cls(platform, pod_ips=pod_ips, pod_nodes=pod_nodes)

    # -- indexes ---------------------------------------------------------

    def _index_eni(self, eni: NetworkInterface, inst: Instance | None) -> None:
        self.eni_by_id.setdefault(eni.eni_id, (eni, inst))
        for text in (eni.primary_ip, *eni.secondary_ips):
            n = ip_int(text)
            if n is not None:
                self.eni_by_address.setdefault(n, (eni, inst))
        for prefix in eni.prefixes:
            rng = cidr_range(prefix)
            if rng is not None and rng[2] == 28:
                self.eni_by_prefix.setdefault(rng[0], (eni, inst))

    def ip(self, text: str | None) -> int | None:
        """:func:`ip_int`, parsed once per text."""
        got = self._ip_ints.get(text, _MISSING)
        if got is _MISSING:
            got = self._ip_ints[text] = ip_int(text)
        return got  # type: ignore[return-value]

    def cidr(self, text: str) -> tuple[int, int, int] | None:
        """:func:`cidr_range`, parsed once per text."""
        got = self._cidr_ranges.get(text, _MISSING)
        if got is _MISSING:
            got = self._cidr_ranges[text] = cidr_range(text)
        return got  # type: ignore[return-value]

    def eni_holding(self, address: int) -> tuple[NetworkInterface, Instance | None] | None:
        got = self.eni_by_address.get(address)
        if got is None:
            got = self.eni_by_prefix.get(address & ~15)
        return got

    def subnet_of_address(self, address: int | None) -> str | None:
        if address is None:
            return None
        for plen in sorted(self._subnet_ranges, reverse=True):
            got = self._subnet_ranges[plen].get(address >> (32 - plen))
            if got is not None:
                return got
        return None

    def vpc_of_subnet(self, subnet_id: str | None) -> str | None:
        s = self.subnets.get(subnet_id or "")
        return None if s is None else s.vpc_id

    def in_vpc(self, vpc_id: str | None, address: int) -> bool:
        return any(lo <= address <= hi for lo, hi, _ in self.vpc_ranges.get(vpc_id or "", ()))

    def in_any_vpc(self, address: int) -> bool:
        return any(self.in_vpc(v, address) for v in self.vpc_ranges) or (
            self.subnet_of_address(address) is not None
        )

    def prefix_list(self, pl_id: str) -> PrefixRanges:
        got = self._lists.get(pl_id)
        if got is None:
            got = self._lists[pl_id] = compile_prefix_list(self.aws.prefix_list(pl_id), pl_id)
        return got

    def route_table(self, subnet_id: str) -> CompiledTable | None:
        if subnet_id not in self._tables:
            table = self.aws.route_table_for_subnet(subnet_id)
            lists = {
                r.destination: self.prefix_list(r.destination)
                for r in (table.routes if table is not None else ())
                if r.to_prefix_list
            }
            self._tables[subnet_id] = None if table is None else compile_table(table, lists)
        return self._tables[subnet_id]

    def network_acl(self, subnet_id: str) -> NetworkAcl | None:
        if subnet_id not in self._acls:
            self._acls[subnet_id] = self.aws.network_acl_for_subnet(subnet_id)
        return self._acls[subnet_id]

    def entries(self, acl: NetworkAcl, egress: bool) -> tuple[NetworkAclEntry, ...]:
        key = (acl.network_acl_id, egress)
        got = self._acl_entries.get(key)
        if got is None:
            got = self._acl_entries[key] = acl.ordered(egress=egress)
        return got

    def s3_prefix_list(self) -> str | None:
        """The S3 prefix list: a gateway endpoint's route, else the list named
        ``com.amazonaws.REGION.s3``."""
        for pl in self.aws.prefix_lists:
            if (pl.name or "").endswith(".s3"):
                return pl.prefix_list_id
        for table in self.aws.route_tables:
            for r in table.routes:
                if r.to_prefix_list and (r.gateway_id or "").startswith("vpce-"):
                    vpce = next(
                        (e for e in self.aws.vpc_endpoints if e.vpc_endpoint_id == r.gateway_id),
                        None,
                    )
                    if vpce is not None and vpce.service == "s3":
                        return r.destination
        return None

    # -- placement -------------------------------------------------------

    def node_place(self, name: str) -> NodePlace:
        got = self._node_places.get(name)
        if got is not None:
            return got
        node = self.nodes.get(name)
        inst = self._instance(node, name)
        evidence: list[str] = []
        address = node.internal_ip if node is not None else None
        subnet_id: str | None = None
        groups: tuple[str, ...] | None = None
        eni_id: str | None = None
        public: str | None = None
        if inst is not None:
            primary = next((e for e in inst.network_interfaces if e.device_index == 0), None)
            address = address or inst.private_ip or (primary.primary_ip if primary else None)
            subnet_id = inst.interface_subnet(primary) if primary is not None else inst.subnet_id
            public = inst.public_ip
            if primary is not None and primary.security_group_ids:
                groups = primary.security_group_ids
                eni_id = primary.eni_id
                evidence.append(f"node {name}: primary ENI {primary.eni_id} of {inst.instance_id}")
            elif inst.security_group_ids:
                groups = inst.security_group_ids
                evidence.append(f"node {name}: instance {inst.instance_id}'s security groups")
            else:
                evidence.append(f"node {name}: instance {inst.instance_id} lists no security group")
        else:
            evidence.append(f"node {name}: no EC2 instance record in the input")
            subnet_id = self.subnet_of_address(ip_int(address))
        got = NodePlace(
            name, address, subnet_id, groups, self.vpc_of_subnet(subnet_id), eni_id, public,
            inst, tuple(evidence),
        )  # fmt: skip
        self._node_places[name] = got
        return got

    def _instance(self, node: Node | None, name: str) -> Instance | None:
        if node is not None and node.instance_id:
            inst = self.aws.instance(node.instance_id)
            if inst is not None:
                return inst
        return self.aws.instance_for_node(name)

    def node_endpoint(self, name: str, *, kind: AwsEndpointKind = AwsEndpointKind.NODE,
                      label: str | None = None) -> AwsEndpoint:  # fmt: skip
        place = self.node_place(name)
        return AwsEndpoint(
            kind, label or f"node/{name}", place.address, place.subnet_id, place.group_ids,
            Placement.HOST, False, place.evidence, place.vpc_id, name, place.eni_id,
            place.public_address,
        )  # fmt: skip

    def sgp_groups(self, pod: Pod) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
        """The SecurityGroupPolicy groups of a pod (the VPC resource controller's
        filterPodSecurityGroups): every policy of its namespace with a group list
        whose set selectors all match, groups in order without repeats; None when
        a service-account selector needs the ServiceAccount the input lacks."""
        groups: list[str] = []
        names: list[str] = []
        unknown = False
        for sgp in self.sgps.get(pod.namespace, ()):
            from ekstwin.model.vpc import SecurityGroupPolicy

            assert isinstance(sgp, SecurityGroupPolicy)
            if not sgp.group_ids or (
                sgp.pod_selector is None and sgp.service_account_selector is None
            ):
                continue
            if sgp.pod_selector is not None and not sgp.pod_selector.matches(pod.labels):
                continue
            if sgp.service_account_selector is not None:
                sa = self.sa_labels.get((pod.namespace, pod.spec.service_account or "default"))
                if sa is None:
                    unknown = True
                    names.append(f"{sgp.namespace}/{sgp.name} (service account not in the input)")
                    continue
                if not sgp.service_account_selector.matches(sa):
                    continue
            names.append(f"{sgp.namespace}/{sgp.name}")
            groups.extend(g for g in sgp.group_ids if g not in groups)
        if unknown and not groups:
            return None, tuple(names)
        return tuple(groups), tuple(names)

    def place_pod(self, pod: Pod) -> AwsEndpoint:
        got = self._pod_places.get(pod.key)
        if got is None:
            got = self._pod_places[pod.key] = self._place_pod(pod)
        return got

    def _place_pod(self, pod: Pod) -> AwsEndpoint:
        node_name = self.pod_nodes.get(pod.key) or pod.spec.node_name
        address = self.pod_ips.get(pod.key) or pod.ip
        if pod.spec.host_network:
            if node_name is None:
                return AwsEndpoint(
                    AwsEndpointKind.HOST_NETWORK_POD, pod.key, address, None, None,
                    Placement.UNKNOWN, evidence=("hostNetwork pod on an unknown node",),
                    source=pod.meta.source,
                )  # fmt: skip
            ep = self.node_endpoint(node_name, kind=AwsEndpointKind.HOST_NETWORK_POD, label=pod.key)
            return replace(
                ep, evidence=("hostNetwork: the node's own address", *ep.evidence),
                source=pod.meta.source,
            )  # fmt: skip
        if node_name is None:
            return AwsEndpoint(
                AwsEndpointKind.POD, pod.key, address, self.subnet_of_address(ip_int(address)),
                None, Placement.UNKNOWN, evidence=("the pod's node is unknown",),
                source=pod.meta.source,
            )  # fmt: skip
        node = self.node_place(node_name)
        settings = self.settings
        if settings.enable_pod_eni:
            groups, names = self.sgp_groups(pod)
            if groups is None or groups:
                why = f"SecurityGroupPolicy {', '.join(names)}: a branch ENI on the trunk ENI"
                mode = "strict" if self.strict else "standard"
                return AwsEndpoint(
                    AwsEndpointKind.POD, pod.key, address, node.subnet_id, groups,
                    Placement.BRANCH_ENI, snat=not self.strict and not settings.external_snat,
                    evidence=(why, f"POD_SECURITY_GROUP_ENFORCING_MODE={mode}"),
                    vpc_id=node.vpc_id, node=node_name, source=pod.meta.source,
                )  # fmt: skip
        n = ip_int(address)
        held = self.eni_holding(n) if n is not None else None
        snat = not settings.external_snat
        if held is not None:
            eni, inst = held
            subnet_id = eni.subnet_id or (inst.subnet_id if inst is not None else None)
            groups_on = eni.security_group_ids or None
            placement = (
                Placement.CUSTOM_NETWORKING if settings.custom_network else Placement.NODE_ENI
            )
            return AwsEndpoint(
                AwsEndpointKind.POD, pod.key, address, subnet_id, groups_on, placement, snat,
                (f"address on {eni.eni_id} (device {eni.device_index}) of node {node_name}",),
                self.vpc_of_subnet(subnet_id) or node.vpc_id, node_name, eni.eni_id,
                source=pod.meta.source,
            )  # fmt: skip
        if settings.custom_network:
            node_obj = self.nodes.get(node_name)
            config_name = eni_config_name(node_obj, settings) if node_obj is not None else "default"
            config = self.eni_configs.get(config_name)
            if config is None:
                return AwsEndpoint(
                    AwsEndpointKind.POD, pod.key, address, self.subnet_of_address(n), None,
                    Placement.CUSTOM_NETWORKING, snat,
                    (f"custom networking: ENIConfig {config_name!r} is not in the input",),
                    node.vpc_id, node_name, source=pod.meta.source,
                )  # fmt: skip
            groups_cfg = config.security_groups or node.group_ids
            why = f"custom networking: ENIConfig {config.name} (subnet {config.subnet_id}, " + (
                f"groups {', '.join(config.security_groups)})"
                if config.security_groups
                else "no groups: the node's primary ENI groups)"
            )
            subnet_id = config.subnet_id or self.subnet_of_address(n)
            return AwsEndpoint(
                AwsEndpointKind.POD, pod.key, address, subnet_id, groups_cfg,
                Placement.CUSTOM_NETWORKING, snat, (why,),
                self.vpc_of_subnet(subnet_id) or node.vpc_id, node_name, source=pod.meta.source,
            )  # fmt: skip
        subnet_id = self.subnet_of_address(n) or node.subnet_id
        return AwsEndpoint(
            AwsEndpointKind.POD, pod.key, address, subnet_id, node.group_ids, Placement.NODE_ENI,
            snat,
            (
                f"on node {node_name}'s ENIs: every ENI the VPC CNI attaches carries the "
                "primary ENI's security groups",
                *node.evidence,
            ),
            self.vpc_of_subnet(subnet_id) or node.vpc_id, node_name, source=pod.meta.source,
        )  # fmt: skip

    def interface_endpoint(  # noqa: PLR0917 (the fields of one endpoint)
        self,
        kind: AwsEndpointKind,
        name: str,
        eni_id: str | None,
        subnet_id: str | None,
        address: str | None,
        groups: tuple[str, ...] | None,
        ports: tuple[int, ...] = (),
        source: Source | None = None,
        why: str = "",
    ) -> AwsEndpoint:
        held = self.eni_by_id.get(eni_id or "")
        if held is not None:
            eni = held[0]
            subnet_id = subnet_id or eni.subnet_id
            address = address or eni.primary_ip
            groups = groups or eni.security_group_ids or None
        if subnet_id is None:
            subnet_id = self.subnet_of_address(ip_int(address))
        evidence = (why,) if why else ()
        return AwsEndpoint(
            kind, name, address, subnet_id, groups, Placement.INTERFACE, False, evidence,
            self.vpc_of_subnet(subnet_id), None, eni_id, None, True, None, ports, source,
        )  # fmt: skip

    def address_endpoint(self, text: str, name: str | None = None) -> AwsEndpoint:
        n = ip_int(text)
        if n is None:
            raise VpcQueryError(f"{text!r} is not an IPv4 address")
        label = name or text
        for key, ip in self.pod_ips.items():
            if ip == text:
                pod = next((p for p in self.platform.pods if p.key == key), None)
                if pod is not None and not pod.spec.host_network:
                    return self.place_pod(pod)
        for node_name, node in self.nodes.items():
            if node.internal_ip == text:
                return self.node_endpoint(node_name)
        held = self.eni_holding(n)
        if held is not None:
            eni, inst = held
            if inst is not None and eni.device_index == 0 and eni.primary_ip == text:
                owner = inst.node_name or inst.private_dns_name
                if owner:
                    return self.node_endpoint(owner)
            return self.interface_endpoint(
                AwsEndpointKind.ENI, label, eni.eni_id, eni.subnet_id, text, None,
                why=f"address on {eni.eni_id}",
            )  # fmt: skip
        subnet = self.subnet_of_address(n)
        if subnet is not None:
            return AwsEndpoint(
                AwsEndpointKind.ADDRESS, label, text, subnet, None, Placement.UNKNOWN,
                evidence=(f"in {subnet}; no ENI in the input holds it",),
                vpc_id=self.vpc_of_subnet(subnet),
            )  # fmt: skip
        if self.in_any_vpc(n):
            return AwsEndpoint(
                AwsEndpointKind.ADDRESS, label, text, None, None, Placement.UNKNOWN,
                evidence=("in a VPC of the input, in no subnet of it",),
            )  # fmt: skip
        kind = AwsEndpointKind.INTERNET if name == "internet" else AwsEndpointKind.ADDRESS
        return AwsEndpoint(
            kind, label, text, None, (), Placement.OUTSIDE, has_groups=False,
            evidence=("outside every VPC of the input",),
        )  # fmt: skip

    # -- classes ---------------------------------------------------------

    def _partial_cidrs(self, subnet_id: str) -> tuple[tuple[int, int, int], ...]:
        got = self._partial.get(subnet_id)
        if got is None:
            s = self.subnets.get(subnet_id)
            rng = cidr_range(s.cidr) if s is not None else None
            if rng is None:
                got = ()
            else:
                lo, hi, plen = rng
                got = tuple(c for c in self._cidrs if c[2] > plen and lo <= c[0] and c[1] <= hi)
            self._partial[subnet_id] = got
        return got

    def address_class(self, ep: AwsEndpoint) -> object:
        """What rules can see of an endpoint's address: its subnet and its
        membership in the CIDRs narrower than the subnet that any rule names."""
        key = (ep.address, ep.subnet_id)
        got = self._address_classes.get(key, _MISSING)
        if got is not _MISSING:
            return got
        n = self.ip(ep.address)
        if n is None:
            got = None
        elif ep.subnet_id is None:
            got = n
        else:
            inside = self._partial_cidrs(ep.subnet_id)
            got = (ep.subnet_id, tuple(i for i, c in enumerate(inside) if c[0] <= n <= c[1]))
        self._address_classes[key] = got
        return got

    def class_key(self, ep: AwsEndpoint) -> tuple[object, ...]:
        """Endpoints with one key get the same AWS judgements, whatever their peer."""
        return (
            ep.kind
            in (AwsEndpointKind.POD, AwsEndpointKind.NODE, AwsEndpointKind.HOST_NETWORK_POD),
            ep.kind is AwsEndpointKind.S3,
            self.address_class(ep),
            ep.subnet_id,
            ep.group_ids,
            ep.has_groups,
            ep.vpc_id,
            ep.placement,
            ep.snat,
            ep.public_address is not None,
            ep.prefix_list_id,
            ep.address is None,
        )

    # -- security groups -------------------------------------------------

    def peer_key(self, peer: AwsEndpoint) -> _Peer:
        return (
            self.address_class(peer), peer.group_ids, peer.has_groups, peer.vpc_id,
            peer.prefix_list_id, peer.outside,
        )  # fmt: skip

    def rule_matches(
        self, rule: SecurityGroupRule, subject_vpc: str | None, peer: AwsEndpoint
    ) -> bool | None:
        if rule.group_id:
            if not peer.has_groups:
                return False
            if peer.group_ids is None:
                return None
            if rule.group_id not in peer.group_ids:
                return False
            # the referenced group's ENIs count in the rule's own VPC, or across
            # an active peering connection with it
            if peer.vpc_id is None or subject_vpc is None or peer.vpc_id == subject_vpc:
                return True
            return frozenset((peer.vpc_id, subject_vpc)) in self.peerings
        n = self.ip(peer.address)
        if rule.prefix_list_id:
            pl = self.prefix_list(rule.prefix_list_id)
            if peer.prefix_list_id is not None and peer.prefix_list_id == rule.prefix_list_id:
                return True
            if not pl.known:
                # an AWS managed list holds the service's public ranges: never a
                # private address of a VPC of the input; anything else unknown
                if n is not None and self.in_any_vpc(n):
                    return False
                return None
            if n is None:
                if peer.kind is AwsEndpointKind.S3 and peer.prefix_list_id:
                    other = self.prefix_list(peer.prefix_list_id)
                    if other.known and other.ranges:
                        return all(
                            any(a <= lo and hi <= b for a, b, _ in pl.ranges)
                            for lo, hi, _ in other.ranges
                        )
                return None
            return pl.contains(n)
        rng = self.cidr(rule.cidr or "")
        if rng is None:
            return False
        if rng[2] == 0:
            return True
        if n is not None:
            return rng[0] <= n <= rng[1]
        if peer.kind is AwsEndpointKind.S3 and peer.prefix_list_id:
            other = self.prefix_list(peer.prefix_list_id)
            if other.known and other.ranges:
                inside = [rng[0] <= lo and hi <= rng[1] for lo, hi, _ in other.ranges]
                if all(inside):
                    return True
                if not any(rng[0] <= hi and lo <= rng[1] for lo, hi, _ in other.ranges):
                    return False
        return None

    def _sg_match(  # noqa: PLR0917
        self,
        groups: tuple[str, ...],
        vpc: str | None,
        ingress: bool,
        protocol: str,
        port: int,
        peer: AwsEndpoint,
    ) -> _Match:
        key = (groups, vpc, ingress, protocol, port, self.peer_key(peer), peer.kind)
        got = self._sg_cache.get(key)
        if got is not None:
            return got
        unknown: _Match | None = None
        found: _Match | None = None
        for gid in groups:
            group = self.aws.security_group(gid)
            if group is None:
                unknown = unknown or _Match(None, gid, reason=f"{gid} is not in the input")
                continue
            rules = group.ingress if ingress else group.egress
            for i, rule in enumerate(rules):
                if not ports_match(rule.protocol, rule.from_port, rule.to_port, protocol, port):
                    continue
                hit = self.rule_matches(rule, group.vpc_id or vpc, peer)
                if hit:
                    found = _Match(True, gid, i, rule)
                    break
                if hit is None and unknown is None:
                    unknown = _Match(None, gid, i, rule, "unknown")
            if found is not None:
                break
        got = found or unknown or _Match(False)
        self._sg_cache[key] = got
        return got

    def sg_layer(
        self, layer: Layer, subject: AwsEndpoint, peer: AwsEndpoint, protocol: str, port: int
    ) -> LayerVerdict:
        ingress = layer is Layer.SECURITY_GROUP_INGRESS
        if not subject.has_groups:
            where = "destination" if ingress else "source"
            return LayerVerdict(layer, True, f"the {where} ({subject.name}) has no security group")
        if subject.group_ids is None:
            why = "; ".join(subject.evidence) or "no ENI record"
            return LayerVerdict(
                layer, None, f"the security groups of {subject.name} are unknown ({why})"
            )
        if not subject.group_ids:
            return LayerVerdict(layer, False, f"{subject.name}'s ENI has no security group")
        m = self._sg_match(subject.group_ids, subject.vpc_id, ingress, protocol, port, peer)
        direction = "ingress" if ingress else "egress"
        flow = flow_text(protocol, port)
        word = "from" if ingress else "to"
        on = f"{subject.name} ({', '.join(subject.group_ids)})"
        if m.allowed and m.rule is not None and m.group_id is not None:
            return LayerVerdict(
                layer, True,
                f"{rule_text(m.group_id, direction, m.index, m.rule)} allows {flow} "
                f"{word} {peer.name} on {on}",
                m.rule.source,
            )  # fmt: skip
        if m.allowed is None:
            if m.rule is not None and m.group_id is not None:
                return LayerVerdict(
                    layer, None,
                    f"{rule_text(m.group_id, direction, m.index, m.rule)} may match {peer.name}: "
                    f"{self._unknown_peer(m.rule, peer)}",
                    m.rule.source,
                )  # fmt: skip
            return LayerVerdict(layer, None, f"{m.reason}: its {direction} rules are unknown")
        return LayerVerdict(
            layer, False,
            f"no {direction} rule of {', '.join(subject.group_ids)} allows {flow} {word} "
            f"{peer.name} (a security group denies what no rule allows)",
            self._group_source(subject.group_ids[0]),
        )  # fmt: skip

    def _unknown_peer(self, rule: SecurityGroupRule, peer: AwsEndpoint) -> str:
        if rule.group_id:
            return f"the security groups of {peer.name} are unknown"
        if rule.prefix_list_id:
            pl = self.prefix_list(rule.prefix_list_id)
            if self.aws.prefix_list(rule.prefix_list_id) is None:
                return f"prefix list {rule.prefix_list_id} is not in the input"
            if not pl.known:
                return f"AWS managed prefix list {rule.prefix_list_id} has no entries in the input"
        return f"the address of {peer.name} is unknown"

    def _group_source(self, gid: str) -> Source | None:
        g = self.aws.security_group(gid)
        return None if g is None else g.source

    # -- network ACLs ----------------------------------------------------

    def _acl_check(
        self,
        subnet_id: str,
        *,
        egress: bool,
        protocol: str,
        ports: tuple[int, int],
        peer: AwsEndpoint,
        peer_address: int | None = None,
    ) -> AclJudgement:
        acl = self.network_acl(subnet_id)
        if acl is None:
            return AclJudgement(
                None, f"no network ACL is known for {subnet_id} (no association, no default)",
                None,
            )  # fmt: skip
        n = peer_address if peer_address is not None else self.ip(peer.address)
        key = (acl.network_acl_id, egress, protocol, ports, n if peer.subnet_id is None
               else self.address_class(peer) if peer_address is None else peer_address)  # fmt: skip
        got = self._acl_cache.get(key)
        if got is None:
            got = judge_acl(
                acl, self.entries(acl, egress), egress=egress, protocol=protocol, ports=ports,
                peer=n, peer_text="{peer}",
            )  # fmt: skip
            self._acl_cache[key] = got
        return replace(got, text=got.text.replace("{peer}", peer.name))

    # -- the flow --------------------------------------------------------

    def is_outside(self, src: AwsEndpoint, dst: AwsEndpoint) -> bool:
        """Is ``dst`` outside ``src``'s VPC (where the VPC CNI SNATs pod traffic)?"""
        if dst.outside or dst.kind is AwsEndpointKind.S3:
            return True
        n = self.ip(dst.address)
        if n is None:
            return dst.vpc_id is not None and src.vpc_id is not None and dst.vpc_id != src.vpc_id
        if src.vpc_id is not None and src.vpc_id in self.vpc_ranges:
            return not self.in_vpc(src.vpc_id, n)
        return not self.in_any_vpc(n)

    def snat_node(self, src: AwsEndpoint, dst: AwsEndpoint) -> str | None:
        """The node whose primary address the flow leaves as, when it matters."""
        if not src.snat or src.node is None or not self.is_outside(src, dst):
            return None
        return src.node

    def effective_source(self, src: AwsEndpoint, dst: AwsEndpoint) -> AwsEndpoint:
        """The source as the VPC sees it: SNATed to the node's primary address
        when the VPC CNI translates the flow."""
        if not src.snat or src.node is None or not self.is_outside(src, dst):
            return src
        n = self.ip(dst.address)
        if n is not None and any(lo <= n <= hi for lo, hi, _ in self.exclude_snat):
            return src
        node = self.node_place(src.node)
        why = (
            f"SNAT to node {src.node}'s primary address (the destination is outside the VPC; "
            "AWS_VPC_K8S_CNI_EXTERNALSNAT=false)"
        )
        return AwsEndpoint(
            src.kind, f"{src.name} (as node {src.node})", node.address, node.subnet_id,
            node.group_ids, Placement.HOST, False, (why, *node.evidence), node.vpc_id, src.node,
            node.eni_id, node.public_address, source=src.source,
        )  # fmt: skip

    def _ephemeral(self, original: AwsEndpoint, effective: AwsEndpoint) -> tuple[int, int]:
        if effective is not original:
            return AWS_EPHEMERAL if self.random_snat else LINUX_EPHEMERAL
        if original.kind in (
            AwsEndpointKind.POD, AwsEndpointKind.NODE, AwsEndpointKind.HOST_NETWORK_POD,
        ):  # fmt: skip
            return LINUX_EPHEMERAL
        return AWS_EPHEMERAL

    def same_node(self, src: AwsEndpoint, dst: AwsEndpoint) -> str | None:
        """Why the flow never leaves the node, or None when it does."""
        if src.node is None or src.node != dst.node:
            return None
        if not (src.branch or dst.branch):
            return f"same node {src.node}: the packet never leaves the node (no ENI, ACL or route)"
        if not self.strict:
            return (
                f"same node {src.node}, POD_SECURITY_GROUP_ENFORCING_MODE=standard: traffic "
                "between a branch-ENI pod and its own host is not enforced by security groups"
            )
        return None

    def aws_layers(
        self, src: AwsEndpoint, dst: AwsEndpoint, protocol: str, port: int, *, worded: bool = True
    ) -> tuple[LayerVerdict, ...]:
        """The AWS layers of ``src`` -> ``dst`` on ``protocol``/``port``, in path
        order: security-group-egress, nacl-outbound, route, nacl-inbound,
        security-group-ingress, nacl-return. Not ``worded``: the layers as
        judged for endpoints of the same classes, whose reasons may name those
        (the verdicts are the same; wording costs a rewrite per layer)."""
        proto = PROTOCOL_NUMBERS.get(protocol.upper(), protocol)
        if not self.has_vpc_data:
            return tuple(LayerVerdict(layer, None, NOT_JUDGED) for layer in AWS_LAYERS)
        local = self.same_node(src, dst)
        if local is not None:
            return tuple(LayerVerdict(layer, True, local) for layer in AWS_LAYERS)
        key = (
            self.class_key(src), self.class_key(dst), proto, port, self.snat_node(src, dst),
            src.kind, dst.kind, src.public_address, dst.public_address,
        )  # fmt: skip
        got = self._layers_cache.get(key)
        if got is not None:
            layers, src_name, dst_name = got
            if not worded:
                return layers
            return renamed(layers, {src_name: src.name, dst_name: dst.name})
        eff = self.effective_source(src, dst)
        layers = (
            self.sg_layer(Layer.SECURITY_GROUP_EGRESS, eff, dst, proto, port),
            *self._path_layers(src, eff, dst, proto, port),
        )
        self._layers_cache[key] = (layers, src.name, dst.name)
        return layers

    def _path_layers(
        self, src: AwsEndpoint, eff: AwsEndpoint, dst: AwsEndpoint, proto: str, port: int
    ) -> tuple[LayerVerdict, ...]:
        route, via = self.route(eff, dst)
        fwd = (port, port) if proto in ("6", "17") else (port, port) if proto == ICMP else (0, 0)
        out_acl, in_acl = self._forward_acls(eff, dst, proto, fwd, via)
        sg_in = self.sg_layer(Layer.SECURITY_GROUP_INGRESS, dst, eff, proto, port)
        if via is not None and via[0] in ("igw", "nat", "vpce"):
            sg_in = (
                sg_in
                if dst.has_groups and not dst.outside and dst.kind is not AwsEndpointKind.S3
                else LayerVerdict(
                    Layer.SECURITY_GROUP_INGRESS,
                    True,
                    f"{dst.name} is outside the VPC: no security group of ours applies",
                )
            )
        ret = self.return_acls(src, eff, dst, proto, port, via)
        return (out_acl, route, in_acl, sg_in, ret)

    def route(
        self, src: AwsEndpoint, dst: AwsEndpoint
    ) -> tuple[LayerVerdict, tuple[str, str | None] | None]:
        layer = Layer.ROUTE
        n = self.ip(dst.address)
        if src.outside:
            if dst.outside:
                return LayerVerdict(layer, True, "both ends are outside the VPC"), None
            if dst.public_address and dst.subnet_id:
                table = self.route_table(dst.subnet_id)
                default = table.table.default_route() if table is not None else None
                if default is not None and default.target_kind is RouteTargetKind.INTERNET_GATEWAY:
                    return LayerVerdict(
                        layer, True,
                        f"from the internet through {default.gateway_id} to {dst.name}'s public "
                        f"address {dst.public_address}",
                        table.table.source if table is not None else None,
                    ), ("igw-in", default.gateway_id)  # fmt: skip
            return LayerVerdict(
                layer, False,
                f"{dst.name} has no public address reachable from the internet (a private "
                "address is reached through a load balancer or a NAT, not directly)",
            ), None  # fmt: skip
        if src.subnet_id is None:
            return LayerVerdict(layer, None, f"the subnet of {src.name} is unknown"), None
        table = self.route_table(src.subnet_id)
        if table is None:
            return LayerVerdict(
                layer, None,
                f"no route table is known for {src.subnet_id} (no association, no main)",
            ), None  # fmt: skip
        rtb = table.table.route_table_id
        chosen = None
        if dst.kind is AwsEndpointKind.S3 and n is None:
            pl = dst.prefix_list_id
            chosen = next(
                ((dest, r) for dest, r in table.unknown_lists if dest == pl),
                None,
            )
            if chosen is None:
                hit = next((r for r in table.routes if r.prefix_list_id == pl and pl), None)
                if hit is not None:
                    chosen = (hit.route.destination, hit.route)
            if chosen is None:
                n = ip_int(INTERNET_ADDRESS)
        if chosen is None:
            if n is None:
                if dst.subnet_id is not None:
                    s = self.subnets.get(dst.subnet_id)
                    rng = cidr_range(s.cidr) if s is not None else None
                    n = rng[0] if rng is not None else None
                if n is None:
                    if dst.vpc_id is not None and dst.vpc_id == src.vpc_id:
                        return LayerVerdict(
                            layer, True, f"{dst.name} is in the same VPC ({dst.vpc_id}): local",
                        ), ("local", None)  # fmt: skip
                    return LayerVerdict(layer, None, f"the address of {dst.name} is unknown"), None
            hitr = table.lookup(n)
            if hitr is None:
                return LayerVerdict(
                    layer, False, f"{rtb} has no route to {ip_text(n)} ({dst.name})",
                    table.table.source,
                ), None  # fmt: skip
            chosen = (hitr.prefix_list_id or hitr.route.destination, hitr.route)
        dest, route = chosen
        src_text = route.source if route.source.line else table.table.source
        shown = f"{rtb} route {dest}" + (
            f" ({route.destination})" if dest != route.destination else ""
        )
        if route.state == "blackhole":
            return LayerVerdict(
                layer, False, f"{shown} is a blackhole (its target is gone)", src_text
            ), None  # fmt: skip
        kind = route.target_kind
        target = route.gateway_id or "?"
        if kind is RouteTargetKind.LOCAL:
            return LayerVerdict(layer, True, f"{shown} -> local", src_text), ("local", None)
        if kind is RouteTargetKind.VPC_ENDPOINT:
            return LayerVerdict(
                layer, True, f"{shown} -> {target} (gateway endpoint)", src_text
            ), ("vpce", target)  # fmt: skip
        if kind is RouteTargetKind.NAT_GATEWAY:
            nat = self.nat_by_id.get(target)
            if nat is not None:
                nat_table = self.route_table(nat.subnet_id)
                default = nat_table.table.default_route() if nat_table is not None else None
                if nat.connectivity_type == "public" and (
                    default is None or default.target_kind is not RouteTargetKind.INTERNET_GATEWAY
                ):
                    return LayerVerdict(
                        layer, False,
                        f"{shown} -> {target}, but the NAT gateway's subnet {nat.subnet_id} has "
                        "no default route to an internet gateway",
                        src_text,
                    ), None  # fmt: skip
            return LayerVerdict(
                layer, True, f"{shown} -> {target} (NAT gateway)", src_text
            ), ("nat", target)  # fmt: skip
        if kind is RouteTargetKind.INTERNET_GATEWAY:
            if src.public_address:
                return LayerVerdict(
                    layer, True,
                    f"{shown} -> {target}; {src.name} leaves as its public address "
                    f"{src.public_address}",
                    src_text,
                ), ("igw", target)  # fmt: skip
            if (
                src.node is not None
                and src.kind is not AwsEndpointKind.POD
                and src.public_address is None
                and src.evidence
                and "no EC2 instance" in src.evidence[-1]
            ):
                return LayerVerdict(
                    layer, None, f"{shown} -> {target}; whether {src.name} has a public address "
                    "is unknown", src_text,
                ), None  # fmt: skip
            return LayerVerdict(
                layer, False,
                f"{shown} -> {target}, but {src.name} has no public IPv4 address (an internet "
                "gateway only translates an ENI's public address)",
                src_text,
            ), None  # fmt: skip
        if kind is RouteTargetKind.VPC_PEERING:
            pcx = self.peering_by_id.get(target)
            if pcx is None:
                return LayerVerdict(
                    layer, None, f"{shown} -> {target}: the peering is not in the input", src_text
                ), None  # fmt: skip
            if pcx.status != "active":
                return LayerVerdict(
                    layer, False, f"{shown} -> {target}: the peering is {pcx.status}", src_text
                ), None  # fmt: skip
            if dst.subnet_id is None:
                return LayerVerdict(
                    layer, None, f"{shown} -> {target}: the far side ({dst.name}) is not modelled",
                    src_text,
                ), None  # fmt: skip
            return LayerVerdict(
                layer, True, f"{shown} -> {target} (peering to {dst.vpc_id})", src_text
            ), ("pcx", target)  # fmt: skip
        return LayerVerdict(
            layer, None, f"{shown} -> {target}: the far side is not modelled", src_text
        ), None  # fmt: skip

    def forward_plan(
        self, src: AwsEndpoint, dst: AwsEndpoint, via: tuple[str, str | None] | None
    ) -> tuple[_Step, _Step, _Step]:
        """Where the flow crosses a subnet boundary on the way out and in: an ACL
        to walk (subnet, egress, peer, prefix of the text), or a fixed answer.
        The third step is the NAT gateway's subnet's outbound ACL (towards the
        internet gateway, after the NAT), or (True, "") when the flow takes no
        NAT gateway in another subnet than the source's."""
        none: _Step = (True, "")
        if src.subnet_id is not None and src.subnet_id == dst.subnet_id:
            same = f"same subnet {src.subnet_id}: no network ACL between them"
            return (True, same), (True, same), none
        out: _Step
        if src.outside:
            out = (True, f"{src.name} is outside the VPC: no subnet of ours")
        elif src.subnet_id is None:
            out = (None, f"the subnet of {src.name} is unknown")
        else:
            out = (src.subnet_id, True, dst, "")
        kind = via[0] if via is not None else None
        inn: _Step
        if kind == "nat" and via is not None:
            nat = self.nat_by_id.get(via[1] or "")
            if nat is None:
                inn = (None, f"NAT gateway {via[1]} is not in the input")
            elif nat.subnet_id == src.subnet_id:
                # the NAT's way out is the source subnet's outbound ACL, judged already
                inn = (True, f"the NAT gateway is in {src.subnet_id} too")
            else:
                inn = (nat.subnet_id, False, src, "into the NAT gateway's subnet: ")
                # translated, the packet leaves the NAT's subnet towards the
                # internet gateway: that subnet's outbound ACL judges it too
                # (still addressed to dst; the source is now the NAT's address)
                return out, inn, (
                    nat.subnet_id, True, dst,
                    f"out of the NAT gateway's subnet {nat.subnet_id}: ",
                )  # fmt: skip
        elif kind in ("igw", "vpce") or dst.outside or dst.kind is AwsEndpointKind.S3:
            inn = (True, f"{dst.name} is outside the VPC: no subnet of ours")
        elif dst.subnet_id is None:
            inn = (None, f"the subnet of {dst.name} is unknown")
        else:
            inn = (dst.subnet_id, False, src, "")
        return out, inn, none

    def _forward_acls(
        self,
        src: AwsEndpoint,
        dst: AwsEndpoint,
        proto: str,
        ports: tuple[int, int],
        via: tuple[str, str | None] | None,
    ) -> tuple[LayerVerdict, LayerVerdict]:
        out_step, in_step, nat_step = self.forward_plan(src, dst, via)
        verdicts = []
        for layer, step in (
            (Layer.NACL_OUTBOUND, out_step), (Layer.NACL_INBOUND, in_step),
            (Layer.NACL_OUTBOUND, nat_step),
        ):  # fmt: skip
            if len(step) == 2:
                verdicts.append(LayerVerdict(layer, step[0], str(step[1])))
                continue
            subnet_id, egress, peer, what = step
            j = self._acl_check(subnet_id, egress=egress, protocol=proto, ports=ports, peer=peer)
            verdicts.append(LayerVerdict(layer, j.allowed, f"{what}{j.text}", j.source))
        out, nat_out = verdicts[0], verdicts[2]
        if nat_out.decided_by:
            # two outbound decisions, in path order: the first that drops decides
            # (its rule and source); both passing, the NAT's subnet's is the last word
            first = (
                out
                if out.allowed is False
                else nat_out
                if nat_out.allowed is False
                else (out if out.allowed is None else nat_out)
            )
            out = LayerVerdict(
                Layer.NACL_OUTBOUND, first.allowed,
                f"{out.decided_by}; {nat_out.decided_by}", first.source,
            )  # fmt: skip
        return out, verdicts[1]

    def _reply_ports(self, src: AwsEndpoint, eff: AwsEndpoint, proto: str) -> tuple[int, int]:
        if proto in ("6", "17"):
            return self._ephemeral(src, eff)
        return (0, 0)  # the ICMP echo reply; other protocols have no ports

    def _return_plan(
        self,
        src: AwsEndpoint,
        eff: AwsEndpoint,
        dst: AwsEndpoint,
        proto: str,
        via: tuple[str, str | None] | None,
    ) -> list[tuple[str, bool, AwsEndpoint, tuple[int, int], str]] | tuple[bool | None, str]:
        """The ACLs the reply crosses, in order, or a fixed answer."""
        if eff.subnet_id is not None and eff.subnet_id == dst.subnet_id:
            return True, f"same subnet {eff.subnet_id}: no network ACL"
        eph = self._reply_ports(src, eff, proto)
        wide = AWS_EPHEMERAL if proto in ("6", "17") else eph
        checks: list[tuple[str, bool, AwsEndpoint, tuple[int, int], str]] = []
        kind = via[0] if via is not None else None
        if eff.outside:
            if dst.subnet_id is not None:
                checks.append((dst.subnet_id, True, eff, wide, "reply out of"))
        elif kind == "nat" and via is not None:
            nat = self.nat_by_id.get(via[1] or "")
            if nat is None:
                return None, f"NAT gateway {via[1]} is not in the input"
            checks.append((nat.subnet_id, False, dst, wide, "reply into the NAT gateway's"))
            if nat.subnet_id != eff.subnet_id and eff.subnet_id is not None:
                checks.append((nat.subnet_id, True, eff, eph, "reply out of the NAT gateway's"))
                checks.append((eff.subnet_id, False, dst, eph, "reply into"))
        elif kind in ("igw", "vpce") or dst.outside or dst.kind is AwsEndpointKind.S3:
            if eff.subnet_id is not None:
                checks.append((eff.subnet_id, False, dst, eph, "reply into"))
        else:
            if dst.subnet_id is None or eff.subnet_id is None:
                who = dst.name if dst.subnet_id is None else eff.name
                return None, f"the subnet of {who} is unknown"
            checks.append((dst.subnet_id, True, eff, eph, "reply out of"))
            checks.append((eff.subnet_id, False, dst, eph, "reply into"))
        if eff.subnet_id is None and not eff.outside:
            return None, f"the subnet of {eff.name} is unknown"
        if not checks:
            return True, "no subnet boundary on the way back"
        return checks

    def return_acls(  # noqa: PLR0917
        self,
        src: AwsEndpoint,
        eff: AwsEndpoint,
        dst: AwsEndpoint,
        proto: str,
        port: int,
        via: tuple[str, str | None] | None,
    ) -> LayerVerdict:
        layer = Layer.NACL_RETURN
        plan = self._return_plan(src, eff, dst, proto, via)
        if isinstance(plan, tuple):
            return LayerVerdict(layer, plan[0], plan[1])
        texts: list[str] = []
        last: Source | None = None
        unknown: LayerVerdict | None = None
        for subnet_id, egress, peer, ports, what in plan:
            j = self._acl_check(subnet_id, egress=egress, protocol=proto, ports=ports, peer=peer)
            text = f"{what} {subnet_id}: {j.text}"
            if j.allowed is False:
                return LayerVerdict(layer, False, text, j.source)
            if j.allowed is None and unknown is None:
                unknown = LayerVerdict(layer, None, text, j.source)
            texts.append(text)
            last = j.source
        if unknown is not None:
            return unknown
        return LayerVerdict(layer, True, "; ".join(texts), last)

    # -- the verdict alone, for the matrices ---------------------------------

    def _acl_allowed(
        self, subnet_id: str, egress: bool, proto: str, ports: tuple[int, int], peer: AwsEndpoint
    ) -> bool | None:
        acl = self.network_acl(subnet_id)
        if acl is None:
            return None
        n = self.ip(peer.address)
        key = (acl.network_acl_id, egress, proto, ports,
               n if peer.subnet_id is None else self.address_class(peer))  # fmt: skip
        got = self._acl_cache.get(key)
        if got is None:
            got = judge_acl(
                acl, self.entries(acl, egress), egress=egress, protocol=proto, ports=ports,
                peer=n, peer_text="{peer}",
            )  # fmt: skip
            self._acl_cache[key] = got
        return got.allowed

    def _sg_allowed(
        self, subject: AwsEndpoint, peer: AwsEndpoint, ingress: bool, proto: str, port: int
    ) -> bool | None:
        if not subject.has_groups:
            return True
        if subject.group_ids is None:
            return None
        if not subject.group_ids:
            return False
        return self._sg_match(subject.group_ids, subject.vpc_id, ingress, proto, port, peer).allowed

    def _route_allowed(
        self, eff: AwsEndpoint, dst: AwsEndpoint
    ) -> tuple[bool | None, tuple[str, str | None] | None]:
        key = (
            eff.subnet_id, eff.outside, eff.public_address is not None, eff.vpc_id, eff.kind,
            eff.node is not None, self.address_class(dst), dst.kind, dst.prefix_list_id,
            dst.subnet_id, dst.vpc_id, dst.public_address is not None, dst.outside,
            eff.evidence[-1:] if eff.public_address is None else (),
        )  # fmt: skip
        got = self._route_cache.get(key)
        if got is None:
            verdict, via = self.route(eff, dst)
            got = self._route_cache[key] = (verdict.allowed, via)
        return got

    def return_allowed(
        self,
        src: AwsEndpoint,
        eff: AwsEndpoint,
        dst: AwsEndpoint,
        proto: str,
        via: tuple[str, str | None] | None,
    ) -> bool | None:
        """``nacl-return``'s verdict without its words."""
        plan = self._return_plan(src, eff, dst, proto, via)
        if isinstance(plan, tuple):
            return plan[0]
        answers = [
            self._acl_allowed(subnet_id, egress, proto, ports, peer)
            for subnet_id, egress, peer, ports, _ in plan
        ]
        return False if False in answers else None if None in answers else True

    def aws_allowed(
        self, src: AwsEndpoint, dst: AwsEndpoint, protocol: str, port: int
    ) -> bool | None:
        """:func:`overall` of :meth:`aws_layers` without wording any layer (what
        the matrices count); None also when the input has no VPC data."""
        proto = PROTOCOL_NUMBERS.get(protocol.upper(), protocol)
        if not self.has_vpc_data:
            return None
        if self.same_node(src, dst) is not None:
            return True
        key = (
            self.class_key(src), self.class_key(dst), proto, port, self.snat_node(src, dst),
            src.kind, dst.kind, src.public_address, dst.public_address,
        )  # fmt: skip
        got = self._allowed_cache.get(key, _MISSING)
        if got is not _MISSING:
            return got  # type: ignore[return-value]
        eff = self.effective_source(src, dst)
        answers: list[bool | None] = [self._sg_allowed(eff, dst, False, proto, port)]
        if answers[0] is not False:
            route, via = self._route_allowed(eff, dst)
            answers.append(route)
            ports = (port, port) if proto in ("6", "17", ICMP) else (0, 0)
            for step in self.forward_plan(eff, dst, via):
                if len(step) == 2:
                    answers.append(step[0])
                else:
                    subnet_id, egress, peer, _ = step
                    answers.append(self._acl_allowed(subnet_id, egress, proto, ports, peer))
            outside = via is not None and via[0] in ("igw", "nat", "vpce")
            if not (
                outside and (not dst.has_groups or dst.outside or dst.kind is AwsEndpointKind.S3)
            ):
                answers.append(self._sg_allowed(dst, eff, True, proto, port))
            answers.append(self.return_allowed(src, eff, dst, proto, via))
        result = False if False in answers else None if None in answers else True
        self._allowed_cache[key] = result
        return result
