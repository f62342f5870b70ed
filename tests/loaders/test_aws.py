from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders.aws import AwsDocument, build_aws, is_aws_document, load_aws_text
from ekstwin.loaders.jsonlines import json_path, line_of, pointer, pointer_lines
from ekstwin.model.aws import (
    AccessEntry,
    AccessEntryType,
    AccessPolicyAssociation,
    AccessScope,
    AccessScopeType,
    Account,
    Addon,
    AliasTarget,
    AuthenticationMode,
    AwsState,
    DnsRecord,
    EcrEncryption,
    EcrEncryptionType,
    EcrImage,
    EcrRepository,
    EksCluster,
    EncryptionConfig,
    EndpointAccess,
    HostedZone,
    HttpTokens,
    IamRole,
    Instance,
    InternetGateway,
    KeyManager,
    KeyState,
    KmsKey,
    Listener,
    ListenerRule,
    LoadBalancer,
    LoadBalancerScheme,
    LoadBalancerType,
    ManagedPolicy,
    MetadataOptions,
    NatGateway,
    NetworkInterface,
    NodeGroup,
    NodeGroupScaling,
    OidcProvider,
    Organization,
    PodIdentityAssociation,
    Route,
    RouteTable,
    RouteTargetKind,
    SamlProvider,
    Subnet,
    TagMutability,
    Vpc,
    VpcCniSettings,
    account_of_arn,
)
from ekstwin.model.source import Source
from ekstwin.model.vpc import (
    ICMP,
    TCP,
    UDP,
    CacheCluster,
    DatabaseInstance,
    EfsMountTarget,
    ManagedPrefixList,
    NaclAction,
    NetworkAcl,
    NetworkAclEntry,
    SecurityGroup,
    SecurityGroupRule,
    ServiceInterface,
    VpcEndpoint,
    VpcEndpointType,
    VpcPeeringConnection,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "aws"
FULL = (FIXTURES / "full.json").read_text()
ACCT = "111122223333"
OTHER = "444455556666"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCT}:key/1111aaaa-2222-3333-4444-555566667777"


def line(text: str, needle: str, nth: int = 0) -> int:
    """1-based line of the nth line of ``text`` that contains ``needle``."""
    hits = [i for i, row in enumerate(text.splitlines(), 1) if needle in row]
    return hits[nth]


def load(text: str, file: str = "aws.json") -> AwsDocument:
    doc, diagnostics = load_aws_text(text, file)
    assert diagnostics == []
    assert doc is not None
    return doc


def doc_of(data: dict[str, object], file: str = "aws.json") -> AwsDocument:
    return load(json.dumps(data, indent=2), file)


def minimal(account: dict[str, object]) -> dict[str, object]:
    return {"format": "ekstwin-aws", "version": 1, "accounts": [account]}


def trust(service: str = "ec2.amazonaws.com") -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


def role(name: str, account: str = ACCT) -> dict[str, object]:
    return {"name": name, "arn": f"arn:aws:iam::{account}:role/{name}", "trust_policy": trust()}


# ---------------------------------------------------------------------------
# the full document


def expected_full_state() -> AwsState:
    f = "full.json"

    def src(needle: str, nth: int = 0, offset: int = 0) -> Source:
        return Source(f, line(FULL, needle, nth) + offset)

    cluster = EksCluster(
        name="prod",
        region="eu-west-1",
        arn=f"arn:aws:eks:eu-west-1:{ACCT}:cluster/prod",
        version="1.31",
        role_arn=f"arn:aws:iam::{ACCT}:role/eks-cluster",
        vpc_id="vpc-0a1",
        subnet_ids=("subnet-0a1", "subnet-0b1"),
        cluster_security_group_id="sg-0c1",
        security_group_ids=("sg-0e1",),
        endpoint=EndpointAccess(
            public_access=True, private_access=True, public_access_cidrs=("203.0.113.0/24",)
        ),
        encryption_config=(
            EncryptionConfig(("secrets",), KEY_ARN, src('{"resources": ["secrets"]')),
        ),
        oidc_issuer="https://oidc.eks.eu-west-1.amazonaws.com/id/ABC123",
        authentication_mode=AuthenticationMode.API_AND_CONFIG_MAP,
        bootstrap_cluster_creator_admin_permissions=False,
        creator_arn=f"arn:aws:iam::{ACCT}:role/terraform",
        logging_enabled_types=("api", "audit"),
        access_entries=(
            AccessEntry(
                principal_arn=f"arn:aws:iam::{ACCT}:role/platform-admins",
                type=AccessEntryType.STANDARD,
                username="platform-admin",
                kubernetes_groups=("platform",),
                access_policies=(
                    AccessPolicyAssociation(
                        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
                        AccessScope(AccessScopeType.NAMESPACE, ("team-a", "team-b")),
                        src('{"policy_arn"'),
                    ),
                ),
                source=src(
                    '"principal_arn": "arn:aws:iam::111122223333:role/platform-admins"', 0, -1
                ),
            ),
            AccessEntry(
                principal_arn=f"arn:aws:iam::{ACCT}:role/eks-node",
                type=AccessEntryType.EC2_LINUX,
                source=src('{"principal_arn": "arn:aws:iam::111122223333:role/eks-node"'),
            ),
        ),
        pod_identity_associations=(
            PodIdentityAssociation(
                namespace="shop",
                service_account="orders",
                role_arn=f"arn:aws:iam::{ACCT}:role/orders",
                association_id="a-0123456789abcdef0",
                source=src('{"association_id"'),
            ),
        ),
        addons=(
            Addon(
                name="vpc-cni",
                version="v1.19.0-eksbuild.1",
                service_account_role_arn=f"arn:aws:iam::{ACCT}:role/vpc-cni",
                configuration={"env": {"WARM_IP_TARGET": "5"}},
                source=src('{"name": "vpc-cni"'),
            ),
        ),
        vpc_cni=VpcCniSettings(
            env={
                "WARM_ENI_TARGET": "0",
                "WARM_IP_TARGET": "5",
                "MINIMUM_IP_TARGET": "10",
                "ENABLE_PREFIX_DELEGATION": "true",
                "AWS_VPC_K8S_CNI_EXTERNALSNAT": "false",
            },
            warm_eni_target=0,
            warm_ip_target=5,
            minimum_ip_target=10,
            enable_prefix_delegation=True,
            source=src('"vpc_cni": {"env"'),
        ),
        node_groups=(
            NodeGroup(
                name="general",
                instance_types=("m5.large",),
                subnet_ids=("subnet-0a1",),
                node_role_arn=f"arn:aws:iam::{ACCT}:role/eks-node",
                ami_type="AL2023_x86_64_STANDARD",
                capacity_type="ON_DEMAND",
                scaling=NodeGroupScaling(min=1, max=3, desired=2),
                kubelet_max_pods=29,
                security_group_ids=("sg-0b2",),
                labels={"role": "general"},
                source=src('{"name": "general"'),
            ),
        ),
        source=src('"name": "prod"', 0, -1),
    )
    account = Account(
        id=ACCT,
        alias="workload",
        partition="aws",
        organization=Organization(
            ou_path=("r-abcd", "ou-abcd-workloads"),
            scps=(
                (
                    {
                        "Version": "2012-10-17",
                        "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"},
                    },
                ),
                (),
                (),
            ),
            source=src('"organization"'),
        ),
        eks_clusters=(cluster,),
        vpcs=(Vpc("vpc-0a1", "eu-west-1", ("198.18.0.0/16",), {}, src('"vpcs"')),),
        subnets=(
            Subnet(
                subnet_id="subnet-0a1",
                vpc_id="vpc-0a1",
                cidr="198.18.0.0/24",
                availability_zone="eu-west-1a",
                availability_zone_id="euw1-az1",
                available_ip_addresses=240,
                map_public_ip_on_launch=False,
                tags={"kubernetes.io/role/internal-elb": "1"},
                source=src('{"subnet_id": "subnet-0a1"'),
            ),
            Subnet(
                "subnet-0b1",
                "vpc-0a1",
                "198.18.1.0/24",
                "eu-west-1b",
                source=src('{"subnet_id": "subnet-0b1"'),
            ),
            Subnet(
                "subnet-0c1",
                "vpc-0a1",
                "198.18.2.0/24",
                "eu-west-1a",
                map_public_ip_on_launch=True,
                source=src('{"subnet_id": "subnet-0c1"'),
            ),
        ),
        route_tables=(
            RouteTable(
                route_table_id="rtb-0a1",
                vpc_id="vpc-0a1",
                main=True,
                routes=(
                    Route(
                        "198.18.0.0/16", "local", source=src('"routes": [{"destination": "198.18')
                    ),
                    Route(
                        "0.0.0.0/0",
                        "nat-0a1",
                        source=src('{"destination": "0.0.0.0/0", "gateway_id": "nat'),
                    ),
                    Route("pl-0a2", "vpce-0b1", source=src('{"destination": "pl-0a2"')),
                ),
                source=src('{"route_table_id": "rtb-0a1"'),
            ),
            RouteTable(
                route_table_id="rtb-0b1",
                vpc_id="vpc-0a1",
                subnet_ids=("subnet-0c1",),
                routes=(Route("0.0.0.0/0", "igw-0a1", source=src('"gateway_id": "igw-0a1"')),),
                source=src('{"route_table_id": "rtb-0b1"'),
            ),
        ),
        internet_gateways=(InternetGateway("igw-0a1", "vpc-0a1", src('"internet_gateways"')),),
        nat_gateways=(
            NatGateway("nat-0a1", "subnet-0c1", "203.0.113.10", source=src('"nat_gateways"')),
        ),
        instances=(
            Instance(
                instance_id="i-0a1",
                instance_type="m5.large",
                subnet_id="subnet-0a1",
                availability_zone="eu-west-1a",
                private_ip="198.18.0.10",
                private_dns_name="ip-198-18-0-10.eu-west-1.compute.internal",
                node_name="ip-198-18-0-10.eu-west-1.compute.internal",
                node_group="general",
                cluster="prod",
                instance_profile_role_arn=f"arn:aws:iam::{ACCT}:role/eks-node",
                metadata_options=MetadataOptions(HttpTokens.REQUIRED, 2),
                network_interfaces=(
                    NetworkInterface(
                        eni_id="eni-0a1",
                        primary_ip="198.18.0.10",
                        secondary_ips=("198.18.0.11", "198.18.0.12"),
                        source=src('{"eni_id": "eni-0a1"'),
                    ),
                    NetworkInterface(
                        eni_id="eni-0a2",
                        subnet_id="subnet-0a1",
                        device_index=1,
                        primary_ip="198.18.0.20",
                        prefixes=("198.18.0.32/28",),
                        source=src('{"eni_id": "eni-0a2"'),
                    ),
                ),
                tags={"eks:nodegroup-name": "general"},
                source=src('{"instance_id": "i-0a1"'),
            ),
        ),
        roles=(
            IamRole(
                name="orders",
                arn=f"arn:aws:iam::{ACCT}:role/orders",
                trust_policy={
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "pods.eks.amazonaws.com"},
                            "Action": ["sts:AssumeRole", "sts:TagSession"],
                        }
                    ],
                },
                inline_policies={
                    "read-orders": {
                        "Version": "2012-10-17",
                        "Statement": {
                            "Effect": "Allow",
                            "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::orders/*",
                        },
                    }
                },
                attached_policy_arns=(f"arn:aws:iam::{ACCT}:policy/orders-extra",),
                permissions_boundary_arn=f"arn:aws:iam::{ACCT}:policy/boundary",
                tags={"team": "shop"},
                source=src('{"name": "orders"'),
            ),
        ),
        policies=(
            ManagedPolicy(
                arn=f"arn:aws:iam::{ACCT}:policy/orders-extra",
                name="orders-extra",
                document={
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}],
                },
                source=src('{"arn": "arn:aws:iam::111122223333:policy/orders-extra"'),
            ),
        ),
        oidc_providers=(
            OidcProvider(
                arn=f"arn:aws:iam::{ACCT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC123",
                url="https://oidc.eks.eu-west-1.amazonaws.com/id/ABC123",
                client_ids=("sts.amazonaws.com",),
                thumbprints=("9e99a48a9960b14926bb7f3b02e22da2b0ab7280",),
                source=src('{"arn": "arn:aws:iam::111122223333:oidc-provider'),
            ),
        ),
        saml_providers=(
            SamlProvider(
                f"arn:aws:iam::{ACCT}:saml-provider/keycloak", "keycloak", src('"saml_providers"')
            ),
        ),
        ecr_repositories=(
            EcrRepository(
                name="shop/orders",
                arn=f"arn:aws:ecr:eu-west-1:{ACCT}:repository/shop/orders",
                uri=f"{ACCT}.dkr.ecr.eu-west-1.amazonaws.com/shop/orders",
                region="eu-west-1",
                tag_mutability=TagMutability.IMMUTABLE_WITH_EXCLUSION,
                tag_mutability_exclusion_filters=("dev-*",),
                scan_on_push=True,
                encryption=EcrEncryption(EcrEncryptionType.KMS, "alias/ecr"),
                policy=None,
                images=(
                    EcrImage(
                        digest="sha256:" + "a" * 64,
                        tags=("1.0.0", "latest"),
                        pushed_at="2026-11-01T10:00:00Z",
                        source=src('"images": [{"digest"'),
                    ),
                ),
                source=src('{"name": "shop/orders"'),
            ),
        ),
        hosted_zones=(
            HostedZone(
                id="Z0123456789ABC",
                name="shop.example.com.",
                records=(
                    DnsRecord(
                        name="www.shop.example.com.",
                        type="A",
                        alias_target=AliasTarget(
                            "k8s-shop-123.eu-west-1.elb.amazonaws.com.", "Z32O12XQLNTSW2", True
                        ),
                        source=src('{"name": "www.shop.example.com.", "type": "A"'),
                    ),
                    DnsRecord(
                        name="www.shop.example.com.",
                        type="TXT",
                        ttl=300,
                        values=('"heritage=external-dns"',),
                        source=src('"type": "TXT"'),
                    ),
                ),
                source=src('{"id": "Z0123456789ABC"'),
            ),
        ),
        kms_keys=(
            KmsKey(
                key_id="1111aaaa-2222-3333-4444-555566667777",
                arn=KEY_ARN,
                region="eu-west-1",
                description="EKS secrets",
                key_state=KeyState.ENABLED,
                key_manager=KeyManager.CUSTOMER,
                rotation_enabled=True,
                policy={
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                },
                aliases=("alias/eks-secrets",),
                source=src('{"key_id"'),
            ),
        ),
        load_balancers=(
            LoadBalancer(
                arn=f"arn:aws:elasticloadbalancing:eu-west-1:{ACCT}:loadbalancer/app/k8s-shop/123",
                name="k8s-shop",
                dns_name="k8s-shop-123.eu-west-1.elb.amazonaws.com",
                canonical_hosted_zone_id="Z32O12XQLNTSW2",
                scheme=LoadBalancerScheme.INTERNET_FACING,
                type=LoadBalancerType.APPLICATION,
                vpc_id="vpc-0a1",
                subnet_ids=("subnet-0c1",),
                security_groups=("sg-0d1",),
                tags={"ingress.k8s.aws/stack": "shop"},
                listeners=(
                    Listener(
                        port=443,
                        protocol="HTTPS",
                        certificates=(f"arn:aws:acm:eu-west-1:{ACCT}:certificate/abc",),
                        rules=(
                            ListenerRule(
                                1,
                                ({"field": "host-header", "values": ["www.shop.example.com"]},),
                                ({"type": "forward", "target_group_arn": "tg-1"},),
                                src('{"priority": 1'),
                            ),
                            ListenerRule(
                                "default",
                                (),
                                ({"type": "fixed-response", "status_code": "404"},),
                                src('{"priority": "default"'),
                            ),
                        ),
                        source=src('{"port": 443'),
                    ),
                ),
                source=src('{"arn": "arn:aws:elasticloadbalancing'),
            ),
        ),
        source=src(f'"id": "{ACCT}"', 0, -1),
        **expected_full_network(src),
    )
    managed = ManagedPolicy(
        arn="arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        name="AmazonEKSWorkerNodePolicy",
        document={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}],
        },
        source=src('"arn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"', 0, -1),
    )
    return AwsState(accounts=(account,), managed_policies=(managed,))


def expected_full_network(src: Callable[..., Source]) -> dict[str, Any]:
    """The VPC network objects of full.json (security groups, ACLs, services...)."""
    node_cidr = "198.18.0.0/16"
    return {
        "security_groups": (
            SecurityGroup(
                group_id="sg-0c1",
                vpc_id="vpc-0a1",
                name="eks-cluster-sg-prod",
                description="EKS created security group",
                owner_id=ACCT,
                ingress=(
                    SecurityGroupRule(
                        "-1", group_id="sg-0c1", rule_id="sgr-0c11", source=src('"rule_id"')
                    ),
                    SecurityGroupRule(
                        TCP,
                        443,
                        443,
                        prefix_list_id="pl-0a1",
                        description="admin networks",
                        source=src('"prefix_list_id": "pl-0a1"'),
                    ),
                ),
                egress=(
                    SecurityGroupRule("-1", cidr="0.0.0.0/0", source=src('"egress": [{')),
                    SecurityGroupRule("-1", cidr="::/0", source=src('"egress": [{')),
                ),
                tags={"aws:eks:cluster-name": "prod"},
                source=src('{"group_id": "sg-0c1"'),
            ),
            SecurityGroup(
                group_id="sg-0b2",
                vpc_id="vpc-0a1",
                name="nodes",
                ingress=(
                    SecurityGroupRule(TCP, 9443, 9443, group_id="sg-0c1", source=src("9443")),
                    SecurityGroupRule(UDP, 53, 53, cidr=node_cidr, source=src('"from_port": 53')),
                    SecurityGroupRule(ICMP, 3, 4, cidr=node_cidr, source=src('"icmp_type": 3')),
                    SecurityGroupRule(
                        TCP,
                        5432,
                        5432,
                        group_id="sg-0f9",
                        referenced_vpc_id="vpc-0f9",
                        referenced_account_id=OTHER,
                        source=src('"group_id": "sg-0f9"'),
                    ),
                ),
                source=src('{"group_id": "sg-0b2"'),
            ),
        ),
        "prefix_lists": (
            ManagedPrefixList(
                "pl-0a1",
                "admin-networks",
                "IPv4",
                ("203.0.113.0/26", "203.0.113.128/25"),
                ACCT,
                5,
                src('{"prefix_list_id": "pl-0a1"'),
            ),
            ManagedPrefixList(
                "pl-0a2",
                "com.amazonaws.eu-west-1.s3",
                owner_id="AWS",
                source=src('{"prefix_list_id": "pl-0a2"'),
            ),
        ),
        "network_acls": (
            NetworkAcl(
                "acl-0a1",
                "vpc-0a1",
                is_default=True,
                entries=(
                    NetworkAclEntry(100, False, NaclAction.ALLOW, source=src('"egress": false', 0)),
                    NetworkAclEntry(100, True, NaclAction.ALLOW, source=src('"egress": true', 0)),
                ),
                source=src('{"network_acl_id": "acl-0a1"'),
            ),
            NetworkAcl(
                "acl-0b1",
                "vpc-0a1",
                entries=(
                    NetworkAclEntry(
                        90,
                        False,
                        NaclAction.DENY,
                        TCP,
                        "203.0.113.66/32",
                        22,
                        22,
                        source=src('{"rule_number": 90'),
                    ),
                    NetworkAclEntry(
                        100,
                        False,
                        NaclAction.ALLOW,
                        TCP,
                        "0.0.0.0/0",
                        443,
                        443,
                        source=src('"egress": false', 2),
                    ),
                    NetworkAclEntry(
                        110,
                        False,
                        NaclAction.ALLOW,
                        ICMP,
                        "0.0.0.0/0",
                        icmp_type=0,
                        icmp_code=None,
                        source=src('{"rule_number": 110'),
                    ),
                    NetworkAclEntry(
                        100,
                        True,
                        NaclAction.ALLOW,
                        TCP,
                        "0.0.0.0/0",
                        1024,
                        65535,
                        source=src('"egress": true', 1),
                    ),
                ),
                subnet_ids=("subnet-0c1",),
                tags={"Name": "public"},
                source=src('{"network_acl_id": "acl-0b1"'),
            ),
        ),
        "vpc_peering_connections": (
            VpcPeeringConnection(
                "pcx-0a1",
                "vpc-0a1",
                "vpc-0f9",
                ACCT,
                OTHER,
                (node_cidr,),
                ("198.19.0.0/16",),
                "active",
                src('{"peering_connection_id"'),
            ),
        ),
        "network_interfaces": (
            NetworkInterface(
                eni_id="eni-0c1",
                subnet_id="subnet-0b1",
                primary_ip="198.18.1.50",
                security_group_ids=("sg-0c1",),
                vpc_id="vpc-0a1",
                description="Amazon EKS prod",
                requester_managed=True,
                source=src('{"eni_id": "eni-0c1"'),
            ),
            NetworkInterface(
                eni_id="eni-0c2",
                subnet_id="subnet-0a1",
                primary_ip="198.18.0.60",
                interface_type="branch",
                security_group_ids=("sg-0b2",),
                vpc_id="vpc-0a1",
                attached_instance_id="i-0a1",
                source=src('{"eni_id": "eni-0c2"'),
            ),
        ),
        "vpc_endpoints": (
            VpcEndpoint(
                vpc_endpoint_id="vpce-0a1",
                vpc_id="vpc-0a1",
                service_name="com.amazonaws.eu-west-1.sts",
                endpoint_type=VpcEndpointType.INTERFACE,
                subnet_ids=("subnet-0a1",),
                security_group_ids=("sg-0c1",),
                interfaces=(ServiceInterface("subnet-0a1", "198.18.0.70", "eni-0d1"),),
                private_dns_enabled=True,
                policy={
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": "*", "Action": "sts:*", "Resource": "*"}
                    ],
                },
                source=src('{"vpc_endpoint_id": "vpce-0a1"'),
            ),
            VpcEndpoint(
                vpc_endpoint_id="vpce-0b1",
                vpc_id="vpc-0a1",
                service_name="com.amazonaws.eu-west-1.s3",
                endpoint_type=VpcEndpointType.GATEWAY,
                route_table_ids=("rtb-0a1",),
                source=src('{"vpc_endpoint_id": "vpce-0b1"'),
            ),
        ),
        "db_instances": (
            DatabaseInstance(
                db_instance_id="orders-db",
                engine="postgres",
                port=5432,
                vpc_id="vpc-0a1",
                subnet_ids=("subnet-0a1", "subnet-0b1"),
                security_group_ids=("sg-0e2",),
                interfaces=(ServiceInterface("subnet-0b1", "198.18.1.80", "eni-0e1"),),
                endpoint_address="orders-db.abc.eu-west-1.rds.amazonaws.com",
                source=src('{"db_instance_id"'),
            ),
        ),
        "cache_clusters": (
            CacheCluster(
                cache_cluster_id="sessions-001",
                engine="redis",
                port=6379,
                vpc_id="vpc-0a1",
                subnet_ids=("subnet-0a1",),
                security_group_ids=("sg-0e3",),
                interfaces=(ServiceInterface("subnet-0a1", "198.18.0.90"),),
                source=src('{"cache_cluster_id"'),
            ),
        ),
        "efs_mount_targets": (
            EfsMountTarget(
                mount_target_id="fsmt-0a1",
                file_system_id="fs-0a1",
                subnet_id="subnet-0a1",
                address="198.18.0.100",
                eni_id="eni-0f1",
                security_group_ids=("sg-0e4",),
                source=src('{"mount_target_id"'),
            ),
        ),
    }


def test_full_document_loads_into_the_expected_model() -> None:
    state, diagnostics = build_aws([load(FULL, "full.json")])
    assert diagnostics == []
    expected = expected_full_state()
    # compare account by account first: a failure then shows a smaller diff
    assert state.managed_policies == expected.managed_policies
    got, want = state.accounts[0], expected.accounts[0]
    for name in Account.__slots__:
        assert getattr(got, name) == getattr(want, name), name
    assert state == expected


def test_state_lookups_find_objects_by_their_references() -> None:
    state, _ = build_aws([load(FULL, "full.json")])
    cluster = state.clusters[0]
    assert state.cluster("prod") is cluster
    assert state.cluster(cluster.arn) is cluster
    assert state.cluster("prod", region="us-east-1") is None
    assert state.role(f"arn:aws:iam::{ACCT}:role/orders") is state.roles[0]
    assert state.role_named(ACCT, "ORDERS") is state.roles[0]
    assert state.role(f"arn:aws:iam::{ACCT}:role/missing") is None
    key = state.kms_keys[0]
    assert state.kms_key(KEY_ARN) is key
    assert state.kms_key("1111aaaa-2222-3333-4444-555566667777") is key
    assert state.kms_key("alias/eks-secrets") is key
    assert state.kms_key(f"arn:aws:kms:eu-west-1:{ACCT}:alias/eks-secrets") is key
    assert state.kms_key(f"arn:aws:kms:us-east-1:{ACCT}:alias/eks-secrets") is None
    assert state.kms_key(cluster.secrets_key_arn or "") is key
    assert state.subnet("subnet-0b1") is state.subnets[1]
    assert state.account_of(cluster.arn) is state.accounts[0]
    assert state.account_of("arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy") is None
    assert (
        state.policy("arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy")
        is state.managed_policies[0]
    )
    assert state.policy(f"arn:aws:iam::{ACCT}:policy/orders-extra") is state.customer_policies[0]
    assert state.instance("i-0a1") is state.instances[0]
    assert (
        state.instance_for_node("ip-198-18-0-10.eu-west-1.compute.internal") is state.instances[0]
    )
    assert state.oidc_providers_for_issuer(cluster.oidc_issuer or "") == state.oidc_providers
    assert cluster.oidc_provider_arn == state.oidc_providers[0].arn
    assert state.ecr_repository("shop/orders") is state.ecr_repositories[0]
    assert state.hosted_zone("/hostedzone/Z0123456789ABC") is state.hosted_zones[0]
    assert (
        state.load_balancer("k8s-shop-123.eu-west-1.elb.amazonaws.com") is state.load_balancers[0]
    )
    assert cluster.pod_identity("shop", "orders") is cluster.pod_identity_associations[0]


def test_subnet_routes_follow_explicit_association_then_the_main_table() -> None:
    state, _ = build_aws([load(FULL, "full.json")])
    public = state.route_table_for_subnet("subnet-0c1")
    private = state.route_table_for_subnet("subnet-0a1")
    assert public is not None and public.route_table_id == "rtb-0b1" and public.is_public
    assert private is not None and private.route_table_id == "rtb-0a1" and not private.is_public
    route = private.default_route()
    assert route is not None and route.target_kind is RouteTargetKind.NAT_GATEWAY
    assert state.route_table_for_subnet("subnet-unknown") is None


def test_derived_values_of_model_objects() -> None:
    state, _ = build_aws([load(FULL, "full.json")])
    instance = state.instances[0]
    assert [e.subnet_addresses_used for e in instance.network_interfaces] == [3, 17]
    assert instance.metadata_options.reachable_from_pods
    assert not MetadataOptions(HttpTokens.REQUIRED, 1).reachable_from_pods
    assert MetadataOptions().imdsv1_allowed
    assert state.subnets[0].usable_addresses == 251
    repo = state.ecr_repositories[0]
    assert (repo.tag_is_mutable("dev-123"), repo.tag_is_mutable("1.0.0")) == (True, False)
    assert repo.digest_of("latest") == "sha256:" + "a" * 64
    assert state.clusters[0].endpoint.open_to_internet is False
    assert EndpointAccess().open_to_internet is True
    assert (
        state.hosted_zones[0].records_named("WWW.shop.example.com") == state.hosted_zones[0].records
    )
    assert account_of_arn("arn:aws:iam::aws:policy/X") is None
    assert hash(state.roles[0]) == hash(state.roles[0])


# ---------------------------------------------------------------------------
# VPC CNI settings


def test_vpc_cni_defaults_when_nothing_is_set() -> None:
    assert VpcCniSettings.from_env({}) == VpcCniSettings(
        env={},
        warm_eni_target=1,
        warm_ip_target=None,
        minimum_ip_target=None,
        warm_prefix_target=None,
        max_eni=None,
        enable_prefix_delegation=False,
        custom_network=False,
        external_snat=False,
        enable_pod_eni=False,
        enable_subnet_discovery=True,
    )


def test_vpc_cni_values_are_parsed_as_ipamd_parses_them() -> None:
    env = {
        "WARM_ENI_TARGET": "-1",
        "WARM_IP_TARGET": "0",
        "MINIMUM_IP_TARGET": "abc",
        "WARM_PREFIX_TARGET": "0",
        "MAX_ENI": "0",
        "ENABLE_PREFIX_DELEGATION": "T",
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "yes",
        "AWS_VPC_K8S_CNI_EXTERNALSNAT": "1",
        "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS": "198.19.0.0/16, 203.0.113.0/24",
        "ENABLE_POD_ENI": "TRUE",
        "ENABLE_SUBNET_DISCOVERY": "false",
        "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone",
    }
    settings = VpcCniSettings.from_env(env)
    assert settings == VpcCniSettings(
        env=env,
        warm_eni_target=1,  # negative -> default 1
        warm_ip_target=None,  # 0 means "not set" to ipamd
        minimum_ip_target=None,  # unparsable -> not set
        warm_prefix_target=0,
        max_eni=None,  # below 1 is ignored
        enable_prefix_delegation=True,
        custom_network=False,  # "yes" is not a Go bool -> default
        eni_config_label="topology.kubernetes.io/zone",
        external_snat=True,
        exclude_snat_cidrs=("198.19.0.0/16", "203.0.113.0/24"),
        enable_pod_eni=True,
        enable_subnet_discovery=False,
    )
    assert not settings.ip_targets_defined


def test_cluster_without_vpc_cni_section_gets_the_defaults_at_the_cluster_line() -> None:
    cluster = {
        "name": "c",
        "region": "eu-west-1",
        "arn": f"arn:aws:eks:eu-west-1:{ACCT}:cluster/c",
        "version": "1.30",
    }
    state, diagnostics = build_aws([doc_of(minimal({"id": ACCT, "eks": {"clusters": [cluster]}}))])
    assert diagnostics == []
    got = state.clusters[0]
    assert got.vpc_cni == VpcCniSettings(source=got.source)
    assert got.authentication_mode is AuthenticationMode.CONFIG_MAP
    assert got.endpoint == EndpointAccess(True, False, ("0.0.0.0/0",))
    assert got.secrets_key_arn is None


# ---------------------------------------------------------------------------
# bad input


def test_bad_role_is_skipped_and_its_siblings_load() -> None:
    bad = role("broken")
    bad["arn"] = "arn:aws:iam::111122223333:user/broken"
    data = minimal({"id": ACCT, "iam": {"roles": [role("first"), bad, role("third")]}})
    text = json.dumps(data, indent=2)
    state, diagnostics = build_aws([load(text)])
    assert [r.name for r in state.roles] == ["first", "third"]
    assert diagnostics == [
        Diagnostic(
            Source("aws.json", line(text, '"arn": "arn:aws:iam::111122223333:user/broken"')),
            '$.accounts[0].iam.roles[1].arn: "arn:aws:iam::111122223333:user/broken" is not '
            "an IAM role ARN (arn:aws:iam::ACCOUNT:role/[PATH/]NAME)",
            "fix the value (see docs/aws-json.md); this role was not loaded",
            DiagnosticLevel.ERROR,
            "aws-schema",
        )
    ]


def test_missing_required_field_points_at_the_object() -> None:
    subnet = {"subnet_id": "subnet-0a1", "vpc_id": "vpc-0a1", "availability_zone": "eu-west-1a"}
    good = {
        "subnet_id": "subnet-0b1",
        "vpc_id": "vpc-0a1",
        "cidr": "198.18.1.0/24",
        "availability_zone": "eu-west-1b",
    }
    text = json.dumps(minimal({"id": ACCT, "ec2": {"subnets": [subnet, good]}}), indent=2)
    state, diagnostics = build_aws([load(text)])
    assert [s.subnet_id for s in state.subnets] == ["subnet-0b1"]
    assert diagnostics == [
        Diagnostic(
            Source("aws.json", line(text, '"subnet_id": "subnet-0a1"') - 1),
            "$.accounts[0].ec2.subnets[0]: missing required field 'cidr'",
            "add the missing field (see docs/aws-json.md); this subnet was not loaded",
            DiagnosticLevel.ERROR,
            "aws-schema",
        )
    ]


def test_nullable_reference_names_what_it_expects() -> None:
    bad = role("r")
    bad["permissions_boundary_arn"] = "boundary"
    state, diagnostics = build_aws([doc_of(minimal({"id": ACCT, "iam": {"roles": [bad]}}))])
    assert state.roles == ()
    assert [d.message for d in diagnostics] == [
        '$.accounts[0].iam.roles[0].permissions_boundary_arn: "boundary" is not an IAM managed '
        "policy ARN (arn:aws:iam::ACCOUNT|aws:policy/[PATH/]NAME)"
    ]


def test_bad_policy_statement_drops_the_role_not_the_statement() -> None:
    bad = role("r")
    bad["trust_policy"] = {"Version": "2012-10-17", "Statement": ["Allow everything"]}
    state, diagnostics = build_aws(
        [doc_of(minimal({"id": ACCT, "iam": {"roles": [bad, role("ok")]}}))]
    )
    assert [r.name for r in state.roles] == ["ok"]
    assert [d.message for d in diagnostics] == [
        "$.accounts[0].iam.roles[0].trust_policy.Statement[0]: "
        'expected object, found string "Allow everything"'
    ]


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            {"Effect": "Allow", "Action": 5, "Resource": "*"},
            "$.accounts[0].iam.roles[0].trust_policy.Statement[0].Action: "
            "expected string or array, found integer 5",
        ),
        (
            {"Effect": "Permit", "Action": "s3:*", "Resource": "*"},
            "$.accounts[0].iam.roles[0].trust_policy.Statement[0].Effect: "
            '"Permit" is not one of: Allow, Deny',
        ),
    ],
)
def test_malformed_statement_elements_are_input_errors(
    statement: dict[str, object], message: str
) -> None:
    bad = role("r")
    bad["trust_policy"] = {"Version": "2012-10-17", "Statement": [statement]}
    state, diagnostics = build_aws(
        [doc_of(minimal({"id": ACCT, "iam": {"roles": [bad, role("ok")]}}))]
    )
    assert [r.name for r in state.roles] == ["ok"]
    assert [d.message for d in diagnostics] == [message]
    assert [d.level for d in diagnostics] == [DiagnosticLevel.ERROR]


def test_unknown_field_is_reported_and_ignored() -> None:
    data = role("r")
    data["trust_polcy"] = {}
    text = json.dumps(minimal({"id": ACCT, "iam": {"roles": [data]}}), indent=2)
    state, diagnostics = build_aws([load(text)])
    assert [r.name for r in state.roles] == ["r"]
    assert diagnostics == [
        Diagnostic(
            Source("aws.json", line(text, '"trust_polcy"')),
            "$.accounts[0].iam.roles[0].trust_polcy: unknown field 'trust_polcy'",
            "check the spelling against docs/aws-json.md; the field was ignored",
            DiagnosticLevel.WARNING,
            "aws-schema",
        )
    ]


def test_bad_account_section_drops_only_that_section() -> None:
    data = minimal({"id": ACCT, "ec2": "none", "iam": {"roles": [role("r")]}})
    state, diagnostics = build_aws([doc_of(data)])
    assert [r.name for r in state.roles] == ["r"]
    assert [d.hint for d in diagnostics] == [
        "fix the value (see docs/aws-json.md); this ec2 section was not loaded"
    ]


def test_newer_version_is_an_error_naming_the_supported_versions() -> None:
    text = json.dumps({"format": "ekstwin-aws", "version": 2, "accounts": [{"id": ACCT}]}, indent=2)
    state, diagnostics = build_aws([load(text)])
    assert state == AwsState()
    assert diagnostics == [
        Diagnostic(
            Source("aws.json", 3),
            "aws.json version 2 is newer than this ekstwin supports (supported versions: 1)",
            "upgrade ekstwin, or write the file in a supported version; the file was not loaded",
            DiagnosticLevel.ERROR,
            "aws-version",
        )
    ]


def test_wrong_format_is_not_loaded() -> None:
    doc = AwsDocument("other.json", {"format": "something", "version": 1}, {"": 1})
    assert not is_aws_document(doc.data)
    assert is_aws_document({"format": "ekstwin-aws"})
    assert not is_aws_document([{"format": "ekstwin-aws"}])
    state, diagnostics = build_aws([doc])
    assert state == AwsState()
    assert [(d.source, d.level) for d in diagnostics] == [
        (Source("other.json", 1), DiagnosticLevel.ERROR)
    ]


def test_invalid_json_is_a_diagnostic_with_line_and_column() -> None:
    text = (
        '{\n  "format": "ekstwin-aws",\n  "version": 1,\n  "accounts": [\n    {"id": "1"\n  ]\n}\n'
    )
    doc, diagnostics = load_aws_text(text, "broken.json")
    assert doc is None
    assert diagnostics == [
        Diagnostic(
            Source("broken.json", 6),
            "invalid JSON at line 6, column 3: Expecting ',' delimiter",
            "fix the JSON syntax; the file was not loaded",
            DiagnosticLevel.ERROR,
            "aws-json-syntax",
        )
    ]


def test_top_level_array_is_rejected() -> None:
    doc, diagnostics = load_aws_text("[]", "list.json")
    assert doc is None
    assert [d.message for d in diagnostics] == [
        "an aws.json document must be a JSON object, found array"
    ]


def test_secret_looking_values_are_not_copied_into_the_model() -> None:
    data = role("r")
    data["tags"] = {"team": "shop", "db_password": "hunter2", "note": "AKIAABCDEFGHIJKLMNOP"}
    cluster = {
        "name": "c",
        "region": "eu-west-1",
        "arn": f"arn:aws:eks:eu-west-1:{ACCT}:cluster/c",
        "version": "1.30",
        "addons": [{"name": "x", "configuration": {"auth": {"apiKey": "abc123"}, "replicas": 2}}],
    }
    text = json.dumps(
        minimal({"id": ACCT, "iam": {"roles": [data]}, "eks": {"clusters": [cluster]}})
    )
    state, diagnostics = build_aws([load(text)])
    assert state.roles[0].tags == {"team": "shop"}
    assert state.clusters[0].addons[0].configuration == {"auth": {}, "replicas": 2}
    assert [(d.message, d.level, d.code) for d in diagnostics] == [
        (
            "$.accounts[0].eks.clusters[0].addons[0].configuration.auth.apiKey: its name 'apiKey' "
            "says it holds a secret; its value was not loaded",
            DiagnosticLevel.WARNING,
            "aws-secret",
        ),
        (
            "$.accounts[0].iam.roles[0].tags.db_password: its name 'db_password' says it holds a "
            "secret; its value was not loaded",
            DiagnosticLevel.WARNING,
            "aws-secret",
        ),
        (
            "$.accounts[0].iam.roles[0].tags.note: its value looks like an AWS access key id; its "
            "value was not loaded",
            DiagnosticLevel.WARNING,
            "aws-secret",
        ),
    ]
    assert not any("hunter2" in str(d) or "AKIA" in str(d) for d in diagnostics)


# ---------------------------------------------------------------------------
# several documents


def test_same_account_in_two_files_merges_its_sections() -> None:
    first = doc_of(
        minimal({"id": ACCT, "alias": "workload", "iam": {"roles": [role("a")]}}), "iam.json"
    )
    subnet = {
        "subnet_id": "subnet-0a1",
        "vpc_id": "vpc-0a1",
        "cidr": "198.18.0.0/24",
        "availability_zone": "eu-west-1a",
    }
    second = doc_of(
        minimal({"id": ACCT, "iam": {"roles": [role("b")]}, "ec2": {"subnets": [subnet]}}),
        "ec2.json",
    )
    third = doc_of(minimal({"id": OTHER, "iam": {"roles": [role("c", OTHER)]}}), "other.json")
    state, diagnostics = build_aws([first, second, third])
    assert diagnostics == []
    assert [a.id for a in state.accounts] == [ACCT, OTHER]
    merged = state.accounts[0]
    assert (merged.alias, merged.source) == ("workload", Source("iam.json", 5))
    assert [(r.name, r.source.file) for r in merged.roles] == [("a", "iam.json"), ("b", "ec2.json")]
    assert [s.source.file for s in merged.subnets] == ["ec2.json"]
    assert [r.name for r in state.roles] == ["a", "b", "c"]
    assert state.role(f"arn:aws:iam::{OTHER}:role/c") is state.accounts[1].roles[0]


def test_duplicate_object_keeps_the_first_and_warns() -> None:
    first = doc_of(minimal({"id": ACCT, "iam": {"roles": [role("a")]}}), "one.json")
    changed = role("a")
    changed["path"] = "/changed/"
    second = doc_of(minimal({"id": ACCT, "iam": {"roles": [changed]}}), "two.json")
    state, diagnostics = build_aws([first, second])
    assert [(r.path, r.source.file) for r in state.roles] == [("/", "one.json")]
    assert diagnostics == [
        Diagnostic(
            Source("two.json", 9),
            f"duplicate IAM role arn:aws:iam::{ACCT}:role/a: already defined at one.json:9",
            "remove one of the two; the first definition was kept",
            DiagnosticLevel.WARNING,
            "aws-duplicate",
        )
    ]


def test_conflicting_account_alias_is_reported() -> None:
    first = doc_of(minimal({"id": ACCT, "alias": "one"}), "one.json")
    second = doc_of(minimal({"id": ACCT, "alias": "two"}), "two.json")
    state, diagnostics = build_aws([first, second])
    assert state.accounts[0].alias == "one"
    assert [(d.message, d.level) for d in diagnostics] == [
        (
            f"account {ACCT} has alias 'two' here and 'one' at one.json:5",
            DiagnosticLevel.WARNING,
        )
    ]


def test_duplicate_aws_managed_policy_across_files_is_reported() -> None:
    policy = {
        "arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "name": "ReadOnlyAccess",
        "document": {"Statement": []},
    }
    docs = [
        doc_of({"format": "ekstwin-aws", "version": 1, "aws_managed_policies": [policy]}, name)
        for name in ("a.json", "b.json")
    ]
    state, diagnostics = build_aws(docs)
    assert [p.source.file for p in state.managed_policies] == ["a.json"]
    assert [d.code for d in diagnostics] == ["aws-duplicate"]


# ---------------------------------------------------------------------------
# pointer_lines


TRICKY = """{
  "a": "has [brackets] and {braces}",
  "b\\"quoted": ["x", "y\\\\", [1, [2, 3]],
    {"c/d": "e~f", "n": null}],
  "empty": [], "obj": {},
  "esc": "line\\nbreak \\u005b",
  "num": -1.5e3, "t": true
}
"""


def test_pointer_lines_on_tricky_json() -> None:
    assert json.loads(TRICKY)  # the fixture itself is valid JSON
    assert pointer_lines(TRICKY) == {
        "": 1,
        "/a": 2,
        '/b"quoted': 3,
        '/b"quoted/0': 3,
        '/b"quoted/1': 3,
        '/b"quoted/2': 3,
        '/b"quoted/2/0': 3,
        '/b"quoted/2/1': 3,
        '/b"quoted/2/1/0': 3,
        '/b"quoted/2/1/1': 3,
        '/b"quoted/3': 4,
        '/b"quoted/3/c~1d': 4,
        '/b"quoted/3/n': 4,
        "/empty": 5,
        "/obj": 5,
        "/esc": 6,
        "/num": 7,
        "/t": 7,
    }


def test_pointer_lines_tolerates_invalid_json() -> None:
    text = '{\n  "a": [1,\n  2],\n  "b": {"c": \n'
    assert pointer_lines(text) == {"": 1, "/a": 2, "/a/0": 2, "/a/1": 3, "/b": 4}
    assert pointer_lines("") == {}
    assert pointer_lines('{"a": 1]') == {"": 1, "/a": 1}
    assert pointer_lines('{"unterminated') == {"": 1}


def test_line_of_walks_up_to_the_nearest_ancestor() -> None:
    lines = {"": 1, "/accounts": 2, "/accounts/0": 3}
    assert line_of(lines, "/accounts/0/iam/roles/4") == 3
    assert line_of(lines, "/accounts") == 2
    assert line_of({}, "/x") == 0


def test_pointer_and_json_path_forms() -> None:
    path = ("accounts", 0, "tags", "kubernetes.io/role/elb", "a~b")
    assert pointer(path) == "/accounts/0/tags/kubernetes.io~1role~1elb/a~0b"
    assert json_path(path) == '$.accounts[0].tags["kubernetes.io/role/elb"]["a~b"]'
    assert json_path(()) == "$"


@pytest.mark.parametrize("name", ["full.json"])
def test_fixture_pointers_match_every_object(name: str) -> None:
    text = (FIXTURES / name).read_text()
    lines = pointer_lines(text)
    assert lines["/accounts/0/iam/roles/0"] == line(text, '{"name": "orders"')
    assert lines["/accounts/0/ec2/subnets/2/cidr"] == line(text, '"cidr": "198.18.2.0/24"')


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    from importlib import resources

    from jsonschema import Draft202012Validator

    schema = json.loads(
        resources.files("ekstwin").joinpath("schemas/aws.schema.json").read_text("utf-8")
    )
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["version"] == {"const": 1}


def test_documented_example_loads_cleanly() -> None:
    docs = Path(__file__).parent.parent.parent / "docs" / "aws-json.md"
    text = docs.read_text()
    example = text.split("```json\n", 1)[1].split("```", 1)[0]
    state, diagnostics = build_aws([load(example, "example.json")])
    assert diagnostics == []
    assert [(c.name, c.authentication_mode) for c in state.clusters] == [
        ("prod", AuthenticationMode.API)
    ]


def test_every_documented_example_loads_cleanly() -> None:
    docs = Path(__file__).parent.parent.parent / "docs" / "aws-json.md"
    blocks = [b.split("```", 1)[0] for b in docs.read_text().split("```json\n")[1:]]
    assert len(blocks) == 2
    state, diagnostics = build_aws([load(b, f"example{i}.json") for i, b in enumerate(blocks)])
    assert diagnostics == []
    (account,) = state.accounts
    assert [g.group_id for g in account.security_groups] == ["sg-0b2", "sg-0e2"]
    assert [a.network_acl_id for a in account.network_acls] == ["acl-0a1", "acl-0b1"]
    assert [d.db_instance_id for d in account.db_instances] == ["orders-db"]
