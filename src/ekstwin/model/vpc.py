"""The AWS network around the pods: security groups, prefix lists, network ACLs,
peering, and the network interfaces of the AWS services pods talk to.

With the VPC CNI a pod's address is a VPC address on one of its node's ENIs (or
on a branch ENI of its own with security groups for pods), so every packet a pod
sends or receives also passes the security groups of that ENI, the network ACLs
of the subnets on the way, and the route tables. This module holds that state as
written in ``aws.json`` (``docs/aws-json.md``); the rules that judge a packet
against it live in the engines.

Protocols are kept as IANA protocol numbers in text, as the EC2 API returns them
for network ACLs: ``"-1"`` (every protocol), ``"6"`` (TCP), ``"17"`` (UDP),
``"1"`` (ICMP), ``"58"`` (ICMPv6), or any other number. The loaders turn the
names security groups accept (``tcp``, ``udp``, ``icmp``, ``icmpv6``, ``all``)
into numbers with :func:`protocol_number`.

Port ranges: ``from_port``/``to_port`` are inclusive; ``None`` on both means every
port (protocol ``-1``, or a protocol with no ports). For ICMP rules ``from_port``
is the ICMP type and ``to_port`` the code, ``-1`` (kept as ``None``) meaning any.
"""

from __future__ import annotations

import ipaddress
from dataclasses import field
from enum import StrEnum

from ekstwin.model._dataclass import dataclass
from ekstwin.model.selectors import LabelSelector
from ekstwin.model.source import Source

NO_SOURCE = Source("<aws>", 0)

ALL_PROTOCOLS = "-1"
TCP = "6"
UDP = "17"
ICMP = "1"
ICMPV6 = "58"

_PROTOCOL_NAMES = {
    "-1": ALL_PROTOCOLS,
    "all": ALL_PROTOCOLS,
    "tcp": TCP,
    "udp": UDP,
    "icmp": ICMP,
    "icmpv6": ICMPV6,
}


def protocol_number(text: str | int) -> str | None:
    """The IANA number (as text) for a protocol as EC2 accepts it, or None when
    ``text`` is neither a known name nor a number in 0..255 (or -1)."""
    value = str(text).strip().lower()
    if value in _PROTOCOL_NAMES:
        return _PROTOCOL_NAMES[value]
    try:
        number = int(value)
    except ValueError:
        return None
    if number == -1:
        return ALL_PROTOCOLS
    return str(number) if 0 <= number <= 255 else None


def _tags() -> dict[str, str]:
    return {}


def _doc() -> dict[str, object]:
    return {}


# ---------------------------------------------------------------------------
# security groups


class RuleDirection(StrEnum):
    INGRESS = "ingress"
    EGRESS = "egress"


@dataclass(frozen=True, slots=True)
class SecurityGroupRule:
    """One security group rule: one protocol and port range, and exactly one peer
    (a CIDR, a managed prefix list, or a security group).

    A rule naming a security group matches traffic from (ingress) or to (egress)
    any network interface that carries that group, in the same VPC or across a
    peering connection (``referenced_vpc_id`` / ``referenced_account_id`` say where
    the group lives when it is not in the rule's own VPC).
    """

    protocol: str = ALL_PROTOCOLS
    from_port: int | None = None
    to_port: int | None = None
    cidr: str | None = None
    prefix_list_id: str | None = None
    group_id: str | None = None
    referenced_vpc_id: str | None = None
    referenced_account_id: str | None = None
    description: str | None = None
    rule_id: str | None = None
    source: Source = NO_SOURCE

    @property
    def peer(self) -> str:
        """The peer as written: a CIDR, ``pl-...`` or ``sg-...``."""
        return self.cidr or self.prefix_list_id or self.group_id or ""

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        return ipaddress.ip_network(self.cidr, strict=False) if self.cidr else None


@dataclass(frozen=True, slots=True)
class SecurityGroup:
    """A security group: stateful; an allow list per direction (no deny rules).

    A group as collected lists its egress rules explicitly (EC2 adds an allow-all
    egress rule to a new group; Terraform's ``aws_security_group`` removes it
    unless the configuration writes one).
    """

    group_id: str
    vpc_id: str | None = None
    name: str | None = None
    description: str | None = None
    owner_id: str | None = None
    ingress: tuple[SecurityGroupRule, ...] = ()
    egress: tuple[SecurityGroupRule, ...] = ()
    tags: dict[str, str] = field(default_factory=_tags, hash=False)
    source: Source = NO_SOURCE

    def rules(self, direction: RuleDirection) -> tuple[SecurityGroupRule, ...]:
        return self.ingress if direction is RuleDirection.INGRESS else self.egress


@dataclass(frozen=True, slots=True)
class ManagedPrefixList:
    """A managed prefix list: customer managed, or AWS managed (``com.amazonaws.
    REGION.s3`` and the like, whose entries AWS keeps; an AWS managed list with no
    entries in the input has unknown entries)."""

    prefix_list_id: str
    name: str | None = None
    address_family: str = "IPv4"
    entries: tuple[str, ...] = ()
    owner_id: str | None = None
    max_entries: int | None = None
    source: Source = NO_SOURCE

    @property
    def aws_managed(self) -> bool:
        return self.owner_id == "AWS" or (self.name or "").startswith("com.amazonaws.")


# ---------------------------------------------------------------------------
# network ACLs


class NaclAction(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


#: The rule number of the catch-all ``*`` entry every network ACL ends with.
NACL_DEFAULT_RULE_NUMBER = 32767


@dataclass(frozen=True, slots=True)
class NetworkAclEntry:
    """One numbered entry of a network ACL. Entries are evaluated in ascending
    rule number per direction; the first that matches decides; none matching
    denies (the ``*`` entry). Stateless: the reply is judged on its own."""

    rule_number: int
    egress: bool
    action: NaclAction
    protocol: str = ALL_PROTOCOLS
    cidr: str = "0.0.0.0/0"
    from_port: int | None = None
    to_port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    source: Source = NO_SOURCE

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(self.cidr, strict=False)


@dataclass(frozen=True, slots=True)
class NetworkAcl:
    """A network ACL and the subnets associated with it. A subnet with no explicit
    association uses its VPC's default ACL."""

    network_acl_id: str
    vpc_id: str
    is_default: bool = False
    entries: tuple[NetworkAclEntry, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=_tags, hash=False)
    source: Source = NO_SOURCE

    def ordered(self, *, egress: bool) -> tuple[NetworkAclEntry, ...]:
        """This direction's entries in the order AWS evaluates them."""
        return tuple(
            sorted((e for e in self.entries if e.egress == egress), key=lambda e: e.rule_number)
        )


# ---------------------------------------------------------------------------
# peering


@dataclass(frozen=True, slots=True)
class VpcPeeringConnection:
    peering_connection_id: str
    requester_vpc_id: str
    accepter_vpc_id: str
    requester_account_id: str | None = None
    accepter_account_id: str | None = None
    requester_cidrs: tuple[str, ...] = ()
    accepter_cidrs: tuple[str, ...] = ()
    status: str = "active"
    source: Source = NO_SOURCE


# ---------------------------------------------------------------------------
# AWS services as network destinations


@dataclass(frozen=True, slots=True)
class ServiceInterface:
    """One network interface an AWS service placed in a subnet: its ENI id (when
    known), subnet and private address (when known)."""

    subnet_id: str | None = None
    address: str | None = None
    eni_id: str | None = None


@dataclass(frozen=True, slots=True)
class DatabaseInstance:
    """An RDS or Aurora DB instance. ``interfaces`` may be empty (address unknown):
    it then sits in one of ``subnet_ids`` (its DB subnet group)."""

    db_instance_id: str
    engine: str
    port: int
    vpc_id: str | None = None
    db_cluster_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    interfaces: tuple[ServiceInterface, ...] = ()
    endpoint_address: str | None = None
    publicly_accessible: bool = False
    source: Source = NO_SOURCE


@dataclass(frozen=True, slots=True)
class CacheCluster:
    """An ElastiCache cluster (Redis/Valkey/Memcached): its nodes' interfaces."""

    cache_cluster_id: str
    engine: str
    port: int
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    interfaces: tuple[ServiceInterface, ...] = ()
    source: Source = NO_SOURCE


@dataclass(frozen=True, slots=True)
class EfsMountTarget:
    """An EFS mount target: one ENI in one subnet, NFS on TCP 2049."""

    mount_target_id: str
    file_system_id: str
    subnet_id: str
    address: str | None = None
    eni_id: str | None = None
    security_group_ids: tuple[str, ...] = ()
    source: Source = NO_SOURCE


class VpcEndpointType(StrEnum):
    INTERFACE = "Interface"
    GATEWAY = "Gateway"
    GATEWAY_LOAD_BALANCER = "GatewayLoadBalancer"


@dataclass(frozen=True, slots=True)
class VpcEndpoint:
    """A VPC endpoint. Interface endpoints have ENIs with security groups in
    ``subnet_ids`` and answer on 443; gateway endpoints (S3, DynamoDB) are
    routes to the service's prefix list in ``route_table_ids`` and have no
    security groups."""

    vpc_endpoint_id: str
    vpc_id: str
    service_name: str
    endpoint_type: VpcEndpointType = VpcEndpointType.INTERFACE
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    route_table_ids: tuple[str, ...] = ()
    interfaces: tuple[ServiceInterface, ...] = ()
    private_dns_enabled: bool = False
    policy: dict[str, object] | None = field(default=None, hash=False)
    state: str = "available"
    source: Source = NO_SOURCE

    @property
    def service(self) -> str:
        """The short service name: ``s3`` for ``com.amazonaws.eu-west-1.s3``."""
        return self.service_name.rsplit(".", 1)[-1]


# ---------------------------------------------------------------------------
# Kubernetes objects of the VPC resource controller


@dataclass(frozen=True, slots=True)
class SecurityGroupPolicy:
    """``vpcresources.k8s.aws/v1beta1`` SecurityGroupPolicy: pods in its namespace
    matching ``pod_selector`` or ``service_account_selector`` get a branch ENI
    with ``group_ids`` (with ``ENABLE_POD_ENI`` on aws-node). A selector that is
    None is absent; an empty selector matches everything."""

    name: str
    namespace: str
    group_ids: tuple[str, ...]
    pod_selector: LabelSelector | None = None
    service_account_selector: LabelSelector | None = None
    source: Source = NO_SOURCE
