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


def test_unexpected_shapes_are_input_errors_with_their_line(
    tmp_path: Path, ekstwin: Callable[..., Run]
) -> None:
    nodegroup = {
        "address": "aws_eks_node_group.a",
        "mode": "managed",
        "type": "aws_eks_node_group",
        "name": "a",
        "values": {
            "cluster_name": "c",
            "node_group_name": "a",
            "scaling_config": [{"min_size": "two", "max_size": 3, "desired_size": 2}],
        },
    }
    cluster = {
        "address": "aws_eks_cluster.c",
        "mode": "managed",
        "type": "aws_eks_cluster",
        "name": "c",
        "values": {"name": "c"},
    }
    after_list = {**VPC, "change": {"actions": ["create"], "after": [["x"]]}}
    (tmp_path / "a-after.json").write_text(
        json.dumps(_plan([after_list], [VPC]), indent=1), encoding="utf-8"
    )
    (tmp_path / "b-sizes.json").write_text(
        json.dumps(
            {
                "format_version": "1.2",
                "planned_values": {"root_module": {"resources": [cluster, nodegroup]}},
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    twin = tmp_path / "twin.out"
    run = ekstwin("snapshot", str(tmp_path), "-o", str(twin))
    assert run.code == 2
    assert "internal error" not in run.err
    errors = [line for line in run.err.splitlines() if "terraform show -json" in line]
    assert errors == [
        "error: not the shape of 'terraform show -json' output: /resource_changes/0: "
        f"change.after must be an object; the file was not read ({tmp_path / 'a-after.json'}:"
        "20) - give the output of 'terraform show -json PLANFILE' unchanged",
        "error: not the shape of 'terraform show -json' output: ValueError invalid literal "
        "for int() with base 10: 'two'; the file was not read "
        f"({tmp_path / 'b-sizes.json'}:1) - give the output of 'terraform show -json "
        "PLANFILE' unchanged",
    ]
    snap = json.loads(twin.read_text(encoding="utf-8"))
    assert [k["object"]["metadata"]["name"] for k in snap["kubernetes"]] == ["a"]
