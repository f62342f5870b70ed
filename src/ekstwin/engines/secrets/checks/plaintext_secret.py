"""SEC001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class PlaintextSecret(Check):
    """
    ## What it does
    Finds Secret objects whose values are written in the manifests
    (`data` or `stringData`). ekstwin drops the values when it reads them and
    shows only the keys.

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
            if not secret.had_values:
                continue
            filled = secret.keys_with_values or secret.keys
            keys = ", ".join(filled)
            yield self.finding(
                secret.meta.ref,
                f"{secret.meta.ref} holds {len(filled)} value(s) in plaintext in "
                f"{secret.meta.source.file} (keys: {keys}; values not shown)",
                secret.meta.source,
                evidence=[
                    f"type {secret.type}",
                    f"keys with values: {keys}",
                ],
                fix="move the values to an external secret store (External Secrets Operator, "
                "Secrets Store CSI driver) or an encrypted form, and rotate them",
            )
