from __future__ import annotations

import random

import pytest

from ekstwin.engines.ipam.addresses import Addressing, pod_addressing
from ekstwin.errors import ModelError
from ekstwin.model.platform import Platform

from .builders import aws, eni, eni_config, instance, node, pod, subnet

DEFAULT_NOTE = (
    "no AWS subnets in the input: assumed a default VPC 198.18.0.0/16 with one subnet per "
    "availability zone ({layout}), nodes of default instance type m5.large, "
    "VPC CNI defaults (secondary IPs, WARM_ENI_TARGET=1)"
)


def test_no_aws_no_nodes_assumes_one_default_node_in_a_default_vpc() -> None:
    platform = Platform(pods=(pod("b/web"), pod("a/api"), pod("a/agent", host_network=True)))
    assert pod_addressing(platform) == Addressing(
        pod_ips={"a/agent": "198.18.0.4", "a/api": "198.18.0.5", "b/web": "198.18.0.6"},
        node_ips={"ekstwin-node-0": "198.18.0.4"},
        node_subnets={"ekstwin-node-0": "198.18.0.0/20"},
        vpc_cidrs=("198.18.0.0/16",),
        assumptions=(
            "no nodes in the input: assumed one node ekstwin-node-0",
            DEFAULT_NOTE.format(layout="us-east-1a 198.18.0.0/20"),
            "3 pod(s) without a node spread round-robin over 1 node(s) sorted by name",
        ),
        pod_nodes={
            "a/agent": "ekstwin-node-0",
            "a/api": "ekstwin-node-0",
            "b/web": "ekstwin-node-0",
        },
    )


def test_no_aws_one_subnet_per_zone_and_pods_follow_their_node() -> None:
    platform = Platform(
        nodes=(node("n2", zone="eu-west-1b"), node("n1", zone="eu-west-1a")),
        pods=(pod("x/p1", node="n2"), pod("x/p2"), pod("x/p3"), pod("x/p4", node="n2")),
    )
    assert pod_addressing(platform) == Addressing(
        pod_ips={
            "x/p1": "198.18.16.5",
            "x/p2": "198.18.0.5",
            "x/p3": "198.18.16.6",
            "x/p4": "198.18.16.7",
        },
        node_ips={"n1": "198.18.0.4", "n2": "198.18.16.4"},
        node_subnets={"n1": "198.18.0.0/20", "n2": "198.18.16.0/20"},
        vpc_cidrs=("198.18.0.0/16",),
        assumptions=(
            DEFAULT_NOTE.format(layout="eu-west-1a 198.18.0.0/20; eu-west-1b 198.18.16.0/20"),
            "2 pod(s) without a node spread round-robin over 2 node(s) sorted by name",
        ),
        pod_nodes={"x/p1": "n2", "x/p2": "n1", "x/p3": "n2", "x/p4": "n2"},
    )


def test_given_pod_ip_wins_and_is_never_handed_out_again() -> None:
    platform = Platform(
        nodes=(node("n1", ip="198.18.0.9"),),
        pods=(pod("a/given", node="n1", ip="198.18.0.5"), pod("a/other", node="n1")),
    )
    got = pod_addressing(platform)
    assert got.pod_ips == {"a/given": "198.18.0.5", "a/other": "198.18.0.4"}
    assert got.node_ips == {"n1": "198.18.0.9"}


def test_host_ip_places_a_nodeless_pod_on_that_node() -> None:
    platform = Platform(
        nodes=(node("n1", ip="198.18.0.10"), node("n2", ip="198.18.0.20")),
        pods=(pod("a/p", host_ip="198.18.0.20"),),
    )
    got = pod_addressing(platform)
    assert got.pod_nodes == {"a/p": "n2"}
    assert got.pod_ips == {"a/p": "198.18.0.4"}


def _eni_platform(cni: dict[str, str] | None = None) -> Platform:
    enis = (
        eni("eni-b", "subnet-a", 1, "198.18.16.20", ("198.18.16.21", "198.18.16.22")),
        eni("eni-a", "subnet-a", 0, "198.18.16.10", ("198.18.16.11", "198.18.16.12")),
    )
    state = aws(
        (subnet("subnet-a", "198.18.16.0/24"),),
        (instance("i-1", "n1", "subnet-a", "198.18.16.10", enis=enis),),
        cni=cni,
    )
    pods = tuple(pod(f"a/p{i}", node="n1") for i in range(6))
    return Platform(
        nodes=(node("n1"),), pods=(*pods, pod("b/given", node="n1", ip="198.18.16.12")), aws=state
    )


def test_secondary_ips_in_eni_order_then_the_subnet() -> None:
    got = pod_addressing(_eni_platform())
    assert got == Addressing(
        pod_ips={
            "a/p0": "198.18.16.11",
            "a/p1": "198.18.16.21",
            "a/p2": "198.18.16.22",
            "a/p3": "198.18.16.4",
            "a/p4": "198.18.16.5",
            "a/p5": "198.18.16.6",
            "b/given": "198.18.16.12",
        },
        node_ips={"n1": "198.18.16.10"},
        node_subnets={"n1": "198.18.16.0/24"},
        vpc_cidrs=("198.18.0.0/16",),
        assumptions=(
            "3 pod(s) on 1 node(s) found no free address in their node's ENI data: "
            "given the next free addresses of the pod subnet",
        ),
        pod_nodes={f"a/p{i}": "n1" for i in range(6)} | {"b/given": "n1"},
    )


def test_prefix_delegation_hands_out_prefixes_then_aligned_free_blocks() -> None:
    enis = (eni("eni-a", "subnet-a", 0, "198.18.16.10", prefixes=("198.18.16.32/28",)),)
    state = aws(
        (subnet("subnet-a", "198.18.16.0/24"),),
        (instance("i-1", "n1", "subnet-a", "198.18.16.10", enis=enis),),
        cni={"ENABLE_PREFIX_DELEGATION": "true"},
    )
    pods = tuple(pod(f"a/p{i:02d}", node="n1") for i in range(18))
    got = pod_addressing(Platform(nodes=(node("n1"),), pods=pods, aws=state))
    expected = [f"198.18.16.{32 + i}" for i in range(16)]
    # 198.18.16.0/28 holds the reserved addresses and the node: the next free /28 is .16/28
    expected += ["198.18.16.16", "198.18.16.17"]
    assert [got.pod_ips[f"a/p{i:02d}"] for i in range(18)] == expected


def test_custom_networking_skips_the_primary_eni_and_uses_the_eniconfig_subnet() -> None:
    enis = (
        eni("eni-a", "subnet-node", 0, "198.18.16.10", ("198.18.16.11",)),
        eni("eni-b", "subnet-pods", 1, "100.64.0.10", ("100.64.0.11",)),
    )
    state = aws(
        (subnet("subnet-node", "198.18.16.0/24"), subnet("subnet-pods", "100.64.0.0/24")),
        (instance("i-1", "n1", "subnet-node", "198.18.16.10", enis=enis),),
        cni={"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true", "ENI_CONFIG_LABEL_DEF": "zone"},
    )
    platform = Platform(
        nodes=(node("n1", labels={"zone": "eu-west-1a"}),),
        pods=(pod("a/p0", node="n1"), pod("a/p1", node="n1")),
        opaque=(eni_config("eu-west-1a", "subnet-pods"),),
        aws=state,
    )
    got = pod_addressing(platform)
    assert got.pod_ips == {"a/p0": "100.64.0.11", "a/p1": "100.64.0.4"}
    assert got.node_subnets == {"n1": "198.18.16.0/24"}
    assert got.vpc_cidrs == ("198.18.0.0/16", "100.64.0.0/24")


def test_missing_eniconfig_falls_back_to_the_node_subnet_and_says_so() -> None:
    state = aws(
        (subnet("subnet-node", "198.18.16.0/24"),),
        (instance("i-1", "n1", "subnet-node", "198.18.16.10"),),
        cni={"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"},
    )
    got = pod_addressing(Platform(nodes=(node("n1"),), pods=(pod("a/p", node="n1"),), aws=state))
    assert got.pod_ips == {"a/p": "198.18.16.4"}
    assert got.assumptions[0] == (
        "custom networking: node n1 names ENIConfig 'default' whose subnet is not in the "
        "input; pods assumed in the node subnet"
    )


def test_node_without_instance_is_placed_in_a_subnet_of_its_zone() -> None:
    state = aws(
        (
            subnet("subnet-a", "198.18.16.0/24", "eu-west-1a"),
            subnet("subnet-b", "198.18.32.0/24", "eu-west-1b"),
        ),
    )
    platform = Platform(
        nodes=(node("n1", zone="eu-west-1b"),), pods=(pod("a/p", node="n1"),), aws=state
    )
    got = pod_addressing(platform)
    assert got.node_ips == {"n1": "198.18.32.4"}
    assert got.pod_ips == {"a/p": "198.18.32.5"}
    assert got.assumptions == (
        "no EC2 instance in the input for node(s); assumed subnets: n1 -> subnet-b",
    )


def test_addresses_are_deterministic_whatever_the_input_order() -> None:
    pods = [pod(f"ns{i % 7}/p{i}") for i in range(300)]
    nodes = [node(f"n{i}", zone=f"eu-west-1{'abc'[i % 3]}") for i in range(10)]
    first = pod_addressing(Platform(nodes=tuple(nodes), pods=tuple(pods)))
    random.Random(4).shuffle(pods)
    random.Random(5).shuffle(nodes)
    assert pod_addressing(Platform(nodes=tuple(nodes), pods=tuple(pods))) == first


def test_ten_thousand_pods_never_collide() -> None:
    pods = tuple(pod(f"ns{i % 50}/p{i}") for i in range(10_000))
    nodes = tuple(node(f"n{i:03d}", zone=f"z{i % 3}") for i in range(300))
    got = pod_addressing(Platform(nodes=nodes, pods=pods))
    addresses = list(got.pod_ips.values()) + list(got.node_ips.values())
    assert len(set(addresses)) == len(addresses) == 10_300


def test_a_full_subnet_is_a_model_error() -> None:
    state = aws((subnet("subnet-a", "198.18.16.0/29"),))
    pods = tuple(pod(f"a/p{i}", node="n1") for i in range(3))
    with pytest.raises(ModelError, match=r"198\.18\.16\.0/29 has no free address left"):
        pod_addressing(Platform(nodes=(node("n1"),), pods=pods, aws=state))
