"""Values are dropped by default when read: what a snapshot and every output keep.

Each case writes a marker value where a platform's files hold secrets and checks
that the marker reaches neither the model, the raw inputs a snapshot stores, nor
the snapshot written by the command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.analysis import analyze
from ekstwin.cli.main import main
from ekstwin.engines.checks import CheckContext, discover_checks
from ekstwin.engines.dns.config import external_dns_configs
from ekstwin.loaders import load
from ekstwin.loaders.inputs import REDACTED, sanitize
from ekstwin.loaders.kubernetes import is_secret_document

MARK = "MARKER-c0ffee-1137"


def _secret_yaml(api_version: str) -> str:
    return (
        f"apiVersion: {api_version}\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\n"
        f"stringData:\n  password: {MARK}\n"
    )


def _everything_written(tmp_path: Path, paths: list[str]) -> str:
    """The model, the raw inputs and the snapshot file of ``paths``, as one text."""
    result = load(paths)
    out = tmp_path / "twin.json"
    assert main(["snapshot", *paths, "-o", str(out), "--quiet"]) in (0, 2)
    return repr(result.platform) + repr(result.raw) + out.read_text(encoding="utf-8")


@pytest.mark.parametrize("api_version", ["v1", "V1", "null", "1", '" v1"', "apps/v1", "''"])
def test_a_secret_is_one_for_the_model_and_for_redaction_whatever_its_api_version(
    tmp_path: Path, api_version: str
) -> None:
    f = tmp_path / "secret.yaml"
    f.write_text(_secret_yaml(api_version), encoding="utf-8")
    text = _everything_written(tmp_path, [str(f)])
    assert MARK not in text
    result = load([str(f)])
    assert [
        (s.meta.ref.kind, s.meta.name, s.keys, s.had_values) for s in result.platform.secrets
    ] == [("Secret", "db", ("password",), True)]
    (check,) = [c for c in discover_checks() if c.id == "SEC001"]
    report = analyze(result, ctx=CheckContext(), checks=[check])
    assert [(f.check_id, str(f.subject)) for f in report.findings] == [("SEC001", "Secret/shop/db")]


@pytest.mark.parametrize("kind", ["Secret", "secret", " Secret "])
def test_is_secret_document_reads_the_kind_as_the_model_does(kind: str) -> None:
    assert is_secret_document({"kind": kind, "apiVersion": None})
    assert not is_secret_document({"kind": "SecretProviderClass", "apiVersion": "v1"})
    assert not is_secret_document({"kind": 1, "apiVersion": "v1"})


WORKLOADS = f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: api, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          command: [/bin/api, --db-pass={MARK}-1, --stripe-key, {MARK}-2, "postgres://u:{MARK}-3@db"]
          args: [-c, "export X={MARK}-4"]
          env:
            - {{name: DB_PASS, value: {MARK}-5}}
            - {{name: STRIPE_KEY, value: {MARK}-6}}
            - {{name: DATABASE_URL, value: "postgres://u:{MARK}-7@db/shop"}}
            - {{name: SENTRY_DSN, value: "https://{MARK}-8@sentry.example.com/1"}}
            - {{name: AWS_REGION, value: eu-west-1}}
            - {{name: AWS_ROLE_ARN, value: "arn:aws:iam::111122223333:role/api"}}
          lifecycle:
            postStart:
              exec: {{command: [sh, -c, "curl -H 'Authorization: {MARK}-9' http://x"]}}
          livenessProbe:
            exec: {{command: [check, --token, {MARK}-10]}}
---
apiVersion: v1
kind: PodTemplate
metadata: {{name: batch, namespace: shop}}
template:
  metadata: {{labels: {{app: batch}}}}
  spec:
    containers:
      - name: batch
        image: registry.example.com/batch:1.0.0
        env:
          - {{name: TOKEN_FOR_X, value: {MARK}-11}}
---
apiVersion: example.com/v1
kind: Workflow
metadata: {{name: wf, namespace: shop}}
spec:
  templates:
    - name: step
      container:
        image: registry.example.com/step:1.0.0
        args: [--password, {MARK}-12]
        env: [{{name: PLAIN, value: {MARK}-13}}]
"""

KUBECONFIG = f"""\
apiVersion: v1
kind: Config
clusters:
  - name: prod
    cluster: {{server: "https://203.0.113.10"}}
users:
  - name: admin
    user:
      token: {MARK}-14
      client-key-data: {MARK}-15
      password: {MARK}-16
  - name: sso
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: aws
        args: [eks, get-token, --cluster-name, prod]
        env: [{{name: AWS_SECRET_ACCESS_KEY, value: {MARK}-17}}]
contexts:
  - name: prod
    context: {{cluster: prod, user: admin}}
"""

#: A Keycloak users export that is not a realm (no realm part besides the users).
KEYCLOAK_USERS = {
    "realm": "platform",
    "users_export": [
        {"username": "alice", "credentials": [{"type": "password", "secretData": MARK + "-18"}]}
    ],
}


def test_values_not_needed_for_analysis_are_dropped_by_default(tmp_path: Path) -> None:
    (tmp_path / "workloads.yaml").write_text(WORKLOADS, encoding="utf-8")
    (tmp_path / "kubeconfig.yaml").write_text(KUBECONFIG, encoding="utf-8")
    (tmp_path / "users.json").write_text(json.dumps(KEYCLOAK_USERS), encoding="utf-8")
    text = _everything_written(tmp_path, [str(tmp_path)])
    assert MARK not in text
    # What the model reads stays: the AWS settings, the env names, the literal-ness.
    result = load([str(tmp_path)])
    (api,) = [w for w in result.platform.workloads if w.meta.name == "api"]
    (container,) = api.spec.containers
    assert container.env == (
        ("DB_PASS", None),
        ("STRIPE_KEY", None),
        ("DATABASE_URL", None),
        ("SENTRY_DSN", None),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/api"),
    )
    assert container.env_literal == {n for n, _ in container.env}
    assert container.command == (
        REDACTED,
        f"--db-pass={REDACTED}",
        "--stripe-key",
        REDACTED,
        REDACTED,
    )
    assert container.args == ("-c", REDACTED)


def test_kubeconfig_keeps_names_and_drops_credentials() -> None:
    import yaml

    doc = sanitize(yaml.safe_load(KUBECONFIG))
    assert isinstance(doc, dict)
    assert doc["users"] == [
        {
            "name": "admin",
            "user": {"token": REDACTED, "client-key-data": REDACTED, "password": REDACTED},
        },
        {
            "name": "sso",
            "user": {
                "exec": {
                    "apiVersion": REDACTED,
                    "command": REDACTED,
                    "args": [REDACTED] * 4,
                    "env": [{"name": REDACTED, "value": REDACTED}],
                }
            },
        },
    ]
    assert doc["clusters"] == [{"name": "prod", "cluster": {"server": "https://203.0.113.10"}}]


def test_a_document_that_is_not_a_kubernetes_object_keeps_its_shape_only() -> None:
    assert sanitize({"realm": "x", "users": [{"n": 1, "ok": True, "s": MARK}]}) == {
        "realm": REDACTED,
        "users": [{"n": 0, "ok": True, "s": REDACTED}],
    }
    assert sanitize([MARK, 3]) == [REDACTED, 0]
    assert sanitize({"kind": "Secret", "stringData": {"k": MARK}}) == {
        "kind": "Secret",
        "stringData": {"k": REDACTED},
    }


def test_sanitizing_twice_changes_nothing() -> None:
    import yaml

    for doc in yaml.safe_load_all(WORKLOADS + "---\n" + KUBECONFIG):
        once = sanitize(doc)
        assert sanitize(once) == once


EXTERNAL_DNS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: external-dns, namespace: kube-system}
spec:
  selector: {matchLabels: {app: external-dns}}
  template:
    metadata: {labels: {app: external-dns}}
    spec:
      containers:
        - name: external-dns
          image: registry.k8s.io/external-dns/external-dns:v0.14.0
          args:
            - --source=ingress
            - --source
            - service
            - --provider=aws
            - --policy
            - upsert-only
            - --txt-owner-id=platform
            - --txt-prefix
            - edns-
            - --domain-filter=example.com
            - --exclude-domains=internal.example.com
            - --aws-zone-type=public
            - --aws-prefer-cname
            - --registry=txt
            - --annotation-filter=team=shop
"""


def test_the_flags_the_dns_engine_reads_keep_their_values(tmp_path: Path) -> None:
    (tmp_path / "edns.yaml").write_text(EXTERNAL_DNS, encoding="utf-8")
    result = load([str(tmp_path)])
    (config,) = external_dns_configs(result.platform)
    assert (
        config.owner_id,
        config.policy.value,
        config.domain_filters,
        config.exclude_domains,
        config.txt_prefix,
        config.txt_suffix,
        config.sources,
        config.prefer_cname,
        config.evaluate_target_health,
        config.zone_type,
        config.provider,
        config.registry,
        config.not_modelled,
    ) == (
        "platform",
        "upsert-only",
        ("example.com",),
        ("internal.example.com",),
        "edns-",
        "",
        ("ingress", "service"),
        True,
        True,
        "public",
        "aws",
        "txt",
        ("annotation-filter",),
    )


def test_an_aws_json_secret_the_reader_refuses_is_not_kept_in_the_snapshot(
    tmp_path: Path,
) -> None:
    root = Path(__file__).resolve().parents[2]
    doc = json.loads((root / "tests" / "fixtures" / "aws" / "full.json").read_text("utf-8"))
    account = doc["accounts"][0]
    account["iam"]["roles"][0]["tags"]["db_password"] = MARK
    account["eks"]["clusters"][0]["addons"] = [
        {"name": "x", "version": "1", "configuration": {"env": {"API_KEY": MARK}}}
    ]
    account["alias"] = "AKIAIOSFODNN7EXAMPLE"  # a value that looks like a key
    (tmp_path / "aws.json").write_text(json.dumps(doc), encoding="utf-8")
    assert main(["snapshot", str(tmp_path / "aws.json"), "-o", str(tmp_path / "twin.json")]) == 0
    snapshot = (tmp_path / "twin.json").read_text(encoding="utf-8")
    assert MARK not in snapshot and "AKIAIOSFODNN7EXAMPLE" not in snapshot
    # the snapshot reads as the file did: the same warnings, the same model
    direct = load([str(tmp_path / "aws.json")])
    again = load([str(tmp_path / "twin.json")])
    assert [d.message for d in again.diagnostics] == [d.message for d in direct.diagnostics]
    assert again.platform.aws.roles == direct.platform.aws.roles
    assert MARK not in repr(direct.platform)


def test_an_aws_json_error_message_never_shows_a_secret_value(tmp_path: Path) -> None:
    """Found by the fuzzing suite: a section of the wrong type was shown in the
    message with a secret-looking tag value inside it."""
    root = Path(__file__).resolve().parents[2]
    doc = json.loads((root / "tests" / "fixtures" / "aws" / "full.json").read_text("utf-8"))
    account = doc["accounts"][0]
    # the wrong type: the message shows the value, secret-looking tag and all
    account["iam"]["roles"][0]["tags"] = [{"db_password": MARK}]
    (tmp_path / "aws.json").write_text(json.dumps(doc), encoding="utf-8")
    result = load([str(tmp_path / "aws.json")])
    messages = [d.message for d in result.diagnostics]
    assert any("expected object, found array" in m for m in messages)
    assert not [m for m in messages if MARK in m]
