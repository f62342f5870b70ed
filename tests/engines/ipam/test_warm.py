"""The warm pool model: ipamd's grow rules, one at a time. The worked tables of
the VPC CNI documentation are a conformance suite (tests/conformance/ipam)."""

from __future__ import annotations

from ekstwin.engines.ipam.limits import load_instance_types
from ekstwin.engines.ipam.warm import GrowthLimit, WarmPool, warm_pool
from ekstwin.model.aws import VpcCniSettings

TABLE = load_instance_types()


def _settings(**env: str) -> VpcCniSettings:
    return VpcCniSettings.from_env(env)


PD = {"ENABLE_PREFIX_DELEGATION": "true"}


def test_ip_targets_override_warm_eni_target() -> None:
    both = _settings(WARM_ENI_TARGET="2", WARM_IP_TARGET="1", MINIMUM_IP_TARGET="1")
    assert warm_pool(TABLE["t3.small"], both, 0).ips == 1


def test_ip_targets_override_warm_prefix_target() -> None:
    both = _settings(**PD, WARM_PREFIX_TARGET="3", WARM_IP_TARGET="1")
    assert warm_pool(TABLE["t3.small"], both, 0).prefixes == 1


def test_minimum_ip_target_alone_freezes_the_pool() -> None:
    got = warm_pool(TABLE["m5.large"], _settings(MINIMUM_IP_TARGET="4"), 6)
    assert got == WarmPool(
        pods=6,
        pods_placed=4,
        prefix_delegation=False,
        enis=1,
        slots_per_eni=(4,),
        ips=4,
        unused_ips=0,
        node_subnet_addresses=5,
        pod_subnet_addresses=0,
        growth_limit=GrowthLimit.MINIMUM_IP_TARGET,
        first_failed_pod=5,
    )


def test_growth_stops_at_kubelet_max_pods() -> None:
    # m5.large, W=1: 9/18/27 IPs for 0/1/10 pods; a kubelet capped at 12 stops at 18
    settings = _settings()
    assert [warm_pool(TABLE["m5.large"], settings, n).ips for n in (0, 1, 10)] == [9, 18, 27]
    capped = warm_pool(TABLE["m5.large"], settings, 10, kubelet_max_pods=12)
    assert (capped.ips, capped.growth_limit) == (18, GrowthLimit.MAX_PODS)


def test_primary_eni_addresses_come_out_of_the_subnet() -> None:
    got = warm_pool(TABLE["m5.large"], _settings(), 10)
    assert (got.enis, got.ips, got.subnet_addresses) == (3, 27, 30)


def test_custom_networking_splits_subnets_and_stops_at_two_enis() -> None:
    # aws/amazon-vpc-cni-k8s#331: max pods left at 29 but only 18 pod addresses exist
    settings = _settings(AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG="true")
    got = warm_pool(TABLE["m5.large"], settings, 27, kubelet_max_pods=29)
    assert got == WarmPool(
        pods=27,
        pods_placed=18,
        prefix_delegation=False,
        enis=3,
        slots_per_eni=(9, 9),
        ips=18,
        unused_ips=0,
        node_subnet_addresses=1,
        pod_subnet_addresses=20,
        growth_limit=GrowthLimit.ENIS,
        first_failed_pod=19,
    )


def test_security_groups_for_pods_keep_an_eni_for_the_trunk() -> None:
    got = warm_pool(TABLE["m5.large"], _settings(ENABLE_POD_ENI="true"), 27)
    assert (got.enis, got.slots_per_eni, got.pods_placed, got.node_subnet_addresses) == (
        3,
        (9, 9),
        18,
        21,
    )


def test_trunk_only_on_trunk_compatible_types() -> None:
    # t3.small is not trunk compatible: ipamd keeps no ENI back, all three carry pods
    t3 = warm_pool(TABLE["t3.small"], _settings(ENABLE_POD_ENI="true", WARM_ENI_TARGET="0"), 9)
    assert (t3.enis, t3.slots_per_eni, t3.pods_placed) == (3, (3, 3, 3), 9)
    # m5.metal is bare metal without a nitro hypervisor but trunk compatible: 14 ENIs carry pods
    metal = warm_pool(TABLE["m5.metal"], _settings(ENABLE_POD_ENI="true"), 14 * 49 + 1)
    assert (metal.enis, len(metal.slots_per_eni), metal.pods_placed) == (15, 14, 14 * 49)
    assert metal.growth_limit is GrowthLimit.ENIS


def test_warm_eni_target_zero_grows_only_when_empty() -> None:
    got = warm_pool(TABLE["t3.small"], _settings(WARM_ENI_TARGET="0"), 3)
    assert got.slots_per_eni == (3, 3)


def test_prefix_delegation_on_xen_uses_secondary_ips() -> None:
    got = warm_pool(TABLE["m4.large"], _settings(**PD), 1)
    assert (got.prefix_delegation, got.prefixes, got.ips) == (False, 0, 18)
