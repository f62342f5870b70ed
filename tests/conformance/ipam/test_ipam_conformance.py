"""The ipam engine against the VPC CNI's own tables (tests/conformance/ipam)."""

from __future__ import annotations

import pytest

from ekstwin.engines.ipam.limits import InstanceTypeLimits, load_instance_types, max_pods
from ekstwin.engines.ipam.warm import warm_pool
from ekstwin.model.aws import VpcCniSettings
from tests.conformance.suites import Case, expected, params

TABLE = load_instance_types()


@pytest.mark.parametrize("case", params("ipam", "eni-max-pods"))
def test_eni_max_pods(case: Case) -> None:
    name = case.data["instance_type"]
    limits = TABLE.get(name)
    assert limits is not None, f"{name} of the CNI's eni-max-pods.txt is not in the table"
    assert max_pods(limits).max_pods == case.data["max_pods"]


@pytest.mark.parametrize("case", params("ipam", "security-groups-for-pods"))
def test_security_groups_for_pods(case: Case) -> None:
    if "reserves_trunk" in case.data:
        # a type missing from the table stands for one the resource controller lacks
        limits = TABLE.get(case.data["instance_type"]) or InstanceTypeLimits(
            case.data["instance_type"], 3, 10
        )
        assert limits.reserves_trunk is case.data["reserves_trunk"]
        return
    got = max_pods(TABLE[case.data["instance_type"]], security_groups_for_pods=True)
    assert (got.trunk, got.max_pods) == (case.data["trunk"], case.data["max_pods"])
    assert got.max_pods_capped is None or got.max_pods_capped <= got.max_pods


@pytest.mark.parametrize("case", params("ipam", "warm-pool"))
def test_warm_pool(case: Case) -> None:
    env = {k: str(v) for k, v in case.data["env"].items()}
    pool = warm_pool(
        TABLE[case.data["instance_type"]], VpcCniSettings.from_env(env), case.data["pods"]
    )
    want = expected(case)
    got = {
        "enis": pool.enis,
        "ips": pool.ips,
        "prefixes": pool.prefixes,
        "unused_ips": pool.unused_ips,
        "slots_per_eni": list(pool.slots_per_eni),
    }
    assert pool.pods_placed == case.data["pods"]
    assert {k: got[k] for k in want} == want
    if case.data.get("disagrees"):
        assert {k: got[k] for k in case.data["expect"]} != case.data["expect"]
