from __future__ import annotations

from pathlib import Path

import pytest

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.ipam.checks.kubelet_max_pods_above_eni_capacity import (
    KubeletMaxPodsAboveEniCapacity,
)
from ekstwin.engines.ipam.checks.prefix_delegation_unsupported_type import (
    PrefixDelegationUnsupportedType,
)
from ekstwin.engines.ipam.checks.subnet_runs_out_at_planned_scale import (
    SubnetRunsOutAtPlannedScale,
)
from ekstwin.engines.ipam.checks.warm_pool_holds_small_subnet import WarmPoolHoldsSmallSubnet
from ekstwin.loaders import load

FIXTURES = Path(__file__).parents[2] / "fixtures" / "checks"
CHECKS: dict[str, type[Check]] = {
    "IPM001": SubnetRunsOutAtPlannedScale,
    "IPM002": KubeletMaxPodsAboveEniCapacity,
    "IPM003": PrefixDelegationUnsupportedType,
    "IPM004": WarmPoolHoldsSmallSubnet,
}


def _run(check_id: str, fixture: str) -> list[tuple[str, str, str, tuple[str, ...], str]]:
    result = load([str(FIXTURES / check_id / fixture)])
    assert not result.input_errors, result.diagnostics
    findings = CHECKS[check_id]().run(result.platform, CheckContext())
    return [
        (f.check_id, str(f.subject), f.message, f.evidence, f.source.file if f.source else "")
        for f in findings
    ]


def test_every_check_has_a_fail_and_a_pass_fixture() -> None:
    for check_id in CHECKS:
        names = sorted(p.name.split("_")[0] for p in (FIXTURES / check_id).iterdir())
        assert "fail" in names and "pass" in names, check_id


@pytest.mark.parametrize(
    "fixture",
    sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("IPM*/pass_*")),
)
def test_pass_fixtures_have_no_findings(fixture: str) -> None:
    check_id, name = fixture.split("/")
    assert _run(check_id, name) == []


def _aws(check_id: str, fixture: str) -> str:
    return str(FIXTURES / check_id / fixture / "aws.json")


def test_ipm001_subnet_runs_out_at_max_size() -> None:
    fixture = "fail_small_subnet_at_max_size"
    assert _run("IPM001", fixture) == [
        (
            "IPM001",
            "Subnet/subnet-0a1",
            "subnet subnet-0a1 (198.18.48.0/26) runs out of addresses with the node groups at "
            "their maximum size (general=4): 1 address(es) short",
            (
                "subnet subnet-0a1 (198.18.48.0/26, eu-west-1a): 59 usable addresses",
                "now: 1 node(s), 0 pod address(es), 14 warm, 1 ENI primaries, 0 other, 44 free",
                "at maximum size: 4 node(s), 0 pod address(es), 56 warm, 4 ENI primaries, 1 short",
                "runs out at new node 3 of 3 in node group general (node 4 of the group)",
            ),
            _aws("IPM001", fixture),
        )
    ]


def test_ipm002_custom_networking_with_default_max_pods() -> None:
    fixture = "fail_custom_networking_default_max_pods"
    assert _run("IPM002", fixture) == [
        (
            "IPM002",
            "NodeGroup/prod/general",
            "node group general: kubelet maxPods 29 is above the 20 pods a m5.large node can "
            "address (secondary-ip)",
            (
                "m5.large: 2 ENI(s) for pods x (10 - 1) address slots + 2 = 20",
                "custom networking: the primary ENI takes no pod addresses",
                "kubelet_max_pods = 29",
            ),
            _aws("IPM002", fixture),
        )
    ]


def test_ipm003_prefix_delegation_on_xen() -> None:
    fixture = "fail_xen_node_group_with_prefix_delegation"
    assert _run("IPM003", fixture) == [
        (
            "IPM003",
            "NodeGroup/prod/legacy",
            "node group legacy: prefix delegation is on but m4.large is not nitro or bare metal "
            "(ipamd falls back to secondary IPs)",
            (
                "prod: ENABLE_PREFIX_DELEGATION=true",
                "m4.large: hypervisor xen, bare metal false",
            ),
            _aws("IPM003", fixture),
        )
    ]


def test_ipm004_warm_eni_target_in_small_subnet() -> None:
    fixture = "fail_warm_eni_target_in_small_subnet"
    assert _run("IPM004", fixture) == [
        (
            "IPM004",
            "Subnet/subnet-0a1",
            "subnet subnet-0a1 (198.18.48.0/26): 18 of 59 usable addresses (31%) are held warm "
            "by 2 node(s) without a pod",
            (
                "0 pod address(es), 18 warm, 2 ENI primaries, 39 free",
                "VPC CNI settings: WARM_ENI_TARGET=1",
            ),
            _aws("IPM004", fixture),
        )
    ]
