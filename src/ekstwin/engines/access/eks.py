"""EKS authentication: an IAM principal becomes a Kubernetes user and groups.

* **aws-auth** (``CONFIG_MAP`` and ``API_AND_CONFIG_MAP``), as
  aws-iam-authenticator maps it: the caller's ARN is canonicalised
  (``arn:aws:sts::A:assumed-role/R/S`` -> ``arn:aws:iam::A:role/R``; STS ARNs
  carry no path, so a ``rolearn`` written with a path never matches), compared
  lower-cased, ``mapRoles`` before ``mapUsers``; a later entry for the same ARN
  replaces an earlier one; an unmapped caller from an account in
  ``mapAccounts`` gets its canonical ARN as username and no groups. Templates:
  ``{{AccountID}}``, ``{{SessionName}}`` (``@`` -> ``-``) and
  ``{{SessionNameRaw}}`` are rendered; ``{{EC2PrivateDNSName}}`` is the private
  DNS name of the instance the session is named after (the authenticator asks
  EC2; ekstwin reads the instance in aws.json): a session name that is no
  instance ID fails the login, an instance not in the input leaves the
  template unrendered with a note; ``{{AccessKeyID}}`` (the caller's key) is
  never in the input and stays unrendered with a note. An ``sso`` entry
  (permission set and account) matches only where the authenticator runs
  with its ``SSORoleMatch`` feature gate (alpha, off by default): ekstwin
  does not map by it and says what it would map to.
* **Access entries** (``API`` and ``API_AND_CONFIG_MAP``): the principal ARN
  may carry a path; an access entry wins over aws-auth for the same principal;
  its ``kubernetesGroups`` go to RBAC and its access policies are enforced by
  EKS within their scope (cluster, or namespaces with ``*`` wildcards).
* The cluster creator: with ``bootstrapClusterCreatorAdminPermissions`` EKS
  gives it cluster admin (an access entry with ``AmazonEKSClusterAdminPolicy``
  in the API modes; an invisible ``system:masters`` in ``CONFIG_MAP`` mode).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ekstwin.engines.access.builtin import ACCESS_POLICIES
from ekstwin.engines.access.rbac import AUTHENTICATED, ResourceRequest, Rule
from ekstwin.model.aws import (
    AccessEntry,
    AccessEntryType,
    AccessPolicyAssociation,
    AccessScope,
    AccessScopeType,
    Arn,
    EksCluster,
)
from ekstwin.model.k8s import AwsAuth, AwsAuthEntry, AwsAuthSso
from ekstwin.model.source import Source

__all__ = [
    "CLUSTER_ADMIN_POLICY",
    "KubeIdentity",
    "PolicyGrant",
    "UNKNOWN_SESSION",
    "authenticate",
    "authenticator_arn_like",
    "canonical_arn",
    "entry_label",
    "role_arn_without_path",
    "sso_arn_like",
]

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
NODE_GROUPS = ("system:bootstrappers", "system:nodes")
#: the session name when the caller's is not known (rendered as is)
UNKNOWN_SESSION = "SESSION"
#: what the authenticator takes for an EC2 instance ID in a session name
_INSTANCE_ID = re.compile(r"i-(\w{8}|\w{17})")
#: partitions aws-iam-authenticator recognises (pkg/endpoints PARTITIONS)
PARTITIONS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)


def canonical_arn(arn: str) -> str | None:
    """The ARN aws-iam-authenticator matches a caller by; None if it is not an identity ARN."""
    parsed = Arn.parse(arn)
    if parsed is None or parsed.partition not in PARTITIONS:
        return None
    parts = parsed.resource.split("/")
    if parsed.service == "sts":
        if parts[0] == "federated-user":
            return arn
        if parts[0] == "assumed-role" and len(parts) >= 3:
            role = "/".join(parts[1:-1])
            return f"arn:{parsed.partition}:iam::{parsed.account}:role/{role}"
        return None
    if parsed.service == "iam" and parts[0] in ("role", "user", "root"):
        return arn
    return None


def role_arn_without_path(role_arn: str) -> str:
    """The role ARN as an STS session reduces it: the path dropped."""
    parsed = Arn.parse(role_arn)
    if parsed is None or not parsed.resource.startswith("role/"):
        return role_arn
    name = parsed.resource.rsplit("/", 1)[-1]
    return f"arn:{parsed.partition}:iam::{parsed.account}:role/{name}"


def _render(template: str, account: str, session: str, private_dns: str | None = None) -> str:
    out = template
    if private_dns is not None:
        out = out.replace("{{EC2PrivateDNSName}}", private_dns)
    out = out.replace("{{AccountID}}", account)
    out = out.replace("{{SessionName}}", session.replace("@", "-"))
    return out.replace("{{SessionNameRaw}}", session)


def authenticator_arn_like(arn: str, pattern: str) -> bool:
    """aws-iam-authenticator's ArnLike (pkg/arn/arnlike.go): six colon sections
    each matched on its own, ``*`` any run of characters and ``?`` at most one
    (its regex is ``.?``); either side without ``arn:`` and six sections
    matches nothing."""
    have = arn.split(":", 5)
    want = pattern.split(":", 5)
    if not arn.startswith("arn:") or not pattern.startswith("arn:"):
        return False
    if len(have) != 6 or len(want) != 6:
        return False
    for h, w in zip(have, want, strict=True):
        regex = "".join(".*" if ch == "*" else ".?" if ch == "?" else re.escape(ch) for ch in w)
        if re.fullmatch(regex, h) is None:
            return False
    return True


def entry_label(entry: AwsAuthEntry) -> str:
    """How an aws-auth entry is named in messages: its ARN, or its sso matcher."""
    if entry.sso is not None:
        return (
            f"sso permission set {entry.sso.permission_set_name} (account {entry.sso.account_id})"
        )
    return entry.arn


def sso_arn_like(sso: AwsAuthSso) -> str:
    """The lower-cased role pattern an ``sso`` entry stands for (pkg/config
    SSOArnLike). Upstream fills in ``aws`` only when no partition is written
    and leaves the partition empty otherwise, so an entry that names its
    partition never matches a role."""
    partition = "aws" if not sso.partition else ""
    return (
        f"arn:{partition}:iam::{sso.account_id}:role/AWSReservedSSO_{sso.permission_set_name}_*"
    ).lower()


@dataclass(frozen=True, slots=True)
class PolicyGrant:
    """An access policy associated with an access entry, in its scope."""

    policy_arn: str
    scope: AccessScope
    rules: tuple[Rule, ...]
    known: bool
    source: Source | None = None
    implicit: str | None = None  # why EKS grants it without an entry in the input

    @property
    def name(self) -> str:
        return self.policy_arn.rsplit("/", 1)[-1]

    def covers(self, namespace: str | None) -> bool:
        if self.scope.type is AccessScopeType.CLUSTER:
            return True
        if namespace is None:
            return False
        return any(fnmatch.fnmatchcase(namespace, p) for p in self.scope.namespaces)

    def allowing_rules(self, req: ResourceRequest) -> tuple[Rule, ...]:
        if req.non_resource_url is not None and self.scope.type is not AccessScopeType.CLUSTER:
            return ()
        if not self.covers(req.namespace):
            return ()
        return tuple(r for r in self.rules if r.allows(req))

    def scope_text(self) -> str:
        if self.scope.type is AccessScopeType.CLUSTER:
            return "cluster"
        return "namespaces " + ",".join(self.scope.namespaces)

    def to_json(self) -> dict[str, object]:
        return {
            "policy_arn": self.policy_arn,
            "scope": {"type": self.scope.type.value, "namespaces": list(self.scope.namespaces)},
            "known": self.known,
            "implicit": self.implicit,
        }


def policy_grant(assoc: AccessPolicyAssociation, implicit: str | None = None) -> PolicyGrant:
    spec = ACCESS_POLICIES.get(assoc.policy_name)
    rules = tuple(Rule.of(r, assoc.source) for r in spec) if spec is not None else ()
    return PolicyGrant(
        assoc.policy_arn, assoc.access_scope, rules, spec is not None, assoc.source, implicit
    )


@dataclass(frozen=True, slots=True)
class KubeIdentity:
    """What an IAM principal is in the cluster: username, groups, access policies, and why."""

    principal_arn: str
    cluster: str
    mapped: bool
    username: str | None = None
    groups: tuple[str, ...] = ()
    policies: tuple[PolicyGrant, ...] = ()
    via: str = ""  # "access-entry" | "aws-auth mapRoles" | "aws-auth mapUsers" | ...
    source: Source | None = None
    steps: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def masters(self) -> bool:
        return "system:masters" in self.groups

    def to_json(self) -> dict[str, object]:
        return {
            "principal_arn": self.principal_arn,
            "cluster": self.cluster,
            "mapped": self.mapped,
            "username": self.username,
            "groups": list(self.groups),
            "access_policies": [p.to_json() for p in self.policies],
            "via": self.via,
            "source": str(self.source) if self.source else None,
            "steps": list(self.steps),
            "notes": list(self.notes),
        }


def _same_principal(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def find_access_entry(cluster: EksCluster, principal_arn: str) -> AccessEntry | None:
    for entry in cluster.access_entries:
        if _same_principal(entry.principal_arn, principal_arn):
            return entry
    return None


def aws_auth_lookup(aws_auth: AwsAuth, canonical: str) -> tuple[str, AwsAuthEntry] | None:
    """The mapping aws-iam-authenticator uses for a canonical ARN (last entry per ARN wins)."""
    key = canonical.lower()
    for section, entries in (("mapRoles", aws_auth.map_roles), ("mapUsers", aws_auth.map_users)):
        found = None
        for entry in entries:
            if entry.arn and entry.arn.lower() == key:
                found = entry
        if found is not None:
            return section, found
    return None


def authenticate(
    cluster: EksCluster,
    aws_auth: AwsAuth | None,
    principal_arn: str,
    session_name: str = UNKNOWN_SESSION,
    private_dns: Mapping[str, str | None] | None = None,
) -> KubeIdentity:
    """Map an IAM role or user (``principal_arn`` as IAM names it, path included).

    ``private_dns`` gives each known EC2 instance's private DNS name, for
    ``{{EC2PrivateDNSName}}``."""
    mode = cluster.authentication_mode
    parsed = Arn.parse(principal_arn)
    account = parsed.account if parsed else ""
    is_role = bool(parsed and parsed.resource.startswith("role/"))
    steps: list[str] = [f"authentication mode {mode.value}"]
    notes: list[str] = []
    creator = cluster.creator_arn is not None and _same_principal(
        cluster.creator_arn, principal_arn
    )
    if mode.uses_access_entries:
        entry = find_access_entry(cluster, principal_arn)
        if entry is not None:
            return _from_entry(cluster, entry, principal_arn, account, session_name, steps)
        steps.append(f"no access entry for {principal_arn}")
        if creator and cluster.bootstrap_cluster_creator_admin_permissions:
            grant = policy_grant(
                AccessPolicyAssociation(CLUSTER_ADMIN_POLICY, AccessScope()),
                implicit="cluster creator (bootstrapClusterCreatorAdminPermissions)",
            )
            steps.append(
                "the cluster creator gets an access entry with AmazonEKSClusterAdminPolicy "
                "(bootstrapClusterCreatorAdminPermissions); it is not in the input"
            )
            return KubeIdentity(
                principal_arn, cluster.name, True, principal_arn, (AUTHENTICATED,),
                (grant,), "cluster-creator", cluster.source, tuple(steps),
            )  # fmt: skip
    if mode.uses_config_map:
        if creator:
            steps.append("the cluster creator has system:masters that appears in no configuration")
            return KubeIdentity(
                principal_arn, cluster.name, True, "kubernetes-admin",
                ("system:masters", AUTHENTICATED), (), "cluster-creator", cluster.source,
                tuple(steps),
            )  # fmt: skip
        if aws_auth is None:
            steps.append("no kube-system/aws-auth ConfigMap in the input")
        else:
            canonical = role_arn_without_path(principal_arn) if is_role else principal_arn
            if is_role and canonical != principal_arn:
                steps.append(
                    f"a role session's ARN names no path: the authenticator looks up {canonical}"
                )
            found = aws_auth_lookup(aws_auth, canonical)
            if found is not None:
                section, e = found
                steps.append(f"aws-auth {section} entry {e.arn} ({e.source})")
                dns, refusal = _private_dns(e, session_name, private_dns, notes)
                if refusal:
                    steps.append(refusal)
                    return KubeIdentity(
                        principal_arn, cluster.name, False, steps=tuple(steps), notes=tuple(notes)
                    )
                username = _render(e.username or canonical, account, session_name, dns)
                groups = tuple(_render(g, account, session_name, dns) for g in e.groups)
                if any("{{AccessKeyID}}" in t for t in (e.username or "", *e.groups)):
                    notes.append(
                        "{{AccessKeyID}} is the caller's access key ID, which is not in the "
                        "input: left unrendered"
                    )
                if e.username and "{{SessionName" in e.username:
                    notes.append(
                        "the username embeds the session name, which whoever assumes the role "
                        "chooses"
                    )
                if any("{{SessionName" in g for g in e.groups):
                    notes.append(
                        "a group embeds the session name: the caller chooses its own groups"
                    )
                return KubeIdentity(
                    principal_arn, cluster.name, True, username,
                    tuple(dict.fromkeys((*groups, AUTHENTICATED))), (), f"aws-auth {section}",
                    e.source, tuple(steps), tuple(notes),
                )  # fmt: skip
            if is_role:
                notes.extend(_sso_notes(aws_auth, canonical))
            steps.append(f"no aws-auth mapRoles/mapUsers entry matches {canonical}")
            if account and account in aws_auth.map_accounts:
                steps.append(f"account {account} is in mapAccounts: username is the ARN, no groups")
                return KubeIdentity(
                    principal_arn, cluster.name, True, canonical, (AUTHENTICATED,), (),
                    "aws-auth mapAccounts", aws_auth.source, tuple(steps), tuple(notes),
                )  # fmt: skip
    return KubeIdentity(principal_arn, cluster.name, False, steps=tuple(steps), notes=tuple(notes))


def _private_dns(
    entry: AwsAuthEntry,
    session: str,
    private_dns: Mapping[str, str | None] | None,
    notes: list[str],
) -> tuple[str | None, str]:
    """``{{EC2PrivateDNSName}}`` of an entry: (the DNS name or None, a refusal or "")."""
    if not any("{{EC2PrivateDNSName}}" in t for t in (entry.username or "", *entry.groups)):
        return None, ""
    if _INSTANCE_ID.fullmatch(session):
        dns = (private_dns or {}).get(session)
        if dns is None:
            notes.append(
                f"{{{{EC2PrivateDNSName}}}} is the private DNS name of instance {session}, "
                "which is not in the input: left unrendered"
            )
        return dns, ""
    if session == UNKNOWN_SESSION:
        notes.append(
            "{{EC2PrivateDNSName}} is the private DNS name of the instance each session is "
            "named after: left unrendered"
        )
        return None, ""
    return None, (
        f"the entry uses {{{{EC2PrivateDNSName}}}} but the session name {session!r} is not an "
        "EC2 instance ID: the authenticator refuses the login"
    )


def _sso_notes(aws_auth: AwsAuth, canonical: str) -> list[str]:
    """What an ``sso`` entry would map the role to, were the feature gate on."""
    out = []
    for e in aws_auth.map_roles:
        if e.sso is not None and authenticator_arn_like(canonical.lower(), sso_arn_like(e.sso)):
            groups = ", ".join(e.groups) or "no groups"
            out.append(
                f"the aws-auth mapRoles sso entry for permission set {e.sso.permission_set_name} "
                f"in account {e.sso.account_id} ({e.source}) maps this role to "
                f"{e.username or canonical} ({groups}) only where aws-iam-authenticator runs "
                "with its SSORoleMatch feature gate (alpha, off by default); not counted"
            )
    return out


def _from_entry(  # noqa: PLR0917
    cluster: EksCluster,
    entry: AccessEntry,
    principal_arn: str,
    account: str,
    session: str,
    steps: list[str],
) -> KubeIdentity:
    steps.append(f"access entry {entry.principal_arn} ({entry.type.value}, {entry.source})")
    if cluster.authentication_mode.uses_config_map:
        steps.append("an access entry takes precedence over aws-auth for the same principal")
    if entry.type is AccessEntryType.STANDARD:
        default = principal_arn
        parsed = Arn.parse(principal_arn)
        if parsed is not None and parsed.resource.startswith("role/"):
            name = parsed.resource.rsplit("/", 1)[-1]
            default = (
                f"arn:{parsed.partition}:sts::{parsed.account}:assumed-role/{name}/"
                "{{SessionName}}"
            )
        username = _render(entry.username or default, account, session)
        groups = entry.kubernetes_groups
    else:
        username = "system:node:{{EC2PrivateDNSName}}"
        groups = NODE_GROUPS
        steps.append(f"type {entry.type.value}: EKS grants node permissions")
    policies = tuple(policy_grant(a) for a in entry.access_policies)
    for p in policies:
        steps.append(f"access policy {p.name} ({p.scope_text()})")
    notes = tuple(
        f"access policy {p.policy_arn} is not known to ekstwin; its permissions are not counted"
        for p in policies
        if not p.known
    )
    return KubeIdentity(
        principal_arn, cluster.name, True, username,
        tuple(dict.fromkeys((*groups, AUTHENTICATED))), policies, "access-entry",
        entry.source, tuple(steps), notes,
    )  # fmt: skip
