"""The access engine: who can do what in Kubernetes and AWS, and through which chain.

* :mod:`.rbac` decides Kubernetes RBAC (aggregation, bindings, subjects,
  wildcards, subresources, resourceNames, non-resource URLs, the
  version-dependent exec rule) with built-in roles from :mod:`.builtin`;
* :mod:`.eks` maps IAM principals to Kubernetes identities (aws-auth as the
  authenticator matches it, access entries and access policies by
  authentication mode, the cluster creator, ``system:masters``);
* :mod:`.sso` follows GitHub logins through a Keycloak realm to the clients a
  person reaches and the AWS roles its SAML assertions offer, with the trust
  evaluated by the iam engine;
* :class:`AccessAnalyzer` answers ``who_can``, ``user`` and
  ``service_account`` and follows exec -> pod -> AWS role chains.
"""

from __future__ import annotations

from ekstwin.engines.access.analyzer import (
    AccessAnalyzer,
    AwsWhoCan,
    Capability,
    Grant,
    Person,
    PodRoleChain,
    Reason,
    ServiceAccountAccess,
    SubjectAccess,
    UserAccess,
    WhoCanEntry,
    WhoCanResult,
)
from ekstwin.engines.access.eks import KubeIdentity, PolicyGrant, authenticate, canonical_arn
from ekstwin.engines.access.rbac import Rbac, ResourceRequest, Rule, exec_verbs
from ekstwin.model.platform import Platform

__all__ = [
    "AccessAnalyzer",
    "AwsWhoCan",
    "Capability",
    "Grant",
    "KubeIdentity",
    "Person",
    "PodRoleChain",
    "PolicyGrant",
    "Rbac",
    "Reason",
    "ResourceRequest",
    "Rule",
    "ServiceAccountAccess",
    "SubjectAccess",
    "UserAccess",
    "WhoCanEntry",
    "WhoCanResult",
    "authenticate",
    "canonical_arn",
    "exec_verbs",
    "service_account_access",
    "user_access",
    "who_can",
]


def who_can(
    platform: Platform,
    verb: str,
    resource: str,
    *,
    namespace: str | None = None,
    subresource: str = "",
    name: str = "",
    api_group: str = "",
) -> WhoCanResult:
    """Every subject (person, IAM principal, ServiceAccount, user, group) allowed the request."""
    if resource.startswith("/"):
        req = ResourceRequest(verb, non_resource_url=resource)
    else:
        res, _, sub = resource.partition("/")
        group = api_group
        if "." in res and not api_group:
            res, _, group = res.partition(".")
        req = ResourceRequest(verb, res, subresource or sub, group, namespace, name)
    return AccessAnalyzer(platform).who_can(req)


def user_access(platform: Platform, github_login: str) -> UserAccess:
    """Everything a GitHub user can do in AWS and Kubernetes, with chains."""
    return AccessAnalyzer(platform).user(github_login)


def service_account_access(platform: Platform, namespace: str, name: str) -> SubjectAccess:
    return AccessAnalyzer(platform).service_account(namespace, name)
