"""Every path to an EKS cluster's API server endpoint.

EKS runs the control plane in an AWS-owned VPC. The API endpoint is public,
private, or both (at least one is on):

* **public**: reachable from the internet, from ``publicAccessCidrs`` only
  (default ``0.0.0.0/0``). Traffic from the cluster's own VPC to the public
  endpoint leaves the VPC, so it comes from a NAT gateway's (or an
  instance's) public address and must be inside those CIDRs too;
* **private**: the endpoint name resolves to addresses in the cluster's VPC
  (this needs the VPC's DNS support and DNS hostnames, which aws.json does not
  record: assumed on), so requests from inside the VPC (and networks routed
  into it) stay private.

With the private endpoint on, nodes use it. With it off, each node subnet
reaches the public endpoint through its default route: a NAT gateway (source
address: the NAT gateway's public IP), an internet gateway (the instance's
public IP) or nothing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum

from ekstwin.engines.checks import CheckContext, discover_checks, run_checks
from ekstwin.findings import Finding
from ekstwin.model.aws import EksCluster, RouteTargetKind
from ekstwin.model.platform import Platform

__all__ = [
    "ApiPath",
    "ClusterEndpoint",
    "EndpointReport",
    "NodeRoute",
    "NodeVia",
    "PathKind",
    "cidrs_contain",
    "cluster_endpoints",
    "describe_endpoint",
    "endpoint_report",
    "finding_json",
]


class PathKind(StrEnum):
    INTERNET = "internet"
    VPC = "vpc"


class NodeVia(StrEnum):
    """How nodes of one subnet reach the API endpoint."""

    PRIVATE_ENDPOINT = "private-endpoint"
    NAT_GATEWAY = "nat-gateway"
    INTERNET_GATEWAY = "internet-gateway"
    OTHER_ROUTE = "other-route"
    NO_ROUTE = "no-route"


@dataclass(frozen=True, slots=True)
class ApiPath:
    """One way in: from the internet (CIDRs) to the public endpoint, or from the VPC."""

    kind: PathKind
    endpoint: str  # "public" or "private"
    sources: tuple[str, ...]
    description: str

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "endpoint": self.endpoint,
            "sources": list(self.sources),
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class NodeRoute:
    """How the nodes of one subnet reach the API; ``allowed`` None means unknown."""

    subnet_id: str
    availability_zone: str | None
    nodes: tuple[str, ...]
    via: NodeVia
    gateway_id: str | None
    source_addresses: tuple[str, ...]
    allowed: bool | None
    reason: str

    def to_json(self) -> dict[str, object]:
        return {
            "subnet_id": self.subnet_id,
            "availability_zone": self.availability_zone,
            "nodes": list(self.nodes),
            "via": self.via.value,
            "gateway_id": self.gateway_id,
            "source_addresses": list(self.source_addresses),
            "allowed": self.allowed,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class ClusterEndpoint:
    cluster: str
    arn: str
    region: str
    vpc_id: str | None
    public_access: bool
    private_access: bool
    public_access_cidrs: tuple[str, ...]
    paths: tuple[ApiPath, ...]
    node_routes: tuple[NodeRoute, ...]
    assumptions: tuple[str, ...]

    @property
    def blocked_node_routes(self) -> tuple[NodeRoute, ...]:
        return tuple(r for r in self.node_routes if r.allowed is False)

    def to_json(self) -> dict[str, object]:
        return {
            "cluster": self.cluster,
            "arn": self.arn,
            "region": self.region,
            "vpc_id": self.vpc_id,
            "public_access": self.public_access,
            "private_access": self.private_access,
            "public_access_cidrs": list(self.public_access_cidrs),
            "paths": [p.to_json() for p in self.paths],
            "node_routes": [r.to_json() for r in self.node_routes],
            "assumptions": list(self.assumptions),
        }


def cidrs_contain(cidrs: tuple[str, ...], address: str) -> bool | None:
    """Is ``address`` inside one of ``cidrs``? None when the address is not an IP."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    for cidr in cidrs:
        try:
            if ip in ipaddress.ip_network(cidr, strict=False):
                return True
        except ValueError:
            continue
    return False


def _node_members(platform: Platform, cluster: EksCluster) -> dict[str, list[str]]:
    """Subnet id -> names of the node groups and node instances in it, in input order."""
    members: dict[str, list[str]] = {}
    for group in cluster.node_groups:
        for subnet_id in group.subnet_ids:
            members.setdefault(subnet_id, []).append(f"node group {group.name}")
    group_names = {g.name for g in cluster.node_groups}
    account = platform.aws.account_of(cluster.arn)
    instances = account.instances if account is not None else platform.aws.instances
    for inst in instances:
        if inst.state not in ("running", "pending"):
            continue
        if inst.cluster != cluster.name and not (
            inst.cluster is None and inst.node_group in group_names
        ):
            continue
        name = inst.node_name or inst.instance_id
        members.setdefault(inst.subnet_id, []).append(f"node {name} ({inst.instance_id})")
    return members


def _public_route(
    platform: Platform, cluster: EksCluster, subnet_id: str, nodes: tuple[str, ...]
) -> NodeRoute:
    cidrs = cluster.endpoint.public_access_cidrs
    subnet = platform.aws.subnet(subnet_id)
    zone = subnet.availability_zone if subnet else None
    table = platform.aws.route_table_for_subnet(subnet_id)
    route = table.default_route() if table else None
    if route is None:
        return NodeRoute(
            subnet_id,
            zone,
            nodes,
            NodeVia.NO_ROUTE,
            None,
            (),
            False,
            "the private endpoint is off and the subnet has no default route: "
            "its nodes cannot reach the public endpoint",
        )
    kind = route.target_kind
    if kind is RouteTargetKind.NAT_GATEWAY:
        nat = next(
            (n for n in platform.aws.nat_gateways if n.nat_gateway_id == route.gateway_id), None
        )
        if nat is None or not nat.public_ip:
            return NodeRoute(
                subnet_id,
                zone,
                nodes,
                NodeVia.NAT_GATEWAY,
                route.gateway_id,
                (),
                None,
                f"NAT gateway {route.gateway_id}: its public address is not in aws.json",
            )
        inside = cidrs_contain(cidrs, nat.public_ip)
        return NodeRoute(
            subnet_id,
            zone,
            nodes,
            NodeVia.NAT_GATEWAY,
            route.gateway_id,
            (nat.public_ip,),
            bool(inside),
            f"NAT gateway {nat.nat_gateway_id} public address {nat.public_ip} is "
            + ("inside" if inside else "not inside")
            + f" publicAccessCidrs ({', '.join(cidrs)})",
        )
    if kind is RouteTargetKind.INTERNET_GATEWAY:
        addresses = tuple(
            i.public_ip
            for i in platform.aws.instances
            if i.subnet_id == subnet_id and i.public_ip and i.state in ("running", "pending")
        )
        if not addresses:
            return NodeRoute(
                subnet_id,
                zone,
                nodes,
                NodeVia.INTERNET_GATEWAY,
                route.gateway_id,
                (),
                None,
                f"internet gateway {route.gateway_id}: no node in this subnet has a public "
                "address in aws.json; without one it cannot reach the internet",
            )
        outside = [a for a in addresses if not cidrs_contain(cidrs, a)]
        return NodeRoute(
            subnet_id,
            zone,
            nodes,
            NodeVia.INTERNET_GATEWAY,
            route.gateway_id,
            addresses,
            not outside,
            f"internet gateway {route.gateway_id}: node public addresses "
            + (f"{', '.join(outside)} are not inside" if outside else "are inside")
            + f" publicAccessCidrs ({', '.join(cidrs)})",
        )
    return NodeRoute(
        subnet_id,
        zone,
        nodes,
        NodeVia.OTHER_ROUTE,
        route.gateway_id,
        (),
        None,
        f"default route to {route.gateway_id} ({kind.value}): the address the public "
        "endpoint sees is not in the model",
    )


def describe_endpoint(platform: Platform, cluster: EksCluster) -> ClusterEndpoint:
    """Every path to one cluster's API endpoint."""
    ep = cluster.endpoint
    paths: list[ApiPath] = []
    assumptions: list[str] = []
    if ep.public_access:
        paths.append(
            ApiPath(
                PathKind.INTERNET,
                "public",
                ep.public_access_cidrs,
                "the public endpoint accepts connections from " + ", ".join(ep.public_access_cidrs),
            )
        )
    vpc = platform.aws.vpc(cluster.vpc_id) if cluster.vpc_id else None
    vpc_cidrs = vpc.cidr_blocks if vpc else ()
    if ep.private_access:
        where = f"VPC {cluster.vpc_id}" if cluster.vpc_id else "the cluster's VPC"
        paths.append(
            ApiPath(
                PathKind.VPC,
                "private",
                vpc_cidrs or ((cluster.vpc_id,) if cluster.vpc_id else ()),
                f"the private endpoint answers inside {where} (and networks routed into it), "
                "subject to the cluster security group",
            )
        )
        assumptions.append(
            "the VPC has DNS support and DNS hostnames enabled (needed for the private "
            "endpoint; aws.json does not record them)"
        )
    elif not ep.public_access:
        assumptions.append("both endpoints are off, which EKS does not allow")
    routes: list[NodeRoute] = []
    for subnet_id, members in sorted(_node_members(platform, cluster).items()):
        nodes = tuple(members)
        subnet = platform.aws.subnet(subnet_id)
        zone = subnet.availability_zone if subnet else None
        if ep.private_access:
            routes.append(
                NodeRoute(
                    subnet_id,
                    zone,
                    nodes,
                    NodeVia.PRIVATE_ENDPOINT,
                    None,
                    (),
                    True,
                    "the private endpoint is on: nodes in the VPC use it",
                )
            )
        elif ep.public_access:
            routes.append(_public_route(platform, cluster, subnet_id, nodes))
    return ClusterEndpoint(
        cluster=cluster.name,
        arn=cluster.arn,
        region=cluster.region,
        vpc_id=cluster.vpc_id,
        public_access=ep.public_access,
        private_access=ep.private_access,
        public_access_cidrs=ep.public_access_cidrs,
        paths=tuple(paths),
        node_routes=tuple(routes),
        assumptions=tuple(assumptions),
    )


def cluster_endpoints(platform: Platform) -> tuple[ClusterEndpoint, ...]:
    """Every cluster's endpoint description, in input order."""
    return tuple(describe_endpoint(platform, c) for c in platform.aws.clusters)


@dataclass(frozen=True, slots=True)
class EndpointReport:
    """What ``ekstwin cluster endpoint`` shows: the paths and the cluster checks' findings."""

    clusters: tuple[ClusterEndpoint, ...]
    findings: tuple[Finding, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "clusters": [c.to_json() for c in self.clusters],
            "findings": [finding_json(f) for f in self.findings],
        }


def finding_json(finding: Finding) -> dict[str, object]:
    return {
        "id": finding.check_id,
        "severity": finding.severity.value,
        "confidence": finding.confidence.value,
        "subject": str(finding.subject),
        "message": finding.message,
        "evidence": list(finding.evidence),
        "fix": finding.fix,
        "location": str(finding.source) if finding.source else None,
        "fingerprint": finding.fingerprint,
    }


def endpoint_report(platform: Platform, ctx: CheckContext | None = None) -> EndpointReport:
    """Every cluster's paths to the API, with the findings of the cluster engine's checks."""
    checks = [c for c in discover_checks() if c.engine() == "cluster"]
    run = run_checks(platform, ctx or CheckContext(), checks)
    return EndpointReport(cluster_endpoints(platform), run.findings)
