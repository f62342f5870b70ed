"""A Terraform plan with broken parts: the rest of the plan and of the input is still read."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.robustness.conftest import Run

VPC = {
    "address": "aws_vpc.main",
    "mode": "managed",
    "type": "aws_vpc",
    "name": "main",
    "values": {"cidr_block": "198.18.0.0/16", "id": "vpc-0123456789abcdef0"},
}


def _plan(changes: object, resources: object) -> dict[str, object]:
    return {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": resources}},
        "resource_changes": changes,
    }


def test_null_resource_change_entries_are_skipped(
    tmp_path: Path, ekstwin: Callable[..., Run]
) -> None:
    change = {**VPC, "change": {"actions": ["create"], "after": VPC["values"]}}
    plan = _plan([None, change, {"address": "x", "change": None}, 5], [VPC])
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    run = ekstwin("snapshot", str(tmp_path), "-o", str(tmp_path / "twin.json"), "-q")
    assert "internal error" not in run.err
    snap = json.loads((tmp_path / "twin.json").read_text(encoding="utf-8"))
    [doc] = snap["aws"]
    assert doc["document"]["accounts"][0]["ec2"]["vpcs"] == [
        {"vpc_id": "vpc-0123456789abcdef0", "cidr_blocks": ["198.18.0.0/16"],
         "region": "us-east-1", "tags": {}}
    ]  # fmt: skip


def test_malformed_module_tree_is_skipped(tmp_path: Path, ekstwin: Callable[..., Run]) -> None:
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [None, VPC, "x"],
                "child_modules": [None, {"resources": 5}],
            }
        },
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    run = ekstwin("snapshot", str(tmp_path), "-o", str(tmp_path / "twin.json"), "-q")
    assert "internal error" not in run.err
    snap = json.loads((tmp_path / "twin.json").read_text(encoding="utf-8"))
    assert [v["vpc_id"] for v in snap["aws"][0]["document"]["accounts"][0]["ec2"]["vpcs"]] == [
        "vpc-0123456789abcdef0"
    ]


def test_a_plan_of_the_wrong_shape_is_an_input_error_not_a_crash(
    tmp_path: Path, ekstwin: Callable[..., Run]
) -> None:
    plan = {"format_version": "1.2", "planned_values": {"root_module": "not a module"}}
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    (tmp_path / "ns.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kept\n", encoding="utf-8"
    )
    run = ekstwin("analyze", str(tmp_path), "-q", "-f", "json")
    assert run.code == 2, run.err
    assert run.err == (
        f"error: not the shape of 'terraform show -json' output: /planned_values/root_module: "
        f"must be an object; the file was not read ({tmp_path / 'plan.json'}:1) - give the "
        "output of 'terraform show -json PLANFILE' unchanged\n"
    )
    assert json.loads(run.out)["summary"]["platform"]["namespaces"] == ["kept"]
