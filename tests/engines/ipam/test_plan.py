from __future__ import annotations

from ekstwin.engines.ipam.plan import Limit, NodePlan, Scenario, SubnetUse, plan
from ekstwin.model.platform import Platform

from .builders import aws, eni_config, group, instance, node, pod, subnet


def _platform(cni: dict[str, str] | None = None, *, eniconfig: bool = False) -> Platform:
    subnets = (subnet("subnet-a", "198.18.48.0/26", free=30), subnet("subnet-p", "100.64.0.0/24"))
    state = aws(
        subnets,
        (instance("i-1", "n1", "subnet-a", "198.18.48.10", group="general"),),
        cni=cni,
        groups=(group("general", "m5.large", ("subnet-a",), 1),),
        vpc_cidrs=("198.18.0.0/16", "100.64.0.0/16"),
    )
    pods = tuple(pod(f"a/p{i}", node="n1") for i in range(5))
    opaque = (eni_config("default", "subnet-p"),) if eniconfig else ()
    return Platform(nodes=(node("n1"),), pods=pods, aws=state, opaque=opaque)


def test_plan_now_counts_pods_warm_primaries_and_other() -> None:
    got = plan(_platform())
    sub = got.subnet("subnet-a")
    assert sub is not None
    # m5.large, WARM_ENI_TARGET=1, 5 pods: 2 ENIs of 9 IPs; EC2 says 30 free -> 9 other
    assert sub.now == SubnetUse(nodes=1, pods=5, warm=13, eni_primaries=2, other=9, free=30)
    assert got.nodes == (
        NodePlan(
            "n1", "general", "m5.large", "eu-west-1a", "subnet-a", "subnet-a",
            5, 29, 29, 20, 22, Limit.MAX_PODS,
        ),
    )  # fmt: skip
    assert got.runs_out_first is None


def test_scaling_says_which_subnet_runs_out_and_at_which_node() -> None:
    got = plan(_platform(), Scenario({"general": 4}))
    sub = got.subnet("subnet-a")
    assert sub is not None
    assert sub.after.free == 30 - 3 * 20
    assert sub.runs_out_at == "new node 2 of 3 in node group general (node 3 of the group)"
    assert got.runs_out_first == (
        "subnet-a (eu-west-1a, 198.18.48.0/26) runs out first: 30 address(es) free now, "
        "-30 after the scenario; it runs out at new node 2 of 3 in node group general "
        "(node 3 of the group)"
    )
    assert [(n.name, n.more_pods, n.limited_by) for n in got.nodes if n.added] == [
        ("general-new-1", 13, Limit.SUBNET),  # only its warm IPs: the subnet is full
        ("general-new-2", 0, Limit.SUBNET),
        ("general-new-3", 0, Limit.SUBNET),
    ]


def test_custom_networking_puts_pods_in_the_eniconfig_subnet() -> None:
    got = plan(
        _platform({"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"}, eniconfig=True),
        Scenario(pods_per_node=10),
    )
    pods_subnet, node_subnet = got.subnet("subnet-p"), got.subnet("subnet-a")
    assert pods_subnet is not None and node_subnet is not None
    # 2 pod ENIs of 9 IPs (W=1 after 10 pods) and their 2 primaries in 100.64.0.0/24
    assert pods_subnet.after == SubnetUse(1, 10, 8, 2, 0, 251 - 20)
    assert node_subnet.after.nodes == 1 and node_subnet.after.eni_primaries == 1
    assert got.nodes[0].max_pods == 20


def test_prefix_delegation_flags_fragmentation_risk() -> None:
    got = plan(_platform({"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}))
    sub = got.subnet("subnet-a")
    assert sub is not None and sub.prefix_risk is not None
    assert sub.prefix_risk.startswith("1 free aligned /28 block(s) at best, 0 if the")
