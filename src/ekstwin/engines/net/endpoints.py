"""Endpoints of the network engine: pods, host-network pods, nodes and outside addresses.

An :class:`Endpoint` holds everything policy can see about one end of a flow:
its namespace and the namespace's labels, its labels, its service account and
the service account's labels, its named container ports and its address.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ekstwin.model.k8s import NAMESPACE_NAME_LABEL, Pod
from ekstwin.model.platform import Platform

log = logging.getLogger(__name__)

IMDS_ADDRESS = "169.254.169.254"
#: The address ``--to internet`` stands for (TEST-NET-3, outside any VPC of the twin).
INTERNET_ADDRESS = "203.0.113.1"

CALICO_NAME_LABEL = "projectcalico.org/name"
CALICO_NAMESPACE_LABEL = "projectcalico.org/namespace"
CALICO_ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"
CALICO_SA_LABEL = "projectcalico.org/serviceaccount"


class EndpointKind(StrEnum):
    POD = "pod"
    HOST = "host"  # a node address; host-network pods are judged as their node
    EXTERNAL = "external"


@dataclass(frozen=True, slots=True, eq=False)
class Endpoint:
    kind: EndpointKind
    name: str
    ip: int | None = None
    namespace: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    ns_labels: Mapping[str, str] = field(default_factory=dict)
    service_account: str | None = None
    sa_labels: Mapping[str, str] = field(default_factory=dict)
    named_ports: tuple[tuple[str, str, int], ...] = ()
    node: str | None = None
    pod: Pod | None = None

    @property
    def address(self) -> str | None:
        return None if self.ip is None else str(ipaddress.IPv4Address(self.ip))

    def calico_sa_labels(self) -> dict[str, str]:
        """The labels a Calico ``serviceAccountSelector`` sees: the pod's service
        account's own labels and its name as ``projectcalico.org/name``."""
        return {**self.sa_labels, CALICO_NAME_LABEL: self.service_account or "default"}

    def calico_labels(self) -> dict[str, str]:
        """The labels a Calico selector sees on a workload endpoint."""
        out = dict(self.labels)
        if self.kind is EndpointKind.POD:
            out[CALICO_NAMESPACE_LABEL] = self.namespace or ""
            out[CALICO_ORCHESTRATOR_LABEL] = "k8s"
            out[CALICO_SA_LABEL] = self.service_account or "default"
        return out


def ip_int(text: str | None) -> int | None:
    if not text:
        return None
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    return int(addr) if addr.version == 4 else None


@dataclass(frozen=True, slots=True)
class Cidr:
    """An IPv4 network as (first, last) integers; IPv6 networks never match."""

    text: str
    first: int
    last: int

    @classmethod
    def parse(cls, text: str) -> Cidr:
        try:
            net = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            return cls(text, 1, 0)
        if net.version != 4:
            return cls(text, 1, 0)
        return cls(text, int(net.network_address), int(net.broadcast_address))

    def contains(self, ip: int | None) -> bool:
        return ip is not None and self.first <= ip <= self.last


@dataclass(frozen=True, slots=True)
class Addresses:
    pod_ips: dict[str, str]
    node_ips: dict[str, str]
    vpc_cidrs: tuple[str, ...]


def platform_addresses(platform: Platform) -> Addresses:
    """Pod and node addresses: from the ipam engine when present, else from the input."""
    pod_ips: dict[str, str] = {}
    node_ips: dict[str, str] = {}
    vpc: tuple[str, ...] = ()
    try:
        from ekstwin.engines.ipam import addresses as ipam_addresses

        got = ipam_addresses.pod_addressing(platform)
        pod_ips = dict(got.pod_ips)
        node_ips = dict(got.node_ips)
        vpc = tuple(str(c) for c in got.vpc_cidrs)
    except ImportError:
        log.debug("ipam addressing not available; using status.podIP only")
    for p in platform.pods:
        if p.ip and p.key not in pod_ips:
            pod_ips[p.key] = p.ip
    for n in platform.nodes:
        if n.internal_ip and n.name not in node_ips:
            node_ips[n.name] = n.internal_ip
    if not vpc:
        vpc = tuple(c for v in platform.aws.vpcs for c in v.cidr_blocks)
    return Addresses(pod_ips, node_ips, vpc)


def namespace_labels(platform: Platform) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for ns in platform.namespaces:
        labels = dict(ns.labels)
        labels.setdefault(NAMESPACE_NAME_LABEL, ns.name)
        out[ns.name] = labels
    for p in platform.pods:
        out.setdefault(p.namespace, {NAMESPACE_NAME_LABEL: p.namespace})
    return out


def service_account_labels(platform: Platform) -> dict[tuple[str, str], dict[str, str]]:
    return {(sa.meta.ns, sa.meta.name): dict(sa.meta.labels) for sa in platform.service_accounts}
