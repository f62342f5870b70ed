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
    # the calculator knows nothing of the trunk ENI (20), but a kubelet told 20 would
    # leave 9 pods without an address: the capped figure stays at the CNI's 11
    assert (both.enis, both.max_pods, both.max_pods_capped) == (1, 11, 11)
    assert both.notes == (
        "custom networking: the primary ENI takes no pod addresses",
        "security groups for pods: one ENI is the trunk; the calculator does not know it",
    )


def test_security_groups_for_pods_reserve_a_trunk_only_where_one_can_attach() -> None:
    # t3.small is not trunk compatible (the resource controller's IsTrunkingCompatible)
    t3 = max_pods(TABLE["t3.small"], security_groups_for_pods=True)
    assert (t3.enis, t3.max_pods, t3.max_pods_capped, t3.trunk) == (3, 11, 11, False)
    assert t3.notes == (
        "security groups for pods: t3.small is not trunk compatible; ipamd keeps no ENI for "
        "a trunk and pods that ask for security groups cannot run here",
    )
    # nor are Xen types, whatever their size
    assert max_pods(TABLE["m4.16xlarge"], security_groups_for_pods=True).max_pods == 234
    # bare metal without a nitro hypervisor is trunk compatible
    metal = max_pods(TABLE["m5.metal"], security_groups_for_pods=True)
    assert (metal.enis, metal.max_pods, metal.max_pods_capped, metal.trunk) == (14, 688, 250, True)


def test_a_type_the_resource_controller_does_not_list_keeps_a_trunk_eni() -> None:
    # ipamd's IsTrunkingCompatible answers true for a type missing from the limits
    assert TABLE["c7i.32xlarge"].trunk_compatible is None
    got = max_pods(TABLE["c7i.32xlarge"], security_groups_for_pods=True)
    assert (got.enis, got.max_pods, got.trunk) == (14, 688, True)
    assert got.notes[1] == (
        "c7i.32xlarge is not in the VPC resource controller's limits: ipamd keeps an ENI for "
        "a trunk, the controller may never attach one"
    )


def test_unknown_vcpus_leave_the_cap_unknown_only_when_it_could_matter() -> None:
    got = max_pods(TABLE["bmn-sf1.metal"])
    assert (got.max_pods, got.max_pods_capped) == (737, None)
    assert got.notes == (
        "the vCPUs of bmn-sf1.metal are not in the instance-type table: the calculator's "
        "110/250 cap cannot be judged",
    )
    assert max_pods(TABLE["bmn-sf1.metal"], max_eni=2).max_pods_capped == 100


@pytest.mark.parametrize("prefix", [False, True])
@pytest.mark.parametrize("custom", [False, True])
@pytest.mark.parametrize("sgp", [False, True])
def test_capped_never_above_max_pods(prefix: bool, custom: bool, sgp: bool) -> None:
    over = {}
    for lim in TABLE:
        got = max_pods(
            lim, prefix_delegation=prefix, custom_networking=custom, security_groups_for_pods=sgp
        )
        if got.max_pods_capped is not None and got.max_pods_capped > got.max_pods:
            over[lim.instance_type] = (got.max_pods, got.max_pods_capped)
    assert over == {}


def test_the_table_records_its_sources_and_covers_the_cni_list() -> None:
    assert [s["from"].split(" ")[0] for s in TABLE.sources] == [
        "aws/amazon-vpc-cni-k8s@6152e01c83bb8f04fdc8690e99134ebe1445db29",
        "aws/amazon-vpc-resource-controller-k8s@58c8559e6486e4c04453a5a5239ce1df0da10b30",
        "moto",
    ]
    assert all(s["date"] for s in TABLE.sources)
    # the families the previous table lacked
    for name in ("c9g.large", "m9g.large", "m8idb.large", "r8idn.large", "g7e.2xlarge"):
        assert name in TABLE.types, name


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
