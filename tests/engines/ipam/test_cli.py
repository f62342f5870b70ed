from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.ipam.limits import load_instance_types

DEMO = str(Path(__file__).parents[3] / "examples/demo-platform")


def test_max_pods_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ipam", "max-pods", "m5.large", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "instance_type": "m5.large",
        "enis": 3,
        "ips_per_eni": 10,
        "max_pods": 29,
        "max_pods_capped": 29,
        "mode": "secondary-ip",
    }


def test_max_pods_unknown_type_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ipam", "max-pods", "m5.giant"]) == 2
    assert "unknown instance type 'm5.giant'" in capsys.readouterr().err


def test_plan_demo_says_which_subnet_runs_out_first(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ipam", "plan", DEMO, "--scale", "general=40", "-q", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["runs_out_first"] == (
        "subnet-0733272349c7245be (eu-west-1c, 198.18.48.0/26) runs out first: 18 address(es) "
        "free now, -323 after the scenario; it runs out at new node 5 of 36 in node group "
        "general (node 9 of the group)"
    )
    assert got["zones"]["eu-west-1c"] == {"usable": 59, "free_now": 18, "free_after": -323}


def test_plan_bad_scale_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ipam", "plan", DEMO, "--scale", "nope=3", "-q"]) == 2
    assert "--scale nope: no such node group" in capsys.readouterr().err


def test_refresh_instance_types_against_moto(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    moto = pytest.importorskip("moto")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    target = tmp_path / "types.json"
    with moto.mock_aws():
        code = main(["ipam", "refresh-instance-types", "--region", "eu-west-1", "-o", str(target)])
    assert code == 0
    table = load_instance_types(target)
    assert table.source == "EC2 DescribeInstanceTypes in eu-west-1"
    assert len(table) > 500  # every page, not just the first
    # EC2 says nothing of trunks: the refresh keeps the shipped trunk facts
    assert table["m5.large"] == load_instance_types()["m5.large"]
    assert table["t3.small"].trunk_compatible is False
    assert [s["facts"].split(" (")[0] for s in table.sources] == [
        "ENIs, IPv4 per ENI, network cards, hypervisor, bare metal, vCPUs",
        "trunk_compatible",
    ]
    assert capsys.readouterr().out == f"wrote {len(table)} instance types to {target}\n"


def test_plan_lose_az_json_is_the_engine_plan(capsys: pytest.CaptureFixture[str]) -> None:
    from ekstwin.engines.ipam.plan import Scenario, plan
    from ekstwin.loaders import load

    assert main(["ipam", "plan", DEMO, "--lose-az", "eu-west-1c", "-q", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got == plan(load([DEMO]).platform, Scenario(lose_az="eu-west-1c")).to_json()
    assert got["scenario"] == {"scale": {}, "pods_per_node": None, "lose_az": "eu-west-1c"}
    assert got["zone_loss"]["groups"] == [
        {
            "name": "general",
            "lost": 2,
            "replaced": 2,
            "added_for_pods": 0,
            "max_size": 8,
            "subnets_left": ["subnet-0114ae4332cafb01e", "subnet-0fbed2229f4e12f06"],
            "note": "",
        }
    ]
    assert got["zones"]["eu-west-1c"] == {"usable": 59, "free_now": 18, "free_after": 58}


def test_plan_lose_az_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ipam", "plan", DEMO, "--lose-az", "eu-west-1a", "-q"]) == 0
    out = capsys.readouterr().out
    assert (
        "losing eu-west-1a: 4 node(s) gone; 38 of 38 pod(s) rescheduled, 0 pending\n"
        "  node group batch: 1 lost, 0 replaced (max size 3); every subnet of the group is "
        "in eu-west-1a: nothing is launched\n"
        "  node group compute: 1 lost, 1 replaced (max size 4)\n"
    ) in out


def test_plan_lose_az_without_nodes_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ipam", "plan", DEMO, "--lose-az", "eu-west-1z", "-q"]) == 2
    assert capsys.readouterr().err.startswith(
        "error: --lose-az eu-west-1z: no node of the platform is in that zone "
        "(zones: eu-west-1a, eu-west-1b, eu-west-1c)"
    )
