"""Does a Secret's value look like a credential? Judged when the value is read,
before it is dropped; only the reason is kept, never the value.

A Secret often holds configuration rather than credentials (Grafana's
``grafana.ini`` with ``default_timezone = UTC``, a datasources file, an
Alertmanager routing tree). What marks a credential:

- its key names one (``password``, ``token``, ``api_key``, ``tls.key``,
  ``client-secret``, ``*.pem``, ...);
- its content holds one: private key material (``-----BEGIN ... PRIVATE KEY``),
  a URL with a password (``scheme://user:password@host``), an assignment of a
  credential-named setting to a non-empty value in a configuration file
  (``admin_password = ...``, ``password: ...``, ``"token": "..."``), a
  well-known token shape (AWS access key ids, GitHub tokens, JWTs, Slack
  tokens and webhook URLs);
- it is one high-entropy word (at least 20 characters without spaces, at
  least 3.5 bits of Shannon entropy per character, not a URL): a generated
  key or token.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter

__all__ = ["REDACTED", "credential_reason", "is_credential_key"]

#: What stands in the place of a value ekstwin dropped.
REDACTED = "<redacted by ekstwin>"

#: Parts of a key name that mark its value as a credential.
_KEY_MARKERS = (
    "password", "passwd", "passphrase", "secret", "token", "apikey", "api_key", "api-key",
    "accesskey", "access_key", "access-key", "private", "credential", "auth", "bearer",
    "signing", "dockerconfig", "kubeconfig", "htpasswd", "id_rsa",
    "id_ed25519", "keystore", "truststore",
)  # fmt: skip
_KEY_SUFFIXES = (".key", "-key", "_key", ".pem", ".p12", ".pfx", ".jks", ".keytab", "key")

_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|-----BEGIN OPENSSH PRIVATE KEY")
_URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@", re.IGNORECASE)
_TOKEN_SHAPES = (
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"), "a GitHub token"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"hooks\.slack\.com/services/[A-Za-z0-9/]+"), "a Slack webhook URL"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\."), "a JSON Web Token"),
)
#: ``name = value``, ``name: value`` or ``"name": "value"`` in a configuration file.
_ASSIGNMENT = re.compile(r"""^[\s{,\-]*["']?([A-Za-z0-9_.\-]+)["']?\s*[:=]\s*(.*?)[\s,}]*$""")
_EMPTY_VALUES = frozenset({"", '""', "''", "null", "~", "none", "{}", "[]", "|", ">", "|-", ">-"})
#: Setting values that are no credential whatever the setting's name: switches,
#: numbers, durations (``auth.anonymous.enabled = true``, ``token_ttl = 24h``).
_PLAIN_SETTING = re.compile(
    r"^(true|false|yes|no|on|off|enabled|disabled|\d+(\.\d+)?([smhd]|ms)?)$", re.IGNORECASE
)

MIN_ENTROPY_LENGTH = 20
MIN_ENTROPY_BITS = 3.5


def is_credential_key(key: str) -> bool:
    """Whether a key (a Secret data key, a setting's name) names a credential."""
    k = key.lower()
    if any(m in k for m in _KEY_MARKERS):
        return "public" not in k and not k.endswith(("_file", "-file", "_path", "-path"))
    return k.endswith(_KEY_SUFFIXES) and "public" not in k


def _text(value: object, *, encoded: bool) -> str | None:
    """The value as text (``data`` is base64); None when it is not text."""
    if not isinstance(value, str):
        return None if value is None else str(value)
    if not encoded:
        return value
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _entropy(word: str) -> float:
    counts = Counter(word)
    n = len(word)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _in_content(text: str) -> str | None:
    if _PRIVATE_KEY.search(text):
        return "private key material"
    if _URL_PASSWORD.search(text):
        return "a URL with a password"
    for shape, what in _TOKEN_SHAPES:
        if shape.search(text):
            return what
    for line in text.splitlines():
        m = _ASSIGNMENT.match(line)
        if m is None or not is_credential_key(m.group(1)):
            continue
        value = m.group(2).strip().strip("\"'")
        if (
            value.lower() not in _EMPTY_VALUES
            and not _PLAIN_SETTING.match(value)
            and not value.startswith(("$", "{{", "${"))
        ):
            return f"the setting {m.group(1)} has a value"
    word = text.strip()
    if (
        len(word) >= MIN_ENTROPY_LENGTH
        and not any(c.isspace() for c in word)
        and "://" not in word
        and _entropy(word) >= MIN_ENTROPY_BITS
    ):
        return "a high-entropy string"
    return None


def credential_reason(key: str, value: object, *, encoded: bool) -> str | None:
    """Why the value of ``key`` looks like a credential, or None. ``encoded`` for
    a ``data`` value (base64), not for ``stringData``."""
    text = _text(value, encoded=encoded)
    if text is None:
        return "binary data" if is_credential_key(key) else None
    if not text.strip():
        return None
    if is_credential_key(key):
        return f"the key {key} names a credential"
    return _in_content(text)
