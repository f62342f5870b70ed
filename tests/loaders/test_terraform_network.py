"""Terraform plans and states of the VPC network (security groups and their rule
resources, network ACLs, prefix lists, peering, endpoints, routes, RDS,
ElastiCache, EFS) read as aws.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ekstwin.loaders.aws import build_aws
from ekstwin.loaders.jsonlines import pointer_lines
from ekstwin.loaders.terraform import terraform_to_aws
from ekstwin.model.aws import AwsState

TF = Path(__file__).resolve().parents[1] / "fixtures" / "collect" / "terraform"


def _convert(name: str) -> tuple[dict[str, object], dict[str, int], list[dict[str, object]]]:
    text = (TF / f"{name}.json").read_text(encoding="utf-8")
    doc, diags = terraform_to_aws(json.loads(text), f"{name}.json", pointer_lines(text))
    return doc.data, dict(doc.lines), [d.to_json() for d in diags]


def _state_of(data: dict[str, Any]) -> tuple[AwsState, list[str]]:
    doc, diags = terraform_to_aws(data, "tf.json")
    state, load_diags = build_aws([doc])
    assert load_diags == []
    return state, [d.message for d in diags]


def test_network_plan_becomes_the_reviewed_aws_json() -> None:
    # reviewed snapshot: one rule per peer; inline rules, rule resources and the
    # placeholders of groups, lists, ACLs, tables and peering joined up; the rule,
    # route outside the file not read; every assumption a warning at its resource
    data, lines, diags = _convert("network-plan")
    expected = json.loads((TF / "network-plan.expected.json").read_text(encoding="utf-8"))
    assert data == expected["document"]
    assert lines == expected["lines"]
    assert diags == expected["diagnostics"]


def test_network_plan_loads_and_its_references_join_up() -> None:
    data, _, _ = _convert("network-plan")
    text = (TF / "network-plan.json").read_text(encoding="utf-8")
    doc, _ = terraform_to_aws(json.loads(text), "network-plan.json", pointer_lines(text))
    state, diagnostics = build_aws([doc])
    assert diagnostics == []
    assert data == doc.data
    (subnet,) = state.subnets
    nodes = next(g for g in state.security_groups if g.name == "nodes")
    db = next(g for g in state.security_groups if g.name == "orders-db")
    office = state.prefix_lists[0]
    # the database admits the node group (an inline rule naming a group unknown until
    # apply) and the node subnet; Terraform removed EC2's default egress rule
    assert [(r.protocol, r.from_port, r.peer) for r in db.ingress] == [
        ("6", 5432, "198.18.0.0/24"),
        ("6", 5432, nodes.group_id),
        ("1", 3, "198.18.0.0/16"),
    ]
    assert db.egress == ()
    # the node group's rules are its separate rule resources: itself, the control
    # plane's group on 9443, the office prefix list on 443
    assert [(r.protocol, r.from_port, r.peer) for r in nodes.ingress] == [
        ("-1", None, nodes.group_id),
        ("6", 9443, "sg-0c0c0c0c0c0c0c0c0"),
        ("6", 443, office.prefix_list_id),
    ]
    assert office.entries == ("203.0.113.0/26",)
    acl = state.network_acl_for_subnet(subnet.subnet_id)
    assert acl is not None and not acl.is_default
    assert [(e.rule_number, e.action.value, e.protocol) for e in acl.ordered(egress=False)] == [
        (90, "deny", "-1"),
        (100, "allow", "6"),
    ]
    assert [(e.from_port, e.to_port) for e in acl.ordered(egress=True)] == [(1024, 65535)]
    default = next(a for a in state.network_acls if a.is_default)
    assert default.vpc_id == state.vpcs[0].vpc_id
    table = state.route_tables[0]
    assert state.route_table_for_subnet(subnet.subnet_id) is table
    peering = state.vpc_peering_connections[0]
    assert [(r.destination, r.to_prefix_list, r.gateway_id) for r in table.routes] == [
        ("pl-0b0b0b0b0b0b0b0b0", True, "vpce-0e0e0e0e0e0e0e0e0"),
        ("198.19.0.0/16", False, peering.peering_connection_id),
    ]
    assert (peering.status, peering.requester_cidrs) == ("pending-acceptance", ("198.18.0.0/16",))
    (database,) = state.db_instances
    assert (database.port, database.subnet_ids, database.security_group_ids) == (
        5432,
        (subnet.subnet_id,),
        (db.group_id,),
    )
    (mount,) = state.efs_mount_targets
    assert mount.security_group_ids == (nodes.group_id,)
    s3, sts = state.vpc_endpoints
    assert (s3.endpoint_type.value, s3.route_table_ids) == ("Gateway", (table.route_table_id,))
    assert (sts.endpoint_type.value, sts.security_group_ids, sts.policy) == (
        "Interface",
        (nodes.group_id,),
        None,
    )


def _resource(address: str, values: dict[str, Any]) -> dict[str, Any]:
    type_, name = address.split(".")
    return {"address": address, "mode": "managed", "type": type_, "name": name, "values": values}


def _state(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"format_version": "1.0", "values": {"root_module": {"resources": list(resources)}}}


def test_a_state_lists_a_rule_resource_in_its_group_too_and_it_is_read_once() -> None:
    rule = {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["198.18.0.0/16"],
            "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": False,
            "description": ""}  # fmt: skip
    data = _state(
        _resource(
            "aws_security_group.web",
            {
                "id": "sg-0a0a0a0a0a0a0a0a0",
                "vpc_id": "vpc-0a0a0a0a0a0a0a0a0",
                "name": "web",
                "ingress": [rule],
                "egress": [],
            },
        ),
        _resource(
            "aws_security_group_rule.https",
            {
                "type": "ingress",
                "security_group_id": "sg-0a0a0a0a0a0a0a0a0",
                "protocol": "tcp",
                "from_port": 443,
                "to_port": 443,
                "cidr_blocks": ["198.18.0.0/16"],
                "ipv6_cidr_blocks": ["2001:db8::/32"],
            },
        ),
        _resource(
            "aws_vpc_security_group_egress_rule.peer",
            {
                "security_group_id": "sg-0a0a0a0a0a0a0a0a0",
                "ip_protocol": "icmp",
                "from_port": -1,
                "to_port": -1,
                "referenced_security_group_id": "444455556666/sg-0b0b0b0b0b0b0b0b0",
                "security_group_rule_id": "sgr-0c0c0c0c0c0c0c0c0",
            },
        ),
    )
    state, warnings = _state_of(data)
    assert warnings == [
        "no ARN in this Terraform file names the AWS account; ARNs use 000000000000"
    ]
    (group,) = state.security_groups
    assert [(r.protocol, r.from_port, r.to_port, r.peer) for r in group.ingress] == [
        ("6", 443, 443, "198.18.0.0/16"),
        ("6", 443, 443, "2001:db8::/32"),
    ]
    assert [
        (r.protocol, r.from_port, r.peer, r.referenced_account_id, r.rule_id) for r in group.egress
    ] == [("1", None, "sg-0b0b0b0b0b0b0b0b0", "444455556666", "sgr-0c0c0c0c0c0c0c0c0")]


def test_an_inline_rule_naming_one_of_several_unknown_groups_leaves_the_group_out() -> None:
    """The plan's inline rules are a set: which unknown group goes with which rule
    cannot be told, so the group is not written (its rules are unknown)."""
    block = {"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": [],
             "security_groups": [None], "self": False}  # fmt: skip

    def change(address: str, after: dict[str, Any], unknown: dict[str, Any]) -> dict[str, Any]:
        type_, name = address.split(".")
        return {
            "address": address,
            "mode": "managed",
            "type": type_,
            "name": name,
            "change": {"actions": ["create"], "after": after, "after_unknown": unknown},
        }

    def refs(*addresses: str) -> dict[str, Any]:
        return {"references": [f"{a}.id" for a in addresses]}

    plan = {
        "format_version": "1.2",
        "resource_changes": [
            change(
                "aws_security_group.a",
                {"name": "a", "vpc_id": "vpc-0a0a0a0a0a0a0a0a0"},
                {"id": True, "ingress": True},
            ),
            change(
                "aws_security_group.b",
                {"name": "b", "vpc_id": "vpc-0a0a0a0a0a0a0a0a0"},
                {"id": True, "ingress": True},
            ),
            change(
                "aws_security_group.c",
                {"name": "c", "vpc_id": "vpc-0a0a0a0a0a0a0a0a0", "ingress": [block, block]},
                {"id": True},
            ),
        ],
        "configuration": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_security_group.c",
                        "expressions": {
                            "ingress": [
                                {"security_groups": refs("aws_security_group.a")},
                                {"security_groups": refs("aws_security_group.b")},
                            ]
                        },
                    }
                ]
            }
        },
    }
    state, warnings = _state_of(plan)
    assert sorted(g.name or "" for g in state.security_groups) == ["a", "b"]
    assert (
        "aws_security_group.c: an inline rule names a security group unknown until apply, and "
        "the rules refer to several; the group is left out (its rules are unknown)"
    ) in warnings


def test_cluster_security_groups_from_the_vpc_config() -> None:
    data = _state(
        _resource(
            "aws_eks_cluster.main",
            {
                "name": "prod",
                "version": "1.31",
                "arn": "arn:aws:eks:eu-west-1:111122223333:cluster/prod",
                "vpc_config": [
                    {
                        "subnet_ids": ["subnet-0a0a0a0a0a0a0a0a0"],
                        "security_group_ids": ["sg-0e0e0e0e0e0e0e0e0"],
                        "cluster_security_group_id": "sg-0c0c0c0c0c0c0c0c0",
                        "vpc_id": "vpc-0a0a0a0a0a0a0a0a0",
                    }
                ],
            },
        ),
    )
    state, _ = _state_of(data)
    (cluster,) = state.clusters
    assert (cluster.cluster_security_group_id, cluster.security_group_ids) == (
        "sg-0c0c0c0c0c0c0c0c0",
        ("sg-0e0e0e0e0e0e0e0e0",),
    )


def test_route_table_associations_and_the_main_table() -> None:
    tables = [
        _resource(
            f"aws_route_table.{name}",
            {"id": table_id, "vpc_id": "vpc-0a0a0a0a0a0a0a0a0", "route": []},
        )
        for name, table_id in (
            ("main", "rtb-0a0a0a0a0a0a0a0a0"),
            ("public", "rtb-0b0b0b0b0b0b0b0b0"),
        )
    ]
    data = _state(
        *tables,
        _resource(
            "aws_main_route_table_association.main",
            {"vpc_id": "vpc-0a0a0a0a0a0a0a0a0", "route_table_id": "rtb-0a0a0a0a0a0a0a0a0"},
        ),
        _resource(
            "aws_route_table_association.public",
            {"subnet_id": "subnet-0c0c0c0c0c0c0c0c0", "route_table_id": "rtb-0b0b0b0b0b0b0b0b0"},
        ),
        _resource(
            "aws_route.public_default",
            {"route_table_id": "rtb-0b0b0b0b0b0b0b0b0", "destination_cidr_block": "0.0.0.0/0",
             "gateway_id": "igw-0d0d0d0d0d0d0d0d0"},
        ),
        _resource(
            "aws_route.s3",
            {"route_table_id": "rtb-0a0a0a0a0a0a0a0a0",
             "destination_prefix_list_id": "pl-0e0e0e0e0e0e0e0e0",
             "vpc_endpoint_id": "vpce-0f0f0f0f0f0f0f0f0"},
        ),
    )  # fmt: skip
    state, _ = _state_of(data)
    main, public = state.route_tables
    assert (main.main, main.subnet_ids, public.main, public.subnet_ids) == (
        True,
        (),
        False,
        ("subnet-0c0c0c0c0c0c0c0c0",),
    )
    assert public.is_public
    assert [(r.destination, r.to_prefix_list, r.gateway_id) for r in main.routes] == [
        ("pl-0e0e0e0e0e0e0e0e0", True, "vpce-0f0f0f0f0f0f0f0f0")
    ]


def test_a_vpc_a_plan_creates_has_ec2s_default_acl_an_existing_one_an_unknown_acl() -> None:
    def vpc_change(actions: list[str]) -> dict[str, Any]:
        return {
            "address": "aws_vpc.main",
            "mode": "managed",
            "type": "aws_vpc",
            "name": "main",
            "change": {
                "actions": actions,
                "after": {"id": "vpc-0a0a0a0a0a0a0a0a0", "cidr_block": "198.18.0.0/16",
                          "assign_generated_ipv6_cidr_block": True},
                "after_unknown": {},
            },
        }  # fmt: skip

    subnet = {
        "address": "aws_subnet.a",
        "mode": "managed",
        "type": "aws_subnet",
        "name": "a",
        "change": {
            "actions": ["create"],
            "after": {"id": "subnet-0b0b0b0b0b0b0b0b0", "vpc_id": "vpc-0a0a0a0a0a0a0a0a0",
                      "cidr_block": "198.18.0.0/24", "availability_zone": "eu-west-1a"},
            "after_unknown": {},
        },
    }  # fmt: skip
    created, _ = _state_of(
        {"format_version": "1.2", "resource_changes": [vpc_change(["create"]), subnet]}
    )
    acl = created.network_acl_for_subnet("subnet-0b0b0b0b0b0b0b0b0")
    assert acl is not None and acl.is_default
    assert [(e.rule_number, e.egress, e.action.value, e.protocol, e.cidr) for e in acl.entries] == [
        (100, False, "allow", "-1", "0.0.0.0/0"),
        (101, False, "allow", "-1", "::/0"),
        (100, True, "allow", "-1", "0.0.0.0/0"),
        (101, True, "allow", "-1", "::/0"),
    ]
    updated, _ = _state_of(
        {"format_version": "1.2", "resource_changes": [vpc_change(["update"]), subnet]}
    )
    assert updated.network_acls == ()
    assert updated.network_acl_for_subnet("subnet-0b0b0b0b0b0b0b0b0") is None
