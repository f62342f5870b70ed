from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.engines.ipam.limits import (
    InstanceTypeLimits,
    MaxPods,
    MaxPodsMode,
    NetworkCard,
    limits_from_ec2,
    load_instance_types,
    max_pods,
    table_json,
)
from ekstwin.errors import ConfigError

TABLE = load_instance_types()
RAW = json.loads(
    (Path(__file__).parents[3] / "src/ekstwin/data/instance_types.json").read_text("utf-8")
)["instance_types"]


def _expected(raw: dict[str, object]) -> int:
    """eni-max-pods.txt, derived independently: the default card's ENIs when there are cards."""
    cards = raw["network_cards"]
    assert isinstance(cards, list)
    enis = raw["max_enis"]
    if len(cards) > 1:
        enis = dict(map(tuple, cards))[raw["default_network_card"]]
    ips = raw["ips_per_eni"]
    assert isinstance(enis, int) and isinstance(ips, int)
    return enis * (ips - 1) + 2


def test_every_shipped_type_gives_the_published_formula() -> None:
    assert len(TABLE) > 1000
    wrong = {
        name: (max_pods(TABLE[name]).max_pods, _expected(raw))
        for name, raw in RAW.items()
        if max_pods(TABLE[name]).max_pods != _expected(raw)
    }
    assert wrong == {}


@pytest.mark.parametrize(
    ("instance_type", "published"),
    [
        # misc/eni-max-pods.txt of aws/amazon-vpc-cni-k8s v1.23.1, read by hand
        ("t3.nano", 4),
        ("t2.micro", 4),
        ("t3.small", 11),
        ("m5.large", 29),
        ("m5.4xlarge", 234),
        ("c5.24xlarge", 737),
        ("p3dn.24xlarge", 737),
        ("p5.48xlarge", 100),  # 32 network cards, 2 ENIs on the default one
        ("trn1.32xlarge", 247),  # 8 cards of 5 ENIs
        ("c6in.32xlarge", 394),
        ("a1.metal", 234),  # bare metal
        ("c5.metal", 737),
        ("m1.small", 8),
    ],
)
def test_spot_checks_against_eni_max_pods(instance_type: str, published: int) -> None:
    assert max_pods(TABLE[instance_type]).max_pods == published


def test_max_pods_json_shape() -> None:
    assert max_pods(TABLE["m5.large"]).to_json() == {
        "instance_type": "m5.large",
        "enis": 3,
        "ips_per_eni": 10,
        "max_pods": 29,
        "max_pods_capped": 29,
        "mode": "secondary-ip",
    }


def test_calculator_caps_at_110_up_to_30_vcpus_and_250_above() -> None:
    assert max_pods(TABLE["m5.4xlarge"]).max_pods_capped == 110  # 16 vCPUs
    assert max_pods(TABLE["c5.24xlarge"]).max_pods_capped == 250  # 96 vCPUs
    assert max_pods(TABLE["m5.large"], prefix_delegation=True) == MaxPods(
        "m5.large", 3, 10, 434, 110, MaxPodsMode.PREFIX_DELEGATION, MaxPodsMode.PREFIX_DELEGATION
    )


def test_custom_networking_and_security_groups_each_take_an_eni() -> None:
    custom = max_pods(TABLE["m5.large"], custom_networking=True)
    assert (custom.enis, custom.max_pods, custom.max_pods_capped) == (2, 20, 20)
    both = max_pods(TABLE["m5.large"], custom_networking=True, security_groups_for_pods=True)
    # the calculator knows nothing of the trunk ENI: its value stays at 20
    assert (both.enis, both.max_pods, both.max_pods_capped) == (1, 11, 20)
    assert both.notes == (
        "custom networking: the primary ENI takes no pod addresses",
        "security groups for pods: one ENI is the trunk; the calculator does not know it",
    )


def test_prefix_delegation_on_xen_falls_back_to_secondary_ips() -> None:
    got = max_pods(TABLE["t2.micro"], prefix_delegation=True)
    assert (got.max_pods, got.mode) == (4, MaxPodsMode.SECONDARY_IP)
    assert got.notes == (
        "prefix delegation needs a nitro or bare-metal type; t2.micro (xen hypervisor) "
        "falls back to secondary IPs",
    )


def test_bare_metal_prefix_delegation_differs_between_cni_and_calculator() -> None:
    got = max_pods(TABLE["c5.metal"], prefix_delegation=True)
    assert got == MaxPods(
        "c5.metal",
        15,
        50,
        15 * 49 * 16 + 2,
        250,
        MaxPodsMode.PREFIX_DELEGATION,
        MaxPodsMode.SECONDARY_IP,
        (
            "bare metal without the nitro hypervisor: the CNI delegates prefixes, "
            "the EKS AMI calculator counts secondary IPs",
        ),
    )


def test_max_eni_limits_the_enis() -> None:
    assert max_pods(TABLE["m5.large"], max_eni=1).max_pods == 11


def test_limits_from_ec2_reads_describe_instance_types() -> None:
    item = {
        "InstanceType": "x9.huge",
        "Hypervisor": "nitro",
        "BareMetal": False,
        "VCpuInfo": {"DefaultVCpus": 64},
        "NetworkInfo": {
            "MaximumNetworkInterfaces": 16,
            "Ipv4AddressesPerInterface": 50,
            "DefaultNetworkCardIndex": 1,
            "NetworkCards": [
                {"NetworkCardIndex": 0, "MaximumNetworkInterfaces": 4},
                {"NetworkCardIndex": 1, "MaximumNetworkInterfaces": 12},
            ],
        },
    }
    got = limits_from_ec2(item)
    assert got == InstanceTypeLimits(
        "x9.huge", 16, 50, (NetworkCard(0, 4), NetworkCard(1, 12)), 1, "nitro", False, 64
    )
    assert got is not None and got.default_card_enis == 12
    assert limits_from_ec2({"InstanceType": "x", "NetworkInfo": {}}) is None


def test_table_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(table_json([TABLE["m5.large"], TABLE["a1.metal"]], "test"), "utf-8")
    again = load_instance_types(path)
    assert dict(again.types) == {"m5.large": TABLE["m5.large"], "a1.metal": TABLE["a1.metal"]}
    assert again.source == "test"


def test_unknown_type_and_bad_table_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown instance type 'm5\.giant'"):
        TABLE["m5.giant"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}', "utf-8")
    with pytest.raises(ConfigError, match="not an ekstwin instance-type table"):
        load_instance_types(bad)
