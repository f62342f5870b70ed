"""The cluster engine's endpoint paths, and ``ekstwin cluster endpoint``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.cluster.endpoint import cidrs_contain, cluster_endpoints, endpoint_report
from ekstwin.loaders import load

DEMO = Path(__file__).resolve().parents[3] / "examples" / "demo-platform"


def demo_with_endpoint(tmp_path: Path, endpoint: dict[str, object]) -> Path:
    """A copy of the demo platform whose cluster has this endpoint configuration."""
    copy = tmp_path / "demo"
    shutil.copytree(DEMO, copy)
    aws_file = copy / "aws.json"
    doc = json.loads(aws_file.read_text(encoding="utf-8"))
    doc["accounts"][0]["eks"]["clusters"][0]["endpoint"] = endpoint
    aws_file.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return copy


def test_cidrs_contain_checks_every_block_and_rejects_non_addresses() -> None:
    assert cidrs_contain(("203.0.113.64/26", "203.0.113.10/32"), "203.0.113.10") is True
    assert cidrs_contain(("203.0.113.64/26",), "203.0.113.10") is False
    assert cidrs_contain(("::/0",), "203.0.113.10") is False
    assert cidrs_contain(("0.0.0.0/0",), "not-an-ip") is None


def test_demo_nodes_use_the_private_endpoint() -> None:
    (endpoint,) = cluster_endpoints(load([str(DEMO)]).platform)
    assert [p.to_json() for p in endpoint.paths] == [
        {
            "kind": "internet",
            "endpoint": "public",
            "sources": ["0.0.0.0/0"],
            "description": "the public endpoint accepts connections from 0.0.0.0/0",
        },
        {
            "kind": "vpc",
            "endpoint": "private",
            "sources": ["198.18.0.0/16"],
            "description": "the private endpoint answers inside VPC vpc-0f1e2d3c4b5a69788 (and "
            "networks routed into it), subject to the cluster security group",
        },
    ]
    assert {(r.subnet_id, r.via.value, r.allowed) for r in endpoint.node_routes} == {
        ("subnet-0114ae4332cafb01e", "private-endpoint", True),
        ("subnet-04ac22710202d47d8", "private-endpoint", True),
        ("subnet-0733272349c7245be", "private-endpoint", True),
        ("subnet-0fbed2229f4e12f06", "private-endpoint", True),
    }


def test_demo_changed_to_the_node_join_trap_is_found(tmp_path: Path) -> None:
    # The office range only, and no private endpoint: the private node subnets
    # leave through NAT gateways 203.0.113.10-.12, outside the allowed /26; the
    # batch subnet routes to the internet gateway from its node's public IP
    # 203.0.113.200, outside it too.
    platform_dir = demo_with_endpoint(
        tmp_path,
        {
            "public_access": True,
            "private_access": False,
            "public_access_cidrs": ["203.0.113.64/26"],
        },
    )
    report = endpoint_report(load([str(platform_dir)]).platform)
    (endpoint,) = report.clusters
    routes = [
        (r.subnet_id, r.availability_zone, r.via.value, r.gateway_id, r.source_addresses, r.allowed)
        for r in endpoint.node_routes
    ]
    assert routes == [
        ("subnet-0114ae4332cafb01e", "eu-west-1a", "nat-gateway", "nat-00c97d2454f287f66",
         ("203.0.113.10",), False),
        ("subnet-04ac22710202d47d8", "eu-west-1a", "internet-gateway", "igw-0fe010647d32ab9a6",
         ("203.0.113.200",), False),
        ("subnet-0733272349c7245be", "eu-west-1c", "nat-gateway", "nat-0f5b09c41cc8fca53",
         ("203.0.113.12",), False),
        ("subnet-0fbed2229f4e12f06", "eu-west-1b", "nat-gateway", "nat-0f00167c6efbfa76e",
         ("203.0.113.11",), False),
    ]  # fmt: skip
    trap = [f for f in report.findings if f.check_id == "EKS003"]
    assert [(f.key, f.fix) for f in trap] == [
        (
            "subnet-0114ae4332cafb01e",
            "enable the private endpoint, or add 203.0.113.10/32 to publicAccessCidrs",
        ),
        (
            "subnet-04ac22710202d47d8",
            "enable the private endpoint, or add 203.0.113.200/32 to publicAccessCidrs",
        ),
        (
            "subnet-0733272349c7245be",
            "enable the private endpoint, or add 203.0.113.12/32 to publicAccessCidrs",
        ),
        (
            "subnet-0fbed2229f4e12f06",
            "enable the private endpoint, or add 203.0.113.11/32 to publicAccessCidrs",
        ),
    ]
    assert trap[0].message == (
        "cluster platform-prod: nodes in subnet subnet-0114ae4332cafb01e (eu-west-1a) reach the "
        "public endpoint through NAT gateway nat-00c97d2454f287f66 from 203.0.113.10, which "
        "publicAccessCidrs does not admit; with the private endpoint off they cannot join the "
        "cluster"
    )


def test_cli_endpoint_exits_1_and_names_the_blocked_subnets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    platform_dir = demo_with_endpoint(
        tmp_path,
        {
            "public_access": True,
            "private_access": False,
            "public_access_cidrs": ["203.0.113.64/26"],
        },
    )
    assert main(["cluster", "endpoint", str(platform_dir), "-q", "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    blocked = [r["subnet_id"] for r in out["clusters"][0]["node_routes"] if r["allowed"] is False]
    assert blocked == [
        "subnet-0114ae4332cafb01e",
        "subnet-04ac22710202d47d8",
        "subnet-0733272349c7245be",
        "subnet-0fbed2229f4e12f06",
    ]
    assert sorted({f["id"] for f in out["findings"]}) == ["EKS002", "EKS003"]


def test_cli_endpoint_table_on_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "endpoint", str(DEMO), "-q"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:4] == [
        "cluster platform-prod (eu-west-1, "
        "arn:aws:eks:eu-west-1:111122223333:cluster/platform-prod)",
        "  public endpoint:  on, from 0.0.0.0/0",
        "  private endpoint: on, in vpc-0f1e2d3c4b5a69788",
        "  paths to the API:",
    ]
    assert (
        "  EKS001 high     cluster platform-prod: the public API endpoint accepts connections "
        "from 0.0.0.0/0"
    ) in out
