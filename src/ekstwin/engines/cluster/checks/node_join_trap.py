"""EKS003."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.cluster.endpoint import NodeVia, describe_endpoint
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


class NodeJoinTrap(Check):
    """
    ## What it does
    Finds EKS clusters whose private API endpoint is off and whose nodes reach
    the public endpoint from an address outside `publicAccessCidrs`: nodes in
    private subnets leave through a NAT gateway, so the NAT gateway's public
    address is what the endpoint sees; nodes in public subnets use their own
    public address.

    ## Why is this bad?
    With the private endpoint off, the kubelet, kube-proxy and the VPC CNI on
    every node talk to the public endpoint. When their source address is not
    in the public access CIDRs the endpoint refuses them: new nodes never
    join (`NodeCreationFailure`), and existing nodes go `NotReady` once the
    CIDRs are narrowed. The change that causes it (restricting the CIDRs to
    the office) looks like a security fix.

    ## Example
    ```json
    "endpoint": {"public_access": true, "private_access": false,
                 "public_access_cidrs": ["203.0.113.64/26"]}
    ```
    with the node subnets routed to a NAT gateway whose public IP is
    `203.0.113.10`.

    ## Fix
    Turn the private endpoint on (nodes then use it and stay inside the VPC),
    or add the NAT gateways' public addresses (`/32`) to `publicAccessCidrs`.

    ## References
    - Amazon EKS User Guide: Cluster API server endpoint
    - Amazon EKS API Reference: VpcConfigRequest (`endpointPrivateAccess`, `publicAccessCidrs`)
    """

    id = "EKS003"
    slug = "node-join-trap"
    title = "Nodes reach the public endpoint from outside publicAccessCidrs"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for cluster in platform.aws.clusters:
            endpoint = describe_endpoint(platform, cluster)
            for route in endpoint.blocked_node_routes:
                how = {
                    NodeVia.NAT_GATEWAY: f"through NAT gateway {route.gateway_id}",
                    NodeVia.INTERNET_GATEWAY: f"through internet gateway {route.gateway_id}",
                }.get(route.via, "")
                source = (
                    f" from {', '.join(route.source_addresses)}" if route.source_addresses else ""
                )
                zone = f" ({route.availability_zone})" if route.availability_zone else ""
                yield self.finding(
                    ObjectRef("EksCluster", cluster.arn),
                    f"cluster {cluster.name}: nodes in subnet {route.subnet_id}{zone} reach the "
                    f"public endpoint {how}{source}, which publicAccessCidrs does not admit; "
                    "with the private endpoint off they cannot join the cluster",
                    cluster.source,
                    evidence=[
                        "private endpoint disabled",
                        f"public access CIDRs: {', '.join(cluster.endpoint.public_access_cidrs)}",
                        f"subnet {route.subnet_id} holds {', '.join(route.nodes)}",
                        route.reason,
                    ],
                    fix="enable the private endpoint, or add "
                    + (
                        ", ".join(f"{a}/32" for a in route.source_addresses)
                        or "the nodes' egress addresses"
                    )
                    + " to publicAccessCidrs",
                    key=route.subnet_id,
                )
