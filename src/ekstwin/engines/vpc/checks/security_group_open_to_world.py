"""VPC008."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import replace

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.ipam.topology import eni_configs
from ekstwin.engines.vpc.rules import PORTS_APPLY, port_span, protocol_name, rule_text
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef
from ekstwin.model.vpc import ICMP, ICMPV6, SecurityGroup, SecurityGroupRule

#: The ports a public web endpoint serves; open to the world on purpose.
PUBLIC_PORTS = frozenset({80, 443})


def _world(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def _public_nodes(platform: Platform) -> dict[str, list[str]]:
    """Per security group, the nodes carrying it that the internet can reach: a
    public address in a subnet routed to an internet gateway."""
    out: dict[str, list[str]] = {}
    for inst in platform.aws.instances:
        if not inst.public_ip or not (inst.node_name or inst.node_group or inst.cluster):
            continue
        table = platform.aws.route_table_for_subnet(inst.subnet_id)
        if table is None or not table.is_public:
            continue
        gids = set(inst.security_group_ids)
        for eni in inst.network_interfaces:
            gids.update(eni.security_group_ids)
        for gid in gids:
            out.setdefault(gid, []).append(
                f"{inst.node_name or inst.instance_id} ({inst.public_ip})"
            )
    return out


def _node_and_pod_groups(platform: Platform) -> dict[str, list[str]]:
    """Every security group on the cluster's nodes or pods, with where it is used."""
    aws = platform.aws
    used: dict[str, list[str]] = {}

    def add(gids: tuple[str, ...], what: str) -> None:
        for gid in gids:
            places = used.setdefault(gid, [])
            if what not in places:
                places.append(what)

    for account in aws.accounts:
        for c in account.eks_clusters:
            for group in c.node_groups:
                add(group.security_group_ids, f"node group {group.name}")
        for inst in account.instances:
            if not (inst.node_name or inst.node_group or inst.cluster):
                continue
            name = f"node {inst.node_name or inst.instance_id}"
            add(inst.security_group_ids, name)
            for eni in inst.network_interfaces:
                add(eni.security_group_ids, name)
    for config in eni_configs(platform).values():
        add(config.security_groups, f"ENIConfig {config.name} (pod ENIs)")
    for sgp in platform.security_group_policies:
        add(sgp.group_ids, f"SecurityGroupPolicy {sgp.namespace}/{sgp.name} (pods)")
    return used


class SecurityGroupOpenToWorld(Check):
    """
    ## What it does
    Finds the security groups of the cluster's nodes and pods (the groups of
    the node groups, of the nodes' instances and ENIs, of ENIConfigs for
    custom networking, and of SecurityGroupPolicies for pods) with an ingress
    rule that admits `0.0.0.0/0` or `::/0` (directly, or through a prefix
    list whose entries hold one of them) on a port other than 80 and 443.
    Each finding states the rule, with its line: protocol `-1` is every
    protocol and port; a TCP or UDP rule without ports is every port; an
    ICMP rule is left alone (it opens no service, and path MTU discovery
    needs it). A prefix list missing from the input, or an AWS managed one
    without entries, is not guessed at.

    ## Why is this bad?
    A rule from anywhere on SSH, the kubelet (10250), a NodePort or a pod's
    port lets anyone who can route to the address try it: from the internet
    when the node or its load balancer has a public address, and from every
    peered network otherwise. Nodes should admit the cluster security group,
    their own group and the load balancers' groups, and administrators should
    reach nodes through Systems Manager Session Manager rather than port 22.

    ## Example
    ```json
    {"group_id": "sg-nodes", "ingress": [
      {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "0.0.0.0/0",
       "description": "temporary"}]}
    ```

    ## Fix
    Remove the rule, or narrow its source to the addresses that need it (a
    bastion's or load balancer's security group, an office prefix list); use
    Session Manager for shell access.

    ## References
    - Amazon EKS Best Practices Guide: Security, "Infrastructure security" (restrict node access)
    - Amazon VPC User Guide: Security group rules
    - AWS Security Hub control EC2.19 (unrestricted access to high-risk ports)
    """

    id = "VPC008"
    slug = "security-group-open-to-world"
    title = "Node or pod security group open to 0.0.0.0/0 on a non-public port"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        used = _node_and_pod_groups(platform)
        public = _public_nodes(platform)
        for gid in sorted(used):
            group = platform.aws.security_group(gid)
            if group is None:
                continue
            for index, rule in enumerate(group.ingress):
                for finding in self._rule(platform, group, index, rule, used[gid]):
                    if gid in public:
                        nodes = sorted(public[gid])
                        more = f" and {len(nodes) - 4} more" if len(nodes) > 4 else ""
                        finding = replace(
                            finding,
                            evidence=(
                                *finding.evidence,
                                "nodes carrying it with a public address in a subnet routed to an "
                                f"internet gateway: {', '.join(nodes[:4])}{more}",
                            ),
                        )
                    yield finding

    def _rule(
        self,
        platform: Platform,
        group: SecurityGroup,
        index: int,
        rule: SecurityGroupRule,
        users: list[str],
    ) -> Iterator[Finding]:
        if rule.protocol in (ICMP, ICMPV6):
            return
        world = self._world_peer(platform, rule)
        if world is None:
            return
        if rule.protocol in PORTS_APPLY:
            lo, hi = port_span(rule.from_port, rule.to_port)
            if lo == hi and lo in PUBLIC_PORTS:
                return
            ports = (
                "every port" if (lo, hi) == (0, 65535) else f"{lo}" if lo == hi else f"{lo}-{hi}"
            )
            what = f"{protocol_name(rule.protocol)} {ports}"
        elif rule.protocol == "-1":
            what = "every protocol and port (-1)"
        else:
            what = f"every port of protocol {rule.protocol}"
        text = rule_text(group.group_id, "ingress", index, rule)
        name = f" ({group.name})" if group.name else ""
        shown = ", ".join(users[:4]) + (f" and {len(users) - 4} more" if len(users) > 4 else "")
        evidence = [
            f"{text}: admits {what} from {world}" + (f" ({rule.source})" if rule.source else ""),
            f"{group.group_id} is used by {shown}",
        ]
        yield self.finding(
            ObjectRef("SecurityGroup", group.group_id),
            f"security group {group.group_id}{name} of the cluster's nodes or pods admits {what} "
            f"from {world}: {text}" + (f" at {rule.source}" if rule.source else ""),
            rule.source or group.source,
            evidence=evidence,
            fix=f"remove ingress rule {index + 1} of {group.group_id} or narrow its source to "
            "the addresses that need it (a security group, a prefix list of your networks); "
            "reach nodes through Session Manager instead of SSH",
            key=f"{group.group_id}:{rule.protocol}:{rule.from_port}-{rule.to_port}:{rule.peer}",
        )

    def _world_peer(self, platform: Platform, rule: SecurityGroupRule) -> str | None:
        """``0.0.0.0/0``, or ``pl-x (holds 0.0.0.0/0)``, when the rule admits anyone."""
        if rule.cidr is not None:
            return rule.cidr if _world(rule.cidr) else None
        if rule.prefix_list_id is not None:
            pl = platform.aws.prefix_list(rule.prefix_list_id)
            if pl is None:
                return None
            held = [e for e in pl.entries if _world(e)]
            if held:
                return f"prefix list {rule.prefix_list_id} (holds {', '.join(held)})"
        return None
