"""The demo platform: one pod of each chain gets the right `iam pod` answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from ekstwin.engines.iam import IamAnalyzer, PodAccess, who_can
from ekstwin.loaders import load
from ekstwin.model.platform import Platform

DEMO = Path(__file__).parents[3] / "examples" / "demo-platform"
pytestmark = pytest.mark.skipif(not DEMO.is_dir(), reason="demo platform not present")
NODE = "arn:aws:iam::111122223333:role/platform-prod-node"


@pytest.fixture(scope="module")
def platform() -> Platform:
    return load([str(DEMO)]).platform


def _access(platform: Platform, namespace: str, workload: str) -> PodAccess:
    pod = next(
        p
        for p in sorted(platform.pods, key=lambda p: p.key)
        if p.namespace == namespace and p.workload is not None and p.workload.name == workload
    )
    return IamAnalyzer(platform).pod_access(pod)


def _summary(access: PodAccess) -> list[tuple[str, str, bool, str | None]]:
    return [(g.via.value, g.role_arn, g.obtained, g.failure) for g in access.roles]


def test_working_irsa(platform: Platform) -> None:
    access = _access(platform, "payments", "payments-api")
    assert access.default_credentials is not None
    assert access.default_credentials.value == "irsa"
    assert _summary(access) == [
        ("irsa", "arn:aws:iam::111122223333:role/payments-api", True, None),
        ("node-role", NODE, True, None),
    ]


def test_broken_trust_names_the_namespace(platform: Platform) -> None:
    access = _access(platform, "payments", "ledger-writer")
    assert _summary(access)[0] == (
        "irsa",
        "arn:aws:iam::111122223333:role/payments-ledger",
        False,
        "the trust policy of arn:aws:iam::111122223333:role/payments-ledger refuses the token: "
        "namespace: it admits system:serviceaccount:payment:ledger-writer, the pod's token is "
        "system:serviceaccount:payments:ledger-writer",
    )


def test_node_role_fallback(platform: Platform) -> None:
    access = _access(platform, "shop-api", "cart-api")
    assert access.default_credentials is not None
    assert access.default_credentials.value == "node-role"
    assert _summary(access) == [("node-role", NODE, True, None)]


def test_imds_v2_hop_limit_one_blocks_system_pool_pods(platform: Platform) -> None:
    access = _access(platform, "argocd", "argocd-server")
    assert access.default_credentials is None
    assert _summary(access) == [
        ("node-role", NODE, False, "no node the pod may run on lets it reach instance metadata")
    ]
    assert all("hop limit 1" in s.detail for s in access.roles[0].steps)


def test_pod_identity_wins(platform: Platform) -> None:
    access = _access(platform, "kube-system", "ebs-csi-controller")
    assert access.default_credentials is not None
    assert access.default_credentials.value == "pod-identity"
    assert _summary(access)[0] == (
        "pod-identity",
        "arn:aws:iam::111122223333:role/platform-prod-ebs-csi",
        True,
        None,
    )


def test_cross_account_pull_that_fails(platform: Platform) -> None:
    access = _access(platform, "payments", "fraud-scorer")
    failed = [p for p in access.pulls if p.ok is False]
    assert [(p.repository_arn, p.node_role_arn, p.reason) for p in failed] == [
        (
            "arn:aws:ecr:eu-west-1:444455556666:repository/ml/fraud-scorer",
            NODE,
            "ImagePullBackOff: cross-account repository in 444455556666; ecr:BatchGetImage denied "
            "(cross-account request: the resource-based policy of account 444455556666 does not "
            "allow the principal); ecr:GetDownloadUrlForLayer denied (cross-account request: the "
            "resource-based policy of account 444455556666 does not allow the principal)",
        )
    ]


def test_cross_account_pull_allowed_by_role_arn(platform: Platform) -> None:
    access = _access(platform, "shop-frontend", "storefront")
    assert [
        (p.ok, p.reason)
        for p in access.pulls
        if p.repository_arn and "444455556666" in p.repository_arn
    ] == [(True, "the kubelet can pull (cross-account repository in 444455556666)")]


def test_who_can_write_the_invoices_bucket(platform: Platform) -> None:
    result = who_can(platform, "s3:PutObject", "arn:aws:s3:::example-orders-invoices/2026/1.pdf")
    # only the node role writes there: every pod that reaches IMDS can, system-pool pods cannot
    assert {(e.via.value, e.role_arn) for e in result.entries} == {("node-role", NODE)}
    pods = {e.pod.split("/")[0] for e in result.entries}
    assert "argocd" not in pods
    assert "shop-api" in pods


def _with_rcps(tmp_path: Path, account: str, rcps: list[list[dict[str, object]]]) -> Platform:
    import json
    import shutil

    target = tmp_path / "demo"
    shutil.copytree(DEMO, target)
    aws = json.loads((target / "aws.json").read_text(encoding="utf-8"))
    for a in aws["accounts"]:
        if a["id"] == account:
            a["organization"]["rcps"] = rcps
    (target / "aws.json").write_text(json.dumps(aws), encoding="utf-8")
    result = load([str(target)])
    assert [d for d in result.diagnostics if d.level.value == "error"] == []
    return result.platform


RCP_WEB_IDENTITY: dict[str, object] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "OnlyThisClustersIssuer",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Resource": "*",
            "Condition": {
                "StringNotLike": {
                    "aws:FederatedProvider": "arn:aws:iam::*:oidc-provider/oidc.eks.eu-west-2.*"
                }
            },
        }
    ],
}


def test_an_rcp_of_the_roles_account_refuses_the_irsa_token(tmp_path: Path) -> None:
    """RCPs govern sts on the role's account: a Deny on web identities from other
    issuers than eu-west-2's EKS refuses the demo's eu-west-1 cluster tokens."""
    platform = _with_rcps(tmp_path, "111122223333", [[RCP_WEB_IDENTITY], []])
    access = _access(platform, "payments", "payments-api")
    via, role, obtained, failure = _summary(access)[0]
    assert (via, role, obtained) == ("irsa", "arn:aws:iam::111122223333:role/payments-api", False)
    assert failure is not None and failure.startswith("the organization's RCPs refuse the token")
    assert "OnlyThisClustersIssuer" in failure
    # an RCP only on another account's levels changes nothing here
    other = _with_rcps(tmp_path / "o", "444455556666", [[RCP_WEB_IDENTITY]])
    assert _summary(_access(other, "payments", "payments-api"))[0][2] is True


BROKER = "arn:aws:iam::111122223333:role/cart-broker"
TARGET = "arn:aws:iam::444455556666:role/cart-data"


def _with_target_role(
    tmp_path: Path, trust_condition: dict[str, object], broker_may: bool
) -> Platform:
    """The demo plus a Pod Identity association for shop-api/cart-api whose role
    hands over to a target role in the shared account."""
    import json
    import shutil

    target = tmp_path / "demo"
    shutil.copytree(DEMO, target)
    aws = json.loads((target / "aws.json").read_text(encoding="utf-8"))
    prod, shared = aws["accounts"][0], aws["accounts"][1]
    cluster = prod["eks"]["clusters"][0]
    cluster["pod_identity_associations"].append(
        {"namespace": "shop-api", "service_account": "cart-api", "role_arn": BROKER,
         "target_role_arn": TARGET, "external_id": "3f1e2d4c-aaaa"}
    )  # fmt: skip
    version = "2012-10-17"
    prod["iam"]["roles"].append(
        {"name": "cart-broker", "arn": BROKER, "path": "/",
         "trust_policy": {"Version": version, "Statement": [{
             "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
             "Action": ["sts:AssumeRole", "sts:TagSession"]}]},
         "inline_policies": {"chain": {"Version": version, "Statement": [{
             "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
             "Resource": TARGET if broker_may else "arn:aws:iam::444455556666:role/other"}]}}}
    )  # fmt: skip
    shared["iam"] = {"roles": [
        {"name": "cart-data", "arn": TARGET, "path": "/",
         "trust_policy": {"Version": version, "Statement": [{
             "Effect": "Allow", "Principal": {"AWS": BROKER},
             "Action": ["sts:AssumeRole", "sts:TagSession"], "Condition": trust_condition}]},
         "inline_policies": {"read": {"Version": version, "Statement": [{
             "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::cart-data/*"}]}}}
    ]}  # fmt: skip
    (target / "aws.json").write_text(json.dumps(aws), encoding="utf-8")
    result = load([str(target)])
    assert [d for d in result.diagnostics if d.level.value == "error"] == []
    return result.platform


EXTERNAL_ID: dict[str, object] = {"StringEquals": {"sts:ExternalId": "3f1e2d4c-aaaa"}}


def test_pod_identity_target_role_gives_the_pod_the_target_roles_credentials(
    tmp_path: Path,
) -> None:
    access = _access(_with_target_role(tmp_path, EXTERNAL_ID, True), "shop-api", "cart-api")
    grant = access.roles[0]
    assert (grant.via.value, grant.role_arn, grant.obtained) == ("pod-identity", TARGET, True)
    assert [p.actions for p in grant.permissions] == [("s3:GetObject",)]
    assert grant.steps[-1].step == "target-role"
    assert "external id 3f1e2d4c-aaaa" in grant.steps[-1].detail


@pytest.mark.parametrize(
    ("condition", "broker_may", "why"),
    [
        (
            {"StringEquals": {"sts:ExternalId": "another-association"}},
            True,
            "cross-account request: the trust policy of account 444455556666 does not allow",
        ),
        (EXTERNAL_ID, False, "no identity-based policy allows it"),
    ],
)
def test_pod_identity_target_role_refused(
    tmp_path: Path, condition: dict[str, object], broker_may: bool, why: str
) -> None:
    access = _access(_with_target_role(tmp_path, condition, broker_may), "shop-api", "cart-api")
    grant = access.roles[0]
    assert (grant.role_arn, grant.obtained) == (BROKER, False)
    assert grant.failure is not None
    assert grant.failure.startswith(f"{BROKER} may not sts:AssumeRole the target role {TARGET}")
    assert why in grant.failure


POD_WITH_ENV = """\
apiVersion: v1
kind: Pod
metadata:
  name: env-probe
  namespace: payments
  annotations:
    eks.amazonaws.com/skip-containers: "skipped,unused"
spec:
  serviceAccountName: payments-api
  containers:
  - name: app
    image: 111122223333.dkr.ecr.eu-west-1.amazonaws.com/payments/api:1.0.0
  - name: legacy
    image: 111122223333.dkr.ecr.eu-west-1.amazonaws.com/payments/api:1.0.0
    env:
    - name: AWS_ACCESS_KEY_ID
      value: AKIAEXAMPLEEXAMPLE12
    - name: AWS_SECRET_ACCESS_KEY
      valueFrom: {secretKeyRef: {name: legacy-keys, key: secret}}
  - name: other-role
    image: 111122223333.dkr.ecr.eu-west-1.amazonaws.com/payments/api:1.0.0
    env:
    - name: AWS_ROLE_ARN
      value: arn:aws:iam::111122223333:role/payments-ledger
    - name: AWS_WEB_IDENTITY_TOKEN_FILE
      value: /var/run/secrets/eks.amazonaws.com/serviceaccount/token
  - name: half
    image: 111122223333.dkr.ecr.eu-west-1.amazonaws.com/payments/api:1.0.0
    env:
    - name: AWS_ROLE_ARN
      value: arn:aws:iam::111122223333:role/payments-api
  - name: skipped
    image: 111122223333.dkr.ecr.eu-west-1.amazonaws.com/payments/api:1.0.0
"""


def test_each_container_gets_what_its_sdk_chain_picks_after_the_webhook(tmp_path: Path) -> None:
    import json
    import shutil

    target = tmp_path / "demo"
    shutil.copytree(DEMO, target)
    (target / "k8s" / "payments" / "env-probe.yaml").write_text(POD_WITH_ENV, encoding="utf-8")
    platform = load([str(target)]).platform
    pod = next(p for p in platform.pods if p.name == "env-probe")
    access = IamAnalyzer(platform).pod_access(pod)
    got = {c.container: (c.source, c.role_arn, c.obtained) for c in access.containers}
    irsa = "arn:aws:iam::111122223333:role/payments-api"
    assert got == {
        "app": ("web-identity", irsa, True),
        "legacy": ("static-keys", None, None),
        "other-role": ("web-identity", "arn:aws:iam::111122223333:role/payments-ledger", False),
        "half": ("imds", NODE, True),
        "skipped": ("imds", NODE, True),
    }
    notes = "\n".join(access.notes)
    assert "container legacy: sets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in notes
    assert "container half: sets only AWS_ROLE_ARN, so the webhook adds neither" in notes
    assert "container skipped: the webhook skips it (eks.amazonaws.com/skip-containers)" in notes
    assert "container app" not in notes  # what the pod's default says
    # a credential value in the manifest is never kept, nor written out
    assert "AKIAEXAMPLEEXAMPLE12" not in json.dumps(access.to_json())
    legacy = next(c for c in pod.spec.containers if c.name == "legacy")
    assert legacy.env == (("AWS_ACCESS_KEY_ID", None), ("AWS_SECRET_ACCESS_KEY", None))


def test_who_can_decrypt_with_a_key_judges_the_key_policy(platform: Platform) -> None:
    key = "arn:aws:kms:eu-west-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"
    result = who_can(platform, "kms:Decrypt", key)
    assert [(e.pod, e.role_arn, e.decision.reason) for e in result.entries] == [
        (
            pod,
            "arn:aws:iam::111122223333:role/platform-prod-ebs-csi",
            "allowed by an identity-based policy (the resource-based policy names the account)",
        )
        for pod in (
            "kube-system/ebs-csi-controller-7scxhjnxgd-2n7kv",
            "kube-system/ebs-csi-controller-7scxhjnxgd-ktpq4",
        )
    ]


def test_who_can_use_a_key_without_its_key_policy_lists_nobody(platform: Platform) -> None:
    key = "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000"
    assert who_can(platform, "kms:Decrypt", key).entries == ()
