"""SEC001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class PlaintextSecret(Check):
    """
    ## What it does
    Finds Secret objects whose manifests hold credentials in their values
    (`data` or `stringData`). Secrets often hold configuration (a Grafana
    `grafana.ini`, a datasources file, an Alertmanager routing tree), so each
    value is judged when it is read, and only the reason is kept (ekstwin
    drops the values and shows only the keys). A value is a credential when
    its key names one (`password`, `token`, `api_key`, `tls.key`,
    `client-secret`, `*.pem`, ...), or its content holds private key
    material, a URL with a password, a credential-named setting with a value
    (`admin_password = ...` in an ini or YAML file), a well-known token shape
    (AWS access key id, GitHub or Slack token, Slack webhook, JSON Web
    Token), or when it is one high-entropy word (20 characters or more,
    3.5 bits per character or more). A snapshot written before values were
    judged is judged by its key names.

    ## Why is this bad?
    `data` is base64, not encryption: anyone who can read the repository (or
    the CI logs, or a copy of the manifests) can read the secret. Rotating it
    means rewriting history.

    ## Example
    ```yaml
    kind: Secret
    data:
      password: bm90LWEtcmVhbC1wYXNzd29yZA==
    ```

    ## Fix
    Keep the value in AWS Secrets Manager or SSM Parameter Store and sync it
    with the External Secrets Operator or the Secrets Store CSI driver, or
    commit only an encrypted form (Sealed Secrets, SOPS). Rotate the value
    that was committed.

    ## References
    - Kubernetes documentation: Good practices for Kubernetes Secrets
    - Amazon EKS Best Practices Guide: Security, "Use an external secrets provider"
    """

    id = "SEC001"
    slug = "plaintext-secret"
    title = "Secret values written in plaintext manifests"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for secret in platform.secrets:
            if not secret.had_values or not secret.credentials:
                continue
            keys = ", ".join(k for k, _ in secret.credentials)
            yield self.finding(
                secret.meta.ref,
                f"{secret.meta.ref} holds {len(secret.credentials)} credential(s) in plaintext "
                f"in {secret.meta.source.file} (keys: {keys}; values not shown)",
                secret.meta.source,
                evidence=[
                    f"type {secret.type}",
                    *(f"{k}: {why}" for k, why in secret.credentials),
                ],
                fix="move the values to an external secret store (External Secrets Operator, "
                "Secrets Store CSI driver) or an encrypted form, and rotate them",
            )
