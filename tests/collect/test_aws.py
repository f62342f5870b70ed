"""ekstwin collect aws against a moto server shaped like the demo platform's account."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ekstwin.analysis import analyze
from ekstwin.cli.main import main
from ekstwin.collect.aws import AwsCollectOptions, _Run, collect_aws
from ekstwin.collect.policy import IAM_ACTIONS, iam_policy, is_read_only_action
from ekstwin.loaders import load
from ekstwin.loaders.aws import build_aws, load_aws_text
from ekstwin.reporters.json_report import JsonReporter
from tests.collect.provision import IdMap, equivalent, provision, without_network

boto3 = pytest.importorskip("boto3")

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-platform"

#: Findings that differ between the collected file and the equivalent hand-written one,
#: each for a documented reason (docs/collect.md, "The moto round trip").
INTENDED = {
    # available_ip_addresses is EC2's live AvailableIpAddressCount: the demo writes 18
    # free in this subnet (one address held by an ENI it does not list), moto counts
    # the ENIs it holds and reports 19. Only the evidence line "... N free" differs.
    ("IPM004", "Subnet", "subnet-0733272349c7245be"),
}


def _session(endpoint: str, account: str) -> Any:
    """Credentials moto files under ``account`` (STS AssumeRole into that account)."""
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/ekstwin-collect", RoleSessionName="ekstwin"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="eu-west-1",
    )


@pytest.fixture(scope="module")
def demo_endpoint(module_moto_endpoint: str) -> tuple[str, IdMap]:
    """The demo's two accounts provisioned into moto once; the id map covers both."""
    demo = json.loads((DEMO / "aws.json").read_text(encoding="utf-8"))
    ids = IdMap()
    for account in demo["accounts"]:
        made = provision(
            _session(module_moto_endpoint, account["id"]), module_moto_endpoint, account
        )
        ids.ids.update(made.ids)
        ids.skipped.extend(made.skipped)
    return module_moto_endpoint, ids


def _collect_cli(endpoint: str, account: str, out: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    session = _session(endpoint, account)
    creds = session.get_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds.token)
    return main(
        ["collect", "aws", "--endpoint-url", endpoint, "--region", "eu-west-1", "-o", str(out)]
    )


def _findings(paths: list[str], root: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    report = analyze(load(paths))
    rendered = JsonReporter().render(report).replace(root, "<platform>")
    out = {}
    for data in json.loads(rendered)["findings"]:
        data.pop("location", None)
        out[(data["id"], data["subject"]["kind"], data["subject"]["name"])] = data
    return out


def test_collect_demo_account_round_trip_gives_the_hand_written_findings(
    demo_endpoint: tuple[str, IdMap], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, ids = demo_endpoint
    platform = tmp_path / "platform"
    shutil.copytree(DEMO / "k8s", platform / "k8s")
    shutil.copytree(DEMO / "keycloak", platform / "keycloak")
    for account, name in (("111122223333", "aws.json"), ("444455556666", "aws-shared.json")):
        out = tmp_path / name
        # moto implements no access-entry, Pod Identity or add-on API: those calls fail
        # and become warnings; nothing is an error.
        assert _collect_cli(endpoint, account, out, monkeypatch) == 0
        # AWS chooses ids (vpc-, subnet-, i-, key ids, digests); name them as the demo does;
        # the VPC network is left out on both sides (provision.NETWORK)
        collected_doc = json.loads(ids.to_written(out.read_text()))
        (platform / name).write_text(json.dumps(without_network(collected_doc)), encoding="utf-8")

    hand = tmp_path / "hand-written"
    shutil.copytree(DEMO / "k8s", hand / "k8s")
    shutil.copytree(DEMO / "keycloak", hand / "keycloak")
    demo = json.loads((DEMO / "aws.json").read_text(encoding="utf-8"))
    (hand / "aws.json").write_text(json.dumps(equivalent(demo), indent=1), encoding="utf-8")

    collected = _findings([str(platform)], str(platform))
    written = _findings([str(hand)], str(hand))
    differ = {k for k in collected.keys() | written.keys() if collected.get(k) != written.get(k)}
    assert differ == INTENDED
    for key in INTENDED:
        assert collected[key]["message"] == written[key]["message"]
    assert {k: v for k, v in collected.items() if k not in INTENDED} == {
        k: v for k, v in written.items() if k not in INTENDED
    }


def test_collected_file_is_valid_aws_json_with_the_collector_diagnostics(
    demo_endpoint: tuple[str, IdMap],
) -> None:
    endpoint, ids = demo_endpoint
    collection = collect_aws(
        AwsCollectOptions(regions=("eu-west-1",), endpoint_url=endpoint),
        session=_session(endpoint, "111122223333"),
    )
    # moto's hosted zone ids are not Z-prefixed as AWS's are: name them as the demo does
    doc, diags = load_aws_text(ids.to_written(json.dumps(collection.document)), "aws.json")
    assert doc is not None and diags == []
    state, diags = build_aws([doc])
    # the collector's failed reads are carried, as one warning for the four eks calls
    assert [(d.code, d.level.value, d.message.split(" (")[0]) for d in diags] == [
        ("collect-aws", "warning", "when this file was collected, 4 eks read(s) failed with 404")
    ]
    assert sorted(g.operation for g in state.collection_gaps) == [
        "ListAccessEntries",
        "ListAddons",
        "ListIdentityProviderConfigs",
        "ListPodIdentityAssociations",
    ]
    assert [(a.id, len(a.roles), len(a.ecr_repositories)) for a in state.accounts] == [
        ("111122223333", 20, 11)
    ]
    cluster = state.cluster("platform-prod")
    assert cluster is not None
    assert cluster.endpoint.open_to_internet
    assert cluster.secrets_key_arn is not None
    collector = collection.document["collector"]
    assert isinstance(collector, dict)
    assert collector["regions"] == ["eu-west-1"]
    assert sorted((d["service"], d["operation"]) for d in collector["diagnostics"]) == [
        ("eks", "ListAccessEntries"),
        ("eks", "ListAddons"),
        ("eks", "ListIdentityProviderConfigs"),
        ("eks", "ListPodIdentityAssociations"),
    ]


def _record_operations(session: Any) -> list[str]:
    calls: list[str] = []

    def before_call(model: Any, **_: Any) -> None:
        calls.append(f"{model.service_model.signing_name}:{model.name}")

    session.events.register("before-call", before_call)
    return calls


def test_collector_calls_nothing_outside_the_shipped_policy(
    demo_endpoint: tuple[str, IdMap],
) -> None:
    endpoint, _ = demo_endpoint
    session = _session(endpoint, "111122223333")
    calls = _record_operations(session)
    collect_aws(AwsCollectOptions(regions=("eu-west-1",), endpoint_url=endpoint), session=session)
    statement = iam_policy()["Statement"]
    assert isinstance(statement, list)
    allowed = set(statement[0]["Action"])
    assert set(calls) <= allowed
    # the policy is no wider than the collector: every action is used on this account
    # except those behind APIs moto lacks (no access entries, Pod Identity, add-ons or
    # identity provider configs
    # to describe), GetHostedZone, called for private zones only, and the reads behind
    # a cache cluster or a file system (the demo account has neither)
    assert allowed - set(calls) == {
        "eks:DescribeAccessEntry",
        "eks:ListAssociatedAccessPolicies",
        "eks:DescribePodIdentityAssociation",
        "eks:DescribeAddon",
        "eks:DescribeIdentityProviderConfig",
        "route53:GetHostedZone",
        "elasticache:DescribeCacheSubnetGroups",
        "elasticfilesystem:DescribeMountTargets",
        "elasticfilesystem:DescribeMountTargetSecurityGroups",
    }


def test_shipped_iam_policy_is_read_only_and_matches_docs() -> None:
    actions = [f"{s}:{a}" for s, names in IAM_ACTIONS.items() for a in names]
    assert [a for a in actions if not is_read_only_action(a)] == []
    assert not any("*" in a for a in actions)
    assert json.loads((ROOT / "docs" / "collect-iam-policy.json").read_text()) == iam_policy()
    assert is_read_only_action("ec2:DescribeVpcs")
    assert not is_read_only_action("ec2:CreateVpc")
    assert not is_read_only_action("iam:Get*")


def test_access_denied_on_one_service_is_a_diagnostic_and_the_rest_is_collected(
    demo_endpoint: tuple[str, IdMap],
) -> None:
    endpoint, _ = demo_endpoint
    session = _session(endpoint, "111122223333")

    def deny_kms(**_: Any) -> tuple[Any, dict[str, Any]]:
        return SimpleNamespace(status_code=400, headers={}), {
            "Error": {"Code": "AccessDeniedException", "Message": "not authorized"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    session.events.register("before-call.kms", deny_kms)
    collection = collect_aws(
        AwsCollectOptions(regions=("eu-west-1",), endpoint_url=endpoint, max_attempts=1),
        session=session,
    )
    account = collection.document["accounts"][0]  # type: ignore[index]
    assert account["kms"] == {"keys": []}
    assert len(account["ec2"]["instances"]) == 9
    kms = [i for i in collection.issues if i.service == "kms"]
    assert [(i.operation, i.code, i.region, i.level.value) for i in kms] == [
        ("ListAliases", "AccessDeniedException", "eu-west-1", "warning")
    ]
    assert str(kms[0].diagnostic()) == (
        "warning: kms in eu-west-1: kms:ListAliases failed: AccessDeniedException: "
        "not authorized (aws:kms) - grant the actions of docs/collect-iam-policy.json "
        "to the collecting principal"
    )


def test_clients_retry_throttling_with_standard_backoff() -> None:
    session = boto3.session.Session(region_name="eu-west-1")
    run = _Run(AwsCollectOptions(), session, None)
    retries = run.client("ec2", "eu-west-1").meta.config.retries
    assert retries == {"mode": "standard", "total_max_attempts": 10}


class _TokenClient:
    """A client without a botocore paginator for its call: pages by NextToken."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def can_paginate(self, operation: str) -> bool:
        return False

    def list_things(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        pages = {None: (["a", "b"], "t1"), "t1": (["c"], "t2"), "t2": (["d"], None)}
        items, token = pages[kwargs.get("NextToken")]
        return {"Things": items, **({"NextToken": token} if token else {})}


def test_calls_without_a_paginator_follow_the_next_token() -> None:
    run = _Run(AwsCollectOptions(), boto3.session.Session(region_name="eu-west-1"), None)
    client = _TokenClient()
    things = [t for page in run.pages(client, "list_things", Max=2) for t in page["Things"]]
    assert things == ["a", "b", "c", "d"]
    assert client.calls == [
        {"Max": 2},
        {"Max": 2, "NextToken": "t1"},
        {"Max": 2, "NextToken": "t2"},
    ]


def test_route53_escapes_are_decoded() -> None:
    from ekstwin.collect.aws import _dns_name

    assert _dns_name("\\052.apps.example.com.") == "*.apps.example.com."
    assert re.fullmatch(r"[a-z.*]+", _dns_name("\\052.example.com."))


def test_oidc_identity_provider_configs_are_collected_and_read_as_aws_json() -> None:
    """moto has no identity-provider-config API: botocore's Stubber answers instead."""
    from botocore.stub import Stubber

    from ekstwin.collect.aws import _identity_provider_configs

    session = boto3.session.Session(
        region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    run = _Run(AwsCollectOptions(), session, None)
    eks = run.client("eks", "eu-west-1")
    with Stubber(eks) as stub:
        stub.add_response(
            "list_identity_provider_configs",
            {"identityProviderConfigs": [{"type": "oidc", "name": "keycloak"}]},
            {"clusterName": "prod"},
        )
        stub.add_response(
            "describe_identity_provider_config",
            {
                "identityProviderConfig": {
                    "oidc": {
                        "identityProviderConfigName": "keycloak",
                        "clusterName": "prod",
                        "issuerUrl": "https://sso.example.com/realms/platform",
                        "clientId": "eks-kubectl",
                        "usernameClaim": "email",
                        "groupsClaim": "groups",
                        "groupsPrefix": "oidc:",
                        "requiredClaims": {"env": "prod"},
                        "status": "ACTIVE",
                    }
                }
            },
            {"clusterName": "prod", "identityProviderConfig": {"type": "oidc", "name": "keycloak"}},
        )
        configs = _identity_provider_configs(run, eks, "eu-west-1", "prod")
        stub.assert_no_pending_responses()
    assert run.issues == []
    assert configs == [
        {
            "name": "keycloak",
            "type": "oidc",
            "issuer_url": "https://sso.example.com/realms/platform",
            "client_id": "eks-kubectl",
            "username_claim": "email",
            "username_prefix": None,
            "groups_claim": "groups",
            "groups_prefix": "oidc:",
            "required_claims": {"env": "prod"},
            "status": "ACTIVE",
            "tags": {},
        }
    ]
    doc = {
        "format": "ekstwin-aws",
        "version": 1,
        "accounts": [{"id": "111122223333", "eks": {"clusters": [{
            "name": "prod", "region": "eu-west-1", "version": "1.31",
            "arn": "arn:aws:eks:eu-west-1:111122223333:cluster/prod",
            "identity_provider_configs": configs,
        }]}}],
    }  # fmt: skip
    parsed, diags = load_aws_text(json.dumps(doc), "aws.json")
    assert parsed is not None and diags == []
    state, diags = build_aws([parsed])
    assert diags == []
    cluster = state.cluster("prod")
    assert cluster is not None
    (idp,) = cluster.identity_provider_configs
    assert (idp.username_claim, idp.username_prefix, idp.required_claims) == (
        "email",
        None,
        (("env", "prod"),),
    )
