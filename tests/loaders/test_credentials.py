"""Secret values are judged as credentials when read, and only the reason is kept."""

from __future__ import annotations

import base64
import json

import pytest

from ekstwin.loaders import load, snapshot_to_json
from ekstwin.loaders.credentials import credential_reason, is_credential_key


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("key", "value", "encoded", "why"),
    [
        ("password", "x", False, "the key password names a credential"),
        ("tls.key", _b64("k"), True, "the key tls.key names a credential"),
        ("client-secret", "s", False, "the key client-secret names a credential"),
        ("grafana.ini", "[date_formats]\ndefault_timezone = UTC\n", False, None),
        ("grafana.ini", "[auth.basic]\nenabled = true\ntoken_rotation = 10m\n", False, None),
        ("grafana.ini", "[security]\nadmin_password = hunter2\n", False,
         "the setting admin_password has a value"),
        ("datasources.yaml", "  basicAuthPassword: ${GRAFANA_PW}\n", False, None),
        ("datasources.yaml", '{"password": "p4ss"}', False, "the setting password has a value"),
        ("url", "https://hooks.slack.com/services/T000/B000/XXXX", False, "a Slack webhook URL"),
        ("conn", _b64("mysql://app:pw@db:3306/app"), True, "a URL with a password"),
        ("conn", "http://db.shop.svc:5432/app", False, None),
        ("cert", "-----BEGIN EC PRIVATE KEY-----\nAAAA\n", False, "private key material"),
        ("id", "AKIAABCDEFGHIJKLMNOP", False, "an AWS access key id"),
        ("blob", "Qx7vT2mZ9kLp4WsR8nYc3JdF6hBg", False, "a high-entropy string"),
        ("mode", _b64("production"), True, None),
        ("name", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", False, None),
        ("keystore.jks", base64.b64encode(bytes(range(256))).decode(), True, "binary data"),
        ("image.png", base64.b64encode(bytes(range(256))).decode(), True, None),
    ],
)  # fmt: skip
def test_a_value_is_a_credential_by_its_key_or_its_content(
    key: str, value: str, encoded: bool, why: str | None
) -> None:
    assert credential_reason(key, value, encoded=encoded) == why


def test_key_names() -> None:
    assert [
        k
        for k in ("ca.crt", "public.key", "token", "api_key", "password_file")
        if is_credential_key(k)
    ] == [
        "token",
        "api_key",
    ]


SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: shop}
stringData:
  grafana.ini: "[security]\\nadmin_password = hunter2\\n"
  mode: production
"""


def test_the_reason_survives_a_snapshot_and_the_value_does_not() -> None:
    r = load(["-"], stdin_text=lambda: SECRET, implied=False)
    (secret,) = r.platform.secrets
    assert secret.credentials == (("grafana.ini", "the setting admin_password has a value"),)
    text = json.dumps(snapshot_to_json(r.raw, "test"))
    assert "hunter2" not in text and "production" not in text
    again = load(["-"], stdin_text=lambda: text, implied=False)
    assert again.platform.secrets[0].credentials == secret.credentials


def test_an_older_snapshot_without_judged_values_is_judged_by_its_key_names() -> None:
    old = """\
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: shop}
ekstwin.io/had-values: true
data: {password: true, grafana.ini: true}
"""
    (secret,) = load(["-"], stdin_text=lambda: old, implied=False).platform.secrets
    assert secret.credentials == (
        ("password", "the key password names a credential (the value was not judged)"),
    )
