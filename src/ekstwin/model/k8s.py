"""Kubernetes objects of the platform model.

Every object carries its :class:`Meta`, which holds where it came from.
Workload controllers are expanded into the :class:`Pod` objects they would
create (see ``ekstwin.loaders.assemble``); a pod made that way points back to
its workload and to the workload's source.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field
from enum import StrEnum

from ekstwin.model._dataclass import dataclass
from ekstwin.model.images import ImageRef, PullPolicy
from ekstwin.model.selectors import LabelSelector
from ekstwin.model.source import ObjectRef, Source

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
DEFAULT_NAMESPACE = "default"


class Protocol(StrEnum):
    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"


@dataclass(frozen=True, slots=True)
class OwnerRef:
    kind: str
    name: str
    controller: bool = False


@dataclass(frozen=True, slots=True)
class Meta:
    """Identity, labels and origin of an object.

    ``lines`` maps JSON Pointers inside the object (``/spec/ingress/0``) to
    their line, for the kinds whose parts findings point at (policies, RBAC
    roles, Ingresses); it is empty for the others.
    """

    api_version: str
    kind: str
    name: str
    namespace: str | None
    source: Source
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    owners: tuple[OwnerRef, ...] = ()
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ns(self) -> str:
        """The namespace of a namespaced object, as engines read it. The loaders
        give every namespaced object of the input a namespace (``--namespace``, else
        ``default`` with a warning, as ``kubectl apply`` does), so engines do not
        default it again; an object built without one (a model made by hand) is
        read in ``default`` too. Cluster-scoped objects have no namespace: read
        ``namespace`` (None) for them."""
        return self.namespace or DEFAULT_NAMESPACE

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.kind, self.name, self.namespace)

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    def line_of(self, pointer: str) -> Source:
        """The source of a part of the object: the nearest known ancestor's line."""
        p = pointer
        while p:
            line = self.lines.get(p)
            if line is not None:
                return Source(self.source.file, line)
            p = p.rpartition("/")[0]
        return self.source


@dataclass(frozen=True, slots=True)
class Namespace:
    meta: Meta
    implicit: bool = False

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def labels(self) -> dict[str, str]:
        """The labels including the automatic ``kubernetes.io/metadata.name``."""
        return self.meta.labels


@dataclass(frozen=True, slots=True)
class Node:
    meta: Meta
    instance_type: str | None = None
    zone: str | None = None
    internal_ip: str | None = None
    instance_id: str | None = None
    implicit: bool = False

    @property
    def name(self) -> str:
        return self.meta.name


@dataclass(frozen=True, slots=True)
class ContainerPort:
    container_port: int
    protocol: Protocol = Protocol.TCP
    name: str | None = None
    host_port: int | None = None


class ContainerKind(StrEnum):
    CONTAINER = "container"
    INIT = "init"
    EPHEMERAL = "ephemeral"


@dataclass(frozen=True, slots=True)
class Container:
    name: str
    image: ImageRef
    pull_policy: PullPolicy
    pull_policy_defaulted: bool
    ports: tuple[ContainerPort, ...] = ()
    kind: ContainerKind = ContainerKind.CONTAINER
    restart_policy: str | None = None
    pointer: str = ""  # JSON Pointer of the container inside its object
    #: The names of its ``env`` entries, in order, each with its literal value only
    #: when the name is in ``ENV_VALUES_KEPT`` (never a secret); None otherwise.
    env: tuple[tuple[str, str | None], ...] = ()
    #: Whether ``envFrom`` adds variables whose names the manifest does not show.
    env_from: bool = False
    #: Names of ``env`` entries written as a literal ``value`` (not ``valueFrom``).
    env_literal: frozenset[str] = frozenset()
    #: ``command`` and ``args`` as written (a secret-looking ``--flag=value`` has its
    #: value redacted when read).
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()

    def env_value(self, name: str) -> str | None:
        for key, value in self.env:
            if key == name:
                return value
        return None

    def has_env(self, name: str) -> bool:
        return any(key == name for key, _ in self.env)


#: Environment variables whose literal values ekstwin keeps: AWS SDK settings
#: that name roles, files and regions, never credentials.
ENV_VALUES_KEPT = frozenset(
    {
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_SESSION_NAME",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_STS_REGIONAL_ENDPOINTS",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_PROFILE",
        "AWS_EC2_METADATA_DISABLED",
        # the VPC CNI network policy settings (which enforcer runs, in which mode)
        "ENABLE_NETWORK_POLICY",
        "NETWORK_POLICY_ENFORCING_MODE",
        # the VPC CNI settings that place pods in the VPC (security groups for pods
        # and their mode, custom networking, SNAT)
        "ENABLE_POD_ENI",
        "POD_SECURITY_GROUP_ENFORCING_MODE",
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
        "ENI_CONFIG_LABEL_DEF",
        "AWS_VPC_K8S_CNI_EXTERNALSNAT",
        "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS",
        # the SNAT port range (the reply ports network ACLs must allow)
        "AWS_VPC_K8S_CNI_RANDOMIZESNAT",
    }
)

#: Command-line flags whose values ekstwin reads: a container's ``command`` and
#: ``args`` keep these flags' values and every flag's name; every other word is
#: redacted when read. An engine that reads a new flag adds it here.
FLAG_VALUES_KEPT = frozenset(
    {
        # ExternalDNS's options (the dns engine)
        "txt-owner-id", "policy", "domain-filter", "exclude-domains", "txt-prefix",
        "txt-suffix", "source", "aws-prefer-cname", "aws-evaluate-target-health",
        "aws-zone-type", "provider", "registry",
        # the VPC CNI network policy agent (the net engine's enforcer)
        "enable-network-policy",
        # the AWS Load Balancer Controller (the ingress engine's options)
        "cluster-name", "ingress-class", "default-target-type", "default-ssl-policy",
        "default-load-balancer-scheme", "feature-gates", "external-managed-tags",
        "enable-backend-security-group", "backend-security-group",
        "enable-manage-backend-security-group-rules", "service-target-eni-security-group-tags",
    }
)  # fmt: skip

#: Flag values kept whatever the flag: booleans are never secret, and flags such as
#: the controllers' ``--enable-x=false`` are read.
FLAG_VALUES_ALWAYS_KEPT = frozenset({"true", "false", "True", "False"})

#: Of ``FLAG_VALUES_KEPT``, the flags that take no separate value (``--flag`` alone
#: means true): the word after them is not theirs.
FLAGS_WITHOUT_VALUE = frozenset({"aws-prefer-cname", "aws-evaluate-target-health"})


@dataclass(frozen=True, slots=True)
class PodSpec:
    """What a pod template says (shared by every pod a workload makes)."""

    containers: tuple[Container, ...]
    service_account: str = "default"
    node_name: str | None = None
    host_network: bool = False
    node_selector: dict[str, str] = field(default_factory=dict)
    claim_names: tuple[str, ...] = ()
    automount_service_account_token: bool | None = None

    @property
    def all_ports(self) -> tuple[ContainerPort, ...]:
        return tuple(
            p
            for c in self.containers
            if c.kind is ContainerKind.CONTAINER or c.restart_policy == "Always"
            for p in c.ports
        )


class WorkloadKind(StrEnum):
    DEPLOYMENT = "Deployment"
    REPLICA_SET = "ReplicaSet"
    STATEFUL_SET = "StatefulSet"
    DAEMON_SET = "DaemonSet"
    JOB = "Job"
    CRON_JOB = "CronJob"
    REPLICATION_CONTROLLER = "ReplicationController"


@dataclass(frozen=True, slots=True)
class VolumeClaimTemplate:
    name: str
    storage_class_name: str | None
    access_modes: tuple[str, ...]
    storage: str | None


@dataclass(frozen=True, slots=True)
class Workload:
    """A controller that makes pods: Deployment, StatefulSet, DaemonSet, Job, ..."""

    meta: Meta
    kind: WorkloadKind
    replicas: int
    selector: LabelSelector | None
    template_labels: dict[str, str]
    template_annotations: dict[str, str]
    spec: PodSpec
    volume_claim_templates: tuple[VolumeClaimTemplate, ...] = ()
    service_name: str | None = None
    schedule: str | None = None
    pvc_retention: dict[str, str] = field(default_factory=dict)

    @property
    def ref(self) -> ObjectRef:
        return self.meta.ref


@dataclass(frozen=True, slots=True)
class Pod:
    """A pod: given as a Pod object or made by expanding a workload.

    ``ip`` is the pod address when the input gives one (``status.podIP``);
    engines that need an address for every pod get it from the ipam engine.
    """

    meta: Meta
    spec: PodSpec
    workload: ObjectRef | None = None
    ip: str | None = None
    host_ip: str | None = None
    phase: str | None = None
    ordinal: int | None = None

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def namespace(self) -> str:
        return self.meta.ns

    @property
    def labels(self) -> dict[str, str]:
        return self.meta.labels

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def workload_key(self) -> str:
        """``ns/name`` of the workload that made the pod, or of the pod itself."""
        if self.workload is not None:
            return f"{self.namespace}/{self.workload.name}"
        return self.key


@dataclass(frozen=True, slots=True)
class ServicePort:
    port: int
    target_port: int | str
    protocol: Protocol = Protocol.TCP
    name: str | None = None
    node_port: int | None = None

    def target_for(self, pod: Pod) -> int | None:
        """The port of ``pod`` this Service port sends to, found as the EndpointSlice
        controller finds it: a number is taken as it is; a name is the first
        container port of that name AND of this port's protocol, in the pod's
        containers, then in its restartable init (sidecar) containers. None when
        the pod has no such port: the pod then backs the Service's other ports,
        not this one."""
        if isinstance(self.target_port, int):
            return self.target_port
        for kind in (ContainerKind.CONTAINER, ContainerKind.INIT):
            for c in pod.spec.containers:
                if c.kind is not kind:
                    continue
                if kind is ContainerKind.INIT and c.restart_policy != "Always":
                    continue
                for cp in c.ports:
                    if cp.name == self.target_port and cp.protocol is self.protocol:
                        return cp.container_port
        return None


@dataclass(frozen=True, slots=True)
class Service:
    """A Service. Which pods back it on which port is decided here, for every
    engine: :meth:`selects` and :meth:`backends`."""

    meta: Meta
    type: str = "ClusterIP"
    selector: dict[str, str] | None = None
    ports: tuple[ServicePort, ...] = ()
    cluster_ip: str | None = None
    external_name: str | None = None
    load_balancer_hostnames: tuple[str, ...] = ()
    load_balancer_class: str | None = None
    ip_families: tuple[str, ...] = ()  # spec.ipFamilies ("IPv4", "IPv6"); () when not given

    def selects(self, pod: Pod) -> bool:
        """Whether the Service's selector picks ``pod``: a pod of the Service's
        namespace carrying every label of the selector. A Service without a
        selector (or with an empty one) picks no pod: its endpoints are written by
        hand or by another controller, and the input does not say which."""
        if not self.selector or pod.namespace != self.meta.ns:
            return False
        return all(pod.labels.get(k) == v for k, v in self.selector.items())

    def port(self, number: int, protocol: Protocol | str) -> ServicePort | None:
        """The Service port of that number and protocol."""
        return next((p for p in self.ports if p.port == number and p.protocol == protocol), None)

    def backends(
        self, port: ServicePort, pods: Iterable[Pod]
    ) -> tuple[tuple[Pod, int], ...] | None:
        """The pods of ``pods`` that back ``port`` of this Service, each with the
        port it receives on (:meth:`ServicePort.target_for`), by pod name; a
        host-network pod is a backend at its node's address. None when the
        Service has no selector: its endpoints are unknown, not empty."""
        if not self.selector:
            return None
        out = []
        for pod in pods:
            if not self.selects(pod):
                continue
            target = port.target_for(pod)
            if target is not None:
                out.append((pod, target))
        out.sort(key=lambda pt: pt[0].name)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class IngressBackend:
    service_name: str | None
    service_port: int | str | None
    resource: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class IngressPath:
    path: str | None
    path_type: str
    backend: IngressBackend
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class IngressRule:
    host: str | None
    paths: tuple[IngressPath, ...]


@dataclass(frozen=True, slots=True)
class IngressTls:
    hosts: tuple[str, ...]
    secret_name: str | None


@dataclass(frozen=True, slots=True)
class Ingress:
    meta: Meta
    ingress_class_name: str | None
    rules: tuple[IngressRule, ...]
    tls: tuple[IngressTls, ...] = ()
    default_backend: IngressBackend | None = None
    status_hostnames: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IngressClass:
    meta: Meta
    controller: str
    parameters: dict[str, str] | None = None
    is_default: bool = False


@dataclass(frozen=True, slots=True)
class IpBlock:
    cidr: str
    except_: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NetpolPeer:
    """One entry of ``from``/``to``; both selectors in one peer AND together."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IpBlock | None = None


@dataclass(frozen=True, slots=True)
class NetpolPort:
    """``port`` None means every port of ``protocol``; a str is a named port."""

    protocol: Protocol = Protocol.TCP
    port: int | str | None = None
    end_port: int | None = None


@dataclass(frozen=True, slots=True)
class NetpolRule:
    """An ingress or egress rule. Empty ``peers`` matches every peer and
    empty ``ports`` every port, as in the API."""

    peers: tuple[NetpolPeer, ...] = ()
    ports: tuple[NetpolPort, ...] = ()
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """A Kubernetes NetworkPolicy (networking.k8s.io/v1).

    ``policy_types`` is effective: when the spec omits it, Ingress always and
    Egress when the policy has egress rules (the API server's defaulting).
    """

    meta: Meta
    pod_selector: LabelSelector
    policy_types: tuple[str, ...]
    ingress: tuple[NetpolRule, ...] = ()
    egress: tuple[NetpolRule, ...] = ()
    declared_policy_types: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    meta: Meta
    automount_token: bool | None = None
    image_pull_secrets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PolicyRule:
    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class Role:
    """A Role (``cluster`` False) or ClusterRole (``cluster`` True)."""

    meta: Meta
    cluster: bool
    rules: tuple[PolicyRule, ...]
    aggregation_selectors: tuple[LabelSelector, ...] | None = None


@dataclass(frozen=True, slots=True)
class RoleRef:
    kind: str
    name: str
    api_group: str = "rbac.authorization.k8s.io"


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str
    name: str
    namespace: str | None = None
    api_group: str | None = None


@dataclass(frozen=True, slots=True)
class RoleBinding:
    """A RoleBinding (``cluster`` False) or ClusterRoleBinding (``cluster`` True)."""

    meta: Meta
    cluster: bool
    role_ref: RoleRef
    subjects: tuple[Subject, ...]


@dataclass(frozen=True, slots=True)
class ConfigMap:
    meta: Meta
    data: dict[str, str]


@dataclass(frozen=True, slots=True)
class Secret:
    """A Secret's shape only: its keys. Values are dropped when it is read.

    ``credentials`` holds, for each key whose value looked like a credential when
    it was read, why (``"private key material"``); when the values were dropped
    before they could be judged (an older snapshot), the keys whose names say so."""

    meta: Meta
    type: str
    keys: tuple[str, ...]
    had_values: bool
    keys_with_values: tuple[str, ...] = ()
    credentials: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class AwsAuthSso:
    """The ``sso`` matcher of a mapRoles entry: IAM Identity Center roles of a
    permission set (``AWSReservedSSO_<name>_<suffix>``) in one account."""

    permission_set_name: str
    account_id: str
    partition: str | None = None


@dataclass(frozen=True, slots=True)
class AwsAuthEntry:
    """One mapRoles/mapUsers entry of the ``kube-system/aws-auth`` ConfigMap.

    A mapRoles entry has a ``rolearn`` or an ``sso`` matcher (then ``arn`` is
    empty)."""

    arn: str
    username: str | None
    groups: tuple[str, ...]
    source: Source
    sso: AwsAuthSso | None = None


@dataclass(frozen=True, slots=True)
class AwsAuth:
    map_roles: tuple[AwsAuthEntry, ...]
    map_users: tuple[AwsAuthEntry, ...]
    map_accounts: tuple[str, ...]
    source: Source


@dataclass(frozen=True, slots=True)
class StorageClass:
    meta: Meta
    provisioner: str
    parameters: dict[str, str]
    reclaim_policy: str = "Delete"
    volume_binding_mode: str = "Immediate"
    allow_volume_expansion: bool = False
    allowed_topologies: tuple[dict[str, tuple[str, ...]], ...] = ()
    is_default: bool = False


@dataclass(frozen=True, slots=True)
class PersistentVolumeClaim:
    """A claim; ``template_of`` names the StatefulSet when it comes from
    ``volumeClaimTemplates`` (``<template>-<statefulset>-<ordinal>``)."""

    meta: Meta
    storage_class_name: str | None
    access_modes: tuple[str, ...]
    storage: str | None = None
    volume_name: str | None = None
    volume_mode: str = "Filesystem"
    template_of: ObjectRef | None = None


@dataclass(frozen=True, slots=True)
class PersistentVolume:
    meta: Meta
    storage_class_name: str | None
    access_modes: tuple[str, ...]
    capacity: str | None = None
    reclaim_policy: str = "Retain"
    csi_driver: str | None = None
    volume_handle: str | None = None
    zones: tuple[str, ...] = ()
    claim: ObjectRef | None = None


@dataclass(frozen=True, slots=True)
class OpaqueObject:
    """An object of a kind the model does not read; kept and counted."""

    meta: Meta
    body: dict[str, object] = field(compare=False, repr=False, default_factory=dict)
