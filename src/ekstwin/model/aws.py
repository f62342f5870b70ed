"""The AWS part of the platform model: accounts, EKS, VPC, EC2, IAM, ECR, Route53, KMS, ELBv2.

Everything here is built from ``aws.json`` (see ``docs/aws-json.md``) by
:mod:`ekstwin.loaders.aws`. Objects are immutable; every one carries the
:class:`Source` of the JSON object it came from. Policy documents (trust
policies, identity policies, key policies, repository policies, SCPs) stay
plain ``dict`` objects: the iam engine parses them.

Free-form maps (tags, labels, policy documents, addon configuration) are
``dict`` fields excluded from hashing, so every model object stays hashable.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field
from enum import StrEnum
from typing import Any, TypeVar

from ekstwin.model._dataclass import dataclass
from ekstwin.model.source import Source
from ekstwin.model.vpc import (
    CacheCluster,
    DatabaseInstance,
    EfsMountTarget,
    ManagedPrefixList,
    NetworkAcl,
    SecurityGroup,
    VpcEndpoint,
    VpcPeeringConnection,
)

PolicyDocument = dict[str, object]
"""An IAM-style policy document (``Version`` and ``Statement``), as written."""

NO_SOURCE = Source("<aws>", 0)


def _map() -> dict[str, str]:
    return {}


def _doc() -> PolicyDocument:
    return {}


# ---------------------------------------------------------------------------
# enums


class AuthenticationMode(StrEnum):
    """How the EKS API server maps IAM principals to Kubernetes identities."""

    CONFIG_MAP = "CONFIG_MAP"
    API = "API"
    API_AND_CONFIG_MAP = "API_AND_CONFIG_MAP"

    @property
    def uses_access_entries(self) -> bool:
        return self is not AuthenticationMode.CONFIG_MAP

    @property
    def uses_config_map(self) -> bool:
        return self is not AuthenticationMode.API


class AccessEntryType(StrEnum):
    STANDARD = "STANDARD"
    EC2_LINUX = "EC2_LINUX"
    EC2_WINDOWS = "EC2_WINDOWS"
    FARGATE_LINUX = "FARGATE_LINUX"
    HYBRID_LINUX = "HYBRID_LINUX"
    HYPERPOD_LINUX = "HYPERPOD_LINUX"
    EC2 = "EC2"


class AccessScopeType(StrEnum):
    CLUSTER = "cluster"
    NAMESPACE = "namespace"


class HttpTokens(StrEnum):
    """IMDS: ``required`` means IMDSv2 only; ``optional`` also answers IMDSv1."""

    OPTIONAL = "optional"
    REQUIRED = "required"


class HttpEndpoint(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class TagMutability(StrEnum):
    MUTABLE = "MUTABLE"
    IMMUTABLE = "IMMUTABLE"
    IMMUTABLE_WITH_EXCLUSION = "IMMUTABLE_WITH_EXCLUSION"
    MUTABLE_WITH_EXCLUSION = "MUTABLE_WITH_EXCLUSION"


class EcrEncryptionType(StrEnum):
    AES256 = "AES256"
    KMS = "KMS"
    KMS_DSSE = "KMS_DSSE"


class KeyState(StrEnum):
    CREATING = "Creating"
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    PENDING_DELETION = "PendingDeletion"
    PENDING_IMPORT = "PendingImport"
    PENDING_REPLICA_DELETION = "PendingReplicaDeletion"
    UNAVAILABLE = "Unavailable"
    UPDATING = "Updating"


class KeyManager(StrEnum):
    CUSTOMER = "CUSTOMER"
    AWS = "AWS"


class LoadBalancerScheme(StrEnum):
    INTERNET_FACING = "internet-facing"
    INTERNAL = "internal"


class LoadBalancerType(StrEnum):
    APPLICATION = "application"
    NETWORK = "network"
    GATEWAY = "gateway"


class RouteTargetKind(StrEnum):
    """What a route's ``gateway_id`` points at, from its id prefix."""

    LOCAL = "local"
    INTERNET_GATEWAY = "internet_gateway"
    EGRESS_ONLY_INTERNET_GATEWAY = "egress_only_internet_gateway"
    NAT_GATEWAY = "nat_gateway"
    TRANSIT_GATEWAY = "transit_gateway"
    VPC_PEERING = "vpc_peering"
    VPC_ENDPOINT = "vpc_endpoint"
    NETWORK_INTERFACE = "network_interface"
    VIRTUAL_PRIVATE_GATEWAY = "virtual_private_gateway"
    OTHER = "other"


# ---------------------------------------------------------------------------
# ARNs


@dataclass(frozen=True, slots=True)
class Arn:
    """The six parts of an ARN: ``arn:partition:service:region:account:resource``."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> Arn | None:
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            return None
        return cls(parts[1], parts[2], parts[3], parts[4], parts[5])

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def account_of_arn(arn: str) -> str | None:
    """The account id in an ARN; None for AWS-owned (``aws``) or account-less ARNs."""
    parsed = Arn.parse(arn)
    if parsed is None or not re.fullmatch(r"\d{12}", parsed.account):
        return None
    return parsed.account


# ---------------------------------------------------------------------------
# EKS


@dataclass(frozen=True, slots=True)
class EndpointAccess:
    """The cluster API endpoint. EKS default: public only, open to 0.0.0.0/0."""

    public_access: bool = True
    private_access: bool = False
    public_access_cidrs: tuple[str, ...] = ("0.0.0.0/0",)

    @property
    def open_to_internet(self) -> bool:
        return self.public_access and any(
            c in ("0.0.0.0/0", "::/0") for c in self.public_access_cidrs
        )


@dataclass(frozen=True, slots=True)
class EncryptionConfig:
    """Envelope encryption of the listed Kubernetes resources (``secrets``) with a KMS key."""

    resources: tuple[str, ...]
    key_arn: str
    source: Source = NO_SOURCE


@dataclass(frozen=True, slots=True)
class AccessScope:
    type: AccessScopeType = AccessScopeType.CLUSTER
    namespaces: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AccessPolicyAssociation:
    policy_arn: str
    access_scope: AccessScope = AccessScope()
    source: Source = NO_SOURCE

    @property
    def policy_name(self) -> str:
        return self.policy_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """An EKS access entry: an IAM principal mapped to a Kubernetes user and groups."""

    principal_arn: str
    type: AccessEntryType = AccessEntryType.STANDARD
    username: str | None = None
    kubernetes_groups: tuple[str, ...] = ()
    access_policies: tuple[AccessPolicyAssociation, ...] = ()
    source: Source = NO_SOURCE


@dataclass(frozen=True, slots=True)
class PodIdentityAssociation:
    """EKS Pod Identity: pods of ``namespace/service_account`` get ``role_arn``."""

    namespace: str
    service_account: str
    role_arn: str
    association_id: str | None = None
    #: EKS assumes this role with the session of ``role_arn`` and gives the pod its
    #: credentials (role chaining, possibly across accounts).
    target_role_arn: str | None = None
    #: What EKS passes as sts:ExternalId to the target role (from the API).
    external_id: str | None = None
    disable_session_tags: bool = False
    source: Source = NO_SOURCE


@dataclass(frozen=True, slots=True)
class OidcIdentityProviderConfig:
    """An OIDC identity provider associated with an EKS cluster: people sign in to
    Kubernetes with that issuer's ID tokens, without IAM.

    As kube-apiserver's OIDC authenticator reads it: the token's ``iss`` must be
    ``issuer_url`` and its ``aud`` must hold ``client_id``; the username is the
    ``username_claim`` (default ``sub``) after ``username_prefix`` (None: the
    issuer URL and ``#`` unless the claim is ``email``; ``-``: no prefix); the
    groups are the ``groups_claim`` values after ``groups_prefix``; every
    ``required_claims`` pair must be in the token.
    """

    name: str
    issuer_url: str
    client_id: str
    username_claim: str = "sub"
    username_prefix: str | None = None
    groups_claim: str | None = None
    groups_prefix: str = ""
    required_claims: tuple[tuple[str, str], ...] = ()
    status: str = "ACTIVE"
    source: Source = NO_SOURCE


@dataclass(frozen=True, slots=True)
class Addon:
    name: str
    version: str | None = None
    service_account_role_arn: str | None = None
    configuration: dict[str, object] = field(default_factory=dict, hash=False)
    source: Source = NO_SOURCE


_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def _env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    """Go's ``strconv.ParseBool``; an unparsable value falls back to the default."""
    value = env.get(name)
    if value in _GO_TRUE:
        return True
    if value in _GO_FALSE:
        return False
    return default


def _env_int(env: Mapping[str, str], name: str) -> int | None:
    """Go's ``strconv.Atoi``: None when unset, not an integer, or negative."""
    value = env.get(name)
    if value is None or not re.fullmatch(r"[+-]?\d+", value):
        return None
    number = int(value)
    return number if number >= 0 else None


class PodSecurityGroupEnforcingMode(StrEnum):
    """``POD_SECURITY_GROUP_ENFORCING_MODE`` of aws-node: how pods with security
    groups (branch ENIs) are wired. ``strict`` (the default) sends all their traffic
    through the branch ENI and judges it by the pod's groups only; ``standard`` lets
    the node's rules apply as well for some flows (the VPC engine says which)."""

    STRICT = "strict"
    STANDARD = "standard"


@dataclass(frozen=True, slots=True)
class VpcCniSettings:
    """The VPC CNI (aws-node / ipamd) settings, parsed as ipamd parses its environment.

    * ``warm_eni_target``: default 1; a negative or unparsable value also gives 1.
    * ``warm_ip_target`` / ``minimum_ip_target``: None when unset; ipamd treats 0,
      a negative or an unparsable value as unset too, so those are None as well.
    * ``warm_prefix_target``: None when unset, negative or unparsable (ipamd's code
      default is then 0; the shipped manifest and Helm chart set 1).
    * ``max_eni``: None unless a value >= 1 is given.
    * booleans follow Go's ``strconv.ParseBool``; unparsable -> the default.
    * ``pod_security_group_enforcing_mode``: exactly ``strict`` or ``standard``;
      anything else (unset, another case, a typo) is strict, as the CNI's
      ``LoadEnforcingModeFromEnv`` reads it.

    ``env`` keeps every variable as written, for settings not parsed here.
    """

    env: dict[str, str] = field(default_factory=_map, hash=False)
    warm_eni_target: int = 1
    warm_ip_target: int | None = None
    minimum_ip_target: int | None = None
    warm_prefix_target: int | None = None
    max_eni: int | None = None
    enable_prefix_delegation: bool = False
    custom_network: bool = False
    eni_config_label: str | None = None
    external_snat: bool = False
    exclude_snat_cidrs: tuple[str, ...] = ()
    enable_pod_eni: bool = False
    enable_subnet_discovery: bool = True
    enable_ipv6: bool = False
    pod_security_group_enforcing_mode: PodSecurityGroupEnforcingMode = (
        PodSecurityGroupEnforcingMode.STRICT
    )
    #: AWS_VPC_K8S_CNI_RANDOMIZESNAT: ``prng`` (default), ``hashrandom`` or ``none``.
    randomize_snat: str = "prng"
    source: Source = NO_SOURCE

    @classmethod
    def from_env(cls, env: Mapping[str, str], source: Source = NO_SOURCE) -> VpcCniSettings:
        warm_eni = _env_int(env, "WARM_ENI_TARGET")
        warm_ip = _env_int(env, "WARM_IP_TARGET")
        minimum_ip = _env_int(env, "MINIMUM_IP_TARGET")
        max_eni = _env_int(env, "MAX_ENI")
        snat_excludes = env.get("AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS", "")
        return cls(
            env=dict(env),
            warm_eni_target=1 if warm_eni is None else warm_eni,
            warm_ip_target=warm_ip or None,
            minimum_ip_target=minimum_ip or None,
            warm_prefix_target=_env_int(env, "WARM_PREFIX_TARGET"),
            max_eni=max_eni if max_eni else None,
            enable_prefix_delegation=_env_bool(env, "ENABLE_PREFIX_DELEGATION", False),
            custom_network=_env_bool(env, "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", False),
            eni_config_label=env.get("ENI_CONFIG_LABEL_DEF") or None,
            external_snat=_env_bool(env, "AWS_VPC_K8S_CNI_EXTERNALSNAT", False),
            exclude_snat_cidrs=tuple(c.strip() for c in snat_excludes.split(",") if c.strip()),
            enable_pod_eni=_env_bool(env, "ENABLE_POD_ENI", False),
            enable_subnet_discovery=_env_bool(env, "ENABLE_SUBNET_DISCOVERY", True),
            enable_ipv6=_env_bool(env, "ENABLE_IPv6", False),
            pod_security_group_enforcing_mode=PodSecurityGroupEnforcingMode.STANDARD
            if env.get("POD_SECURITY_GROUP_ENFORCING_MODE") == "standard"
            else PodSecurityGroupEnforcingMode.STRICT,
            randomize_snat=env.get("AWS_VPC_K8S_CNI_RANDOMIZESNAT", "prng").strip() or "prng",
            source=source,
        )

    @property
    def ip_targets_defined(self) -> bool:
        """WARM_IP_TARGET or MINIMUM_IP_TARGET set: they override the ENI/prefix targets."""
        return self.warm_ip_target is not None or self.minimum_ip_target is not None


@dataclass(frozen=True, slots=True)
class NodeGroupScaling:
    min: int = 1
    max: int = 1
    desired: int = 1


@dataclass(frozen=True, slots=True)
class NodeGroup:
    """An EKS managed node group (or a self-managed group described the same way)."""

    name: str
    instance_types: tuple[str, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    node_role_arn: str | None = None
    ami_type: str | None = None
    capacity_type: str | None = None
    scaling: NodeGroupScaling = NodeGroupScaling()
    kubelet_max_pods: int | None = None
    security_group_ids: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=_map, hash=False)
    taints: tuple[dict[str, str], ...] = field(default=(), hash=False)
    source: Source = NO_SOURCE


@dataclass(frozen=True, slots=True)
class EksCluster:
    name: str
    region: str
    arn: str
    version: str
    role_arn: str | None = None
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    cluster_security_group_id: str | None = None
    security_group_ids: tuple[str, ...] = ()
    endpoint: EndpointAccess = EndpointAccess()
    encryption_config: tuple[EncryptionConfig, ...] = ()
    oidc_issuer: str | None = None
    authentication_mode: AuthenticationMode = AuthenticationMode.CONFIG_MAP
    bootstrap_cluster_creator_admin_permissions: bool = True
    creator_arn: str | None = None
    logging_enabled_types: tuple[str, ...] = ()
    service_ipv4_cidr: str | None = None
    ip_family: str = "ipv4"
    platform_version: str | None = None
    access_entries: tuple[AccessEntry, ...] = ()
    pod_identity_associations: tuple[PodIdentityAssociation, ...] = ()
    identity_provider_configs: tuple[OidcIdentityProviderConfig, ...] = ()
    addons: tuple[Addon, ...] = ()
    vpc_cni: VpcCniSettings = VpcCniSettings()
    node_groups: tuple[NodeGroup, ...] = ()
    tags: dict[str, str] = field(default_factory=_map, hash=False)
    source: Source = NO_SOURCE

    @property
    def account_id(self) -> str | None:
        return account_of_arn(self.arn)

    @property
    def partition(self) -> str:
        parsed = Arn.parse(self.arn)
        return parsed.partition if parsed else "aws"

    @property
    def secrets_key_arn(self) -> str | None:
        """The KMS key that envelope-encrypts Secrets, or None (Secrets only base64)."""
        for config in self.encryption_config:
            if "secrets" in config.resources:
                return config.key_arn
        return None

    @property
    def oidc_provider_arn(self) -> str | None:
        """The IAM OIDC provider ARN IRSA trust policies name for this cluster."""
        if not self.oidc_issuer or self.account_id is None:
            return None
        host_path = self.oidc_issuer.removeprefix("https://")
        return f"arn:{self.partition}:iam::{self.account_id}:oidc-provider/{host_path}"

    def addon(self, name: str) -> Addon | None:
        return next((a for a in self.addons if a.name == name), None)

    def node_group(self, name: str) -> NodeGroup | None:
        return next((g for g in self.node_groups if g.name == name), None)

    def access_entry(self, principal_arn: str) -> AccessEntry | None:
        return next((e for e in self.access_entries if e.principal_arn == principal_arn), None)

    def pod_identity(self, namespace: str, service_account: str) -> PodIdentityAssociation | None:
        return next(
            (
                p
                for p in self.pod_identity_associations
                if p.namespace == namespace and p.service_account == service_account
            ),
            None,
        )


# ---------------------------------------------------------------------------
# VPC and EC2


@dataclass(frozen=True, slots=True)
class Vpc:
    vpc_id: str
    region: str | None = None
    cidr_blocks: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=_map, hash=False)
    source: Source = NO_SOURCE


@dataclass(frozen=True, slots=True)
class Subnet:
    subnet_id: str
    vpc_id: str
    cidr: str
    availability_zone: str
    availability_zone_id: str | None = None
    available_ip_addresses: int | None = None
    map_public_ip_on_launch: bool = False
    tags: dict[str, str] = field(default_factory=_map, hash=False)
    source: Source = NO_SOURCE

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(self.cidr, strict=False)

    @property
    def usable_addresses(self) -> int:
        """Addresses EC2 can hand out: the CIDR minus the 5 AWS reserves in every subnet."""
        return max(self.network.num_addresses - 5, 0)


@dataclass(frozen=True, slots=True)
class Route:
    """A route. ``destination`` is a CIDR, or a managed prefix list id (``pl-...``)
    for a prefix-list route such as a gateway endpoint's."""

    destination: str
    gateway_id: str | None = None
    state: str = "active"
    source: Source = NO_SOURCE

    @property
    def to_prefix_list(self) -> bool:
        return self.destination.startswith("pl-")

    @property
    def target_kind(self) -> RouteTargetKind:
        target = self.gateway_id or ""
        if target == "local":
            return RouteTargetKind.LOCAL
        for prefix, kind in _ROUTE_TARGET_PREFIXES:
            if target.startswith(prefix):
                return kind
        return RouteTargetKind.OTHER


_ROUTE_TARGET_PREFIXES = (
    ("igw-", RouteTargetKind.INTERNET_GATEWAY),
    ("eigw-", RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY),
    ("nat-", RouteTargetKind.NAT_GATEWAY),
    ("tgw-", RouteTargetKind.TRANSIT_GATEWAY),
    ("pcx-", RouteTargetKind.VPC_PEERING),
    ("vpce-", RouteTargetKind.VPC_ENDPOINT),
    ("eni-", RouteTargetKind.NETWORK_INTERFACE),
    ("vgw-", RouteTargetKind.VIRTUAL_PRIVATE_GATEWAY),
)


@dataclass(frozen=True, slots=True)
class RouteTable:
    route_table_id: str
    vpc_id: str
    main: bool = False
    subnet_ids: tuple[str, ...] = ()
    routes: tuple[Route, ...] = ()
    source: Source = NO_SOURCE

    def default_route(self) -> Route | None:
        """The active 0.0.0.0/0 route, if any."""
        return next(
            (r for r in self.routes if r.destination == "0.0.0.0/0" and r.state == "active"),
            None,
        )

    @property
    def is_public(self) -> bool:
        """A subnet using this table is public: its default route goes to an internet gateway."""
        route = self.default_route()
        return route is not None and route.target_kind is RouteTargetKind.INTERNET_GATEWAY


@dataclass(frozen=True, slots=True)
class InternetGateway:
    internet_gateway_id: str
    vpc_id: str | None = None
    source: Source = NO_SOURCE


@dataclass(frozen=True, slots=True)
class NatGateway:
    nat_gateway_id: str
    subnet_id: str
    public_ip: str | None = None
    private_ip: str | None = None
    connectivity_type: str = "public"
    source: Source = NO_SOURCE


@dataclass(frozen=True, slots=True)
class MetadataOptions:
    """IMDS settings. Defaults are EC2's API defaults when nothing is set."""

    http_tokens: HttpTokens = HttpTokens.OPTIONAL
    http_put_response_hop_limit: int = 1
    http_endpoint: HttpEndpoint = HttpEndpoint.ENABLED

    @property
    def imdsv1_allowed(self) -> bool:
        return (
            self.http_endpoint is HttpEndpoint.ENABLED and self.http_tokens is HttpTokens.OPTIONAL
        )

    @property
    def reachable_from_pods(self) -> bool:
        """Can a pod in its own network namespace (one extra hop) get credentials?

        IMDSv1 answers any hop; an IMDSv2 token needs a hop limit of at least 2.
        """
        if self.http_endpoint is HttpEndpoint.DISABLED:
            return False
        return self.http_tokens is HttpTokens.OPTIONAL or self.http_put_response_hop_limit >= 2


@dataclass(frozen=True, slots=True)
class NetworkInterface:
    eni_id: str
    subnet_id: str | None = None
    device_index: int = 0
    network_card_index: int = 0
    primary_ip: str | None = None
    secondary_ips: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    interface_type: str = "interface"
    security_group_ids: tuple[str, ...] = ()
    vpc_id: str | None = None
    description: str | None = None
    requester_managed: bool = False
    attached_instance_id: str | None = None
    source: Source = NO_SOURCE

    @property
    def subnet_addresses_used(self) -> int:
        """Subnet addresses this ENI holds: primary + secondaries + 16 per /28 prefix."""
        primary = 1 if self.primary_ip else 0
        per_prefix = sum(ipaddress.ip_network(p, strict=False).num_addresses for p in self.prefixes)
        return primary + len(self.secondary_ips) + per_prefix


@dataclass(frozen=True, slots=True)
class Instance:
    instance_id: str
    instance_type: str
    subnet_id: str
    availability_zone: str | None = None
    private_ip: str | None = None
    private_dns_name: str | None = None
    public_ip: str | None = None
    state: str = "running"
    node_name: str | None = None
    node_group: str | None = None
    cluster: str | None = None
    instance_profile_role_arn: str | None = None
    security_group_ids: tuple[str, ...] = ()
    metadata_options: MetadataOptions = MetadataOptions()
    network_interfaces: tuple[NetworkInterface, ...] = ()
    tags: dict[str, str] = field(default_factory=_map, hash=False)
    source: Source = NO_SOURCE

    def interface_subnet(self, eni: NetworkInterface) -> str:
        return eni.subnet_id or self.subnet_id


# ---------------------------------------------------------------------------
# IAM


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    """A managed policy: AWS managed (account ``aws``) or customer managed."""

    arn: str
    name: str
    document: PolicyDocument = field(default_factory=_doc, hash=False)
    path: str = "/"
    source: Source = NO_SOURCE

    @property
    def aws_managed(self) -> bool:
        parsed = Arn.parse(self.arn)
        return parsed is not None and parsed.account == "aws"


@dataclass(frozen=True, slots=True)
class IamRole:
    name: str
    arn: str
    path: str = "/"
    trust_policy: PolicyDocument = field(default_factory=_doc, hash=False)
    inline_policies: dict[str, PolicyDocument] = field(default_factory=dict, hash=False)
    attached_policy_arns: tuple[str, ...] = ()
    permissions_boundary_arn: str | None = None
    max_session_duration: int = 3600
    tags: dict[str, str] = field(default_factory=_map, hash=False)
    source: Source = NO_SOURCE

    @property
    def account_id(self) -> str | None:
        return account_of_arn(self.arn)


@dataclass(frozen=True, slots=True)
class OidcProvider:
    arn: str
    url: str
    client_ids: tuple[str, ...] = ()
    thumbprints: tuple[str, ...] = ()
    source: Source = NO_SOURCE

    @property
    def issuer_host_path(self) -> str:
        """The issuer without scheme: the prefix of its condition keys (``HOST/PATH:sub``)."""
        return self.url.removeprefix("https://")


@dataclass(frozen=True, slots=True)
class SamlProvider:
    arn: str
    name: str
    source: Source = NO_SOURCE


@dataclass(frozen=True, slots=True)
class Organization:
    """Where the account sits in AWS Organizations, with the policies of each level.

    ``scps`` and ``rcps`` hold one tuple of documents per level: root first, the
    account itself last (the same order as ``ou_path`` followed by the account).
    """

    ou_path: tuple[str, ...] = ()
    scps: tuple[tuple[PolicyDocument, ...], ...] = field(default=(), hash=False)
    rcps: tuple[tuple[PolicyDocument, ...], ...] = field(default=(), hash=False)
    source: Source = NO_SOURCE


# ---------------------------------------------------------------------------
# ECR


@dataclass(frozen=True, slots=True)
class EcrImage:
    digest: str
    tags: tuple[str, ...] = ()
    pushed_at: str | None = None
    source: Source = NO_SOURCE


@dataclass(frozen=True, slots=True)
class EcrEncryption:
    type: EcrEncryptionType = EcrEncryptionType.AES256
    kms_key: str | None = None


def _wildcard_match(pattern: str, text: str) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, text) is not None


@dataclass(frozen=True, slots=True)
class EcrRepository:
    name: str
    arn: str
    uri: str | None = None
    region: str | None = None
    tag_mutability: TagMutability = TagMutability.MUTABLE
    tag_mutability_exclusion_filters: tuple[str, ...] = ()
    scan_on_push: bool = False
    encryption: EcrEncryption = EcrEncryption()
    policy: PolicyDocument | None = field(default=None, hash=False)
    images: tuple[EcrImage, ...] = ()
    source: Source = NO_SOURCE

    @property
    def account_id(self) -> str | None:
        return account_of_arn(self.arn)

    def tag_is_mutable(self, tag: str) -> bool:
        """Can a push move ``tag`` to another image? Exclusion filters are ``*`` wildcards."""
        excluded = any(_wildcard_match(p, tag) for p in self.tag_mutability_exclusion_filters)
        match self.tag_mutability:
            case TagMutability.MUTABLE:
                return True
            case TagMutability.IMMUTABLE:
                return False
            case TagMutability.IMMUTABLE_WITH_EXCLUSION:
                return excluded
            case TagMutability.MUTABLE_WITH_EXCLUSION:
                return not excluded

    def digest_of(self, tag: str) -> str | None:
        return next((i.digest for i in self.images if tag in i.tags), None)


# ---------------------------------------------------------------------------
# Route53


@dataclass(frozen=True, slots=True)
class AliasTarget:
    dns_name: str
    hosted_zone_id: str
    evaluate_target_health: bool = False


@dataclass(frozen=True, slots=True)
class DnsRecord:
    """One Route 53 record set. A record with a set identifier has one routing
    policy: weighted, latency (``region``), failover, geolocation or multivalue."""

    name: str
    type: str
    ttl: int | None = None
    values: tuple[str, ...] = ()
    set_identifier: str | None = None
    alias_target: AliasTarget | None = None
    source: Source = NO_SOURCE
    weight: int | None = None
    region: str | None = None
    failover: str | None = None  # PRIMARY | SECONDARY
    geolocation_continent_code: str | None = None
    geolocation_country_code: str | None = None
    geolocation_subdivision_code: str | None = None
    multi_value_answer: bool = False
    health_check_id: str | None = None


@dataclass(frozen=True, slots=True)
class HostedZone:
    id: str
    name: str
    private: bool = False
    vpc_ids: tuple[str, ...] = ()
    records: tuple[DnsRecord, ...] = ()
    source: Source = NO_SOURCE

    def records_named(self, name: str) -> tuple[DnsRecord, ...]:
        wanted = _fqdn(name)
        return tuple(r for r in self.records if _fqdn(r.name) == wanted)


def _fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


# ---------------------------------------------------------------------------
# KMS


@dataclass(frozen=True, slots=True)
class KmsKey:
    key_id: str
    arn: str
    region: str | None = None
    description: str = ""
    key_state: KeyState = KeyState.ENABLED
    key_manager: KeyManager = KeyManager.CUSTOMER
    key_spec: str = "SYMMETRIC_DEFAULT"
    key_usage: str = "ENCRYPT_DECRYPT"
    rotation_enabled: bool = False
    policy: PolicyDocument = field(default_factory=_doc, hash=False)
    aliases: tuple[str, ...] = ()
    source: Source = NO_SOURCE

    @property
    def account_id(self) -> str | None:
        return account_of_arn(self.arn)

    @property
    def usable(self) -> bool:
        return self.key_state is KeyState.ENABLED


# ---------------------------------------------------------------------------
# ELBv2


@dataclass(frozen=True, slots=True)
class ListenerRule:
    """``priority`` is an integer, or ``"default"`` for the listener's default rule."""

    priority: int | str
    conditions: tuple[dict[str, object], ...] = field(default=(), hash=False)
    actions: tuple[dict[str, object], ...] = field(default=(), hash=False)
    source: Source = NO_SOURCE


@dataclass(frozen=True, slots=True)
class Listener:
    port: int
    protocol: str
    certificates: tuple[str, ...] = ()
    ssl_policy: str | None = None
    default_actions: tuple[dict[str, object], ...] = field(default=(), hash=False)
    rules: tuple[ListenerRule, ...] = ()
    source: Source = NO_SOURCE


@dataclass(frozen=True, slots=True)
class LoadBalancer:
    arn: str
    name: str
    dns_name: str | None = None
    canonical_hosted_zone_id: str | None = None
    scheme: LoadBalancerScheme = LoadBalancerScheme.INTERNET_FACING
    type: LoadBalancerType = LoadBalancerType.APPLICATION
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=_map, hash=False)
    listeners: tuple[Listener, ...] = ()
    source: Source = NO_SOURCE


# ---------------------------------------------------------------------------
# accounts and the whole state


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    alias: str | None = None
    partition: str = "aws"
    organization: Organization | None = None
    eks_clusters: tuple[EksCluster, ...] = ()
    vpcs: tuple[Vpc, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    internet_gateways: tuple[InternetGateway, ...] = ()
    nat_gateways: tuple[NatGateway, ...] = ()
    instances: tuple[Instance, ...] = ()
    roles: tuple[IamRole, ...] = ()
    policies: tuple[ManagedPolicy, ...] = ()
    oidc_providers: tuple[OidcProvider, ...] = ()
    saml_providers: tuple[SamlProvider, ...] = ()
    ecr_repositories: tuple[EcrRepository, ...] = ()
    hosted_zones: tuple[HostedZone, ...] = ()
    kms_keys: tuple[KmsKey, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    prefix_lists: tuple[ManagedPrefixList, ...] = ()
    network_acls: tuple[NetworkAcl, ...] = ()
    vpc_peering_connections: tuple[VpcPeeringConnection, ...] = ()
    network_interfaces: tuple[NetworkInterface, ...] = ()
    db_instances: tuple[DatabaseInstance, ...] = ()
    cache_clusters: tuple[CacheCluster, ...] = ()
    efs_mount_targets: tuple[EfsMountTarget, ...] = ()
    vpc_endpoints: tuple[VpcEndpoint, ...] = ()
    #: Network ACLs the input names but could not be read (an invalid entry): only
    #: their id, VPC, default flag and associations, no entries. The subnets they
    #: serve have an unknown ACL (not their VPC's default one).
    unreadable_network_acls: tuple[NetworkAcl, ...] = ()
    source: Source = NO_SOURCE

    @property
    def root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.id}:root"


_T = TypeVar("_T")


def _index(items: Iterable[_T], *keys: str) -> dict[str, _T]:
    index: dict[str, _T] = {}
    for item in items:
        for key in keys:
            value = getattr(item, key)
            if isinstance(value, str) and value not in index:
                index[value] = item
    return index


@dataclass(frozen=True, slots=True)
class CollectionGap:
    """A read that failed when ``ekstwin collect aws`` wrote the aws.json: what it
    left out is unknown, not absent."""

    service: str
    operation: str
    code: str
    message: str
    source: Source
    region: str | None = None
    resource: str | None = None


@dataclass(frozen=True, slots=True)
class AwsState:
    """Every AWS account the twin knows, plus the AWS managed policies they refer to.

    Lookups return None when the object is not in the model (it may live in an
    account that was not collected). ``collection_gaps`` are the reads that failed
    when the aws.json was collected.
    """

    accounts: tuple[Account, ...] = ()
    managed_policies: tuple[ManagedPolicy, ...] = ()
    collection_gaps: tuple[CollectionGap, ...] = ()
    _accounts: dict[str, Account] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )
    _roles: dict[str, IamRole] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )
    _policies: dict[str, ManagedPolicy] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )
    _subnets: dict[str, Subnet] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )
    _instances: dict[str, Instance] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )
    _keys: dict[str, KmsKey] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )
    _groups: dict[str, SecurityGroup] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )
    _prefix_lists: dict[str, ManagedPrefixList] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )
    _nacl_of_subnet: dict[str, NetworkAcl] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )
    # subnet id (association) or VPC id (default ACL) -> an ACL that could not be read
    _unreadable_nacl_of_subnet: dict[str, NetworkAcl] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self._accounts.update(_index(self.accounts, "id"))
        self._roles.update(_index(self.roles, "arn"))
        self._policies.update(_index((*self.managed_policies, *self.customer_policies), "arn"))
        self._subnets.update(_index(self.subnets, "subnet_id"))
        self._instances.update(_index(self.instances, "instance_id"))
        self._keys.update(_index(self.kms_keys, "arn"))
        self._groups.update(_index(self.security_groups, "group_id"))
        self._prefix_lists.update(_index(self.prefix_lists, "prefix_list_id"))
        for acl in self.network_acls:
            for subnet_id in acl.subnet_ids:
                self._nacl_of_subnet.setdefault(subnet_id, acl)
        for acl in self.unreadable_network_acls:
            for subnet_id in acl.subnet_ids:
                self._unreadable_nacl_of_subnet.setdefault(subnet_id, acl)
            if acl.is_default:
                self._unreadable_nacl_of_subnet.setdefault(acl.vpc_id, acl)

    # -- flat views over every account

    def _all(self, attribute: str) -> tuple[Any, ...]:
        out: list[Any] = []
        for account in self.accounts:
            out.extend(getattr(account, attribute))
        return tuple(out)

    @property
    def clusters(self) -> tuple[EksCluster, ...]:
        return self._all("eks_clusters")

    @property
    def security_groups(self) -> tuple[SecurityGroup, ...]:
        return self._all("security_groups")

    @property
    def prefix_lists(self) -> tuple[ManagedPrefixList, ...]:
        return self._all("prefix_lists")

    @property
    def unreadable_network_acls(self) -> tuple[NetworkAcl, ...]:
        return self._all("unreadable_network_acls")

    @property
    def network_acls(self) -> tuple[NetworkAcl, ...]:
        return self._all("network_acls")

    @property
    def vpc_peering_connections(self) -> tuple[VpcPeeringConnection, ...]:
        return self._all("vpc_peering_connections")

    @property
    def network_interfaces(self) -> tuple[NetworkInterface, ...]:
        """The ENIs collected on their own (not only as an instance's interfaces):
        load balancer nodes, the EKS control plane's, endpoints', databases'..."""
        return self._all("network_interfaces")

    @property
    def db_instances(self) -> tuple[DatabaseInstance, ...]:
        return self._all("db_instances")

    @property
    def cache_clusters(self) -> tuple[CacheCluster, ...]:
        return self._all("cache_clusters")

    @property
    def efs_mount_targets(self) -> tuple[EfsMountTarget, ...]:
        return self._all("efs_mount_targets")

    @property
    def vpc_endpoints(self) -> tuple[VpcEndpoint, ...]:
        return self._all("vpc_endpoints")

    def security_group(self, group_id: str) -> SecurityGroup | None:
        return self._groups.get(group_id)

    def prefix_list(self, prefix_list_id: str) -> ManagedPrefixList | None:
        return self._prefix_lists.get(prefix_list_id)

    def network_acl_for_subnet(self, subnet_id: str) -> NetworkAcl | None:
        """The subnet's network ACL: its explicit association, else its VPC's
        default ACL; None when neither is in the input, or when the one that
        applies could not be read (unknown, not open)."""
        acl = self._nacl_of_subnet.get(subnet_id)
        if acl is not None:
            return acl
        if subnet_id in self._unreadable_nacl_of_subnet:
            return None
        subnet = self.subnet(subnet_id)
        if subnet is None or subnet.vpc_id in self._unreadable_nacl_of_subnet:
            return None
        return next(
            (a for a in self.network_acls if a.vpc_id == subnet.vpc_id and a.is_default), None
        )

    @property
    def vpcs(self) -> tuple[Vpc, ...]:
        return self._all("vpcs")

    @property
    def subnets(self) -> tuple[Subnet, ...]:
        return self._all("subnets")

    @property
    def route_tables(self) -> tuple[RouteTable, ...]:
        return self._all("route_tables")

    @property
    def nat_gateways(self) -> tuple[NatGateway, ...]:
        return self._all("nat_gateways")

    @property
    def internet_gateways(self) -> tuple[InternetGateway, ...]:
        return self._all("internet_gateways")

    @property
    def instances(self) -> tuple[Instance, ...]:
        return self._all("instances")

    @property
    def roles(self) -> tuple[IamRole, ...]:
        return self._all("roles")

    @property
    def customer_policies(self) -> tuple[ManagedPolicy, ...]:
        return self._all("policies")

    @property
    def oidc_providers(self) -> tuple[OidcProvider, ...]:
        return self._all("oidc_providers")

    @property
    def saml_providers(self) -> tuple[SamlProvider, ...]:
        return self._all("saml_providers")

    @property
    def ecr_repositories(self) -> tuple[EcrRepository, ...]:
        return self._all("ecr_repositories")

    @property
    def hosted_zones(self) -> tuple[HostedZone, ...]:
        return self._all("hosted_zones")

    @property
    def kms_keys(self) -> tuple[KmsKey, ...]:
        return self._all("kms_keys")

    @property
    def load_balancers(self) -> tuple[LoadBalancer, ...]:
        return self._all("load_balancers")

    # -- lookups

    def account(self, account_id: str) -> Account | None:
        return self._accounts.get(account_id)

    def account_of(self, arn: str) -> Account | None:
        """The account holding the resource an ARN names, if it is in the model."""
        account_id = account_of_arn(arn)
        return self._accounts.get(account_id) if account_id else None

    def role(self, arn: str) -> IamRole | None:
        return self._roles.get(arn)

    def role_named(self, account_id: str, name: str) -> IamRole | None:
        """IAM role names are unique per account regardless of case."""
        account = self.account(account_id)
        if account is None:
            return None
        return next((r for r in account.roles if r.name.lower() == name.lower()), None)

    def policy(self, arn: str) -> ManagedPolicy | None:
        """An AWS managed or customer managed policy by ARN."""
        return self._policies.get(arn)

    def subnet(self, subnet_id: str) -> Subnet | None:
        return self._subnets.get(subnet_id)

    def vpc(self, vpc_id: str) -> Vpc | None:
        return next((v for v in self.vpcs if v.vpc_id == vpc_id), None)

    def instance(self, instance_id: str) -> Instance | None:
        return self._instances.get(instance_id)

    def instance_for_node(self, node_name: str) -> Instance | None:
        return next(
            (
                i
                for i in self.instances
                if node_name in (i.node_name, i.private_dns_name) and node_name
            ),
            None,
        )

    def cluster(self, name_or_arn: str, region: str | None = None) -> EksCluster | None:
        for cluster in self.clusters:
            if cluster.arn == name_or_arn:
                return cluster
            if cluster.name == name_or_arn and region in (None, cluster.region):
                return cluster
        return None

    def route_table_for_subnet(self, subnet_id: str) -> RouteTable | None:
        """The explicitly associated table, else the main table of the subnet's VPC."""
        tables = self.route_tables
        explicit = next((t for t in tables if subnet_id in t.subnet_ids), None)
        if explicit is not None:
            return explicit
        subnet = self.subnet(subnet_id)
        if subnet is None:
            return None
        return next((t for t in tables if t.vpc_id == subnet.vpc_id and t.main), None)

    def kms_key(self, ref: str, region: str | None = None) -> KmsKey | None:
        """A key by ARN, key id, alias name (``alias/x``) or alias ARN.

        A key id or alias name is ambiguous across accounts and regions; pass
        ``region`` to narrow it, the first match wins.
        """
        if ref in self._keys:
            return self._keys[ref]
        alias_region: str | None = region
        parsed = Arn.parse(ref)
        if parsed is not None and parsed.service == "kms" and parsed.resource.startswith("alias/"):
            alias_region = parsed.region
            for key in self.kms_keys:
                if (
                    key.account_id == parsed.account
                    and key.region in (None, parsed.region)
                    and parsed.resource in key.aliases
                ):
                    return key
            return None
        for key in self.kms_keys:
            if alias_region is not None and key.region not in (None, alias_region):
                continue
            if key.key_id == ref or ref in key.aliases:
                return key
        return None

    def oidc_provider(self, arn: str) -> OidcProvider | None:
        return next((p for p in self.oidc_providers if p.arn == arn), None)

    def oidc_providers_for_issuer(self, issuer: str) -> tuple[OidcProvider, ...]:
        """IAM OIDC providers (in any account) for an issuer URL."""
        wanted = issuer.removeprefix("https://").rstrip("/")
        return tuple(p for p in self.oidc_providers if p.issuer_host_path.rstrip("/") == wanted)

    def saml_provider(self, arn: str) -> SamlProvider | None:
        return next((p for p in self.saml_providers if p.arn == arn), None)

    def ecr_repository(self, ref: str) -> EcrRepository | None:
        """A repository by ARN, URI, or ``name`` (first match across accounts)."""
        for repo in self.ecr_repositories:
            if ref in (repo.arn, repo.uri, repo.name):
                return repo
        return None

    def hosted_zone(self, zone_id: str) -> HostedZone | None:
        wanted = zone_id.removeprefix("/hostedzone/")
        return next(
            (z for z in self.hosted_zones if z.id.removeprefix("/hostedzone/") == wanted), None
        )

    def load_balancer(self, arn_or_dns: str) -> LoadBalancer | None:
        return next(
            (lb for lb in self.load_balancers if arn_or_dns in (lb.arn, lb.dns_name)),
            None,
        )

    def iter_objects(self) -> Iterator[tuple[str, object]]:
        """Every top-level object as (kind, object), for summaries."""
        kinds = (
            ("EksCluster", self.clusters),
            ("Vpc", self.vpcs),
            ("Subnet", self.subnets),
            ("RouteTable", self.route_tables),
            ("InternetGateway", self.internet_gateways),
            ("NatGateway", self.nat_gateways),
            ("Instance", self.instances),
            ("IamRole", self.roles),
            ("ManagedPolicy", self.customer_policies),
            ("OidcProvider", self.oidc_providers),
            ("SamlProvider", self.saml_providers),
            ("EcrRepository", self.ecr_repositories),
            ("HostedZone", self.hosted_zones),
            ("KmsKey", self.kms_keys),
            ("LoadBalancer", self.load_balancers),
            ("SecurityGroup", self.security_groups),
            ("ManagedPrefixList", self.prefix_lists),
            ("NetworkAcl", self.network_acls),
            ("VpcPeeringConnection", self.vpc_peering_connections),
            ("NetworkInterface", self.network_interfaces),
            ("DatabaseInstance", self.db_instances),
            ("CacheCluster", self.cache_clusters),
            ("EfsMountTarget", self.efs_mount_targets),
            ("VpcEndpoint", self.vpc_endpoints),
        )
        for kind, objects in kinds:
            for obj in objects:
                yield kind, obj
