"""The demo platform: each GitHub user's answer, and an exec -> pod -> IAM role chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from ekstwin.engines.access import AccessAnalyzer, ResourceRequest
from ekstwin.loaders import load

DEMO = Path(__file__).resolve().parents[3] / "examples" / "demo-platform"
A = "arn:aws:iam::111122223333:role"


@pytest.fixture(scope="module")
def analyzer() -> AccessAnalyzer:
    return AccessAnalyzer(load([str(DEMO)]).platform)


def summary(analyzer: AccessAnalyzer, login: str) -> dict[str, object]:
    u = analyzer.user(login)
    return {
        "roles": [(r.role_arn, r.result.ok) for r in u.aws_roles],
        "kube": {
            arn: (k.username, k.groups, sorted({(c.ability, c.scope) for c in k.capabilities}))
            for arn, k in u.kubernetes
        },
        "notes": len(u.notes),
    }


def test_alice_is_cluster_admin_through_the_access_policy_not_aws_auth(
    analyzer: AccessAnalyzer,
) -> None:
    s = summary(analyzer, "alice-okafor")
    user, groups, caps = s["kube"][f"{A}/platform-admin"]  # type: ignore[index]
    assert (user, groups) == (
        "arn:aws:sts::111122223333:assumed-role/platform-admin/alice",
        ("system:authenticated",),
    )
    assert ("cluster-admin", "cluster") in caps


def test_bob_edits_dev_and_admins_shop_namespaces(analyzer: AccessAnalyzer) -> None:
    _, groups, caps = summary(analyzer, "boblindqvist")["kube"][f"{A}/team-shop-developer"]  # type: ignore[index]
    assert groups == ("shop-developers", "system:authenticated")
    assert caps == [
        ("create-pods", "dev"), ("create-pods", "shop-api"), ("create-pods", "shop-frontend"),
        ("create-serviceaccount-tokens", "dev"), ("exec-pods", "dev"),
        ("impersonate-serviceaccounts", "dev"), ("list-secrets", "dev"), ("read-secrets", "dev"),
    ]  # fmt: skip


def test_carol_loses_oncall_because_the_access_entry_wins(analyzer: AccessAnalyzer) -> None:
    _, groups, caps = summary(analyzer, "carol-n")["kube"][f"{A}/team-payments-developer"]  # type: ignore[index]
    assert groups == ("payments-developers", "system:authenticated")
    assert caps == [("create-pods", "payments")]
    who = analyzer.who_can(ResourceRequest("create", "pods", "exec", namespace="payments"))
    assert "carol-n" not in [e.name for e in who.entries]
    assert ("group", "payments-oncall") in [(e.kind, e.name) for e in who.entries]


def test_dave_gets_the_aws_role_but_no_kubernetes_identity_because_of_the_path(
    analyzer: AccessAnalyzer,
) -> None:
    u = analyzer.user("dmoreau-dev")
    assert [(r.role_arn, r.result.ok) for r in u.aws_roles] == [
        (f"{A}/sso/team-orders-developer", True)
    ]
    # no identity through the role; kubectl's OIDC sign-in still works (without groups)
    assert [label for label, _ in u.kubernetes] == [
        "OIDC client eks-kubectl -> identity provider config keycloak"
    ]
    assert (
        "the authenticator looks up arn:aws:iam::111122223333:role/team-orders-developer"
        in u.notes[0]
    )


def test_erin_cannot_assume_the_role_that_trusts_okta(analyzer: AccessAnalyzer) -> None:
    u = analyzer.user("erin-costa-data")
    assert [(r.role_arn, r.result.ok) for r in u.aws_roles] == [(f"{A}/team-data-analyst", False)]
    assert (
        "refuses sts:AssumeRoleWithSAML from arn:aws:iam::111122223333:saml-provider/keycloak"
        in u.notes[0]
    )


def test_frank_is_disabled_and_signs_in_to_nothing(analyzer: AccessAnalyzer) -> None:
    u = analyzer.user("fweber")
    assert (u.enabled, u.clients, u.aws_roles, u.kubernetes) == (False, (), (), ())


def test_grace_reads_secrets_and_execs_everywhere_through_admin_view(
    analyzer: AccessAnalyzer,
) -> None:
    s = summary(analyzer, "ghopkins-contractor")
    assert s["roles"] == [(f"{A}/platform-readonly", True), (f"{A}/team-shop-developer", True)]
    _, _, caps = s["kube"][f"{A}/platform-readonly"]  # type: ignore[index]
    assert caps == [
        ("exec-pods", "cluster"),
        ("list-secrets", "cluster"),
        ("read-secrets", "cluster"),
    ]
    clients = [c.client_id for c in analyzer.user("ghopkins-contractor").clients]
    assert clients == ["urn:amazon:webservices", "argocd", "grafana", "eks-kubectl"]


def test_person_exec_pod_irsa_role_chain_is_found_and_explained(analyzer: AccessAnalyzer) -> None:
    u = analyzer.user("ghopkins-contractor")
    access = dict(u.kubernetes)[f"{A}/platform-readonly"]
    chain = next(p for p in access.pod_roles if p.role_arn == f"{A}/payments-api")
    assert chain.pod.startswith("payments/payments-api-")
    assert chain.via == "irsa"
    assert chain.exec_reasons[0].via == "EKS access policy AmazonEKSAdminViewPolicy (cluster)"
    assert "(get: WebSocket" not in chain.exec_reasons[0].rule  # the raw rule; the verb is get
    assert chain.chain[-1] == "trust: Allow: allowed by the trust policy"
    assert chain.actions == ("kms:Decrypt", "kms:DescribeKey", "secretsmanager:GetSecretValue")
