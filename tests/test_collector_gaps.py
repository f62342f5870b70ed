"""analyze on an aws.json whose collection failed in part: the collector's diagnostics
are carried into the report, and the run exits 2 when a check that ran reads a
service the collection could not fully read."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ekstwin.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo-platform"


def _gap(service: str, operation: str, code: str, resource: str | None = None) -> dict[str, object]:
    return {
        "level": "warning",
        "code": code,
        "service": service,
        "operation": operation,
        "region": "eu-west-1" if service != "iam" else None,
        "resource": resource,
        "message": f"{code} for the test",
    }


@pytest.fixture
def platform_with_gaps(tmp_path: Path) -> Callable[[list[dict[str, object]]], str]:
    def make(gaps: list[dict[str, object]]) -> str:
        root = tmp_path / "platform"
        shutil.copytree(DEMO, root)
        doc = json.loads((root / "aws.json").read_text(encoding="utf-8"))
        doc["collector"] = {"regions": ["eu-west-1"], "diagnostics": gaps}
        (root / "aws.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
        return str(root)

    return make


GAPS = [
    _gap("iam", "GetRole", "AccessDenied", "role-a"),
    _gap("iam", "GetRole", "AccessDenied", "role-b"),
    _gap("iam", "GetRolePolicy", "AccessDenied", "role-c/p"),
    _gap("iam", "GetRolePolicy", "AccessDenied", "role-d/p"),
    _gap("ecr", "GetRepositoryPolicy", "Throttling", "shop/api"),
]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_collector_diagnostics_reach_the_report_and_exit_2(
    platform_with_gaps: Callable[[list[dict[str, object]]], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report = _run(["analyze", "--format", "json", platform_with_gaps(GAPS)], capsys)
    assert code == 2
    diags = report["diagnostics"]
    assert isinstance(diags, list)
    carried = [(d["level"], d["message"]) for d in diags if d["code"] == "collect-aws"]
    assert carried == [
        (
            "warning",
            "when this file was collected, 4 iam read(s) failed with AccessDenied "
            "(iam:GetRole for role-a; iam:GetRole for role-b; iam:GetRolePolicy for role-c/p "
            "and 1 more): AccessDenied for the test; what they would have read is unknown, "
            "and checks that need it are judged on partial data",
        ),
        (
            "warning",
            "when this file was collected, 1 ecr read(s) failed with Throttling "
            "(ecr:GetRepositoryPolicy in eu-west-1 for shop/api): Throttling for the test; "
            "what they would have read is unknown, and checks that need it are judged on "
            "partial data",
        ),
    ]
    incomplete = [d["message"] for d in diags if d["code"] == "collect-incomplete"]
    assert [m.split(":", 1)[1].split(" read(s)")[0] for m in incomplete] == [
        " 1 ecr",
        " 4 iam",
    ]
    assert all(d["level"] == "error" for d in diags if d["code"] == "collect-incomplete")
    # the collector's entries point at their line in aws.json
    sources = {d["location"]["line"] for d in diags if d["code"] == "collect-aws"}
    assert None not in sources and len(sources) == 2


def test_only_the_services_the_chosen_checks_read_decide_the_exit_code(
    platform_with_gaps: Callable[[list[dict[str, object]]], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = platform_with_gaps([_gap("route53", "ListResourceRecordSets", "AccessDenied")])
    code, report = _run(["analyze", "--format", "json", "--check", "ECR001", path], capsys)
    assert code == 0
    diags = report["diagnostics"]
    assert isinstance(diags, list)
    assert [d["code"] for d in diags if d["code"].startswith("collect")] == ["collect-aws"]
    code, report = _run(["analyze", "--format", "json", "--check", "DNS001", path], capsys)
    assert code == 2


def test_a_complete_collection_changes_nothing(
    platform_with_gaps: Callable[[list[dict[str, object]]], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report = _run(["analyze", "--format", "json", platform_with_gaps([])], capsys)
    diags = report["diagnostics"]
    assert isinstance(diags, list)
    assert [d for d in diags if str(d["code"]).startswith("collect")] == []
    assert code in (0, 1)


def test_a_gap_in_a_service_of_the_vpc_layer_makes_its_checks_incomplete(
    platform_with_gaps: Callable[[list[dict[str, object]]], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The VPC checks read what collect aws files under ec2, eks, rds, elasticache
    and elasticfilesystem: a database whose groups could not be read leaves them on
    partial data."""
    path = platform_with_gaps([_gap("rds", "DescribeDBInstances", "AccessDenied")])
    code, report = _run(["analyze", "--format", "json", "--check", "VPC004", path], capsys)
    diags = report["diagnostics"]
    assert isinstance(diags, list)
    incomplete = [d["message"] for d in diags if d["code"] == "collect-incomplete"]
    assert (code, [m.split(":", 1)[1].split(" read(s)")[0] for m in incomplete]) == (
        2,
        [" 1 rds"],
    )
    code, _ = _run(["analyze", "--format", "json", "--check", "ECR001", path], capsys)
    assert code == 0
