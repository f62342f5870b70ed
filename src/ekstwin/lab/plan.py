"""What the lab builds: namespaces, interfaces and addresses, derived from the twin.

Pure data, no I/O. Pod and node addresses and pod placement come from the ipam
engine (:func:`ekstwin.engines.ipam.addresses.pod_addressing`), so a platform
given as manifests alone gets nodes from ``spec.nodeName`` (or one default
node) and addresses from the default VPC in 198.18.0.0/15.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ekstwin.engines.ipam.addresses import pod_addressing
from ekstwin.engines.ipam.topology import eni_config_name, eni_configs
from ekstwin.lab.aws import aws_layer_present, branch_groups, service_destinations
from ekstwin.lab.system import LabError
from ekstwin.model.platform import Platform

__all__ = [
    "INTERNET_ADDRESS",
    "INTERNET_CIDR",
    "LabPlan",
    "NatSite",
    "NodeSite",
    "PodSite",
    "ServiceSite",
    "build_plan",
    "custom_network_groups",
    "workload_iface",
]

#: The "internet" host of the lab (TEST-NET-3).
INTERNET_ADDRESS = "203.0.113.1"
INTERNET_CIDR = "203.0.113.0/24"
#: Ports the internet host answers on besides every pod port.
INTERNET_PORTS: tuple[tuple[str, int], ...] = (("TCP", 80), ("TCP", 443), ("UDP", 53))


def workload_iface(pod_key: str, prefix: str = "cali") -> str:
    """The node-side interface name of a pod, ``cali`` + 11 hex digits (as Felix
    names it); ``vlan`` for a branch-ENI pod in strict mode, as the VPC CNI names
    it so that Calico, which manages ``cali``/``eni`` interfaces, leaves it alone."""
    return prefix + hashlib.sha1(pod_key.encode()).hexdigest()[:11]


@dataclass(frozen=True, slots=True)
class NodeSite:
    name: str
    ip: str
    netns: str
    vpc_iface: str  # the node's link in the vpc router namespace


@dataclass(frozen=True, slots=True)
class PodSite:
    key: str
    ip: str
    node: str
    netns: str
    iface: str  # node-side veth
    ports: tuple[tuple[str, int], ...]  # (TCP|UDP, port) served by the listener
    #: The pod's branch ENI (security groups for pods): the link between its node
    #: namespace and the VPC router that carries the pod's traffic ("" = none).
    branch: str = ""


@dataclass(frozen=True, slots=True)
class ServiceSite:
    """An AWS service's network interface (RDS, cache node, EFS mount target,
    interface endpoint) as a namespace of its own with a listener on its port."""

    name: str  # rds:ID, cache:ID, efs:ID, vpce:ID (as ``net can --to`` names it)
    kind: str
    ip: str
    netns: str
    vpc_iface: str  # its link in the vpc router namespace
    port: int


@dataclass(frozen=True, slots=True)
class NatSite:
    """A NAT gateway as a namespace in its subnet: it SNATs what it forwards to
    its own address (ports 1024-65535, as AWS documents) and sends it on by its
    subnet's route table."""

    gateway_id: str
    ip: str
    netns: str
    vpc_iface: str


@dataclass(frozen=True, slots=True)
class LabPlan:
    prefix: str
    nodes: tuple[NodeSite, ...]
    pods: tuple[PodSite, ...]
    vpc_cidrs: tuple[str, ...]
    external_snat: bool
    exclude_snat_cidrs: tuple[str, ...]
    assumptions: tuple[str, ...] = ()
    skipped: tuple[str, ...] = field(default=())
    #: Whether the AWS layer (security groups, network ACLs, route tables) is built.
    aws: bool = False
    services: tuple[ServiceSite, ...] = ()
    #: POD_SECURITY_GROUP_ENFORCING_MODE: strict or standard.
    pod_sg_mode: str = "strict"
    nats: tuple[NatSite, ...] = ()
    #: AWS_VPC_K8S_CNI_RANDOMIZESNAT: prng (--random-fully), hashrandom (--random), none.
    randomize_snat: str = "prng"

    @property
    def vpc_netns(self) -> str:
        return f"{self.prefix}vpc"

    @property
    def internet_netns(self) -> str:
        return f"{self.prefix}inet"

    @property
    def internet_ports(self) -> tuple[tuple[str, int], ...]:
        ports = set(INTERNET_PORTS)
        for p in self.pods:
            ports.update(p.ports)
        return tuple(sorted(ports))

    def node(self, name: str) -> NodeSite:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def namespaces(self) -> list[str]:
        return [
            self.vpc_netns,
            self.internet_netns,
            *(n.netns for n in self.nodes),
            *(p.netns for p in self.pods),
            *(s.netns for s in self.services),
            *(g.netns for g in self.nats),
        ]

    def to_json(self) -> dict[str, object]:
        return {
            "prefix": self.prefix,
            "nodes": [[n.name, n.ip, n.netns, n.vpc_iface] for n in self.nodes],
            "pods": [
                [p.key, p.ip, p.node, p.netns, p.iface, [list(x) for x in p.ports], p.branch]
                for p in self.pods
            ],
            "aws": self.aws,
            "services": [
                [s.name, s.kind, s.ip, s.netns, s.vpc_iface, s.port] for s in self.services
            ],
            "pod_sg_mode": self.pod_sg_mode,
            "nats": [[g.gateway_id, g.ip, g.netns, g.vpc_iface] for g in self.nats],
            "randomize_snat": self.randomize_snat,
            "vpc_cidrs": list(self.vpc_cidrs),
            "external_snat": self.external_snat,
            "exclude_snat_cidrs": list(self.exclude_snat_cidrs),
            "assumptions": list(self.assumptions),
            "skipped": list(self.skipped),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> LabPlan:
        def strs(key: str) -> tuple[str, ...]:
            raw = data.get(key, [])
            assert isinstance(raw, list)
            return tuple(str(x) for x in raw)

        nodes_raw = data["nodes"]
        pods_raw = data["pods"]
        services_raw = data.get("services", [])
        nats_raw = data.get("nats", [])
        assert isinstance(nodes_raw, list) and isinstance(pods_raw, list)
        assert isinstance(services_raw, list) and isinstance(nats_raw, list)
        return cls(
            prefix=str(data["prefix"]),
            nodes=tuple(NodeSite(*(str(x) for x in n)) for n in nodes_raw),
            pods=tuple(
                PodSite(
                    str(p[0]),
                    str(p[1]),
                    str(p[2]),
                    str(p[3]),
                    str(p[4]),
                    tuple((str(a), int(b)) for a, b in p[5]),
                    str(p[6]) if len(p) > 6 else "",
                )
                for p in pods_raw
            ),
            aws=bool(data.get("aws", False)),
            services=tuple(
                ServiceSite(str(x[0]), str(x[1]), str(x[2]), str(x[3]), str(x[4]), int(x[5]))
                for x in services_raw
            ),
            pod_sg_mode=str(data.get("pod_sg_mode", "strict")),
            nats=tuple(NatSite(*(str(x) for x in g)) for g in nats_raw),
            randomize_snat=str(data.get("randomize_snat", "prng")),
            vpc_cidrs=strs("vpc_cidrs"),
            external_snat=bool(data.get("external_snat", False)),
            exclude_snat_cidrs=strs("exclude_snat_cidrs"),
            assumptions=strs("assumptions"),
            skipped=strs("skipped"),
        )


def custom_network_groups(platform: Platform) -> dict[str, tuple[str, ...] | None]:
    """With custom networking (``AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG``), the
    security groups of each node's pod ENIs: its ENIConfig's ``securityGroups``
    (the node's primary ENI's when it lists none: an empty dict entry is not
    made then), None when the ENIConfig is not in the input. Empty without
    custom networking."""
    cluster = platform.eks_cluster()
    if cluster is None or not cluster.vpc_cni.custom_network:
        return {}
    configs = eni_configs(platform)
    out: dict[str, tuple[str, ...] | None] = {}
    for node in platform.nodes:
        config = configs.get(eni_config_name(node, cluster.vpc_cni))
        if config is None:
            out[node.name] = None
        elif config.security_groups:
            out[node.name] = config.security_groups
    return out


def build_plan(
    platform: Platform,
    prefix: str,
    *,
    max_pods: int | None = None,
    namespaces: tuple[str, ...] = (),
) -> LabPlan:
    """The lab for ``platform``: every pod (or the first ``max_pods`` by ``ns/name``
    of the given namespaces) on its node, with the twin's addresses."""
    addressing = pod_addressing(platform)
    skipped: list[str] = []
    pods: list[PodSite] = []
    seen_ips: set[str] = set()
    aws = aws_layer_present(platform)
    branches = 0
    cluster = platform.eks_cluster()
    cni = cluster.vpc_cni if cluster is not None else None
    mode = cni.pod_security_group_enforcing_mode if cni else "strict"
    for pod in sorted(platform.pods, key=lambda p: p.key):
        if namespaces and pod.namespace not in namespaces:
            continue
        if pod.spec.host_network:
            skipped.append(f"{pod.key}: hostNetwork pod (it shares its node's namespace)")
            continue
        ip = addressing.pod_ips.get(pod.key)
        node = addressing.pod_nodes.get(pod.key)
        if ip is None or node is None or ":" in ip:
            skipped.append(f"{pod.key}: no IPv4 address or node")
            continue
        if ip in seen_ips:
            skipped.append(f"{pod.key}: address {ip} is already taken by another pod")
            continue
        if max_pods is not None and len(pods) >= max_pods:
            skipped.append(f"{pod.key}: beyond --max-pods {max_pods}")
            continue
        seen_ips.add(ip)
        branch = ""
        iface = workload_iface(pod.key)
        if aws and branch_groups(platform, pod) is not None:
            branch = f"br{branches}"
            branches += 1
            if mode == "strict":
                iface = workload_iface(pod.key, "vlan")
        ports = sorted(
            {
                (p.protocol.value, p.container_port)
                for p in pod.spec.all_ports
                if p.protocol.value in ("TCP", "UDP")
            }
        )
        pods.append(
            PodSite(
                key=pod.key,
                ip=ip,
                node=node,
                netns=f"{prefix}p{len(pods)}",
                iface=iface,
                ports=tuple(ports),
                branch=branch,
            )
        )
    used_nodes = sorted({p.node for p in pods})
    nodes = []
    for i, name in enumerate(used_nodes):
        ip = addressing.node_ips.get(name)
        if ip is None:
            raise LabError(f"node {name} has no address in the twin")
        nodes.append(NodeSite(name, ip, f"{prefix}n{i}", f"n{i}"))
    services: list[ServiceSite] = []
    if aws:
        taken = seen_ips | {n.ip for n in nodes}
        for dest in service_destinations(platform):
            if dest.address in taken:
                skipped.append(f"{dest.name}: address {dest.address} is already taken")
                continue
            i = len(services)
            services.append(
                ServiceSite(dest.name, dest.kind, dest.address, f"{prefix}s{i}", f"s{i}", dest.port)
            )
    nats: list[NatSite] = []
    if aws:
        taken = seen_ips | {n.ip for n in nodes} | {s.ip for s in services}
        for gw in sorted(platform.aws.nat_gateways, key=lambda g: g.nat_gateway_id):
            ip = gw.private_ip
            if not ip or ":" in ip or ip in taken:
                skipped.append(f"{gw.nat_gateway_id}: no private address of its own")
                continue
            taken.add(ip)
            i = len(nats)
            nats.append(NatSite(gw.nat_gateway_id, ip, f"{prefix}g{i}", f"g{i}"))
    cluster = platform.eks_cluster()
    cni = cluster.vpc_cni if cluster is not None else None
    return LabPlan(
        prefix=prefix,
        nodes=tuple(nodes),
        pods=tuple(pods),
        vpc_cidrs=tuple(addressing.vpc_cidrs),
        external_snat=bool(cni and cni.external_snat),
        exclude_snat_cidrs=tuple(cni.exclude_snat_cidrs) if cni else (),
        assumptions=tuple(addressing.assumptions),
        skipped=tuple(skipped),
        aws=aws,
        services=tuple(services),
        pod_sg_mode=mode,
        nats=tuple(nats),
        randomize_snat=cni.randomize_snat if cni else "prng",
    )
