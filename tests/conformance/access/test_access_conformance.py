"""aws-auth and EKS authentication against aws-iam-authenticator's own tests
(tests/conformance/access)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from ekstwin.engines.access import authenticate, canonical_arn
from ekstwin.engines.access.eks import authenticator_arn_like, sso_arn_like
from ekstwin.engines.access.rbac import AUTHENTICATED
from ekstwin.loaders import LoadResult, load
from ekstwin.model.aws import AuthenticationMode, EksCluster
from ekstwin.model.k8s import AwsAuthEntry, AwsAuthSso
from tests.conformance.suites import Case, expected, params


def _load(data: dict[str, Any]) -> LoadResult:
    doc = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "aws-auth", "namespace": "kube-system"},
        "data": data,
    }
    text = yaml.safe_dump(doc, sort_keys=False)
    return load(["-"], stdin_text=lambda: text)


def _entry(e: AwsAuthEntry) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if e.sso is not None:
        sso: dict[str, Any] = {
            "permission_set_name": e.sso.permission_set_name,
            "account_id": e.sso.account_id,
        }
        if e.sso.partition:
            sso["partition"] = e.sso.partition
        out["sso"] = sso
    else:
        out["arn"] = e.arn
    out["username"] = e.username
    out["groups"] = list(e.groups)
    return out


@pytest.mark.parametrize("case", params("access", "aws-auth-configmap"))
def test_aws_auth_configmap(case: Case) -> None:
    r = _load(case.data["data"])
    auth = r.platform.aws_auth
    got = {
        "aws_auth": auth is not None,
        "input_error": r.input_errors,
        "map_roles": [_entry(e) for e in auth.map_roles] if auth else [],
        "map_users": [_entry(e) for e in auth.map_users] if auth else [],
        "map_accounts": list(auth.map_accounts) if auth else [],
    }
    assert got == expected(case)


@pytest.mark.parametrize("case", params("access", "canonical-arn"))
def test_canonical_arn(case: Case) -> None:
    assert canonical_arn(case.data["arn"]) == expected(case)


@pytest.mark.parametrize("case", params("access", "arn-like"))
def test_arn_like(case: Case) -> None:
    if "sso" in case.data:
        sso = AwsAuthSso(**case.data["sso"])
        pattern = sso_arn_like(sso)
        if "arn" not in case.data:
            assert pattern == expected(case)
            return
        got = authenticator_arn_like(case.data["arn"].lower(), pattern)
    else:
        got = authenticator_arn_like(case.data["arn"], case.data["pattern"])
    assert got == expected(case)


CLUSTER = EksCluster(
    "c", "eu-west-1", "arn:aws:eks:eu-west-1:123456789012:cluster/c", "1.31",
    authentication_mode=AuthenticationMode.CONFIG_MAP,
)  # fmt: skip


@pytest.mark.parametrize("case", params("access", "identity-mapping"))
def test_identity_mapping(case: Case) -> None:
    auth = _load(case.data["data"]).platform.aws_auth if case.data["data"] else None
    ident = authenticate(
        CLUSTER, auth, case.data["caller"], case.data["session"], case.data.get("private_dns")
    )
    got: dict[str, Any] = {"mapped": ident.mapped}
    if ident.mapped:
        # Kubernetes adds system:authenticated; the authenticator's answer is the rest.
        got["username"] = ident.username
        got["groups"] = [g for g in ident.groups if g != AUTHENTICATED]
    assert got == expected(case)
