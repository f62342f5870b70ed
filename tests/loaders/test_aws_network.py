"""aws.json loading of the VPC network: security groups, prefix lists, network ACLs,
peering, stand-alone ENIs, endpoints and the AWS services pods reach (RDS,
ElastiCache, EFS), and every validation corner the schema alone cannot catch."""

from __future__ import annotations

import json

import pytest

from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders.aws import AwsDocument, build_aws, load_aws_text
from ekstwin.model.aws import AwsState
from ekstwin.model.source import Source
from ekstwin.model.vpc import (
    ALL_PROTOCOLS,
    ICMP,
    ICMPV6,
    TCP,
    NaclAction,
    NetworkAclEntry,
    SecurityGroupRule,
)

ACCT = "111122223333"


def load(text: str, file: str = "aws.json") -> AwsDocument:
    doc, diagnostics = load_aws_text(text, file)
    assert diagnostics == [] and doc is not None
    return doc


def text_of(ec2: dict[str, object], **sections: object) -> str:
    account: dict[str, object] = {"id": ACCT, "ec2": ec2, **sections}
    return json.dumps({"format": "ekstwin-aws", "version": 1, "accounts": [account]}, indent=2)


def build(text: str, file: str = "aws.json") -> tuple[AwsState, list[Diagnostic]]:
    return build_aws([load(text, file)])


def line(text: str, needle: str, nth: int = 0) -> int:
    hits = [i for i, row in enumerate(text.splitlines(), 1) if needle in row]
    return hits[nth]


def group(group_id: str, *ingress: dict[str, object], **extra: object) -> dict[str, object]:
    return {"group_id": group_id, "vpc_id": "vpc-0a1", "ingress": list(ingress), **extra}


def tcp(port: int, **peer: object) -> dict[str, object]:
    return {"protocol": "tcp", "from_port": port, "to_port": port, **peer}


def error(text: str, needle: str, message: str, hint: str, nth: int = 0) -> Diagnostic:
    return Diagnostic(
        Source("aws.json", line(text, needle, nth)),
        message,
        hint,
        DiagnosticLevel.ERROR,
        "aws-schema",
    )


# ---------------------------------------------------------------------------
# security groups


def test_rules_are_normalised_to_protocol_numbers_and_icmp_type_code() -> None:
    rules: list[dict[str, object]] = [
        {"protocol": "TCP", "from_port": 80, "to_port": 8080, "cidr": "198.18.0.0/16"},
        {"protocol": "all", "cidr": "203.0.113.0/24"},
        {"protocol": -1, "group_id": "sg-0b1"},
        {"protocol": "udp", "prefix_list_id": "pl-0a1"},
        {"protocol": "icmp", "icmp_type": 8, "icmp_code": -1, "cidr": "0.0.0.0/0"},
        {"protocol": "icmpv6", "icmp_type": -1, "cidr": "::/0"},
        {"protocol": 50, "cidr": "198.18.0.0/16"},
    ]
    text = text_of({"security_groups": [group("sg-0a1", *rules)]})
    state, diagnostics = build(text)
    assert diagnostics == []
    got = state.security_group("sg-0a1")
    assert got is not None and got.egress == ()

    def at(n: int) -> Source:  # a rule's line is its opening brace's
        return Source("aws.json", line(text, '"protocol"', n) - 1)

    assert got.ingress == (
        SecurityGroupRule(TCP, 80, 8080, cidr="198.18.0.0/16", source=at(0)),
        SecurityGroupRule(ALL_PROTOCOLS, cidr="203.0.113.0/24", source=at(1)),
        SecurityGroupRule(ALL_PROTOCOLS, group_id="sg-0b1", source=at(2)),
        SecurityGroupRule("17", prefix_list_id="pl-0a1", source=at(3)),
        SecurityGroupRule(ICMP, 8, None, cidr="0.0.0.0/0", source=at(4)),
        SecurityGroupRule(ICMPV6, None, None, cidr="::/0", source=at(5)),
        SecurityGroupRule("50", cidr="198.18.0.0/16", source=at(6)),
    )


@pytest.mark.parametrize(
    ("rule", "needle", "message", "hint"),
    [
        (
            tcp(443, cidr="198.18.0.0/16", group_id="sg-0b1"),
            '"protocol": "tcp"',
            "$.accounts[0].ec2.security_groups[0].ingress[0]: a rule needs exactly one peer "
            "(cidr, prefix_list_id or group_id), found 2 (cidr, group_id)",
            "write one rule per peer",
        ),
        (
            tcp(443),
            '"protocol": "tcp"',
            "$.accounts[0].ec2.security_groups[0].ingress[0]: a rule needs exactly one peer "
            "(cidr, prefix_list_id or group_id), found none",
            "write one rule per peer",
        ),
        (
            {"protocol": "tcpx", "cidr": "198.18.0.0/16"},
            '"protocol": "tcpx"',
            '$.accounts[0].ec2.security_groups[0].ingress[0].protocol: "tcpx" is not a protocol',
            "use tcp, udp, icmp, icmpv6, -1 (all) or an IANA protocol number 0..255",
        ),
        (
            {"protocol": 256, "cidr": "198.18.0.0/16"},
            '"protocol": 256',
            "$.accounts[0].ec2.security_groups[0].ingress[0].protocol: 256 is not a protocol",
            "use tcp, udp, icmp, icmpv6, -1 (all) or an IANA protocol number 0..255",
        ),
        (
            {"protocol": "-1", "from_port": 0, "to_port": 0, "cidr": "198.18.0.0/16"},
            '"from_port": 0',
            "$.accounts[0].ec2.security_groups[0].ingress[0].from_port: ports apply to tcp (6) "
            "and udp (17) only, not to protocol -1",
            "remove from_port/to_port (for ICMP write icmp_type/icmp_code)",
        ),
        (
            {"protocol": "tcp", "from_port": 443, "to_port": 80, "cidr": "198.18.0.0/16"},
            '"from_port": 443',
            "$.accounts[0].ec2.security_groups[0].ingress[0].from_port: the port range 443-80 "
            "is empty (from_port is above to_port)",
            "swap the two ends",
        ),
        (
            {"protocol": "udp", "from_port": 53, "cidr": "198.18.0.0/16"},
            '"protocol": "udp"',
            "$.accounts[0].ec2.security_groups[0].ingress[0].to_port: 'to_port' is missing: "
            "a port range needs both ends",
            "give both from_port and to_port (the same value for one port), or neither for "
            "every port",
        ),
        (
            {"protocol": "tcp", "from_port": 1, "to_port": 70000, "cidr": "198.18.0.0/16"},
            '"to_port": 70000',
            "$.accounts[0].ec2.security_groups[0].ingress[0].to_port: 70000 is greater than "
            "the maximum of 65535",
            "fix the value",
        ),
        (
            {"protocol": "icmp", "icmp_code": 4, "cidr": "198.18.0.0/16"},
            '"icmp_code": 4',
            "$.accounts[0].ec2.security_groups[0].ingress[0].icmp_code: ICMP code 4 without "
            "an ICMP type",
            "give the icmp_type the code belongs to, or drop icmp_code (any code)",
        ),
        (
            {"protocol": "tcp", "icmp_type": 8, "cidr": "198.18.0.0/16"},
            '"icmp_type": 8',
            "$.accounts[0].ec2.security_groups[0].ingress[0].icmp_type: icmp_type/icmp_code "
            "apply to icmp (1) and icmpv6 (58) only, not to protocol 6",
            "remove icmp_type/icmp_code (for TCP and UDP write from_port/to_port)",
        ),
        (
            tcp(443, cidr="198.18.0.0/33"),
            '"cidr": "198.18.0.0/33"',
            '$.accounts[0].ec2.security_groups[0].ingress[0].cidr: "198.18.0.0/33" is not a '
            "valid CIDR block",
            "write a CIDR such as 198.18.0.0/16",
        ),
        (
            tcp(443, cidr="198.18.0.0"),
            '"cidr": "198.18.0.0"',
            '$.accounts[0].ec2.security_groups[0].ingress[0].cidr: "198.18.0.0" is not a CIDR '
            "block such as 198.18.0.0/16",
            "fix the value",
        ),
        (
            tcp(443, group_id="nodes"),
            '"group_id": "nodes"',
            '$.accounts[0].ec2.security_groups[0].ingress[0].group_id: "nodes" is not a '
            "security group id (sg-...)",
            "fix the value",
        ),
        (
            tcp(443, prefix_list_id="sg-0b1"),
            '"prefix_list_id": "sg-0b1"',
            '$.accounts[0].ec2.security_groups[0].ingress[0].prefix_list_id: "sg-0b1" is not a '
            "managed prefix list id (pl-...)",
            "fix the value",
        ),
        (
            tcp(443, cidr="198.18.0.0/16", referenced_vpc_id="vpc-0f9"),
            '"referenced_vpc_id"',
            "$.accounts[0].ec2.security_groups[0].ingress[0].referenced_vpc_id: "
            "'referenced_vpc_id' names where a referenced group lives, but the rule has no "
            "group_id",
            "add the group_id, or remove the field",
        ),
        (
            {"from_port": 443, "to_port": 443, "cidr": "198.18.0.0/16"},
            '"from_port": 443',
            "$.accounts[0].ec2.security_groups[0].ingress[0]: missing required field 'protocol'",
            "add the missing field",
        ),
    ],
)
def test_a_bad_rule_leaves_out_its_whole_group_and_the_siblings_load(
    rule: dict[str, object], needle: str, message: str, hint: str
) -> None:
    """A rule left out alone would narrow what the group allows (a wrong "denied"):
    the whole group is left out, so the engines see it as unknown."""
    text = text_of(
        {"security_groups": [group("sg-0a1", rule), group("sg-0b1", tcp(22, group_id="sg-0b1"))]}
    )
    state, diagnostics = build(text)
    assert [g.group_id for g in state.security_groups] == ["sg-0b1"]
    assert state.security_group("sg-0a1") is None
    field = message.split(": ", 1)[0].rsplit(".", 1)[-1]
    first_key = json.dumps(next(iter(rule)))
    brace = line(text, first_key) - 1  # the rule's own line: its opening brace
    expected_line = line(text, needle) if field in rule else brace
    assert diagnostics == [
        Diagnostic(
            Source("aws.json", expected_line),
            message,
            f"{hint} (see docs/aws-json.md); this security group was not loaded",
            DiagnosticLevel.ERROR,
            "aws-schema",
        )
    ]


def test_an_egress_rule_problem_names_the_egress_path() -> None:
    bad = group("sg-0a1", egress=[{"protocol": "-1", "cidr": "0.0.0.0/0", "group_id": "sg-0a1"}])
    text = text_of({"security_groups": [bad]})
    state, diagnostics = build(text)
    assert state.security_groups == ()
    assert [d.message for d in diagnostics] == [
        "$.accounts[0].ec2.security_groups[0].egress[0]: a rule needs exactly one peer "
        "(cidr, prefix_list_id or group_id), found 2 (cidr, group_id)"
    ]


def test_a_bad_group_id_is_a_schema_error_with_its_line() -> None:
    text = text_of({"security_groups": [group("sg-XYZ"), group("sg-0b1")]})
    state, diagnostics = build(text)
    assert [g.group_id for g in state.security_groups] == ["sg-0b1"]
    assert diagnostics == [
        error(
            text,
            '"group_id": "sg-XYZ"',
            '$.accounts[0].ec2.security_groups[0].group_id: "sg-XYZ" is not a security group '
            "id (sg-...)",
            "fix the value (see docs/aws-json.md); this security group was not loaded",
        )
    ]


def test_a_group_with_two_bad_rules_reports_both_and_is_left_out_once() -> None:
    bad = group(
        "sg-0a1", tcp(1, cidr="198.18.0.0/40"), {"protocol": "xyz", "cidr": "198.18.0.0/16"}
    )
    state, diagnostics = build(text_of({"security_groups": [bad]}))
    assert state.security_groups == ()
    assert [d.message for d in diagnostics] == [
        '$.accounts[0].ec2.security_groups[0].ingress[0].cidr: "198.18.0.0/40" is not a '
        "valid CIDR block",
        '$.accounts[0].ec2.security_groups[0].ingress[1].protocol: "xyz" is not a protocol',
    ]


def test_load_balancer_security_groups_stay_a_list_of_ids() -> None:
    """``security_groups`` holds groups only under ec2; under a load balancer it is a
    list of ids, and an error there leaves out the load balancer, not an id."""
    lb = {
        "arn": f"arn:aws:elasticloadbalancing:eu-west-1:{ACCT}:loadbalancer/app/a/1",
        "name": "a",
        "security_groups": ["sg-0a1", 5],
    }
    state, diagnostics = build(text_of({}, elbv2={"load_balancers": [lb]}))
    assert state.load_balancers == ()
    assert [d.hint for d in diagnostics] == [
        "fix the value (see docs/aws-json.md); this load balancer was not loaded"
    ]


# ---------------------------------------------------------------------------
# prefix lists


def test_prefix_list_entries_and_aws_managed_lists() -> None:
    text = text_of(
        {
            "prefix_lists": [
                {"prefix_list_id": "pl-0a1", "entries": ["198.18.0.0/24", "2001:db8::/32"]},
                {"prefix_list_id": "pl-0b1", "name": "com.amazonaws.eu-west-1.s3"},
            ]
        }
    )
    state, diagnostics = build(text)
    assert diagnostics == []
    custom, s3 = state.prefix_lists
    assert custom.entries == ("198.18.0.0/24", "2001:db8::/32") and not custom.aws_managed
    assert s3.entries == () and s3.aws_managed
    assert state.prefix_list("pl-0b1") is s3


def test_a_bad_prefix_list_entry_leaves_out_the_list() -> None:
    text = text_of(
        {"prefix_lists": [{"prefix_list_id": "pl-0a1", "entries": ["198.18.0.0/24", "1.2.3/8"]}]}
    )
    state, diagnostics = build(text)
    assert state.prefix_lists == ()
    assert [d.message for d in diagnostics] == [
        '$.accounts[0].ec2.prefix_lists[0].entries[1]: "1.2.3/8" is not a CIDR block such '
        "as 198.18.0.0/16"
    ]
    assert [d.hint for d in diagnostics] == [
        "fix the value (see docs/aws-json.md); this prefix list was not loaded"
    ]


def test_prefix_list_owner_is_an_account_or_aws() -> None:
    text = text_of({"prefix_lists": [{"prefix_list_id": "pl-0a1", "owner_id": "amazon"}]})
    state, diagnostics = build(text)
    assert state.prefix_lists == ()
    assert [d.message for d in diagnostics] == [
        '$.accounts[0].ec2.prefix_lists[0].owner_id: "amazon" is not a 12-digit account id or AWS'
    ]


# ---------------------------------------------------------------------------
# network ACLs


def acl(acl_id: str, *entries: dict[str, object], **extra: object) -> dict[str, object]:
    return {"network_acl_id": acl_id, "vpc_id": "vpc-0a1", "entries": list(entries), **extra}


def entry(number: int, egress: bool, action: str = "allow", **extra: object) -> dict[str, object]:
    return {
        "rule_number": number,
        "egress": egress,
        "action": action,
        "protocol": "-1",
        "cidr": "0.0.0.0/0",
        **extra,
    }


def test_network_acl_entries_associations_and_the_default() -> None:
    subnets = [
        {"subnet_id": s, "vpc_id": "vpc-0a1", "cidr": c, "availability_zone": "eu-west-1a"}
        for s, c in (("subnet-0a1", "198.18.0.0/24"), ("subnet-0b1", "198.18.1.0/24"))
    ]
    text = text_of(
        {
            "subnets": subnets,
            "network_acls": [
                acl("acl-0a1", entry(100, False), entry(100, True), is_default=True),
                acl(
                    "acl-0b1",
                    entry(200, False, protocol="tcp", from_port=1024, to_port=65535),
                    entry(100, False, "deny", protocol=6, cidr="203.0.113.0/24"),
                    entry(100, True, protocol="icmp", icmp_type=3, icmp_code=4),
                    subnet_ids=["subnet-0b1"],
                ),
            ],
        }
    )
    state, diagnostics = build(text)
    assert diagnostics == []
    default = state.network_acl_for_subnet("subnet-0a1")
    explicit = state.network_acl_for_subnet("subnet-0b1")
    assert default is not None and default.network_acl_id == "acl-0a1" and default.is_default
    assert explicit is not None and explicit.network_acl_id == "acl-0b1"
    assert state.network_acl_for_subnet("subnet-0c1") is None

    def at(n: int) -> Source:
        return Source("aws.json", line(text, '"rule_number"', n) - 1)

    assert explicit.ordered(egress=False) == (
        NetworkAclEntry(100, False, NaclAction.DENY, TCP, "203.0.113.0/24", source=at(3)),
        NetworkAclEntry(200, False, NaclAction.ALLOW, TCP, "0.0.0.0/0", 1024, 65535, source=at(2)),
    )
    assert explicit.ordered(egress=True) == (
        NetworkAclEntry(
            100, True, NaclAction.ALLOW, ICMP, "0.0.0.0/0", icmp_type=3, icmp_code=4, source=at(4)
        ),
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            entry(0, False),
            "$.accounts[0].ec2.network_acls[0].entries[1].rule_number: 0 is less than the "
            "minimum of 1",
        ),
        (
            entry(32767, False),
            "$.accounts[0].ec2.network_acls[0].entries[1].rule_number: 32767 is greater than "
            "the maximum of 32766",
        ),
        (
            entry(100, False),
            "$.accounts[0].ec2.network_acls[0].entries[1].rule_number: rule number 100 is used "
            "twice for ingress (also entries[0])",
        ),
        (
            entry(110, False, "permit"),
            '$.accounts[0].ec2.network_acls[0].entries[1].action: "permit" is not one of: '
            "allow, deny",
        ),
        (
            entry(110, False, protocol="tcp", from_port=80),
            "$.accounts[0].ec2.network_acls[0].entries[1].to_port: 'to_port' is missing: a port "
            "range needs both ends",
        ),
        (
            entry(110, False, from_port=80, to_port=80),
            "$.accounts[0].ec2.network_acls[0].entries[1].from_port: ports apply to tcp (6) "
            "and udp (17) only, not to protocol -1",
        ),
        (
            entry(110, False, cidr="10.0.0.0/99"),
            '$.accounts[0].ec2.network_acls[0].entries[1].cidr: "10.0.0.0/99" is not a valid '
            "CIDR block",
        ),
        (
            {"rule_number": 110, "action": "allow", "protocol": "-1", "cidr": "0.0.0.0/0"},
            "$.accounts[0].ec2.network_acls[0].entries[1]: missing required field 'egress'",
        ),
    ],
)
def test_a_bad_acl_entry_leaves_out_the_whole_acl(bad: dict[str, object], message: str) -> None:
    """An entry left out alone could turn a deny into an allow: the ACL goes."""
    text = text_of({"network_acls": [acl("acl-0a1", entry(100, False), bad), acl("acl-0b1")]})
    state, diagnostics = build(text)
    assert [a.network_acl_id for a in state.network_acls] == ["acl-0b1"]
    assert [d.message for d in diagnostics] == [message]
    assert [d.hint.rsplit("; ", 1)[1] for d in diagnostics] == ["this network ACL was not loaded"]


def test_the_same_rule_number_in_each_direction_is_fine() -> None:
    state, diagnostics = build(
        text_of({"network_acls": [acl("acl-0a1", entry(100, False), entry(100, True))]})
    )
    assert diagnostics == []
    assert len(state.network_acls[0].entries) == 2


def test_a_bad_acl_id_is_reported() -> None:
    state, diagnostics = build(text_of({"network_acls": [acl("nacl-1")]}))
    assert state.network_acls == ()
    assert [d.message for d in diagnostics] == [
        '$.accounts[0].ec2.network_acls[0].network_acl_id: "nacl-1" is not a network ACL id '
        "(acl-...)"
    ]


# ---------------------------------------------------------------------------
# peering, ENIs, endpoints, routes


def test_peering_ids_and_cidrs_are_checked() -> None:
    good = {
        "peering_connection_id": "pcx-0a1",
        "requester_vpc_id": "vpc-0a1",
        "accepter_vpc_id": "vpc-0b1",
        "accepter_cidrs": ["198.19.0.0/16"],
    }
    bad_id = {**good, "peering_connection_id": "peer-1"}
    bad_cidr = {**good, "peering_connection_id": "pcx-0c1", "requester_cidrs": ["198.18.0.0/40"]}
    state, diagnostics = build(text_of({"vpc_peering_connections": [good, bad_id, bad_cidr]}))
    assert [p.peering_connection_id for p in state.vpc_peering_connections] == ["pcx-0a1"]
    assert state.vpc_peering_connections[0].status == "active"
    assert [d.message for d in diagnostics] == [
        '$.accounts[0].ec2.vpc_peering_connections[1].peering_connection_id: "peer-1" is not '
        "a VPC peering connection id (pcx-...)",
        '$.accounts[0].ec2.vpc_peering_connections[2].requester_cidrs[0]: "198.18.0.0/40" is '
        "not a valid CIDR block",
    ]


def test_stand_alone_network_interfaces() -> None:
    enis = [
        {
            "eni_id": "eni-0a1",
            "vpc_id": "vpc-0a1",
            "subnet_id": "subnet-0a1",
            "primary_ip": "198.18.0.5",
            "interface_type": "network_load_balancer",
            "description": "ELB net/k8s-a/1",
            "requester_managed": True,
        },
        {"eni_id": "eni-0b1", "interface_type": "nic"},
        {"eni_id": "en-0c1"},
    ]
    state, diagnostics = build(text_of({"network_interfaces": enis}))
    assert [
        (e.eni_id, e.interface_type, e.requester_managed) for e in state.network_interfaces
    ] == [("eni-0a1", "network_load_balancer", True)]
    assert [d.hint for d in diagnostics] == [
        "fix the value (see docs/aws-json.md); this network interface was not loaded"
    ] * 2


def test_vpc_endpoint_policy_is_validated_like_other_policies() -> None:
    endpoint = {
        "vpc_endpoint_id": "vpce-0a1",
        "vpc_id": "vpc-0a1",
        "service_name": "com.amazonaws.eu-west-1.s3",
        "endpoint_type": "Gateway",
        "policy": {"Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]},
    }
    other = {**endpoint, "vpc_endpoint_id": "vpce-0b1", "policy": None}
    state, diagnostics = build(text_of({"vpc_endpoints": [endpoint, other]}))
    assert [(e.vpc_endpoint_id, e.policy) for e in state.vpc_endpoints] == [("vpce-0b1", None)]
    assert [d.message for d in diagnostics] == [
        '$.accounts[0].ec2.vpc_endpoints[0].policy.Statement[0].Effect: "Maybe" is not one '
        "of: Allow, Deny"
    ]
    assert [d.hint for d in diagnostics] == [
        "fix the value (see docs/aws-json.md); this VPC endpoint was not loaded"
    ]


def test_vpc_endpoint_defaults() -> None:
    endpoint = {"vpc_endpoint_id": "vpce-0a1", "vpc_id": "vpc-0a1", "service_name": "x.y.sts"}
    state, diagnostics = build(text_of({"vpc_endpoints": [endpoint]}))
    assert diagnostics == []
    (got,) = state.vpc_endpoints
    assert (got.endpoint_type.value, got.state, got.policy, got.service) == (
        "Interface",
        "available",
        None,
        "sts",
    )


def test_route_destinations_are_cidrs_or_prefix_lists() -> None:
    table = {
        "route_table_id": "rtb-0a1",
        "vpc_id": "vpc-0a1",
        "routes": [
            {"destination": "pl-0a1", "gateway_id": "vpce-0a1"},
            {"destination": "anywhere", "gateway_id": "igw-0a1"},
            {"destination": "::/0", "gateway_id": "eigw-0a1"},
        ],
    }
    state, diagnostics = build(text_of({"route_tables": [table]}))
    routes = state.route_tables[0].routes
    assert [(r.destination, r.to_prefix_list) for r in routes] == [
        ("pl-0a1", True),
        ("::/0", False),
    ]
    assert [d.message for d in diagnostics] == [
        '$.accounts[0].ec2.route_tables[0].routes[1].destination: "anywhere" is not a CIDR '
        "block or a managed prefix list id (pl-...)"
    ]


# ---------------------------------------------------------------------------
# clusters and node groups, RDS, ElastiCache, EFS


def cluster(**extra: object) -> dict[str, object]:
    return {
        "name": "prod",
        "region": "eu-west-1",
        "arn": f"arn:aws:eks:eu-west-1:{ACCT}:cluster/prod",
        "version": "1.31",
        **extra,
    }


def test_cluster_and_node_group_security_groups() -> None:
    data = cluster(
        cluster_security_group_id="sg-0c1",
        security_group_ids=["sg-0a1", "sg-0a2"],
        node_groups=[
            {"name": "a", "security_group_ids": ["sg-0b1"]},
            {"name": "b", "security_group_ids": ["nodes"]},
        ],
    )
    state, diagnostics = build(text_of({}, eks={"clusters": [data]}))
    (got,) = state.clusters
    assert (got.cluster_security_group_id, got.security_group_ids) == (
        "sg-0c1",
        ("sg-0a1", "sg-0a2"),
    )
    assert [(g.name, g.security_group_ids) for g in got.node_groups] == [("a", ("sg-0b1",))]
    assert [d.message for d in diagnostics] == [
        '$.accounts[0].eks.clusters[0].node_groups[1].security_group_ids[0]: "nodes" is not a '
        "security group id (sg-...)"
    ]


def test_services_load_with_their_interfaces() -> None:
    rds = {
        "db_instances": [
            {
                "db_instance_id": "db",
                "engine": "aurora-postgresql",
                "port": 5432,
                "db_cluster_id": "db-cluster",
                "security_group_ids": ["sg-0a1"],
            },
            {"db_instance_id": "db2", "engine": "mysql"},
        ]
    }
    cache = {
        "cache_clusters": [
            {
                "cache_cluster_id": "c-001",
                "engine": "memcached",
                "port": 11211,
                "interfaces": [{"subnet_id": "subnet-0a1", "address": "198.18.0.9"}],
            },
            {
                "cache_cluster_id": "c-002",
                "engine": "redis",
                "port": 6379,
                "interfaces": [{"subnet_id": "subnet-0a1", "address": "198.18.0.999"}],
            },
        ]
    }
    efs = {
        "mount_targets": [
            {"mount_target_id": "fsmt-0a1", "file_system_id": "fs-0a1", "subnet_id": "subnet-0a1"},
            {"mount_target_id": "mt-1", "file_system_id": "fs-0a1", "subnet_id": "subnet-0a1"},
        ]
    }
    state, diagnostics = build(text_of({}, rds=rds, elasticache=cache, efs=efs))
    assert [(d.db_instance_id, d.db_cluster_id, d.port) for d in state.db_instances] == [
        ("db", "db-cluster", 5432)
    ]
    assert [(c.cache_cluster_id, c.interfaces[0].address) for c in state.cache_clusters] == [
        ("c-001", "198.18.0.9")
    ]
    assert [m.mount_target_id for m in state.efs_mount_targets] == ["fsmt-0a1"]
    assert [d.message for d in diagnostics] == [
        '$.accounts[0].efs.mount_targets[1].mount_target_id: "mt-1" is not an EFS mount target '
        "id (fsmt-...)",
        '$.accounts[0].elasticache.cache_clusters[1].interfaces[0].address: "198.18.0.999" is '
        "not an IPv4 or IPv6 address",
        "$.accounts[0].rds.db_instances[1]: missing required field 'port'",
    ]


# ---------------------------------------------------------------------------
# merging


def test_network_objects_merge_by_id_across_files() -> None:
    first = text_of(
        {
            "security_groups": [group("sg-0a1", tcp(443, cidr="198.18.0.0/16"))],
            "network_acls": [acl("acl-0a1")],
        }
    )
    second = text_of(
        {
            "security_groups": [group("sg-0a1"), group("sg-0b1")],
            "prefix_lists": [{"prefix_list_id": "pl-0a1"}],
        },
        rds={"db_instances": [{"db_instance_id": "db", "engine": "postgres", "port": 5432}]},
    )
    state, diagnostics = build_aws([load(first, "a.json"), load(second, "b.json")])
    assert [(g.group_id, g.source.file, len(g.ingress)) for g in state.security_groups] == [
        ("sg-0a1", "a.json", 1),
        ("sg-0b1", "b.json", 0),
    ]
    assert [a.network_acl_id for a in state.network_acls] == ["acl-0a1"]
    assert [p.prefix_list_id for p in state.prefix_lists] == ["pl-0a1"]
    assert [d.db_instance_id for d in state.db_instances] == ["db"]
    assert [(d.message, d.level) for d in diagnostics] == [
        (
            f"duplicate security group sg-0a1: already defined at a.json:"
            f"{line(first, 'sg-0a1') - 1}",
            DiagnosticLevel.WARNING,
        )
    ]


def test_a_subnet_whose_acl_was_left_out_has_an_unknown_acl_not_the_default() -> None:
    """An ACL left out for an error still says which subnets it serves: their ACL is
    unknown (None), never the VPC's default ACL in its place."""
    subnets = [
        {"subnet_id": s, "vpc_id": v, "cidr": c, "availability_zone": "eu-west-1a"}
        for s, v, c in (
            ("subnet-0a1", "vpc-0a1", "198.18.0.0/24"),
            ("subnet-0b1", "vpc-0a1", "198.18.1.0/24"),
            ("subnet-0c1", "vpc-0b1", "198.19.0.0/24"),
        )
    ]
    text = text_of(
        {
            "subnets": subnets,
            "network_acls": [
                acl("acl-0a1", entry(100, False), is_default=True),
                acl("acl-0b1", entry(100, False, "drop"), subnet_ids=["subnet-0b1"]),
                {**acl("acl-0c1", entry(0, True), is_default=True), "vpc_id": "vpc-0b1"},
            ],
        }
    )
    state, diagnostics = build(text)
    assert len(diagnostics) == 2
    assert [a.network_acl_id for a in state.network_acls] == ["acl-0a1"]
    assert [
        (a.network_acl_id, a.vpc_id, a.is_default, a.subnet_ids, a.entries)
        for a in state.unreadable_network_acls
    ] == [("acl-0b1", "vpc-0a1", False, ("subnet-0b1",), ()), ("acl-0c1", "vpc-0b1", True, (), ())]
    default = state.network_acl_for_subnet("subnet-0a1")
    assert default is not None and default.network_acl_id == "acl-0a1"
    assert state.network_acl_for_subnet("subnet-0b1") is None
    assert state.network_acl_for_subnet("subnet-0c1") is None
