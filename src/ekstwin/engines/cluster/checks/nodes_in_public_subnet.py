"""EKS002."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef, Source


class NodesInPublicSubnet(Check):
    """
    ## What it does
    Finds EKS nodes (instances of the cluster, and managed node groups) in
    subnets whose route table sends `0.0.0.0/0` to an internet gateway. A
    subnet without its own route table uses its VPC's main table, as in EC2.

    ## Why is this bad?
    A subnet routed to an internet gateway is a public subnet: an instance
    with a public address there is reachable from the internet, limited only
    by its security groups, and its pods' traffic leaves without a NAT
    gateway in between. Nodes belong in private subnets, with load balancers
    in the public ones.

    ## Example
    ```json
    "routes": [{"destination": "0.0.0.0/0", "gateway_id": "igw-0abc"}]
    ```

    ## Fix
    Launch the node group in private subnets whose default route goes to a
    NAT gateway (or has none, with VPC endpoints), and keep the public
    subnets for load balancers.

    ## References
    - Amazon EKS User Guide: View Amazon EKS networking requirements for VPC and subnets
    - Amazon EKS Best Practices Guide: Networking, "Deploy nodes to private subnets"
    """

    id = "EKS002"
    slug = "nodes-in-public-subnet"
    title = "EKS nodes in subnets routed to an internet gateway"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        aws = platform.aws
        seen: set[tuple[str, str]] = set()
        for account in aws.accounts:
            for cluster in account.eks_clusters:
                for group in cluster.node_groups:
                    for subnet_id in group.subnet_ids:
                        yield from self._check(
                            platform,
                            subnet_id,
                            ObjectRef("NodeGroup", group.name, cluster.name),
                            what=f"node group {group.name} of cluster {cluster.name}",
                            source=group.source,
                            seen=seen,
                        )
            for inst in account.instances:
                if not (inst.node_name or inst.node_group or inst.cluster):
                    continue
                name = inst.node_name or inst.instance_id
                yield from self._check(
                    platform,
                    inst.subnet_id,
                    ObjectRef("Instance", inst.instance_id),
                    what=f"node {name} ({inst.instance_id})",
                    source=inst.source,
                    seen=seen,
                )

    def _check(
        self,
        platform: Platform,
        subnet_id: str,
        subject: ObjectRef,
        *,
        what: str,
        source: Source,
        seen: set[tuple[str, str]],
    ) -> Iterator[Finding]:
        if (str(subject), subnet_id) in seen:
            return
        seen.add((str(subject), subnet_id))
        table = platform.aws.route_table_for_subnet(subnet_id)
        if table is None or not table.is_public:
            return
        route = table.default_route()
        assert route is not None
        subnet = platform.aws.subnet(subnet_id)
        how = "its own route table" if subnet_id in table.subnet_ids else "the VPC's main table"
        evidence = [
            f"{what} is in subnet {subnet_id}"
            + (f" ({subnet.cidr}, {subnet.availability_zone})" if subnet else ""),
            f"subnet uses route table {table.route_table_id} ({how})",
            f"route {route.destination} -> {route.gateway_id} (internet gateway)",
        ]
        if subnet is not None and subnet.map_public_ip_on_launch:
            evidence.append("the subnet gives instances public addresses on launch")
        yield self.finding(
            subject,
            f"{what} runs in public subnet {subnet_id}: its default route goes to internet "
            f"gateway {route.gateway_id}",
            source,
            evidence=evidence,
            fix="move the nodes to private subnets routed through a NAT gateway",
            key=subnet_id,
        )
