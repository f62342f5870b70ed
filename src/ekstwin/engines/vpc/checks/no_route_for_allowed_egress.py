"""VPC006."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.net import Decision
from ekstwin.engines.vpc.endpoints import AwsEndpoint
from ekstwin.engines.vpc.flows import (
    NOT_A_POLICY_ALLOW,
    EgressDecisions,
    PodGroup,
    flow_name,
    layer_text,
    pod_groups,
    where,
)
from ekstwin.engines.vpc.layers import Layer, LayerVerdict
from ekstwin.engines.vpc.matrix import aws_destinations
from ekstwin.engines.vpc.model import INTERNET_ADDRESS
from ekstwin.engines.vpc.whole import net_endpoint
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

#: The ports tried for "the policies allow internet egress", in order.
INTERNET_PORTS = (443, 80)


@dataclass(slots=True)
class _NoRoute:
    table: str
    subnet_id: str
    destination: str
    route: LayerVerdict
    port: int
    policy: Decision
    groups: list[PodGroup] = field(default_factory=list)


class NoRouteForAllowedEgress(Check):
    """
    ## What it does
    Finds pods whose NetworkPolicies allow egress to the internet (a rule
    that admits `203.0.113.1`, standing for any internet address, on TCP 443
    or 80) or to an AWS network interface of the input (RDS, ElastiCache,
    EFS, an interface endpoint, also across a peering) on its port, while
    the route table of the subnet the traffic leaves from has no way there:
    no default route to a NAT gateway or an internet gateway the pod can
    use, no peering or endpoint route, or a blackhole. The vpc engine's
    `route` layer decides, and the finding names the table and the route (or
    its absence) with its line. The subnet is the pod's, or its node's when
    the VPC CNI translates the flow to the node's address.

    Only a policy's explicit allow counts: a pod that no policy selects, or
    that Calico's namespace profile allows after every tier passed, is
    allowed everything, which says nothing of what it is meant to reach. A
    route layer that cannot be judged (no route table known) gives no finding.

    ## Why is this bad?
    The policy says the workload needs the destination, and the traffic
    cannot get there: connections time out, which teams debug in the
    NetworkPolicy (which allows it) rather than in the VPC. Typical causes:
    a private subnet created without a NAT gateway route, a NAT gateway
    deleted (a blackhole route), a peering without routes on this side, or
    pods on branch ENIs in a public subnet (they have no public address).

    ## Example
    ```json
    {"route_table_id": "rtb-isolated", "subnet_ids": ["subnet-pods"],
     "routes": [{"destination": "198.18.0.0/16", "gateway_id": "local"}]}
    ```

    ## Fix
    Add the missing route to the table named: `0.0.0.0/0` to a NAT gateway in
    a public subnet, the peering connection's CIDR to the `pcx-`, or the
    service's VPC endpoint; or, when the subnet is isolated on purpose, drop
    the allow from the policy so that it says what the network does.

    ## References
    - Amazon VPC User Guide: Configure route tables; Route priority
    - Amazon VPC User Guide: NAT gateways
    - Amazon EKS User Guide: Deploy private clusters with limited internet access
    """

    id = "VPC006"
    slug = "no-route-for-allowed-egress"
    title = "Policies allow egress that the subnet's route table cannot carry"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        models = ctx.models(platform)
        net, vm = models.net, models.vpc
        if not vm.has_vpc_data:
            return
        internet = vm.address_endpoint(INTERNET_ADDRESS, "internet")
        targets: list[tuple[AwsEndpoint, tuple[int, ...]]] = [(internet, INTERNET_PORTS)]
        targets += [(d, d.ports[:1]) for d in aws_destinations(vm) if d.ports]
        found: dict[tuple[str, str], _NoRoute] = {}
        decisions = EgressDecisions(net)
        net_dsts = [(dst, ports, net_endpoint(net, dst)) for dst, ports in targets]
        for g in pod_groups(platform, ctx):
            for dst, ports, net_dst in net_dsts:
                for port in ports:
                    if vm.aws_allowed(g.aws, dst, "TCP", port) is not False:
                        break  # no layer denies, so neither does the route (it has no ports)
                    d = decisions.decide(g.net, net_dst, "TCP", port)
                    if not d.allowed or d.reason in NOT_A_POLICY_ALLOW:
                        continue
                    eff = vm.effective_source(g.aws, dst)
                    layers = vm.aws_layers(g.aws, dst, "TCP", port)
                    route = next(v for v in layers if v.layer is Layer.ROUTE)
                    if route.allowed is not False or eff.subnet_id is None:
                        break
                    table = vm.route_table(eff.subnet_id)
                    if table is None:
                        break
                    rtb = table.table.route_table_id
                    got = found.setdefault(
                        (rtb, dst.name),
                        _NoRoute(rtb, eff.subnet_id, dst.name, route, port, d),
                    )
                    got.groups.append(g)
                    break
        for key in sorted(found):
            yield self._finding(found[key])

    def _finding(self, got: _NoRoute) -> Finding:
        workloads = sorted({m.workload_key for g in got.groups for m in g.members})
        shown = ", ".join(workloads[:6]) + (
            f" and {len(workloads) - 6} more" if len(workloads) > 6 else ""
        )
        v = got.route
        policy = got.policy
        evidence = [
            f"networkpolicy-egress allowed: {policy.message}"
            + (f" ({policy.source})" if policy.source is not None else ""),
            f"{flow_name('TCP', got.port)} {got.groups[0].aws.name} -> {got.destination}: "
            f"the traffic leaves from {got.subnet_id} (route table {got.table})",
            layer_text(v),
        ]
        return self.finding(
            ObjectRef("RouteTable", got.table),
            f"the NetworkPolicies of {shown} allow egress to {got.destination} "
            f"({flow_name('TCP', got.port)}), but the route layer drops it in {got.subnet_id}: "
            f"{v.decided_by}{where(v)}",
            v.source,
            evidence=evidence,
            fix=(
                f"add 0.0.0.0/0 to a NAT gateway in a public subnet to {got.table}"
                if got.destination == "internet"
                else f"add a route for {got.destination}'s address to {got.table} (its peering "
                "connection, transit gateway or endpoint)"
            )
            + ", or, if the subnet is isolated on purpose, drop the allow from the policy",
            key=f"{got.table}:{got.destination}",
        )
