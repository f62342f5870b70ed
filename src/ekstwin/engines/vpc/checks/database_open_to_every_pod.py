"""VPC009."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.vpc.endpoints import AwsEndpoint, AwsEndpointKind
from ekstwin.engines.vpc.flows import (
    NOT_A_POLICY_ALLOW,
    EgressDecisions,
    PodGroup,
    layer_text,
    pod_groups,
)
from ekstwin.engines.vpc.layers import Layer, LayerVerdict
from ekstwin.engines.vpc.matrix import aws_destinations
from ekstwin.engines.vpc.model import INTERNET_ADDRESS, VpcModel
from ekstwin.engines.vpc.rules import ports_match, rule_text
from ekstwin.engines.vpc.whole import net_endpoint
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef
from ekstwin.model.vpc import SecurityGroupRule

_KINDS = {
    AwsEndpointKind.RDS: "DBInstance",
    AwsEndpointKind.CACHE: "CacheCluster",
    AwsEndpointKind.EFS: "EfsMountTarget",
}
_TCP = "6"


def _node_groups(vm: VpcModel) -> set[str]:
    """The security groups on the nodes' primary ENIs: every pod on a node ENI carries them."""
    out: set[str] = set()
    for name in vm.nodes:
        out.update(vm.node_place(name).group_ids or ())
    return out


def _broad_rule(
    vm: VpcModel, dst: AwsEndpoint, port: int, node_groups: set[str]
) -> tuple[str, int, SecurityGroupRule, str] | None:
    """The first ingress rule of ``dst``'s groups admitting ``port`` from every pod:
    from a group the nodes carry, or from a CIDR that holds a whole VPC CIDR."""
    vpc_ranges = [r for rs in vm.vpc_ranges.values() for r in rs]
    for gid in dst.group_ids or ():
        group = vm.aws.security_group(gid)
        if group is None:
            continue
        for i, rule in enumerate(group.ingress):
            if not ports_match(rule.protocol, rule.from_port, rule.to_port, _TCP, port):
                continue
            if rule.group_id and rule.group_id in node_groups:
                return gid, i, rule, f"the nodes' group {rule.group_id}"
            rng = vm.cidr(rule.cidr) if rule.cidr else None
            if rng is not None and any(rng[0] <= lo and hi <= rng[1] for lo, hi, _ in vpc_ranges):
                return gid, i, rule, f"{rule.cidr}, which holds the VPC's CIDR"
    return None


def _workloads(groups: list[PodGroup]) -> list[str]:
    return sorted({m.workload_key for g in groups for m in g.members})


def _shown(names: list[str], limit: int = 6) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


class DatabaseOpenToEveryPod(Check):
    """
    ## What it does
    Finds AWS destinations in the VPC (RDS and Aurora instances, ElastiCache
    clusters, EFS mount targets) whose security groups admit their port from
    every pod of the cluster (a rule naming a group the nodes carry, or a
    CIDR holding the VPC's) while the NetworkPolicies let only some
    workloads reach it. A workload needs the destination when a policy rule
    allows it there while its policies do not allow the same port to the
    internet: neither a pod that no policy selects, nor Calico's namespace
    profile reached when every tier passes, nor a rule allowing all egress
    says what a workload needs. The finding lists the workloads that need
    it, those whose egress nothing restricts (and that the rule admits), and
    one that its policy denies but the security group would admit (the vpc
    engine's `security-group-ingress` layer, with the rule's line). Pods of
    the cluster's own namespaces are left out. A destination that no
    workload needs, or that no workload is denied, gives no finding; neither
    does a security group missing from the input.

    ## Why is this bad?
    With the VPC CNI every pod on a node ENI carries the node's security
    groups, so a database rule that admits the node group admits every pod
    of every namespace. The NetworkPolicy is then the only thing between a
    compromised workload and the database: a policy mistake, a namespace
    without a default deny, or a node whose agent does not enforce policy
    opens it. Defence in depth wants AWS to admit only the workloads that
    need the database.

    ## Example
    ```json
    {"group_id": "sg-db", "ingress": [
      {"protocol": "tcp", "from_port": 5432, "to_port": 5432, "group_id": "sg-nodes"}]}
    ```

    ## Fix
    Give the workloads that need it a pod security group (a
    SecurityGroupPolicy selecting their pods, with `ENABLE_POD_ENI=true`)
    and admit that group in the database's group. Remove the rule naming the
    node group only once no workload on node ENIs relies on it any more
    (every workload listed has moved to its pod security group).

    ## References
    - Amazon EKS User Guide: Security groups for Pods
    - Amazon EKS Best Practices Guide: Networking, "Security groups per pod"
    - Amazon RDS User Guide: Controlling access with security groups
    """

    id = "VPC009"
    slug = "database-open-to-every-pod"
    title = "AWS database open to every pod while policies admit only some"
    severity = Severity.LOW
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        models = ctx.models(platform)
        net, vm = models.net, models.vpc
        if not vm.has_vpc_data:
            return
        node_groups = _node_groups(vm)
        decisions = EgressDecisions(net)
        groups = [
            g
            for g in pod_groups(platform, ctx)
            if not ctx.is_system_namespace(platform, g.pod.namespace)
        ]
        for dst in aws_destinations(vm):
            if dst.kind not in _KINDS or not dst.ports or dst.group_ids is None:
                continue
            port = dst.ports[0]
            broad = _broad_rule(vm, dst, port, node_groups)
            if broad is None:
                continue
            net_dst = net_endpoint(net, dst)
            internet = net.address_endpoint(INTERNET_ADDRESS)
            needs: list[PodGroup] = []
            open_: list[PodGroup] = []
            denied: list[tuple[PodGroup, LayerVerdict, str]] = []
            admitted: dict[tuple[object, ...], LayerVerdict] = {}
            for g in groups:
                d = decisions.decide(g.net, net_dst, "TCP", port)
                ckey = (vm.class_key(g.aws), vm.snat_node(g.aws, dst))
                sg_in = admitted.get(ckey)
                if sg_in is None:
                    layers = vm.aws_layers(g.aws, dst, "TCP", port)
                    sg_in = next(v for v in layers if v.layer is Layer.SECURITY_GROUP_INGRESS)
                    admitted[ckey] = sg_in
                if (
                    d.allowed
                    and d.reason not in NOT_A_POLICY_ALLOW
                    and not (decisions.decide(g.net, internet, "TCP", port).allowed)
                ):
                    needs.append(g)
                elif d.allowed:
                    if sg_in.allowed:
                        open_.append(g)
                elif sg_in.allowed:
                    where = f" ({d.source})" if d.source is not None else ""
                    denied.append((g, sg_in, f"networkpolicy-egress denied: {d.message}{where}"))
            if needs and denied:
                first = denied[0][0]  # its own wording (the cached verdict names another pod)
                layers = vm.aws_layers(first.aws, dst, "TCP", port)
                sg_first = next(v for v in layers if v.layer is Layer.SECURITY_GROUP_INGRESS)
                denied[0] = (first, sg_first, denied[0][2])
                yield self._finding(dst, port, broad, needs, open_, denied)

    def _finding(  # noqa: PLR0917
        self,
        dst: AwsEndpoint,
        port: int,
        broad: tuple[str, int, SecurityGroupRule, str],
        needs: list[PodGroup],
        open_: list[PodGroup],
        denied: list[tuple[PodGroup, LayerVerdict, str]],
    ) -> Finding:
        gid, index, rule, whom = broad
        text = rule_text(gid, "ingress", index, rule)
        at = f" at {rule.source}" if rule.source else ""
        need_names = _workloads(needs)
        denied_names = _workloads([g for g, _, _ in denied])
        example, sg_in, policy = denied[0]
        evidence = [
            f"{text}{at}: admits tcp/{port} from {whom}, so from every pod on a node ENI",
            f"NetworkPolicies allow tcp/{port} to {dst.name} for: {_shown(need_names)}",
        ]
        if open_:
            evidence.append(
                "no policy restricts the egress of (and the rule admits): "
                + _shown(_workloads(open_))
            )
        evidence += [
            f"policies deny it to {_shown(denied_names)}; AWS alone would admit them, "
            f"for example {example.aws.name}:",
            policy,
            layer_text(sg_in),
        ]
        kind = _KINDS[dst.kind]
        return self.finding(
            ObjectRef(kind, dst.name.split(":", 1)[1]),
            f"{dst.name} admits tcp/{port} from every pod of the cluster ({text}{at}), while "
            f"the NetworkPolicies let only {_shown(need_names, 3)} reach it",
            rule.source or dst.source,
            evidence=evidence,
            fix=f"give {_shown(need_names, 3)} a pod security group (a SecurityGroupPolicy) and "
            f"admit it in {gid} on tcp/{port}; remove {gid}'s rule for {whom} only once no "
            "workload on node ENIs relies on it",
            key=f"{dst.name}:{port}",
        )
