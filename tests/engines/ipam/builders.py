"""Small builders for hand-made platforms in the ipam tests."""

from __future__ import annotations

from ekstwin.model.aws import (
    Account,
    AwsState,
    EksCluster,
    Instance,
    NetworkInterface,
    NodeGroup,
    NodeGroupScaling,
    Subnet,
    Vpc,
    VpcCniSettings,
)
from ekstwin.model.k8s import Meta, Node, OpaqueObject, Pod, PodSpec
from ekstwin.model.source import Source

SRC = Source("test.yaml", 1)
VPC_ID = "vpc-1"


def pod(
    key: str,
    *,
    node: str | None = None,
    ip: str | None = None,
    host_network: bool = False,
    host_ip: str | None = None,
) -> Pod:
    namespace, name = key.split("/")
    return Pod(
        meta=Meta("v1", "Pod", name, namespace, SRC),
        spec=PodSpec(containers=(), node_name=node, host_network=host_network),
        ip=ip,
        host_ip=host_ip,
    )


def node(
    name: str,
    *,
    zone: str | None = None,
    ip: str | None = None,
    instance_type: str | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> Node:
    return Node(
        meta=Meta(
            "v1", "Node", name, None, SRC, labels=labels or {}, annotations=annotations or {}
        ),
        instance_type=instance_type,
        zone=zone,
        internal_ip=ip,
    )


def subnet(subnet_id: str, cidr: str, zone: str = "eu-west-1a", free: int | None = None) -> Subnet:
    return Subnet(subnet_id, VPC_ID, cidr, zone, available_ip_addresses=free)


def eni(
    eni_id: str,
    subnet_id: str,
    device: int,
    primary: str,
    secondaries: tuple[str, ...] = (),
    prefixes: tuple[str, ...] = (),
) -> NetworkInterface:
    return NetworkInterface(
        eni_id,
        subnet_id,
        device_index=device,
        primary_ip=primary,
        secondary_ips=secondaries,
        prefixes=prefixes,
    )


def instance(
    instance_id: str,
    name: str,
    subnet_id: str,
    ip: str,
    *,
    instance_type: str = "m5.large",
    enis: tuple[NetworkInterface, ...] = (),
    group: str | None = None,
    zone: str = "eu-west-1a",
) -> Instance:
    return Instance(
        instance_id,
        instance_type,
        subnet_id,
        availability_zone=zone,
        private_ip=ip,
        node_name=name,
        node_group=group,
        cluster="c1",
        network_interfaces=enis,
    )


def aws(
    subnets: tuple[Subnet, ...],
    instances: tuple[Instance, ...] = (),
    *,
    cni: dict[str, str] | None = None,
    groups: tuple[NodeGroup, ...] = (),
    vpc_cidrs: tuple[str, ...] = ("198.18.0.0/16",),
) -> AwsState:
    cluster = EksCluster(
        name="c1",
        region="eu-west-1",
        arn="arn:aws:eks:eu-west-1:111122223333:cluster/c1",
        version="1.31",
        vpc_id=VPC_ID,
        vpc_cni=VpcCniSettings.from_env(cni or {}),
        node_groups=groups,
    )
    account = Account(
        id="111122223333",
        eks_clusters=(cluster,),
        vpcs=(Vpc(VPC_ID, "eu-west-1", vpc_cidrs),),
        subnets=subnets,
        instances=instances,
    )
    return AwsState(accounts=(account,))


def group(
    name: str,
    instance_type: str,
    subnet_ids: tuple[str, ...],
    desired: int,
    max_pods: int | None = None,
) -> NodeGroup:
    return NodeGroup(
        name,
        instance_types=(instance_type,),
        subnet_ids=subnet_ids,
        scaling=NodeGroupScaling(min=1, max=max(desired, 1) * 10, desired=desired),
        kubelet_max_pods=max_pods,
    )


def eni_config(name: str, subnet_id: str) -> OpaqueObject:
    return OpaqueObject(
        meta=Meta("crd.k8s.amazonaws.com/v1alpha1", "ENIConfig", name, None, SRC),
        body={"spec": {"subnet": subnet_id, "securityGroups": ["sg-1"]}},
    )
