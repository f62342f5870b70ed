"""The AWS layers of a flow, on hand-built VPCs: every corner of security groups,
network ACLs, routes and pod placement (docs/net.md, the AWS layer)."""

from __future__ import annotations

from dataclasses import replace

from ekstwin.engines.vpc import (
    NOT_JUDGED,
    AwsEndpoint,
    Layer,
    LayerVerdict,
    Placement,
    VpcModel,
    aws_layers,
    candidates,
    overall,
    place,
)
from ekstwin.model.aws import AwsState, Route, RouteTable
from ekstwin.model.platform import Platform
from ekstwin.model.source import Source
from ekstwin.model.vpc import ManagedPrefixList, NetworkAcl, VpcPeeringConnection

from .world import ACLS, GROUPS, INSTANCES, TABLES, entry, k8s_node, pod, rule, sg, src, world

Row = tuple[str, bool | None, str, str | None]


def rows(layers: tuple[LayerVerdict, ...]) -> list[Row]:
    return [
        (v.layer.value, v.allowed, v.decided_by, None if v.source is None else str(v.source))
        for v in layers
    ]


def judge(platform: Platform, src: str, dst: str, port: int, protocol: str = "TCP") -> list[Row]:
    ctx = VpcModel.build(platform)
    return rows(aws_layers(ctx, place(ctx, src), place(ctx, dst), protocol, port))


def test_pod_to_rds_passes_every_layer_with_the_deciding_rules() -> None:
    assert judge(world(), "shop/web-0", "rds:db1", 5432) == [
        (
            "security-group-egress",
            True,
            "sg-node egress rule 1 (all to 0.0.0.0/0) allows tcp/5432 to rds:db1 on shop/web-0 "
            "(sg-node)",
            "aws.json:103",
        ),
        (
            "nacl-outbound",
            True,
            "acl-default outbound rule 100 allows tcp 5432 to rds:db1",
            "aws.json:402",
        ),
        ("route", True, "rtb-priv route 198.18.0.0/16 -> local", "aws.json:211"),
        (
            "nacl-inbound",
            True,
            "acl-db inbound rule 100 allows tcp 5432 from shop/web-0",
            "aws.json:411",
        ),
        (
            "security-group-ingress",
            True,
            "sg-db ingress rule 1 (tcp 5432 from sg-node) allows tcp/5432 from shop/web-0 on "
            "rds:db1 (sg-db)",
            "aws.json:121",
        ),
        (
            "nacl-return",
            True,
            "reply out of subnet-db: acl-db outbound rule 100 allows tcp 32768-60999 to "
            "shop/web-0; reply into subnet-a: acl-default inbound rule 100 allows tcp "
            "32768-60999 from rds:db1",
            "aws.json:401",
        ),
    ]


def test_a_port_the_database_group_does_not_admit_is_denied_at_its_ingress() -> None:
    got = judge(world(), "shop/web-0", "rds:db1", 3306)
    assert got[4] == (
        "security-group-ingress",
        False,
        "no ingress rule of sg-db allows tcp/3306 from shop/web-0 (a security group denies what "
        "no rule allows)",
        "aws.json:120",
    )
    assert got[3][1] is False  # acl-db admits 5432 only: the final * rule
    assert got[3][2] == (
        "acl-db inbound: no rule allows tcp 3306 from shop/web-0 (the final * rule denies)"
    )


def test_pods_on_one_node_never_leave_it() -> None:
    got = judge(world(), "shop/web-0", "shop/web-1", 80)
    why = "same node n1: the packet never leaves the node (no ENI, ACL or route)"
    assert got == [(layer.value, True, why, None) for layer in _aws_order()]


def _aws_order() -> tuple[Layer, ...]:
    return (
        Layer.SECURITY_GROUP_EGRESS,
        Layer.NACL_OUTBOUND,
        Layer.ROUTE,
        Layer.NACL_INBOUND,
        Layer.SECURITY_GROUP_INGRESS,
        Layer.NACL_RETURN,
    )


def test_cross_node_pods_need_the_node_group_to_admit_itself() -> None:
    no_self = tuple(
        replace(g, ingress=g.ingress[1:]) if g.group_id == "sg-node" else g for g in GROUPS
    )
    got = judge(world(security_groups=no_self), "shop/web-0", "shop/api-0", 8080)
    assert got[4] == (
        "security-group-ingress",
        False,
        "no ingress rule of sg-node allows tcp/8080 from shop/web-0 (a security group denies "
        "what no rule allows)",
        "aws.json:100",
    )
    assert (
        overall(aws_layers_of(world(security_groups=no_self), "shop/web-0", "shop/api-0")) is False
    )


def aws_layers_of(
    platform: Platform, src: str, dst: str, port: int = 8080
) -> tuple[LayerVerdict, ...]:
    ctx = VpcModel.build(platform)
    return aws_layers(ctx, place(ctx, src), place(ctx, dst), "TCP", port)


def test_a_security_group_policy_pod_is_judged_by_its_own_groups_only() -> None:
    p = world({"ENABLE_POD_ENI": "true"})
    ctx = VpcModel.build(p)
    ep = place(ctx, "pay/payments-0")
    assert (ep.placement, ep.group_ids, ep.subnet_id, ep.snat) == (
        Placement.BRANCH_ENI,
        ("sg-pay",),
        "subnet-b",
        False,
    )
    got = judge(p, "pay/payments-0", "rds:db1", 5432)
    assert got[0][:2] == ("security-group-egress", True)
    assert got[0][2].startswith("sg-pay egress rule 1")
    assert got[4] == (
        "security-group-ingress",
        False,
        "no ingress rule of sg-db allows tcp/5432 from pay/payments-0 (a security group denies "
        "what no rule allows)",
        "aws.json:120",
    )


def test_strict_mode_sends_a_branch_pod_through_the_vpc_even_to_its_own_node() -> None:
    pods = (
        pod("pay/payments-0", "n2", "198.18.2.30", {"app": "payments"}),
        pod("shop/api-0", "n2", "198.18.2.20", {"app": "api"}),
    )
    strict = judge(
        world({"ENABLE_POD_ENI": "true"}, pods=pods), "shop/api-0", "pay/payments-0", 9000
    )
    assert strict[4][:2] == ("security-group-ingress", False)  # sg-pay admits 8080 only
    standard = judge(
        world(
            {"ENABLE_POD_ENI": "true", "POD_SECURITY_GROUP_ENFORCING_MODE": "standard"}, pods=pods
        ),
        "shop/api-0",
        "pay/payments-0",
        9000,
    )
    assert {r[1] for r in standard} == {True}
    assert standard[0][2].startswith("same node n2, POD_SECURITY_GROUP_ENFORCING_MODE=standard")


def test_standard_mode_snats_a_branch_pod_to_the_node_outside_the_vpc() -> None:
    env = {"ENABLE_POD_ENI": "true", "POD_SECURITY_GROUP_ENFORCING_MODE": "standard"}
    ctx = VpcModel.build(world(env))
    ep = place(ctx, "pay/payments-0")
    assert ep.snat is True
    eff = ctx.effective_source(ep, place(ctx, "internet"))
    assert (eff.address, eff.group_ids) == ("198.18.2.10", ("sg-node",))
    strict = VpcModel.build(world({"ENABLE_POD_ENI": "true"}))
    sep = place(strict, "pay/payments-0")
    assert strict.effective_source(sep, place(strict, "internet")) is sep


def test_pod_traffic_to_the_internet_is_judged_as_the_node_behind_the_nat() -> None:
    got = judge(world(), "shop/web-0", "internet", 443)
    assert got[0][2] == (
        "sg-node egress rule 1 (all to 0.0.0.0/0) allows tcp/443 to internet on shop/web-0 "
        "(as node n1) (sg-node)"
    )
    assert got[2] == (
        "route",
        True,
        "rtb-priv route 0.0.0.0/0 -> nat-1 (NAT gateway)",
        "aws.json:212",
    )
    assert got[4] == (
        "security-group-ingress",
        True,
        "internet is outside the VPC: no security group of ours applies",
        None,
    )


def test_snat_replies_use_the_full_port_range_unless_randomisation_is_off() -> None:
    narrow = (
        NetworkAcl(
            "acl-a",
            "vpc-1",
            entries=(
                entry(100, False, "allow", "6", "0.0.0.0/0", 32768, 60999, line=701),
                entry(100, True, "allow", line=702),
            ),
            subnet_ids=("subnet-a",),
        ),
        *ACLS,
    )
    got = judge(world(network_acls=narrow), "shop/web-0", "internet", 443)
    assert got[5] == (
        "nacl-return",
        False,
        "reply into subnet-a: acl-a inbound allows only 32768-60999 of tcp 1024-65535 from "
        "internet; the final * rule drops 1024-32767,61000-65535",
        "<aws>",
    )
    off = judge(
        world({"AWS_VPC_K8S_CNI_RANDOMIZESNAT": "none"}, network_acls=narrow),
        "shop/web-0",
        "internet",
        443,
    )
    assert off[5][1] is True


def test_external_snat_keeps_the_pod_address_and_the_custom_networking_groups() -> None:
    ctx = VpcModel.build(world({"AWS_VPC_K8S_CNI_EXTERNALSNAT": "true"}))
    ep = place(ctx, "shop/web-0")
    assert ep.snat is False
    assert ctx.effective_source(ep, place(ctx, "internet")) is ep


def test_a_nacl_gap_in_the_ephemeral_range_drops_the_reply() -> None:
    gap = (
        ACLS[0],
        replace(
            ACLS[1],
            entries=(
                ACLS[1].entries[0],
                entry(100, True, "allow", "6", "198.18.0.0/16", 32768, 50000, line=412),
            ),
        ),
    )
    got = judge(world(network_acls=gap), "shop/web-0", "rds:db1", 5432)
    assert got[5] == (
        "nacl-return",
        False,
        "reply out of subnet-db: acl-db outbound allows only 32768-50000 of tcp 32768-60999 to "
        "shop/web-0; the final * rule drops 50001-60999",
        "aws.json:410",
    )


def test_acl_entries_are_read_in_rule_number_order_first_match_wins() -> None:
    ordered = (
        ACLS[0],
        replace(
            ACLS[1],
            entries=(
                entry(200, False, "allow", "6", "198.18.0.0/16", 5432, 5432, line=801),
                entry(100, False, "deny", "6", "198.18.1.0/24", 5000, 6000, line=802),
                *ACLS[1].entries[1:],
            ),
        ),
    )
    got = judge(world(network_acls=ordered), "shop/web-0", "rds:db1", 5432)
    assert got[3] == (
        "nacl-inbound",
        False,
        "acl-db inbound rule 100 denies tcp 5432 from shop/web-0",
        "aws.json:802",
    )
    other = judge(world(network_acls=ordered), "shop/api-0", "rds:db1", 5432)
    assert other[3] == (
        "nacl-inbound",
        True,
        "acl-db inbound rule 200 allows tcp 5432 from shop/api-0",
        "aws.json:801",
    )


def test_one_subnet_has_no_acl_boundary() -> None:
    ctx = VpcModel.build(world())
    got = rows(aws_layers(ctx, place(ctx, "control-plane"), place(ctx, "node/n1"), "TCP", 10250))
    assert got[1] == (
        "nacl-outbound",
        True,
        "same subnet subnet-a: no network ACL between them",
        None,
    )
    assert got[4][2] == (
        "sg-node ingress rule 2 (tcp 10250 from sg-cluster) allows tcp/10250 from control-plane "
        "on node/n1 (sg-node)"
    )


def test_the_control_plane_may_use_any_cluster_subnet() -> None:
    ctx = VpcModel.build(world())
    got = [(c.subnet_id, c.group_ids, c.address) for c in candidates(ctx, "control-plane")]
    assert got == [("subnet-a", ("sg-cluster",), None), ("subnet-b", ("sg-cluster",), None)]


def test_a_node_without_an_instance_record_leaves_its_groups_unknown() -> None:
    pods = (pod("shop/web-9", "n9", "198.18.2.99"), pod("shop/api-0", "n2", "198.18.2.20"))
    p = world(pods=pods, nodes=(k8s_node("n9", "198.18.2.9"), k8s_node("n2", "198.18.2.10")))
    layers = aws_layers_of(p, "shop/web-9", "shop/api-0")
    assert rows(layers)[0] == (
        "security-group-egress",
        None,
        "the security groups of shop/web-9 are unknown (on node n9's ENIs: every ENI the VPC CNI "
        "attaches carries the primary ENI's security groups; node n9: no EC2 instance record in "
        "the input)",
        None,
    )
    assert overall(layers) is None


def test_a_referenced_group_missing_from_the_input_is_unknown() -> None:
    node = replace(
        INSTANCES[0],
        network_interfaces=(
            replace(INSTANCES[0].network_interfaces[0], security_group_ids=("sg-node", "sg-gone")),
        ),
    )
    no_egress = tuple(replace(g, egress=()) if g.group_id == "sg-node" else g for g in GROUPS)
    got = judge(
        world(instances=(node, INSTANCES[1]), security_groups=no_egress),
        "shop/web-0",
        "rds:db1",
        5432,
    )
    assert got[0] == (
        "security-group-egress",
        None,
        "sg-gone is not in the input: its egress rules are unknown",
        None,
    )


def test_no_vpc_data_leaves_the_aws_layers_not_judged() -> None:
    p = replace(world(), aws=AwsState())
    ctx = VpcModel.build(p)
    got = aws_layers(ctx, place(ctx, "shop/web-0"), place(ctx, "shop/api-0"), "TCP", 80)
    assert rows(got) == [(layer.value, None, NOT_JUDGED, None) for layer in _aws_order()]


def test_s3_through_the_gateway_endpoint_prefix_list_route() -> None:
    got = judge(world(), "shop/web-0", "s3", 443)
    assert got[2] == (
        "route",
        True,
        "rtb-priv route pl-s3 -> vpce-s3 (gateway endpoint)",
        "aws.json:213",
    )


def test_a_prefix_list_rule_matches_its_entries_and_an_unknown_aws_list_is_unknown() -> None:
    groups = (
        *GROUPS[:2],
        sg("sg-db", 120, ingress=(rule(121, "6", 5432, prefix_list_id="pl-apps"),)),
        GROUPS[3],
    )
    lists = (ManagedPrefixList("pl-apps", "apps", entries=("198.18.1.0/25",), owner_id="1"),)
    p = world(security_groups=groups, prefix_lists=lists)
    assert judge(p, "shop/web-0", "rds:db1", 5432)[4][1] is True  # 198.18.1.20
    assert judge(p, "shop/api-0", "rds:db1", 5432)[4][1] is False  # 198.18.2.20
    aws_list = (ManagedPrefixList("pl-apps", "com.amazonaws.eu-west-1.x", owner_id="AWS"),)
    unknown = judge(
        world(security_groups=groups, prefix_lists=aws_list), "internet", "rds:db1", 5432
    )
    assert unknown[4] == (
        "security-group-ingress",
        None,
        "sg-db ingress rule 1 (tcp 5432 from pl-apps) may match internet: AWS managed prefix list "
        "pl-apps has no entries in the input",
        "aws.json:121",
    )


def test_route_priority_longest_prefix_then_a_cidr_route_before_a_prefix_list_route() -> None:
    lists = (ManagedPrefixList("pl-x", "x", entries=("192.0.2.0/24",), owner_id="1"),)
    tables = (
        TABLES[0],
        RouteTable(
            "rtb-priv",
            "vpc-1",
            main=True,
            routes=(
                Route("198.18.0.0/16", "local"),
                Route("pl-x", "pcx-9", source=_src(901)),
                Route("192.0.2.0/24", "nat-1", source=_src(902)),
                Route("192.0.2.128/25", "blackhole-target", state="blackhole", source=_src(903)),
            ),
        ),
    )
    p = world(route_tables=tables, prefix_lists=lists)
    assert judge(p, "node/n1", "192.0.2.7", 443)[2] == (
        "route",
        True,
        "rtb-priv route 192.0.2.0/24 -> nat-1 (NAT gateway)",
        "aws.json:902",
    )
    assert judge(p, "node/n1", "192.0.2.200", 443)[2] == (
        "route",
        False,
        "rtb-priv route 192.0.2.128/25 is a blackhole (its target is gone)",
        "aws.json:903",
    )


def _src(line: int) -> Source:
    return src(line)


def test_a_public_subnet_node_without_a_public_address_cannot_use_the_internet_gateway() -> None:
    inst = replace(
        INSTANCES[0], subnet_id="subnet-pub", private_ip="198.18.0.10", network_interfaces=()
    )
    p = world(
        instances=(inst, INSTANCES[1]),
        pods=(),
        nodes=(k8s_node("n1", "198.18.0.10"), k8s_node("n2", "198.18.2.10")),
    )
    got = judge(p, "node/n1", "internet", 443)
    assert got[2] == (
        "route",
        False,
        "rtb-pub route 0.0.0.0/0 -> igw-1, but node/n1 has no public IPv4 address (an internet "
        "gateway only translates an ENI's public address)",
        "aws.json:202",
    )
    public = world(
        instances=(replace(inst, public_ip="203.0.113.50"), INSTANCES[1]),
        pods=(),
        nodes=(k8s_node("n1", "198.18.0.10"), k8s_node("n2", "198.18.2.10")),
    )
    assert judge(public, "node/n1", "internet", 443)[2][1] is True


def test_a_group_reference_matches_across_an_active_peering_only() -> None:
    far = sg(
        "sg-far",
        150,
        ingress=(rule(151, "6", 443, group_id="sg-node", referenced_vpc_id="vpc-1"),),
        vpc="vpc-2",
    )
    ctx = VpcModel.build(world(security_groups=(*GROUPS, far)))
    src = place(ctx, "shop/web-0")
    dst = AwsEndpoint(
        src.kind, "far", "10.9.0.5", None, ("sg-far",), Placement.INTERFACE, vpc_id="vpc-2"
    )
    assert ctx.sg_layer(Layer.SECURITY_GROUP_INGRESS, dst, src, "6", 443).allowed is False
    peered = VpcModel.build(
        world(
            security_groups=(*GROUPS, far),
            vpc_peering_connections=(VpcPeeringConnection("pcx-1", "vpc-1", "vpc-2"),),
        )
    )
    src = place(peered, "shop/web-0")
    assert peered.sg_layer(Layer.SECURITY_GROUP_INGRESS, dst, src, "6", 443).allowed is True


def test_host_network_pods_are_the_node() -> None:
    ctx = VpcModel.build(world())
    ep = place(ctx, "kube-system/proxy-n1")
    assert (ep.address, ep.subnet_id, ep.group_ids, ep.placement) == (
        "198.18.1.10",
        "subnet-a",
        ("sg-node",),
        Placement.HOST,
    )


def test_custom_networking_uses_the_eniconfig_subnet_and_groups() -> None:
    from ekstwin.model.k8s import Meta, OpaqueObject
    from ekstwin.model.source import Source

    cfg = OpaqueObject(
        meta=Meta("crd.k8s.amazonaws.com/v1alpha1", "ENIConfig", "default", None, Source("e", 1)),
        body={"spec": {"subnet": "subnet-b", "securityGroups": ["sg-pay"]}},
    )
    bare = tuple(replace(i, network_interfaces=i.network_interfaces[:0]) for i in INSTANCES)
    p = replace(
        world(
            {"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"},
            instances=bare,
            pods=(pod("shop/web-0", "n1", None),),
        ),
        opaque=(cfg,),
    )
    ctx = VpcModel.build(p)
    ep = place(ctx, "shop/web-0")
    assert (ep.placement, ep.subnet_id, ep.group_ids) == (
        Placement.CUSTOM_NETWORKING,
        "subnet-b",
        ("sg-pay",),
    )
    empty = replace(cfg, body={"spec": {"subnet": "subnet-b"}})
    ctx2 = VpcModel.build(replace(p, opaque=(empty,)))
    assert place(ctx2, "shop/web-0").group_ids == ("sg-node",)


def test_the_bare_verdict_is_the_layers_verdict_for_every_pair() -> None:
    specs = ["shop/web-0", "shop/web-1", "shop/api-0", "pay/payments-0", "kube-system/proxy-n1",
             "rds:db1", "internet", "s3", "control-plane", "node/n1", "node/n2"]  # fmt: skip
    envs = [{}, {"ENABLE_POD_ENI": "true"}, {"AWS_VPC_K8S_CNI_EXTERNALSNAT": "true"}]
    checked = 0
    for env in envs:
        ctx = VpcModel.build(world(env))
        for a in specs:
            for b in specs:
                if a == b:
                    continue
                for port in (22, 443, 5432, 8080, 10250):
                    src, dst = place(ctx, a), place(ctx, b)
                    want = overall(aws_layers(ctx, src, dst, "TCP", port))
                    assert ctx.aws_allowed(src, dst, "TCP", port) is want, (env, a, b, port)
                    checked += 1
    assert checked == 3 * 11 * 10 * 5


def test_icmp_rules_match_type_and_code_and_the_reply_is_the_echo_reply() -> None:
    groups = (
        sg("sg-node", 100, ingress=(rule(101, "1", 8, -1, group_id="sg-node"),),
           egress=(rule(103, cidr="0.0.0.0/0"),)),
        *GROUPS[1:],
    )  # fmt: skip
    p = world(security_groups=groups)
    echo = 8 * 256
    assert judge(p, "shop/web-0", "shop/api-0", echo, "ICMP")[4][:2] == (
        "security-group-ingress", True,
    )  # fmt: skip
    assert judge(p, "shop/web-0", "shop/api-0", 3 * 256 + 4, "ICMP")[4][1] is False
    no_reply = (
        NetworkAcl("acl-a", "vpc-1", entries=(
            entry(100, False, "allow", "6"), entry(100, True, "allow"),
        ), subnet_ids=("subnet-a",)),
        *ACLS,
    )  # fmt: skip
    got = judge(world(security_groups=groups, network_acls=no_reply), "shop/web-0",
                "shop/api-0", echo, "ICMP")  # fmt: skip
    assert got[5] == (
        "nacl-return", False,
        "reply into subnet-a: acl-a inbound: no rule allows icmp 0 from shop/api-0 (the final * "
        "rule denies)", "<aws>",
    )  # fmt: skip


def test_udp_replies_need_their_own_allow() -> None:
    tcp_only = (
        replace(ACLS[0], entries=(
            entry(100, False, "allow", "6"), entry(100, True, "allow"),
        )),
        ACLS[1],
    )  # fmt: skip
    got = judge(world(network_acls=tcp_only), "shop/web-0", "shop/api-0", 53, "UDP")
    assert got[3][:2] == ("nacl-inbound", False)
    assert got[5][1] is False


def test_an_alb_is_judged_from_each_of_its_enis_and_the_worst_is_kept() -> None:
    from ekstwin.engines.net import NetModel
    from ekstwin.engines.vpc.whole import explain_flow
    from ekstwin.model.aws import LoadBalancer, NetworkInterface

    alb_sg = sg("sg-alb", 140, egress=(rule(141, cidr="0.0.0.0/0"),))
    node_sg = replace(GROUPS[0], ingress=(*GROUPS[0].ingress,
                                          rule(104, "6", 8080, cidr="198.18.0.0/25")))  # fmt: skip
    lb = LoadBalancer("arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/web/1", "web",
                      security_groups=("sg-alb",), subnet_ids=("subnet-pub",))  # fmt: skip
    enis = (
        NetworkInterface("eni-alb1", "subnet-pub", primary_ip="198.18.0.20",
                         security_group_ids=("sg-alb",), description="ELB app/web/1"),
        NetworkInterface("eni-alb2", "subnet-pub", primary_ip="198.18.0.200",
                         security_group_ids=("sg-alb",), description="ELB app/web/1"),
    )  # fmt: skip
    p = world(security_groups=(node_sg, *GROUPS[1:], alb_sg), load_balancers=(lb,),
              network_interfaces=enis)  # fmt: skip
    ctx = VpcModel.build(p)
    assert [c.address for c in candidates(ctx, "alb:web")] == ["198.18.0.20", "198.18.0.200"]
    answer = explain_flow(ctx, NetModel(p), "alb:web", "shop/web-0", 8080)
    path = answer.paths[0]
    assert path.allowed is False
    assert path.src is not None and path.src.address == "198.18.0.200"
    assert path.denied_at is not None and path.denied_at.layer is Layer.SECURITY_GROUP_INGRESS


def test_interface_endpoints_efs_and_enis_are_placed_with_their_groups() -> None:
    from ekstwin.model.aws import NetworkInterface
    from ekstwin.model.vpc import EfsMountTarget, ServiceInterface, VpcEndpoint

    p = world(
        efs_mount_targets=(
            EfsMountTarget("fsmt-1", "fs-1", "subnet-a", "198.18.1.80", "eni-e1", ("sg-db",)),
            EfsMountTarget("fsmt-2", "fs-1", "subnet-b", "198.18.2.80", "eni-e2", ("sg-db",)),
        ),
        vpc_endpoints=(
            VpcEndpoint("vpce-sts", "vpc-1", "com.amazonaws.eu-west-1.sts",
                        subnet_ids=("subnet-b",), security_group_ids=("sg-cluster",),
                        interfaces=(ServiceInterface("subnet-b", "198.18.2.90", "eni-v1"),)),
        ),
        network_interfaces=(
            NetworkInterface("eni-x", "subnet-db", primary_ip="198.18.3.7",
                             security_group_ids=("sg-db",), description="an appliance"),
        ),
    )  # fmt: skip
    ctx = VpcModel.build(p)
    assert [(c.name, c.subnet_id, c.ports) for c in candidates(ctx, "efs:fs-1")] == [
        ("efs:fsmt-1", "subnet-a", (2049,)), ("efs:fsmt-2", "subnet-b", (2049,)),
    ]  # fmt: skip
    vpce = place(ctx, "vpce:vpce-sts")
    assert (vpce.address, vpce.group_ids, vpce.ports) == ("198.18.2.90", ("sg-cluster",), (443,))
    got = rows(aws_layers(ctx, place(ctx, "shop/web-0"), vpce, "TCP", 443))
    assert got[4][2] == (
        "sg-cluster ingress rule 1 (tcp 443 from sg-node) allows tcp/443 from shop/web-0 on "
        "vpce:vpce-sts (sg-cluster)"
    )
    eni = place(ctx, "eni:eni-x")
    assert (eni.address, eni.subnet_id, eni.group_ids) == ("198.18.3.7", "subnet-db", ("sg-db",))
    assert place(ctx, "eni:eni-n1").name == "eni:eni-n1"
    assert place(ctx, "eni:eni-n1").group_ids == ("sg-node",)


def test_transit_gateway_and_peering_routes() -> None:
    tables = (
        TABLES[0],
        replace(TABLES[1], routes=(
            *TABLES[1].routes,
            Route("10.20.0.0/16", "tgw-1", source=src(921)),
            Route("10.30.0.0/16", "pcx-1", source=src(922)),
            Route("10.40.0.0/16", "pcx-2", source=src(923)),
        )),
    )  # fmt: skip
    peerings = (
        VpcPeeringConnection("pcx-1", "vpc-1", "vpc-3"),
        VpcPeeringConnection("pcx-2", "vpc-1", "vpc-4", status="deleted"),
    )
    p = world(route_tables=tables, vpc_peering_connections=peerings)
    assert judge(p, "node/n1", "10.20.0.5", 443)[2] == (
        "route", None, "rtb-priv route 10.20.0.0/16 -> tgw-1: the far side is not modelled",
        "aws.json:921",
    )  # fmt: skip
    assert judge(p, "node/n1", "10.30.0.5", 443)[2][:2] == ("route", None)  # far side unknown
    assert judge(p, "node/n1", "10.40.0.5", 443)[2] == (
        "route", False, "rtb-priv route 10.40.0.0/16 -> pcx-2: the peering is deleted",
        "aws.json:923",
    )  # fmt: skip


def test_a_nat_gateway_without_a_route_to_an_internet_gateway_drops() -> None:
    tables = (replace(TABLES[0], routes=TABLES[0].routes[:1]), TABLES[1])
    got = judge(world(route_tables=tables), "shop/web-0", "internet", 443)
    assert got[2] == (
        "route", False,
        "rtb-priv route 0.0.0.0/0 -> nat-1, but the NAT gateway's subnet subnet-pub has no "
        "default route to an internet gateway", "aws.json:212",
    )  # fmt: skip


def test_excluded_snat_cidrs_keep_the_pod_address() -> None:
    ctx = VpcModel.build(world({"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS": "10.0.0.0/8"}))
    web = place(ctx, "shop/web-0")
    assert ctx.effective_source(web, place(ctx, "10.1.2.3")) is web
    assert ctx.effective_source(web, place(ctx, "internet")).address == "198.18.1.10"


def test_a_branch_pod_in_strict_mode_has_no_public_address_for_the_internet_gateway() -> None:
    inst = replace(INSTANCES[1], subnet_id="subnet-pub", private_ip="198.18.0.10",
                   public_ip="203.0.113.60", network_interfaces=())  # fmt: skip
    pods = (pod("pay/payments-0", "n2", "198.18.0.30", {"app": "payments"}),)
    p = world({"ENABLE_POD_ENI": "true"}, instances=(INSTANCES[0], inst), pods=pods,
              nodes=(k8s_node("n1", "198.18.1.10"), k8s_node("n2", "198.18.0.10")))  # fmt: skip
    got = judge(p, "pay/payments-0", "internet", 443)
    assert got[2] == (
        "route", False,
        "rtb-pub route 0.0.0.0/0 -> igw-1, but pay/payments-0 has no public IPv4 address (an "
        "internet gateway only translates an ENI's public address)", "aws.json:202",
    )  # fmt: skip


def test_a_service_account_selector_needs_the_service_account() -> None:
    from ekstwin.model.k8s import Meta, ServiceAccount
    from ekstwin.model.selectors import LabelSelector
    from ekstwin.model.vpc import SecurityGroupPolicy

    by_sa = SecurityGroupPolicy(
        "by-sa", "pay", ("sg-pay",), service_account_selector=LabelSelector((("team", "pay"),))
    )
    pods = (pod("pay/payments-0", "n2", "198.18.2.30", {"app": "payments"}, sa="payer"),)
    unknown = VpcModel.build(world({"ENABLE_POD_ENI": "true"}, pods=pods, sgps=(by_sa,)))
    ep = place(unknown, "pay/payments-0")
    assert (ep.placement, ep.group_ids) == (Placement.BRANCH_ENI, None)
    sa = ServiceAccount(meta=Meta("v1", "ServiceAccount", "payer", "pay", src(1),
                                  labels={"team": "pay"}))  # fmt: skip
    known = VpcModel.build(world({"ENABLE_POD_ENI": "true"}, pods=pods, sgps=(by_sa,),
                                 service_accounts=(sa,)))  # fmt: skip
    assert place(known, "pay/payments-0").group_ids == ("sg-pay",)
    other = replace(sa, meta=replace(sa.meta, labels={"team": "shop"}))
    plain = VpcModel.build(world({"ENABLE_POD_ENI": "true"}, pods=pods, sgps=(by_sa,),
                                 service_accounts=(other,)))  # fmt: skip
    assert place(plain, "pay/payments-0").placement is Placement.NODE_ENI


def test_a_policy_decision_about_an_address_the_input_lacks_is_unknown() -> None:
    from ekstwin.engines.net import Decision, Reason, Verdict
    from ekstwin.engines.net.policies import Direction
    from ekstwin.engines.vpc.whole import PathVerdict, cluster_layers

    denied = Decision(Direction.EGRESS, False, Reason.END_OF_TIER, "no rule of shop/egress allows")
    open_ = Decision(Direction.INGRESS, True, Reason.NOT_ENFORCED, "outside the cluster")
    v = Verdict("shop/web-0", "rds:db9", "TCP", 5432, False, denied, open_)
    got = cluster_layers(v, unknown_destination="rds:db9")
    assert [(x.layer.value, x.allowed, x.decided_by) for x in got] == [
        ("networkpolicy-egress", None,
         "no rule of shop/egress allows; the address of rds:db9 is unknown"),
        ("networkpolicy-ingress", True, "outside the cluster"),
    ]  # fmt: skip
    assert PathVerdict(got, True, False).allowed is None  # judged: the layers decide
    assert PathVerdict(got, False, False).allowed is False  # no VPC data: as before
    no_policy = Decision(Direction.EGRESS, False, Reason.NO_ENFORCER, "nothing enforces")
    kept = cluster_layers(replace(v, egress=no_policy), unknown_destination="rds:db9")
    assert kept[0].allowed is False  # not a rule's decision: the address does not matter


def test_the_nat_gateways_subnet_judges_the_request_on_its_way_out_too() -> None:
    # subnet-pub holds nat-1: the request from a private subnet crosses its
    # boundary twice, in (its inbound ACL) and out towards igw-1 (its outbound)
    pub = NetworkAcl(
        "acl-pub", "vpc-1",
        entries=(
            entry(30, True, "deny", "17", "0.0.0.0/0", 0, 1023, line=901),
            entry(100, True, "allow", line=902),
            entry(100, False, "allow", line=903),
        ),
        subnet_ids=("subnet-pub",), source=src(900),
    )  # fmt: skip
    got = judge(world(network_acls=(pub, *ACLS)), "shop/web-0", "internet", 53, "UDP")
    assert got[1:4] == [
        (
            "nacl-outbound",
            False,
            "acl-default outbound rule 100 allows udp 53 to internet; out of the NAT gateway's "
            "subnet subnet-pub: acl-pub outbound rule 30 denies udp 53 to internet",
            "aws.json:901",
        ),
        ("route", True, "rtb-priv route 0.0.0.0/0 -> nat-1 (NAT gateway)", "aws.json:212"),
        (
            "nacl-inbound",
            True,
            "into the NAT gateway's subnet: acl-pub inbound rule 100 allows udp 53 from "
            "shop/web-0 (as node n1)",
            "aws.json:903",
        ),
    ]
    ctx = VpcModel.build(world(network_acls=(pub, *ACLS)))
    assert ctx.aws_allowed(place(ctx, "shop/web-0"), place(ctx, "internet"), "UDP", 53) is False
    # TCP 443 passes both outbound ACLs; the last word is the NAT subnet's
    tcp = judge(world(network_acls=(pub, *ACLS)), "shop/web-0", "internet", 443)
    assert tcp[1] == (
        "nacl-outbound",
        True,
        "acl-default outbound rule 100 allows tcp 443 to internet; out of the NAT gateway's "
        "subnet subnet-pub: acl-pub outbound rule 100 allows tcp 443 to internet",
        "aws.json:902",
    )
    assert tcp[5] == (
        "nacl-return",
        True,
        "reply into the NAT gateway's subnet-pub: acl-pub inbound rule 100 allows tcp "
        "1024-65535 from internet; reply out of the NAT gateway's subnet-pub: acl-pub outbound "
        "rule 100 allows tcp 1024-65535 to shop/web-0 (as node n1); reply into subnet-a: "
        "acl-default inbound rule 100 allows tcp 1024-65535 from internet",
        "aws.json:401",
    )
