"""A small hand-built VPC for the vpc engine tests (documentation ranges only).

vpc-1 198.18.0.0/16: subnet-pub 198.18.0.0/24 (internet gateway, NAT gateway),
subnet-a 198.18.1.0/24 (node n1), subnet-b 198.18.2.0/24 (node n2),
subnet-db 198.18.3.0/24 (RDS db1, its own network ACL). The node group's
security group sg-node admits itself and the control plane on 10250; sg-db
admits sg-node on 5432; sg-pay is a pod security group.
"""

from __future__ import annotations

from dataclasses import replace

from ekstwin.model.aws import (
    Account,
    AwsState,
    EksCluster,
    Instance,
    InternetGateway,
    NatGateway,
    NetworkInterface,
    Route,
    RouteTable,
    Subnet,
    Vpc,
    VpcCniSettings,
)
from ekstwin.model.k8s import Meta, Node, Pod, PodSpec, ServiceAccount
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import LabelSelector
from ekstwin.model.source import Source
from ekstwin.model.vpc import (
    DatabaseInstance,
    ManagedPrefixList,
    NaclAction,
    NetworkAcl,
    NetworkAclEntry,
    SecurityGroup,
    SecurityGroupPolicy,
    SecurityGroupRule,
    ServiceInterface,
    VpcEndpoint,
    VpcEndpointType,
)

VPC = "vpc-1"


def src(line: int) -> Source:
    return Source("aws.json", line)


def rule(line: int, protocol: str = "-1", lo: int | None = None, hi: int | None = None,
         **peer: str) -> SecurityGroupRule:  # fmt: skip
    return SecurityGroupRule(protocol, lo, hi if hi is not None else lo, source=src(line), **peer)


def sg(group_id: str, line: int, ingress: tuple[SecurityGroupRule, ...] = (),
       egress: tuple[SecurityGroupRule, ...] = (), vpc: str = VPC) -> SecurityGroup:  # fmt: skip
    return SecurityGroup(group_id, vpc, group_id, ingress=ingress, egress=egress, source=src(line))


def entry(n: int, egress: bool, action: str, protocol: str = "-1",
          cidr: str = "0.0.0.0/0", lo: int | None = None, hi: int | None = None,
          line: int = 0) -> NetworkAclEntry:  # fmt: skip
    return NetworkAclEntry(
        n, egress, NaclAction(action), protocol, cidr, lo, hi, source=src(line or 500 + n)
    )


OPEN = (entry(100, False, "allow", line=401), entry(100, True, "allow", line=402))

GROUPS = (
    sg("sg-node", 100,
       ingress=(rule(101, group_id="sg-node"), rule(102, "6", 10250, group_id="sg-cluster")),
       egress=(rule(103, cidr="0.0.0.0/0"),)),
    sg("sg-cluster", 110, ingress=(rule(111, "6", 443, group_id="sg-node"),),
       egress=(rule(112, cidr="0.0.0.0/0"),)),
    sg("sg-db", 120, ingress=(rule(121, "6", 5432, group_id="sg-node"),)),
    sg("sg-pay", 130, ingress=(rule(131, "6", 8080, group_id="sg-node"),),
       egress=(rule(132, cidr="0.0.0.0/0"),)),
)  # fmt: skip

ACLS = (
    NetworkAcl("acl-default", VPC, is_default=True, entries=OPEN, source=src(400)),
    NetworkAcl(
        "acl-db", VPC,
        entries=(
            entry(100, False, "allow", "6", "198.18.0.0/16", 5432, 5432, line=411),
            entry(100, True, "allow", "6", "198.18.0.0/16", 32768, 60999, line=412),
        ),
        subnet_ids=("subnet-db",), source=src(410),
    ),
)  # fmt: skip


def eni(eni_id: str, subnet: str, primary: str, *secondaries: str,
        groups: tuple[str, ...] = ("sg-node",), device: int = 0) -> NetworkInterface:  # fmt: skip
    return NetworkInterface(
        eni_id, subnet, device_index=device, primary_ip=primary, secondary_ips=secondaries,
        security_group_ids=groups, vpc_id=VPC,
    )  # fmt: skip


def instance(iid: str, node: str, subnet: str, ip: str, *enis: NetworkInterface,
             public: str | None = None) -> Instance:  # fmt: skip
    return Instance(
        iid, "m5.large", subnet, private_ip=ip, node_name=node, public_ip=public, cluster="c1",
        security_group_ids=("sg-node",), network_interfaces=enis, source=src(300),
    )  # fmt: skip


INSTANCES = (
    instance("i-1", "n1", "subnet-a", "198.18.1.10",
             eni("eni-n1", "subnet-a", "198.18.1.10", "198.18.1.20", "198.18.1.21")),
    instance("i-2", "n2", "subnet-b", "198.18.2.10",
             eni("eni-n2", "subnet-b", "198.18.2.10", "198.18.2.20")),
)  # fmt: skip

TABLES = (
    RouteTable("rtb-pub", VPC, subnet_ids=("subnet-pub",), routes=(
        Route("198.18.0.0/16", "local", source=src(201)),
        Route("0.0.0.0/0", "igw-1", source=src(202)),
    ), source=src(200)),
    RouteTable("rtb-priv", VPC, main=True, routes=(
        Route("198.18.0.0/16", "local", source=src(211)),
        Route("0.0.0.0/0", "nat-1", source=src(212)),
        Route("pl-s3", "vpce-s3", source=src(213)),
    ), source=src(210)),
)  # fmt: skip


def cluster(env: dict[str, str] | None = None) -> EksCluster:
    return EksCluster(
        name="c1", region="eu-west-1", arn="arn:aws:eks:eu-west-1:111122223333:cluster/c1",
        version="1.31", vpc_id=VPC, subnet_ids=("subnet-a", "subnet-b"),
        cluster_security_group_id="sg-cluster", vpc_cni=VpcCniSettings.from_env(env or {}),
        source=src(10),
    )  # fmt: skip


def account(env: dict[str, str] | None = None, **changes: object) -> Account:
    base = Account(
        id="111122223333",
        eks_clusters=(cluster(env),),
        vpcs=(Vpc(VPC, "eu-west-1", ("198.18.0.0/16",)),),
        subnets=(
            Subnet("subnet-pub", VPC, "198.18.0.0/24", "eu-west-1a", map_public_ip_on_launch=True),
            Subnet("subnet-a", VPC, "198.18.1.0/24", "eu-west-1a"),
            Subnet("subnet-b", VPC, "198.18.2.0/24", "eu-west-1b"),
            Subnet("subnet-db", VPC, "198.18.3.0/24", "eu-west-1a"),
        ),
        route_tables=TABLES,
        internet_gateways=(InternetGateway("igw-1", VPC),),
        nat_gateways=(NatGateway("nat-1", "subnet-pub", public_ip="203.0.113.9"),),
        instances=INSTANCES,
        security_groups=GROUPS,
        network_acls=ACLS,
        prefix_lists=(
            ManagedPrefixList("pl-s3", "com.amazonaws.eu-west-1.s3", owner_id="AWS"),
        ),
        db_instances=(
            DatabaseInstance(
                "db1", "postgres", 5432, VPC, subnet_ids=("subnet-db",),
                security_group_ids=("sg-db",),
                interfaces=(ServiceInterface("subnet-db", "198.18.3.50", "eni-db1"),),
                source=src(600),
            ),
        ),
        vpc_endpoints=(
            VpcEndpoint("vpce-s3", VPC, "com.amazonaws.eu-west-1.s3", VpcEndpointType.GATEWAY,
                        route_table_ids=("rtb-priv",)),
        ),
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def pod(key: str, node: str | None, ip: str | None, labels: dict[str, str] | None = None,
        host_network: bool = False, sa: str = "default") -> Pod:  # fmt: skip
    ns, name = key.split("/")
    return Pod(
        meta=Meta("v1", "Pod", name, ns, Source("pods.yaml", 1), labels=labels or {}),
        spec=PodSpec(containers=(), node_name=node, host_network=host_network,
                     service_account=sa),
        ip=ip,
    )  # fmt: skip


def k8s_node(name: str, ip: str) -> Node:
    return Node(meta=Meta("v1", "Node", name, None, Source("nodes.yaml", 1)), internal_ip=ip)


PODS = (
    pod("shop/web-0", "n1", "198.18.1.20", {"app": "web"}),
    pod("shop/web-1", "n1", "198.18.1.21", {"app": "web"}),
    pod("shop/api-0", "n2", "198.18.2.20", {"app": "api"}),
    pod("pay/payments-0", "n2", "198.18.2.30", {"app": "payments"}),
    pod("kube-system/proxy-n1", "n1", None, host_network=True),
)

SGP = SecurityGroupPolicy(
    "payments", "pay", ("sg-pay",), pod_selector=LabelSelector((("app", "payments"),)),
    source=Source("sgp.yaml", 3),
)  # fmt: skip


def world(
    env: dict[str, str] | None = None,
    pods: tuple[Pod, ...] = PODS,
    nodes: tuple[Node, ...] = (k8s_node("n1", "198.18.1.10"), k8s_node("n2", "198.18.2.10")),
    sgps: tuple[SecurityGroupPolicy, ...] = (SGP,),
    service_accounts: tuple[ServiceAccount, ...] = (),
    **changes: object,
) -> Platform:
    return Platform(
        nodes=nodes,
        pods=pods,
        security_group_policies=sgps,
        service_accounts=service_accounts,
        aws=AwsState(accounts=(account(env, **changes),)),
    )
