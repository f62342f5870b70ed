"""KMS005."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.kms.keys import key_uses
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


def _list(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value is not None else []


def root_statements(policy: dict[str, object], account: str) -> list[str]:
    """Sids (or indexes) of Allow statements giving the account root kms:* unconditionally."""
    roots = {account, f"arn:aws:iam::{account}:root"}
    out = []
    statements = policy.get("Statement", [])
    for i, stmt in enumerate(statements if isinstance(statements, list) else [statements]):
        if not isinstance(stmt, dict) or stmt.get("Effect") != "Allow" or stmt.get("Condition"):
            continue
        principal = stmt.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else None
        if not roots & set(_list(aws)):
            continue
        if any(a.lower() in ("kms:*", "*") for a in _list(stmt.get("Action"))):
            out.append(str(stmt.get("Sid") or f"Statement[{i}]"))
    return out


class RootKmsStarOnSecretsKey(Check):
    """
    ## What it does
    Finds the KMS key that envelope-encrypts the cluster's Secrets when its
    key policy allows `kms:*` to the account root (`arn:aws:iam::ACCOUNT:root`)
    with no condition. That is the default key policy.

    ## Why is this bad?
    Naming the account root delegates the key to IAM: every role or user in
    the account whose IAM policy allows `kms:Decrypt` on `*` (administrators,
    broad CI roles, `AdministratorAccess`) can decrypt with the key that
    protects every Secret, and can change the key policy or schedule the key
    for deletion, which breaks the cluster for good.

    ## Example
    ```json
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
     "Action": "kms:*", "Resource": "*"}
    ```

    ## Fix
    Keep the root statement for key administration only (no `kms:Decrypt`),
    or add conditions (`aws:PrincipalArn`, `kms:CallerAccount`,
    `kms:ViaService`), and name the cluster role and the key administrators
    explicitly.

    ## References
    - AWS KMS Developer Guide: Default key policy ("Allows access to the AWS account")
    - Amazon EKS Best Practices Guide: Security, "Encrypt Kubernetes Secrets with KMS"
    """

    id = "KMS005"
    slug = "root-kms-star-on-secrets-key"
    title = "Secrets key policy gives the account root kms:* without conditions"
    severity = Severity.LOW
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        seen: set[str] = set()
        for use in key_uses(platform):
            key = use.key
            if use.purpose != "secrets" or key is None or key.arn in seen:
                continue
            seen.add(key.arn)
            account = key.account_id
            if account is None:
                continue
            sids = root_statements(key.policy, account)
            cluster = use.cluster.name if use.cluster else use.user.name
            if not sids:
                continue
            yield self.finding(
                ObjectRef("KmsKey", key.arn),
                f"KMS key {key.key_id} encrypts the Secrets of cluster {cluster} and its policy "
                f"gives arn:aws:iam::{account}:root kms:* without conditions",
                key.source,
                evidence=[
                    f"key policy statement(s) {', '.join(sids)}: Allow kms:* to the account root",
                    "any IAM principal of the account allowed kms:Decrypt by IAM can decrypt",
                ],
                fix="limit the root statement to key administration or add conditions, and "
                "name the cluster role explicitly",
            )
