"""ekstwin collect aws: the VPC network (security groups, prefix lists, network ACLs,
peering, ENIs, endpoints) and the services in it (RDS, ElastiCache, EFS), read from
answers in the EC2/RDS/ElastiCache/EFS API's shapes (botocore's Stubber checks each
request and answer against the service model), then read back as aws.json."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from ekstwin.collect.aws import (
    AwsCollectOptions,
    _efs,
    _elasticache,
    _network_acls,
    _network_interface,
    _peerings,
    _prefix_lists,
    _rds,
    _Run,
    _security_groups,
    _vpc_endpoints,
    collect_aws,
)
from ekstwin.loaders.aws import build_aws, load_aws_text

boto3 = pytest.importorskip("boto3")
from botocore.stub import Stubber  # noqa: E402

REGION = "eu-west-1"
ACCT = "111122223333"
PEER = "444455556666"


@pytest.fixture
def run() -> _Run:
    session = boto3.session.Session(
        region_name=REGION, aws_access_key_id="k", aws_secret_access_key="s"
    )
    return _Run(AwsCollectOptions(max_attempts=1), session, None)


@pytest.fixture
def ec2(run: _Run) -> Iterator[tuple[Any, Stubber]]:
    client = run.client("ec2", REGION)
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def issues(run: _Run) -> list[tuple[str, str, str, str | None]]:
    return [(i.service, i.operation, i.code, i.resource) for i in run.issues]


# ---------------------------------------------------------------------------
# security groups

GROUPS = {
    "SecurityGroups": [
        {
            "GroupId": "sg-0a1",
            "VpcId": "vpc-0a1",
            "GroupName": "nodes",
            "Description": "node group",
            "OwnerId": ACCT,
            "IpPermissions": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "198.18.0.0/16", "Description": "vpc"}],
                    "PrefixListIds": [{"PrefixListId": "pl-0a1"}],
                    "UserIdGroupPairs": [{"GroupId": "sg-0c1", "UserId": ACCT}],
                },
                {
                    "IpProtocol": "icmp",
                    "FromPort": 8,
                    "ToPort": -1,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                },
                {
                    "IpProtocol": "-1",
                    "UserIdGroupPairs": [
                        {
                            "GroupId": "sg-0f9",
                            "UserId": PEER,
                            "VpcId": "vpc-0f9",
                            "VpcPeeringConnectionId": "pcx-0a1",
                        }
                    ],
                },
                {
                    "IpProtocol": "udp",
                    "FromPort": 0,
                    "ToPort": 65535,
                    "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                },
                {"IpProtocol": "50", "IpRanges": [{"CidrIp": "203.0.113.0/24"}]},
            ],
            "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
            "Tags": [{"Key": "Name", "Value": "nodes"}],
        }
    ]
}

RULES = {
    "SecurityGroupRules": [
        {
            "SecurityGroupRuleId": "sgr-0a1",
            "GroupId": "sg-0a1",
            "GroupOwnerId": ACCT,
            "IsEgress": False,
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "CidrIpv4": "198.18.0.0/16",
        },
        {
            "SecurityGroupRuleId": "sgr-0a2",
            "GroupId": "sg-0a1",
            "GroupOwnerId": ACCT,
            "IsEgress": False,
            "IpProtocol": "-1",
            "FromPort": -1,
            "ToPort": -1,
            "ReferencedGroupInfo": {"GroupId": "sg-0f9", "UserId": PEER, "VpcId": "vpc-0f9"},
        },
        {
            "SecurityGroupRuleId": "sgr-0a3",
            "GroupId": "sg-0a1",
            "GroupOwnerId": ACCT,
            "IsEgress": True,
            "IpProtocol": "-1",
            "FromPort": -1,
            "ToPort": -1,
            "CidrIpv4": "0.0.0.0/0",
        },
    ]
}


def expected_group(with_ids: bool) -> dict[str, object]:
    def rid(rule_id: str) -> dict[str, object]:
        return {"rule_id": rule_id} if with_ids else {}

    tcp443: dict[str, object] = {"protocol": "tcp", "from_port": 443, "to_port": 443}
    return {
        "group_id": "sg-0a1",
        "vpc_id": "vpc-0a1",
        "name": "nodes",
        "description": "node group",
        "owner_id": ACCT,
        "ingress": [
            {**tcp443, "cidr": "198.18.0.0/16", "description": "vpc", **rid("sgr-0a1")},
            {**tcp443, "prefix_list_id": "pl-0a1", "description": None},
            {**tcp443, "group_id": "sg-0c1", "description": None},
            {
                "protocol": "icmp",
                "icmp_type": 8,
                "icmp_code": None,
                "cidr": "0.0.0.0/0",
                "description": None,
            },
            {
                "protocol": "-1",
                "group_id": "sg-0f9",
                "description": None,
                "referenced_vpc_id": "vpc-0f9",
                "referenced_account_id": PEER,
                **rid("sgr-0a2"),
            },
            {"protocol": "udp", "cidr": "::/0", "description": None},
            {"protocol": "50", "cidr": "203.0.113.0/24", "description": None},
        ],
        "egress": [{"protocol": "-1", "cidr": "0.0.0.0/0", "description": None, **rid("sgr-0a3")}],
        "tags": {"Name": "nodes"},
    }


def test_security_groups_get_one_rule_per_peer_and_their_rule_ids(
    run: _Run, ec2: tuple[Any, Stubber]
) -> None:
    client, stub = ec2
    stub.add_response("describe_security_groups", GROUPS, {})
    stub.add_response("describe_security_group_rules", RULES, {})
    assert _security_groups(run, client, REGION) == [expected_group(with_ids=True)]
    assert run.issues == []


def test_security_group_rules_stay_complete_when_their_ids_cannot_be_read(
    run: _Run, ec2: tuple[Any, Stubber]
) -> None:
    """The rules come from DescribeSecurityGroups' IpPermissions: a failed
    DescribeSecurityGroupRules costs only the rule ids."""
    client, stub = ec2
    stub.add_response("describe_security_groups", GROUPS, {})
    stub.add_client_error(
        "describe_security_group_rules", "UnauthorizedOperation", "not authorized"
    )
    assert _security_groups(run, client, REGION) == [expected_group(with_ids=False)]
    assert issues(run) == [("ec2", "DescribeSecurityGroupRules", "UnauthorizedOperation", None)]


# ---------------------------------------------------------------------------
# prefix lists, network ACLs, peering


def test_prefix_lists_with_entries_and_a_list_whose_entries_failed_is_left_out(
    run: _Run, ec2: tuple[Any, Stubber]
) -> None:
    client, stub = ec2
    stub.add_response(
        "describe_managed_prefix_lists",
        {
            "PrefixLists": [
                {
                    "PrefixListId": "pl-0a1",
                    "PrefixListName": "office",
                    "AddressFamily": "IPv4",
                    "OwnerId": ACCT,
                    "MaxEntries": 5,
                    "State": "create-complete",
                },
                {
                    "PrefixListId": "pl-0b1",
                    "PrefixListName": "com.amazonaws.eu-west-1.s3",
                    "AddressFamily": "IPv4",
                    "OwnerId": "AWS",
                    "State": "create-complete",
                },
                {"PrefixListId": "pl-0c1", "State": "delete-complete"},
            ]
        },
        {},
    )
    stub.add_response(
        "get_managed_prefix_list_entries",
        {"Entries": [{"Cidr": "203.0.113.0/26", "Description": "hq"}]},
        {"PrefixListId": "pl-0a1"},
    )
    stub.add_client_error(
        "get_managed_prefix_list_entries",
        "InvalidPrefixListID.NotFound",
        "gone",
        expected_params={"PrefixListId": "pl-0b1"},
    )
    assert _prefix_lists(run, client, REGION) == [
        {
            "prefix_list_id": "pl-0a1",
            "name": "office",
            "address_family": "IPv4",
            "entries": ["203.0.113.0/26"],
            "owner_id": ACCT,
            "max_entries": 5,
        }
    ]
    assert issues(run) == [
        ("ec2", "GetManagedPrefixListEntries", "InvalidPrefixListID.NotFound", "pl-0b1")
    ]


def test_network_acls_drop_the_implicit_entries_and_keep_ports_and_icmp(
    run: _Run, ec2: tuple[Any, Stubber]
) -> None:
    client, stub = ec2
    stub.add_response(
        "describe_network_acls",
        {
            "NetworkAcls": [
                {
                    "NetworkAclId": "acl-0a1",
                    "VpcId": "vpc-0a1",
                    "IsDefault": False,
                    "Associations": [
                        {"NetworkAclAssociationId": "aclassoc-1", "SubnetId": "subnet-0a1"}
                    ],
                    "Entries": [
                        {
                            "RuleNumber": 100,
                            "Egress": False,
                            "RuleAction": "allow",
                            "Protocol": "6",
                            "CidrBlock": "0.0.0.0/0",
                            "PortRange": {"From": 1024, "To": 65535},
                        },
                        {
                            "RuleNumber": 90,
                            "Egress": False,
                            "RuleAction": "deny",
                            "Protocol": "1",
                            "CidrBlock": "203.0.113.0/24",
                            "IcmpTypeCode": {"Type": -1, "Code": -1},
                        },
                        {
                            "RuleNumber": 100,
                            "Egress": True,
                            "RuleAction": "allow",
                            "Protocol": "-1",
                            "Ipv6CidrBlock": "::/0",
                        },
                        {
                            "RuleNumber": 32767,
                            "Egress": True,
                            "RuleAction": "deny",
                            "Protocol": "-1",
                            "CidrBlock": "0.0.0.0/0",
                        },
                    ],
                    "Tags": [],
                }
            ]
        },
        {},
    )
    assert _network_acls(run, client) == [
        {
            "network_acl_id": "acl-0a1",
            "vpc_id": "vpc-0a1",
            "is_default": False,
            "entries": [
                {
                    "rule_number": 100,
                    "egress": False,
                    "action": "allow",
                    "protocol": "6",
                    "cidr": "0.0.0.0/0",
                    "from_port": 1024,
                    "to_port": 65535,
                },
                {
                    "rule_number": 90,
                    "egress": False,
                    "action": "deny",
                    "protocol": "1",
                    "cidr": "203.0.113.0/24",
                    "icmp_type": None,
                    "icmp_code": None,
                },
                {
                    "rule_number": 100,
                    "egress": True,
                    "action": "allow",
                    "protocol": "-1",
                    "cidr": "::/0",
                },
            ],
            "subnet_ids": ["subnet-0a1"],
            "tags": {},
        }
    ]


def test_peering_connections_keep_both_sides_and_leave_out_the_gone(
    run: _Run, ec2: tuple[Any, Stubber]
) -> None:
    client, stub = ec2

    def side(vpc: str, owner: str, cidr: str) -> dict[str, object]:
        return {"VpcId": vpc, "OwnerId": owner, "CidrBlockSet": [{"CidrBlock": cidr}]}

    stub.add_response(
        "describe_vpc_peering_connections",
        {
            "VpcPeeringConnections": [
                {
                    "VpcPeeringConnectionId": "pcx-0a1",
                    "RequesterVpcInfo": side("vpc-0a1", ACCT, "198.18.0.0/16"),
                    "AccepterVpcInfo": side("vpc-0f9", PEER, "198.19.0.0/16"),
                    "Status": {"Code": "active"},
                },
                {
                    "VpcPeeringConnectionId": "pcx-0b1",
                    "RequesterVpcInfo": side("vpc-0a1", ACCT, "198.18.0.0/16"),
                    "AccepterVpcInfo": side("vpc-0e9", PEER, "198.19.0.0/16"),
                    "Status": {"Code": "deleted"},
                },
            ]
        },
        {},
    )
    assert _peerings(run, client) == [
        {
            "peering_connection_id": "pcx-0a1",
            "status": "active",
            "requester_vpc_id": "vpc-0a1",
            "requester_account_id": ACCT,
            "requester_cidrs": ["198.18.0.0/16"],
            "accepter_vpc_id": "vpc-0f9",
            "accepter_account_id": PEER,
            "accepter_cidrs": ["198.19.0.0/16"],
        }
    ]


# ---------------------------------------------------------------------------
# network interfaces and endpoints

ENIS: dict[str, Mapping[str, Any]] = {
    "eni-0d1": {
        "NetworkInterfaceId": "eni-0d1",
        "VpcId": "vpc-0a1",
        "SubnetId": "subnet-0a1",
        "PrivateIpAddress": "198.18.0.70",
        "PrivateIpAddresses": [{"PrivateIpAddress": "198.18.0.70", "Primary": True}],
        "InterfaceType": "vpc_endpoint",
        "Groups": [{"GroupId": "sg-0e5", "GroupName": "endpoints"}],
        "Description": "VPC Endpoint Interface vpce-0a1",
        "RequesterManaged": True,
    },
    "eni-0c1": {
        "NetworkInterfaceId": "eni-0c1",
        "VpcId": "vpc-0a1",
        "SubnetId": "subnet-0b1",
        "PrivateIpAddress": "198.18.1.50",
        "PrivateIpAddresses": [
            {"PrivateIpAddress": "198.18.1.50", "Primary": True},
            {"PrivateIpAddress": "198.18.1.51", "Primary": False},
        ],
        "InterfaceType": "interface",
        "Groups": [{"GroupId": "sg-0c1"}],
        "Description": "Amazon EKS prod",
        "RequesterManaged": False,
        "Attachment": {"InstanceOwnerId": "amazon-aws", "Status": "attached"},
    },
}


def test_network_interfaces_in_the_aws_json_shape() -> None:
    assert [_network_interface(n) for n in ENIS.values()] == [
        {
            "eni_id": "eni-0d1",
            "vpc_id": "vpc-0a1",
            "subnet_id": "subnet-0a1",
            "primary_ip": "198.18.0.70",
            "secondary_ips": [],
            "prefixes": [],
            "interface_type": "vpc_endpoint",
            "security_group_ids": ["sg-0e5"],
            "description": "VPC Endpoint Interface vpce-0a1",
            "requester_managed": True,
            "attached_instance_id": None,
        },
        {
            "eni_id": "eni-0c1",
            "vpc_id": "vpc-0a1",
            "subnet_id": "subnet-0b1",
            "primary_ip": "198.18.1.50",
            "secondary_ips": ["198.18.1.51"],
            "prefixes": [],
            "interface_type": "interface",
            "security_group_ids": ["sg-0c1"],
            "description": "Amazon EKS prod",
            "requester_managed": False,
            "attached_instance_id": None,
        },
    ]


def test_vpc_endpoints_with_their_interfaces_and_policy(
    run: _Run, ec2: tuple[Any, Stubber]
) -> None:
    client, stub = ec2
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
              "Action": "s3:GetObject", "Resource": "arn:aws:s3:::orders/*"}]}  # fmt: skip
    stub.add_response(
        "describe_vpc_endpoints",
        {
            "VpcEndpoints": [
                {
                    "VpcEndpointId": "vpce-0a1",
                    "VpcEndpointType": "Interface",
                    "VpcId": "vpc-0a1",
                    "ServiceName": "com.amazonaws.eu-west-1.sts",
                    "State": "Available",
                    "SubnetIds": ["subnet-0a1", "subnet-0b1"],
                    "Groups": [{"GroupId": "sg-0e5", "GroupName": "endpoints"}],
                    "NetworkInterfaceIds": ["eni-0d1", "eni-0d2"],
                    "PrivateDnsEnabled": True,
                },
                {
                    "VpcEndpointId": "vpce-0b1",
                    "VpcEndpointType": "Gateway",
                    "VpcId": "vpc-0a1",
                    "ServiceName": "com.amazonaws.eu-west-1.s3",
                    "State": "available",
                    "RouteTableIds": ["rtb-0a1"],
                    "PolicyDocument": json.dumps(policy),
                },
                {
                    "VpcEndpointId": "vpce-0c1",
                    "VpcEndpointType": "Resource",
                    "VpcId": "vpc-0a1",
                    "ServiceName": "lattice",
                    "State": "available",
                },
            ]
        },
        {},
    )
    assert _vpc_endpoints(run, client, ENIS) == [
        {
            "vpc_endpoint_id": "vpce-0a1",
            "vpc_id": "vpc-0a1",
            "service_name": "com.amazonaws.eu-west-1.sts",
            "endpoint_type": "Interface",
            "subnet_ids": ["subnet-0a1", "subnet-0b1"],
            "security_group_ids": ["sg-0e5"],
            "route_table_ids": [],
            "interfaces": [
                {"eni_id": "eni-0d1", "subnet_id": "subnet-0a1", "address": "198.18.0.70"},
                {"eni_id": "eni-0d2", "subnet_id": None, "address": None},
            ],
            "private_dns_enabled": True,
            "policy": None,
            "state": "available",
        },
        {
            "vpc_endpoint_id": "vpce-0b1",
            "vpc_id": "vpc-0a1",
            "service_name": "com.amazonaws.eu-west-1.s3",
            "endpoint_type": "Gateway",
            "subnet_ids": [],
            "security_group_ids": [],
            "route_table_ids": ["rtb-0a1"],
            "interfaces": [],
            "private_dns_enabled": False,
            "policy": policy,
            "state": "available",
        },
    ]


# ---------------------------------------------------------------------------
# RDS, ElastiCache, EFS


def test_db_instances_and_one_without_a_port_yet(run: _Run) -> None:
    client = run.client("rds", REGION)
    with Stubber(client) as stub:
        stub.add_response(
            "describe_db_instances",
            {
                "DBInstances": [
                    {
                        "DBInstanceIdentifier": "orders-db",
                        "Engine": "aurora-postgresql",
                        "DBClusterIdentifier": "orders",
                        "Endpoint": {"Address": "orders-db.x.rds.amazonaws.com", "Port": 5432},
                        "DBSubnetGroup": {
                            "VpcId": "vpc-0a1",
                            "Subnets": [
                                {"SubnetIdentifier": "subnet-0a1"},
                                {"SubnetIdentifier": "subnet-0b1"},
                            ],
                        },
                        "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-0e2", "Status": "active"}],
                        "PubliclyAccessible": False,
                    },
                    {"DBInstanceIdentifier": "new-db", "Engine": "mysql"},
                ]
            },
            {},
        )
        got = _rds(run, REGION)
    assert got == [
        {
            "db_instance_id": "orders-db",
            "engine": "aurora-postgresql",
            "port": 5432,
            "vpc_id": "vpc-0a1",
            "db_cluster_id": "orders",
            "subnet_ids": ["subnet-0a1", "subnet-0b1"],
            "security_group_ids": ["sg-0e2"],
            "endpoint_address": "orders-db.x.rds.amazonaws.com",
            "publicly_accessible": False,
        }
    ]


def test_cache_clusters_with_their_subnet_group(run: _Run) -> None:
    client = run.client("elasticache", REGION)
    with Stubber(client) as stub:
        stub.add_response(
            "describe_cache_clusters",
            {
                "CacheClusters": [
                    {
                        "CacheClusterId": "sessions-001",
                        "Engine": "redis",
                        "CacheSubnetGroupName": "cache",
                        "CacheNodes": [
                            {
                                "Endpoint": {
                                    "Address": "sessions.x.cache.amazonaws.com",
                                    "Port": 6380,
                                }
                            }
                        ],
                        "SecurityGroups": [{"SecurityGroupId": "sg-0e3", "Status": "active"}],
                    },
                    {"CacheClusterId": "memo-001", "Engine": "memcached"},
                ]
            },
            {"ShowCacheNodeInfo": True},
        )
        stub.add_response(
            "describe_cache_subnet_groups",
            {
                "CacheSubnetGroups": [
                    {
                        "CacheSubnetGroupName": "cache",
                        "VpcId": "vpc-0a1",
                        "Subnets": [{"SubnetIdentifier": "subnet-0a1"}],
                    }
                ]
            },
            {},
        )
        got = _elasticache(run, REGION)
    assert got == [
        {
            "cache_cluster_id": "sessions-001",
            "engine": "redis",
            "port": 6380,
            "vpc_id": "vpc-0a1",
            "subnet_ids": ["subnet-0a1"],
            "security_group_ids": ["sg-0e3"],
        },
        {
            "cache_cluster_id": "memo-001",
            "engine": "memcached",
            "port": 11211,
            "vpc_id": None,
            "subnet_ids": [],
            "security_group_ids": [],
        },
    ]


def test_efs_mount_targets_take_their_groups_or_their_enis_groups(run: _Run) -> None:
    client = run.client("efs", REGION)
    enis: dict[str, Mapping[str, Any]] = {
        "eni-0f2": {"NetworkInterfaceId": "eni-0f2", "Groups": [{"GroupId": "sg-0e6e6e6e6"}]}
    }

    def target(mount: str, eni: str, subnet: str) -> dict[str, object]:
        return {
            "MountTargetId": mount,
            "FileSystemId": "fs-0a1",
            "SubnetId": subnet,
            "LifeCycleState": "available",
            "IpAddress": "198.18.0.100",
            "NetworkInterfaceId": eni,
        }

    with Stubber(client) as stub:
        stub.add_response(
            "describe_file_systems",
            {
                "FileSystems": [
                    {
                        "OwnerId": ACCT,
                        "CreationToken": "t",
                        "FileSystemId": "fs-0a1",
                        "CreationTime": "2026-01-01T00:00:00Z",
                        "LifeCycleState": "available",
                        "NumberOfMountTargets": 3,
                        "SizeInBytes": {"Value": 0},
                        "PerformanceMode": "generalPurpose",
                        "Tags": [],
                    }
                ]
            },
            {},
        )
        stub.add_response(
            "describe_mount_targets",
            {
                "MountTargets": [
                    target("fsmt-0a1a1a1a1", "eni-0f1", "subnet-0a1a1a1a"),
                    target("fsmt-0b1b1b1b1", "eni-0f2", "subnet-0b1b1b1b"),
                    target("fsmt-0c1c1c1c1", "eni-0f3", "subnet-0c1c1c1c"),
                ]
            },
            {"FileSystemId": "fs-0a1"},
        )
        stub.add_response(
            "describe_mount_target_security_groups",
            {"SecurityGroups": ["sg-0e4e4e4e4"]},
            {"MountTargetId": "fsmt-0a1a1a1a1"},
        )
        for mount in ("fsmt-0b1b1b1b1", "fsmt-0c1c1c1c1"):
            stub.add_client_error(
                "describe_mount_target_security_groups",
                "AccessDeniedException",
                "no",
                expected_params={"MountTargetId": mount},
            )
        got = _efs(run, REGION, enis)
    assert got == [
        {
            "mount_target_id": "fsmt-0a1a1a1a1",
            "file_system_id": "fs-0a1",
            "subnet_id": "subnet-0a1a1a1a",
            "address": "198.18.0.100",
            "eni_id": "eni-0f1",
            "security_group_ids": ["sg-0e4e4e4e4"],
        },
        {
            "mount_target_id": "fsmt-0b1b1b1b1",
            "file_system_id": "fs-0a1",
            "subnet_id": "subnet-0b1b1b1b",
            "address": "198.18.0.100",
            "eni_id": "eni-0f2",
            "security_group_ids": ["sg-0e6e6e6e6"],
        },
    ]
    assert issues(run) == [
        ("elasticfilesystem", "DescribeMountTargetSecurityGroups", "AccessDeniedException", m)
        for m in ("fsmt-0b1b1b1b1", "fsmt-0c1c1c1c1")
    ]


# ---------------------------------------------------------------------------
# what the collector writes is aws.json


def test_what_is_collected_reads_back_as_aws_json_without_a_diagnostic(
    run: _Run, ec2: tuple[Any, Stubber]
) -> None:
    client, stub = ec2
    stub.add_response("describe_security_groups", GROUPS, {})
    stub.add_response("describe_security_group_rules", RULES, {})
    groups = _security_groups(run, client, REGION)
    doc = {
        "format": "ekstwin-aws",
        "version": 1,
        "accounts": [
            {
                "id": ACCT,
                "ec2": {
                    "security_groups": groups,
                    "network_interfaces": [_network_interface(n) for n in ENIS.values()],
                },
            }
        ],
    }
    parsed, diagnostics = load_aws_text(json.dumps(doc, indent=1), "aws.json")
    assert parsed is not None and diagnostics == []
    state, diagnostics = build_aws([parsed])
    assert diagnostics == []
    group = state.security_group("sg-0a1")
    assert group is not None
    assert [(r.protocol, r.from_port, r.to_port, r.peer) for r in group.ingress] == [
        ("6", 443, 443, "198.18.0.0/16"),
        ("6", 443, 443, "pl-0a1"),
        ("6", 443, 443, "sg-0c1"),
        ("1", 8, None, "0.0.0.0/0"),
        ("-1", None, None, "sg-0f9"),
        ("17", None, None, "::/0"),
        ("50", None, None, "203.0.113.0/24"),
    ]
    assert [e.eni_id for e in state.network_interfaces] == ["eni-0d1", "eni-0c1"]


# ---------------------------------------------------------------------------
# against a moto server: the real calls, their pagination, and moto's answers


def test_the_network_of_a_moto_account_is_collected_and_loads(module_moto_endpoint: str) -> None:
    endpoint = module_moto_endpoint
    session = boto3.session.Session(
        region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )

    def client(name: str) -> Any:
        return session.client(name, region_name=REGION, endpoint_url=endpoint)

    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="198.18.0.0/16")["Vpc"]["VpcId"]
    subnet_a = ec2.create_subnet(
        VpcId=vpc, CidrBlock="198.18.0.0/24", AvailabilityZone="eu-west-1a"
    )
    subnet_b = ec2.create_subnet(
        VpcId=vpc, CidrBlock="198.18.1.0/24", AvailabilityZone="eu-west-1b"
    )
    subnets = [subnet_a["Subnet"]["SubnetId"], subnet_b["Subnet"]["SubnetId"]]
    nodes = ec2.create_security_group(GroupName="nodes", Description="nodes", VpcId=vpc)["GroupId"]
    db = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=db,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": nodes}],
                "IpRanges": [{"CidrIp": "198.18.0.0/24"}],
            }
        ],
    )
    pl = ec2.create_managed_prefix_list(
        PrefixListName="office",
        Entries=[{"Cidr": "203.0.113.0/26"}],
        MaxEntries=5,
        AddressFamily="IPv4",
    )["PrefixList"]["PrefixListId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=100,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 443, "To": 443},
    )
    ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName="com.amazonaws.eu-west-1.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]],
    )
    rds = client("rds")
    rds.create_db_subnet_group(
        DBSubnetGroupName="db", DBSubnetGroupDescription="db", SubnetIds=subnets
    )
    rds.create_db_instance(
        DBInstanceIdentifier="orders-db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        DBSubnetGroupName="db",
        VpcSecurityGroupIds=[db],
        MasterUsername="admin",
        MasterUserPassword="not-a-real-one-1",
        AllocatedStorage=20,
    )
    efs = client("efs")
    fs = efs.create_file_system(CreationToken="shared")["FileSystemId"]
    efs.create_mount_target(FileSystemId=fs, SubnetId=subnets[0], SecurityGroups=[nodes])

    collection = collect_aws(
        AwsCollectOptions(regions=(REGION,), endpoint_url=endpoint), session=session
    )
    parsed, diagnostics = load_aws_text(json.dumps(collection.document), "aws.json")
    assert parsed is not None and diagnostics == []
    state, diagnostics = build_aws([parsed])
    # what moto does not implement becomes collector warnings, never a bad object
    assert {d.code for d in diagnostics} <= {"collect-aws"}
    group = state.security_group(db)
    assert group is not None
    assert sorted((r.protocol, r.from_port, r.to_port, r.peer) for r in group.ingress) == [
        ("6", 5432, 5432, "198.18.0.0/24"),
        ("6", 5432, 5432, nodes),
    ]
    office = state.prefix_list(pl)
    assert office is not None and office.entries == ("203.0.113.0/26",)
    made = next(a for a in state.network_acls if a.network_acl_id == acl)
    assert [
        (e.rule_number, e.egress, e.protocol, e.from_port, e.to_port) for e in made.entries
    ] == [(100, False, "6", 443, 443)]
    assert [(e.service, e.endpoint_type.value) for e in state.vpc_endpoints] == [("s3", "Gateway")]
    (instance,) = state.db_instances
    assert (instance.db_instance_id, instance.port, instance.security_group_ids) == (
        "orders-db",
        5432,
        (db,),
    )
    assert sorted(instance.subnet_ids) == sorted(subnets)
    (mount,) = state.efs_mount_targets
    assert (mount.file_system_id, mount.subnet_id, mount.security_group_ids) == (
        fs,
        subnets[0],
        (nodes,),
    )


def test_a_clusters_additional_security_groups_are_collected(run: _Run) -> None:
    from ekstwin.collect.aws import _eks_cluster

    eks = run.client("eks", REGION)
    with Stubber(eks) as stub:
        stub.add_response(
            "describe_cluster",
            {
                "cluster": {
                    "name": "prod",
                    "arn": f"arn:aws:eks:{REGION}:{ACCT}:cluster/prod",
                    "version": "1.31",
                    "resourcesVpcConfig": {
                        "vpcId": "vpc-0a1",
                        "subnetIds": ["subnet-0a1"],
                        "securityGroupIds": ["sg-0e1", "sg-0e2"],
                        "clusterSecurityGroupId": "sg-0c1",
                    },
                }
            },
            {"name": "prod"},
        )
        for operation, key in (
            ("list_nodegroups", "nodegroups"),
            ("list_access_entries", "accessEntries"),
            ("list_pod_identity_associations", "associations"),
            ("list_identity_provider_configs", "identityProviderConfigs"),
            ("list_addons", "addons"),
        ):
            stub.add_response(operation, {key: []}, {"clusterName": "prod"})
        cluster = _eks_cluster(run, eks, REGION, "prod")
        stub.assert_no_pending_responses()
    assert cluster is not None
    assert (cluster["cluster_security_group_id"], cluster["security_group_ids"]) == (
        "sg-0c1",
        ["sg-0e1", "sg-0e2"],
    )
    assert run.issues == []
