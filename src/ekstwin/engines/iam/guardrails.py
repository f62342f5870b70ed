"""What AWS refuses outside policy logic, and what makes a bucket policy public.

* Guard rails: some resources cannot be changed whatever the policies say:
  AWS managed policies (``arn:aws:iam::aws:policy/...``; IAM User Guide,
  "Managed policies and inline policies": you cannot change them), roles
  under the ``/aws-reserved/`` path that IAM Identity Center creates and
  owns (IAM answers "only modifiable by AWS"; only Identity Center's own
  service-linked role, whose policy AWSSSOServiceRolePolicy names that path,
  changes them), and KMS aliases beginning with ``alias/aws/``, reserved for
  AWS managed keys (AWS KMS Developer Guide, "Aliases").
* S3 Block Public Access: with ``RestrictPublicBuckets`` a bucket whose
  policy is public is reachable through that policy only by principals of
  the bucket owner's account and by AWS service principals (Amazon S3 User
  Guide, "Blocking public access", "The meaning of public"). A statement is
  public when it allows everyone (``"*"``, ``{"AWS": "*"}`` or a
  NotPrincipal) without fixing one of the keys the page lists to values.
"""

from __future__ import annotations

from ekstwin.engines.iam.policy import Effect, Statement

__all__ = ["guard_rail", "is_public_statement"]

#: IAM actions that change a managed policy
_POLICY_CHANGES = frozenset(
    {
        "iam:createpolicyversion",
        "iam:deletepolicy",
        "iam:deletepolicyversion",
        "iam:setdefaultpolicyversion",
        "iam:tagpolicy",
        "iam:untagpolicy",
    }
)
#: IAM actions that change a role, its trust or its permissions
_ROLE_CHANGES = frozenset(
    {
        "iam:deleterole",
        "iam:updaterole",
        "iam:updateroledescription",
        "iam:updateassumerolepolicy",
        "iam:attachrolepolicy",
        "iam:detachrolepolicy",
        "iam:putrolepolicy",
        "iam:deleterolepolicy",
        "iam:putrolepermissionsboundary",
        "iam:deleterolepermissionsboundary",
        "iam:tagrole",
        "iam:untagrole",
    }
)
_ALIAS_CHANGES = frozenset({"kms:createalias", "kms:deletealias", "kms:updatealias"})

#: keys that, fixed to values by a positive operator, make a statement non-public
_NARROWING_KEYS = frozenset(
    {
        "aws:sourceip",
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:sourceaccount",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:userid",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
    }
)
_FIXING_OPERATORS = frozenset(
    {"StringEquals", "StringEqualsIgnoreCase", "ArnEquals", "ArnLike", "StringLike", "IpAddress"}
)


def guard_rail(action: str, resource: str, principal_arn: str = "") -> str | None:
    """Why AWS refuses ``action`` (lower-cased) on ``resource`` whatever the policies say."""
    parts = resource.split(":", 5)
    if len(parts) != 6:
        return None
    service, account, name = parts[2], parts[4], parts[5]
    if action in _POLICY_CHANGES and service == "iam" and account == "aws":
        return "an AWS managed policy cannot be changed or deleted; copy it into a policy of yours"
    if (
        action in _ROLE_CHANGES
        and service == "iam"
        and name.startswith("role/aws-reserved/")
        and "role/aws-service-role/sso.amazonaws.com/" not in principal_arn
    ):
        return (
            "roles under /aws-reserved/ belong to IAM Identity Center and cannot be changed in "
            "IAM; change the permission set instead"
        )
    if action in _ALIAS_CHANGES and service == "kms" and name.startswith("alias/aws/"):
        return "KMS aliases beginning with alias/aws/ are reserved for AWS managed keys"
    return None


def _narrowed(stmt: Statement) -> bool:
    for cond in stmt.conditions:
        if cond.key not in _NARROWING_KEYS or cond.base not in _FIXING_OPERATORS:
            continue
        if cond.if_exists or cond.qualifier == "ForAllValues":
            continue
        if any(v in ("*", "0.0.0.0/0", "::/0") for v in cond.values):
            continue
        return True
    return False


def is_public_statement(stmt: Statement) -> bool:
    """An Allow that grants everyone, not narrowed by a fixed source or principal key."""
    if stmt.effect is not Effect.ALLOW:
        return False
    everyone = stmt.not_principal is not None or (
        stmt.principal is not None and (stmt.principal.any or "*" in stmt.principal.aws)
    )
    return everyone and not _narrowed(stmt)
