"""``ekstwin access``: the three commands on the demo platform, JSON and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main

DEMO = str(Path(__file__).resolve().parents[3] / "examples" / "demo-platform")


def test_access_user_json_names_clients_roles_and_kubernetes_identity(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["access", "user", DEMO, "carol-n", "--format", "json", "-q"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [c["client_id"] for c in out["clients"]] == [
        "urn:amazon:webservices",
        "argocd",
        "grafana",
        "eks-kubectl",
    ]
    assert [(r["role_arn"], r["assumable"]) for r in out["aws_roles"]] == [
        ("arn:aws:iam::111122223333:role/team-payments-developer", True)
    ]
    # through the SAML role, and through kubectl's OIDC sign-in, which loses the
    # groups (demo mistake 33: the groups mapper is not added to the ID token)
    assert [(k["sign_in"], k["username"], k["groups"]) for k in out["kubernetes"]] == [
        ("saml-role", "payments:carol", ["payments-developers", "system:authenticated"]),
        ("oidc", "oidc:carol@example.com", ["system:authenticated"]),
    ]
    assert any("groups claim 'groups' is not in the ID token" in n for n in out["notes"])


def test_access_who_can_exec_lists_the_websocket_get_holders(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        ["access", "who-can", DEMO, "create", "pods", "--subresource", "exec", "-n", "payments",
         "--format", "json", "-q"]
    )  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verbs_checked"] == ["create", "get"]
    assert ("person", "ghopkins-contractor") in [(s["kind"], s["name"]) for s in out["subjects"]]


def test_access_sa_text_and_bad_argument(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "sa", DEMO, "monitoring/kube-state-metrics", "-q"]) == 0
    assert "can list-secrets [cluster]" in capsys.readouterr().out
    assert main(["access", "sa", DEMO, "kube-state-metrics", "-q"]) == 2
    assert "must be written NS/NAME" in capsys.readouterr().err
