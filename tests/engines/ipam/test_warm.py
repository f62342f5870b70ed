"""The warm pool model against the worked tables of the VPC CNI documentation
(aws/amazon-vpc-cni-k8s docs/eni-and-ip-target.md and docs/prefix-and-ip-target.md)."""

from __future__ import annotations

import pytest

from ekstwin.engines.ipam.limits import load_instance_types
from ekstwin.engines.ipam.warm import GrowthLimit, WarmPool, warm_pool
from ekstwin.model.aws import VpcCniSettings

TABLE = load_instance_types()


def _settings(**env: str) -> VpcCniSettings:
    return VpcCniSettings.from_env(env)


# instance, env, pods -> attached ENIs, secondary IPs per ENI, unused IPs
ENI_AND_IP_TARGET = [
    ("t3.small", {"WARM_ENI_TARGET": "1"}, 0, 1, (3,), 3),
    ("t3.small", {"WARM_ENI_TARGET": "1"}, 5, 3, (3, 3, 3), 4),
    ("t3.small", {"WARM_ENI_TARGET": "1"}, 9, 3, (3, 3, 3), 0),
    ("t3.small", {"WARM_IP_TARGET": "1", "MINIMUM_IP_TARGET": "1"}, 0, 1, (1,), 1),
    ("t3.small", {"WARM_IP_TARGET": "1", "MINIMUM_IP_TARGET": "1"}, 5, 2, (3, 3), 1),
    ("t3.small", {"WARM_IP_TARGET": "1", "MINIMUM_IP_TARGET": "1"}, 9, 3, (3, 3, 3), 0),
    # the doc lists "2,3": the primary ENI is filled first, so it holds the 3
    ("t3.small", {"WARM_IP_TARGET": "2", "MINIMUM_IP_TARGET": "5"}, 0, 2, (3, 2), 5),
    ("t3.small", {"WARM_IP_TARGET": "2", "MINIMUM_IP_TARGET": "5"}, 5, 3, (3, 3, 1), 2),
    ("t3.small", {"WARM_IP_TARGET": "2", "MINIMUM_IP_TARGET": "5"}, 9, 3, (3, 3, 3), 0),
    ("p3dn.24xlarge", {"WARM_ENI_TARGET": "1"}, 0, 1, (49,), 49),
    ("p3dn.24xlarge", {"WARM_ENI_TARGET": "1"}, 3, 2, (49, 49), 95),
    ("p3dn.24xlarge", {"WARM_ENI_TARGET": "1"}, 95, 3, (49, 49, 49), 52),
    ("p3dn.24xlarge", {"WARM_IP_TARGET": "5", "MINIMUM_IP_TARGET": "10"}, 0, 1, (10,), 10),
    ("p3dn.24xlarge", {"WARM_IP_TARGET": "5", "MINIMUM_IP_TARGET": "10"}, 7, 1, (12,), 5),
    ("p3dn.24xlarge", {"WARM_IP_TARGET": "5", "MINIMUM_IP_TARGET": "10"}, 15, 1, (20,), 5),
    ("p3dn.24xlarge", {"WARM_IP_TARGET": "5", "MINIMUM_IP_TARGET": "10"}, 45, 2, (49, 1), 5),
]


@pytest.mark.parametrize(("itype", "env", "pods", "enis", "per_eni", "unused"), ENI_AND_IP_TARGET)
def test_eni_and_ip_target_table(
    itype: str, env: dict[str, str], pods: int, enis: int, per_eni: tuple[int, ...], unused: int
) -> None:
    got = warm_pool(TABLE[itype], _settings(**env), pods)
    assert (got.enis, got.slots_per_eni, got.unused_ips, got.pods_placed) == (
        enis,
        per_eni,
        unused,
        pods,
    )


PD = {"ENABLE_PREFIX_DELEGATION": "true"}
# instance, env, pods -> attached prefixes, unused IPs, prefixes per ENI
PREFIX_AND_IP_TARGET = [
    ("t3.small", {"WARM_PREFIX_TARGET": "1"}, 0, 1, 16, (1,)),
    ("t3.small", {"WARM_PREFIX_TARGET": "1"}, 5, 2, 27, (2,)),
    ("t3.small", {"WARM_PREFIX_TARGET": "1"}, 16, 2, 16, (2,)),
    ("t3.small", {"WARM_PREFIX_TARGET": "1"}, 17, 3, 31, (3,)),
    ("t3.small", {"WARM_PREFIX_TARGET": "1"}, 58, 5, 22, (3, 2)),
    ("t3.small", {"WARM_IP_TARGET": "1", "MINIMUM_IP_TARGET": "1"}, 0, 1, 16, (1,)),
    ("t3.small", {"WARM_IP_TARGET": "1", "MINIMUM_IP_TARGET": "1"}, 5, 1, 11, (1,)),
    ("t3.small", {"WARM_IP_TARGET": "1", "MINIMUM_IP_TARGET": "1"}, 17, 2, 15, (2,)),
    ("t3.small", {"WARM_IP_TARGET": "1", "MINIMUM_IP_TARGET": "1"}, 58, 4, 6, (3, 1)),
    # the doc's 0-pod row says 1 prefix / 16 unused but "2" prefixes per ENI; ipamd asks
    # for ceil(20 / 16) = 2 prefixes, which the doc's own note (MINIMUM_IP_TARGET > N*16
    # acts as (N+1)*16) agrees with
    ("t3.small", {"WARM_IP_TARGET": "7", "MINIMUM_IP_TARGET": "20"}, 0, 2, 32, (2,)),
    ("t3.small", {"WARM_IP_TARGET": "7", "MINIMUM_IP_TARGET": "20"}, 5, 2, 27, (2,)),
    ("t3.small", {"WARM_IP_TARGET": "7", "MINIMUM_IP_TARGET": "20"}, 17, 2, 15, (2,)),
    ("t3.small", {"WARM_IP_TARGET": "7", "MINIMUM_IP_TARGET": "20"}, 58, 5, 22, (3, 2)),
    # p3dn rows: the doc shows extra empty ENIs; ipamd keeps filling the first ENI
    # (49 prefix slots), so the prefix counts match and one ENI is attached
    ("p3dn.24xlarge", {"WARM_PREFIX_TARGET": "1"}, 0, 1, 16, (1,)),
    ("p3dn.24xlarge", {"WARM_PREFIX_TARGET": "1"}, 3, 2, 29, (2,)),
    ("p3dn.24xlarge", {"WARM_PREFIX_TARGET": "1"}, 95, 7, 17, (7,)),
    ("p3dn.24xlarge", {"WARM_IP_TARGET": "5", "MINIMUM_IP_TARGET": "10"}, 0, 1, 16, (1,)),
    ("p3dn.24xlarge", {"WARM_IP_TARGET": "5", "MINIMUM_IP_TARGET": "10"}, 7, 1, 9, (1,)),
    ("p3dn.24xlarge", {"WARM_IP_TARGET": "5", "MINIMUM_IP_TARGET": "10"}, 15, 2, 17, (2,)),
    ("p3dn.24xlarge", {"WARM_IP_TARGET": "5", "MINIMUM_IP_TARGET": "10"}, 45, 4, 19, (4,)),
]


@pytest.mark.parametrize(
    ("itype", "env", "pods", "prefixes", "unused", "per_eni"), PREFIX_AND_IP_TARGET
)
def test_prefix_and_ip_target_table(
    itype: str, env: dict[str, str], pods: int, prefixes: int, unused: int, per_eni: tuple[int, ...]
) -> None:
    got = warm_pool(TABLE[itype], _settings(**PD, **env), pods)
    assert (got.prefixes, got.unused_ips, got.slots_per_eni) == (prefixes, unused, per_eni)


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


def test_warm_eni_target_zero_grows_only_when_empty() -> None:
    got = warm_pool(TABLE["t3.small"], _settings(WARM_ENI_TARGET="0"), 3)
    assert got.slots_per_eni == (3, 3)


def test_prefix_delegation_on_xen_uses_secondary_ips() -> None:
    got = warm_pool(TABLE["m4.large"], _settings(**PD), 1)
    assert (got.prefix_delegation, got.prefixes, got.ips) == (False, 0, 18)
