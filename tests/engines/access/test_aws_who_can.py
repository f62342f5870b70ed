"""People in `iam who-can`: SSO roles a person can assume, evaluated as role sessions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.access import AccessAnalyzer
from ekstwin.loaders import load

DEMO = str(Path(__file__).resolve().parents[3] / "examples" / "demo-platform")
ACTION = "s3:GetObject"
RESOURCE = "arn:aws:s3:::platform-prod-artifacts/build.tar"


def test_people_who_can_come_through_assumable_sso_roles_only() -> None:
    grants = AccessAnalyzer(load([DEMO]).platform).aws_who_can(ACTION, RESOURCE)
    assert [(g.login, g.keycloak_user, g.client_id, g.role_arn) for g in grants] == [
        ("alice-okafor", "alice", "urn:amazon:webservices",
         "arn:aws:iam::111122223333:role/platform-admin"),
        ("ghopkins-contractor", "grace", "urn:amazon:webservices",
         "arn:aws:iam::111122223333:role/platform-readonly"),
    ]  # fmt: skip
    assert all(g.decision.allowed for g in grants)
    # erin's role trusts another SAML provider and frank is disabled: neither appears.
    assert {g.keycloak_user for g in grants}.isdisjoint({"erin", "frank"})


def test_iam_who_can_json_lists_pods_and_people(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["iam", "who-can", DEMO, ACTION, RESOURCE, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["action"], doc["resource"]) == (ACTION, RESOURCE)
    assert [p["github_login"] for p in doc["people"]] == ["alice-okafor", "ghopkins-contractor"]
    assert doc["people"][0]["chain"][0] == "GitHub login alice-okafor -> Keycloak user alice"
