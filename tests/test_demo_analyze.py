"""`ekstwin analyze` on the bundled demo platform: the quick start's first command."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from ekstwin.cli.main import main

DEMO = str(Path(__file__).resolve().parents[1] / "examples" / "demo-platform")


def test_demo_sarif_validates_against_the_official_schema(
    tmp_path: Path, sarif_schema: dict[str, object]
) -> None:
    out = tmp_path / "demo.sarif"
    assert main(["analyze", DEMO, "--format", "sarif", "--output", str(out), "--quiet"]) == 0
    log = json.loads(out.read_text())
    jsonschema.validate(log, sarif_schema)
    results = log["runs"][0]["results"]
    assert results, "the demo carries deliberate mistakes: SARIF must list them"
    for result in results:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1


def test_demo_shows_the_documented_foundation_mistakes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", DEMO, "--format", "json", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    found = {(f["id"], f["subject"]["kind"], f["subject"]["name"]) for f in report["findings"]}
    ids = {f[0] for f in found}
    assert {"ECR001", "ECR002", "SEC001", "EKS001", "EKS002"} <= ids
    assert "KMS001" not in ids  # the demo's cluster envelope-encrypts Secrets with its own key
    assert report["diagnostics"] == []


def test_demo_fail_on_high_exits_1() -> None:
    assert main(["analyze", DEMO, "--quiet", "--fail-on", "high", "--format", "json",
                 "--output", "/dev/null"]) == 1  # fmt: skip


def test_demo_shows_the_control_plane_cut_off_from_the_controller_webhook(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Mistake 34: the node group's security group does not admit 9443 from the
    cluster security group, so both of the controller's webhooks time out."""
    assert main(["analyze", DEMO, "--format", "json", "--quiet", "--check", "VPC001"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [
        (f["subject"]["kind"], f["subject"]["name"], f["severity"], f["message"])
        for f in report["findings"]
    ] == [
        (
            kind,
            "aws-load-balancer-webhook",
            "high",
            f"the control plane cannot reach any of the 2 pods behind webhook {hook} on TCP "
            "9443 (security-group-ingress): every request it matches is refused when the call "
            "times out",
        )
        for kind, hook in (
            ("MutatingWebhookConfiguration", "mpod.elbv2.k8s.aws"),
            ("ValidatingWebhookConfiguration", "vingress.elbv2.k8s.aws"),
        )
    ]


def test_demo_shows_payments_api_cut_off_from_its_ledger_database(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Mistake 35: the policy lets payments-api out to the RDS ledger; its pod
    security group is not admitted by the database's group."""
    assert main(["analyze", DEMO, "--format", "json", "--quiet", "--check", "VPC004"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(f["subject"]["name"], f["message"]) for f in report["findings"]] == [
        (
            "payments-api",
            "payments/payments-api may connect to rds:payments-ledger on TCP 5432 by its network "
            "policies, but AWS drops it at security-group-ingress",
        )
    ]


def test_demo_vpc_mistakes_found_by_the_vpc_checks(capsys: pytest.CaptureFixture[str]) -> None:
    """Mistake 36 (the batch ACL without the return range: the batch node's
    connections to the internet through the internet gateway, from its public
    address, lose their replies) is VPC005's; mistake 37 (SSH open to the world on
    the node group) is VPC008's. The other vpc checks of this file find nothing on
    the demo: its
    nodes admit each other (VPC003), no policy rule allows egress that a route
    cannot carry (VPC006), and no workload's own policy rule names the RDS
    database (VPC009)."""
    checks = ["VPC003", "VPC005", "VPC006", "VPC008", "VPC009"]
    args = ["analyze", DEMO, "--format", "json", "--quiet"]
    for check in checks:
        args += ["--check", check]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    got = [
        (f["id"], f["subject"]["kind"], f["subject"]["name"], f["location"]["line"])
        for f in report["findings"]
    ]
    assert got == [
        ("VPC005", "NetworkAcl", "acl-07a8b9c0d1e2f3a4b", 1864),
        ("VPC008", "SecurityGroup", "sg-0bdf096162eaec73f", 1697),
    ]
    acl, ssh = report["findings"]
    assert acl["message"] == (
        "network ACL acl-07a8b9c0d1e2f3a4b (inbound, subnet subnet-04ac22710202d47d8) drops the "
        "replies of 6 kind(s) of flow the cluster makes: nacl-return decides (reply into "
        "subnet-04ac22710202d47d8: acl-07a8b9c0d1e2f3a4b inbound: no rule allows tcp "
        "32768-60999 from internet (the final * rule denies)) (" + DEMO + "/aws.json:1864)"
    )
    assert ssh["message"] == (
        "security group sg-0bdf096162eaec73f (platform-prod-node) of the cluster's nodes or "
        "pods admits tcp 22 from 0.0.0.0/0: sg-0bdf096162eaec73f ingress rule 7 (tcp 22 from "
        '0.0.0.0/0 "SSH for debugging (temporary)") at ' + DEMO + "/aws.json:1697"
    )
    assert ssh["evidence"][0] == (
        'sg-0bdf096162eaec73f ingress rule 7 (tcp 22 from 0.0.0.0/0 "SSH for debugging '
        '(temporary)"): admits tcp 22 from 0.0.0.0/0 (' + DEMO + "/aws.json:1697)"
    )
