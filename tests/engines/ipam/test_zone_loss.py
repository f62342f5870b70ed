"""The zone-loss scenario of the subnet plan (``ipam plan --lose-az``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ekstwin.engines.ipam.plan import GroupLoss, Scenario, SubnetUse, ZoneLoss, plan
from ekstwin.errors import ConfigError
from ekstwin.loaders import load
from ekstwin.model.aws import NodeGroup, NodeGroupScaling
from ekstwin.model.platform import Platform

from .builders import aws, instance, node, pod, subnet

DEMO = Path(__file__).resolve().parents[3] / "examples" / "demo-platform"
A, B = "eu-west-1a", "eu-west-1b"


def _group(name: str, subnets: tuple[str, ...], max_size: int) -> NodeGroup:
    return NodeGroup(
        name,
        instance_types=("m5.large",),
        subnet_ids=subnets,
        scaling=NodeGroupScaling(min=1, max=max_size, desired=1),
    )


def _platform(
    groups: tuple[NodeGroup, ...],
    nodes: tuple[tuple[str, str, str, int], ...],  # name, group, zone, pods
    b_cidr: str = "198.18.32.0/24",
    selector: dict[str, str] | None = None,  # of every pod on n1
) -> Platform:
    subnets = (subnet("subnet-a", "198.18.16.0/24", A), subnet("subnet-b", b_cidr, B))
    insts = tuple(
        instance(
            f"i-{name}", name, "subnet-a" if z == A else "subnet-b",
            f"198.18.{16 if z == A else 32}.{10 + i}", group=g, zone=z,
        )
        for i, (name, g, z, _) in enumerate(nodes)
    )  # fmt: skip
    pods = tuple(pod(f"ns/{name}-{i}", node=name) for name, _, _, n in nodes for i in range(n))
    if selector:
        pods = tuple(
            replace(p, spec=replace(p.spec, node_selector=selector))
            if p.spec.node_name == "n1"
            else p
            for p in pods
        )
    return Platform(
        nodes=tuple(node(name, zone=z) for name, _, z, _ in nodes),
        pods=pods,
        aws=aws(subnets, insts, groups=groups),
    )


def test_demo_losing_eu_west_1a() -> None:
    got = plan(load([str(DEMO)]).platform, Scenario(lose_az=A))
    assert got.zone_loss == ZoneLoss(
        A,
        (
            "ip-198-18-20-14.eu-west-1.compute.internal",
            "ip-198-18-20-98.eu-west-1.compute.internal",
            "ip-198-18-22-4.eu-west-1.compute.internal",
            "ip-198-18-64-37.eu-west-1.compute.internal",
        ),
        (
            GroupLoss("batch", 1, 0, 0, 3, (),
                      "every subnet of the group is in eu-west-1a: nothing is launched"),
            GroupLoss("compute", 1, 1, 0, 4, ("subnet-0fbed2229f4e12f06",), ""),
            GroupLoss("general", 1, 1, 0, 8,
                      ("subnet-0fbed2229f4e12f06", "subnet-0733272349c7245be"), ""),
            GroupLoss("system", 1, 1, 0, 4, ("subnet-0fbed2229f4e12f06",), ""),
        ),
        38,
        38,
        0,
    )  # fmt: skip
    after = {s.subnet_id: s.after for s in got.subnets}
    assert after == {
        "subnet-0114ae4332cafb01e": SubnetUse(0, 0, 0, 0, 2, 4089),
        "subnet-04ac22710202d47d8": SubnetUse(0, 0, 0, 0, 0, 251),
        "subnet-0fbed2229f4e12f06": SubnetUse(6, 65, 77, 18, 2, 3929),
        "subnet-0733272349c7245be": SubnetUse(2, 17, 19, 4, 1, 18),
    }
    # the replacements of the groups spanning 1b and 1c go to the subnet with the
    # fewest of the group's nodes: general has two in 1c and one in 1b; Argo CD's
    # pods select node.example.com/pool=system and go to the system nodes only
    assert [(n.name, n.subnet_id, n.pods) for n in got.nodes if n.added] == [
        ("compute-replacement-1", "subnet-0fbed2229f4e12f06", 12),
        ("general-replacement-1", "subnet-0fbed2229f4e12f06", 13),
        ("system-replacement-1", "subnet-0fbed2229f4e12f06", 7),
    ]
    assert sum(n.pods for n in got.nodes) == sum(
        n.pods for n in plan(load([str(DEMO)]).platform).nodes
    )
    assert got.runs_out_first is None
    assert any("Cluster Autoscaler" in a for a in got.assumptions)


def test_demo_unknown_zone_is_a_usage_error() -> None:
    with pytest.raises(ConfigError, match=r"--lose-az eu-west-1z: no node .* \(zones: eu-west-1a"):
        plan(load([str(DEMO)]).platform, Scenario(lose_az="eu-west-1z"))


def test_group_at_its_max_size_cannot_replace() -> None:
    # three nodes, max size since lowered to 2: the two left are the max
    got = plan(
        _platform(
            (_group("g", ("subnet-a", "subnet-b"), 2),),
            (("n1", "g", A, 10), ("n2", "g", B, 5), ("n3", "g", B, 5)),
        ),
        Scenario(lose_az=A),
    )
    assert got.zone_loss == ZoneLoss(
        A, ("n1",),
        (GroupLoss("g", 1, 0, 0, 2, ("subnet-b",),
                   "at its max size (2) with 2 node(s) left: 0 of 1 replaced"),),
        10, 10, 0,
    )  # fmt: skip
    assert [(n.name, n.pods) for n in got.nodes] == [("n2", 10), ("n3", 10)]


def test_group_whose_subnets_are_all_in_the_lost_zone() -> None:
    got = plan(
        _platform(
            (_group("only-a", ("subnet-a",), 3), _group("both", ("subnet-a", "subnet-b"), 3)),
            (("n1", "only-a", A, 8), ("n2", "both", B, 4)),
        ),
        Scenario(lose_az=A),
    )
    assert got.zone_loss is not None
    assert got.zone_loss.groups == (
        GroupLoss("only-a", 1, 0, 0, 3, (),
                  "every subnet of the group is in eu-west-1a: nothing is launched"),
    )  # fmt: skip
    # its pods go to the other group's node, which has room
    assert [(n.name, n.pods, n.added) for n in got.nodes] == [("n2", 12, False)]
    assert got.zone_loss.pods_pending == 0


def test_rescheduled_pods_beyond_capacity_stay_pending_and_exhaust_the_subnet() -> None:
    # m5.large: 27 pods needing an address per node; "both" is at its max size
    got = plan(
        _platform(
            (_group("only-a", ("subnet-a",), 3), _group("both", ("subnet-a", "subnet-b"), 1)),
            (("n1", "only-a", A, 27), ("n2", "both", B, 5)),
            b_cidr="198.18.32.0/27",
        ),
        Scenario(lose_az=A),
    )
    assert got.zone_loss == ZoneLoss(
        A, ("n1",),
        (GroupLoss("only-a", 1, 0, 0, 3, (),
                   "every subnet of the group is in eu-west-1a: nothing is launched"),),
        27, 22, 5,
    )  # fmt: skip
    sub = got.subnet("subnet-b")
    assert sub is not None
    assert sub.now == SubnetUse(1, 5, 13, 2, 0, 7)
    # n2 full at 27 pods: 3 ENIs of 9 IPs and their primaries, in a /27 of 27 usable;
    # the pod that makes ipamd attach the third ENI is the one the subnet cannot give
    assert sub.after == SubnetUse(1, 27, 0, 3, 0, -3)
    assert sub.runs_out_at == "rescheduled pod 5 (onto n2) after losing eu-west-1a"
    assert got.runs_out_first is not None
    assert got.runs_out_first.startswith("subnet-b (eu-west-1b, 198.18.32.0/27) runs out first")
    assert any("5 pod(s) of the lost nodes find no node" in a for a in got.assumptions)


def test_group_scales_out_up_to_its_max_size_for_rescheduled_pods() -> None:
    got = plan(
        _platform(
            (_group("only-a", ("subnet-a",), 3), _group("both", ("subnet-a", "subnet-b"), 2)),
            (("n1", "only-a", A, 27), ("n2", "both", B, 20)),
        ),
        Scenario(lose_az=A),
    )
    # "only-a" has no other zone; "both" has room for one more node: 7 pods fit on
    # n2, the other 20 on the node "both" launches in eu-west-1b
    assert got.zone_loss == ZoneLoss(
        A, ("n1",),
        (GroupLoss("only-a", 1, 0, 0, 3, (),
                   "every subnet of the group is in eu-west-1a: nothing is launched"),
         GroupLoss("both", 0, 0, 1, 2, ("subnet-b",), "")),
        27, 27, 0,
    )  # fmt: skip
    assert [(n.name, n.subnet_id, n.pods, n.added) for n in got.nodes] == [
        ("n2", "subnet-b", 27, False),
        ("both-more-1", "subnet-b", 20, True),
    ]


def test_rescheduled_pods_keep_their_node_selector() -> None:
    # n1's pods select the "pinned" group's label: they do not go to n2 (room for 7)
    # but to the node "pinned" launches in eu-west-1b, up to its max size of 1
    pinned = NodeGroup(
        "pinned",
        instance_types=("m5.large",),
        subnet_ids=("subnet-a", "subnet-b"),
        scaling=NodeGroupScaling(min=1, max=1, desired=1),
        labels={"pool": "pinned"},
    )
    got = plan(
        _platform(
            (pinned, _group("other", ("subnet-b",), 1)),
            (("n1", "pinned", A, 27), ("n2", "other", B, 20)),
            selector={"pool": "pinned"},
        ),
        Scenario(lose_az=A),
    )
    assert got.zone_loss == ZoneLoss(
        A, ("n1",), (GroupLoss("pinned", 1, 1, 0, 1, ("subnet-b",), ""),), 27, 27, 0
    )
    assert [(n.name, n.pods) for n in got.nodes] == [("n2", 20), ("pinned-replacement-1", 27)]
    # the same pods with a selector no group's nodes carry stay Pending
    got = plan(
        _platform(
            (pinned, _group("other", ("subnet-b",), 1)),
            (("n1", "pinned", A, 27), ("n2", "other", B, 20)),
            selector={"pool": "gpu"},
        ),
        Scenario(lose_az=A),
    )
    assert got.zone_loss is not None
    assert got.zone_loss.pods_pending == 27
    assert "27 rescheduled pod(s) with nodeSelector pool=gpu find no node with room left" in (
        got.assumptions
    )
