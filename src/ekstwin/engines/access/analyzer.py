"""Who can do what: people, IAM principals and ServiceAccounts, with their chains."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import InitVar, dataclass, field

from ekstwin.engines.access.eks import KubeIdentity, PolicyGrant, authenticate
from ekstwin.engines.access.oidc import (
    OIDC_VIA,
    authenticate_oidc,
    id_token,
    issuer_matches,
    oidc_clients,
)
from ekstwin.engines.access.rbac import (
    AUTHENTICATED,
    MASTERS,
    SESSION_SUBRESOURCES,
    Binding,
    Rbac,
    ResourceRequest,
    exec_verbs,
    service_account_groups,
    service_account_user,
    subject_key,
)
from ekstwin.engines.access.sso import (
    AWS_ROLE_ATTRIBUTE,
    AWS_SESSION_ATTRIBUTE,
    AwsRoleClaim,
    ClientGrant,
    assume_with_saml,
    client_grants,
    parse_role_pair,
)
from ekstwin.engines.iam import Decision, IamAnalyzer, Request, WhoCan
from ekstwin.model.aws import EksCluster
from ekstwin.model.k8s import Pod
from ekstwin.model.keycloak import Realm, User
from ekstwin.model.platform import Platform
from ekstwin.model.source import Source

__all__ = [
    "AccessAnalyzer",
    "AwsWhoCan",
    "Capability",
    "Grant",
    "Person",
    "PersonAwsGrant",
    "PodRoleChain",
    "Reason",
    "ServiceAccountAccess",
    "SubjectAccess",
    "UserAccess",
    "WhoCanEntry",
    "WhoCanResult",
]


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an identity may make a request: the binding or policy and the rule."""

    via: str
    rule: str
    source: Source | None = None

    def text(self) -> str:
        return f"{self.via}: {self.rule}"

    def to_json(self) -> dict[str, object]:
        return {
            "via": self.via,
            "rule": self.rule,
            "source": str(self.source) if self.source else None,
        }


@dataclass(frozen=True, slots=True)
class Grant:
    """A set of permissions an identity holds in a scope (``cluster`` or a namespace)."""

    scope: str
    via: str
    rules: tuple[str, ...]
    source: Source | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "scope": self.scope,
            "via": self.via,
            "rules": list(self.rules),
            "source": str(self.source) if self.source else None,
        }


@dataclass(frozen=True, slots=True)
class Capability:
    """One sensitive ability in one namespace (or cluster-wide) and why it holds."""

    ability: str
    scope: str
    reasons: tuple[Reason, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "ability": self.ability,
            "scope": self.scope,
            "reasons": [r.to_json() for r in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class PodRoleChain:
    """exec into a pod -> the AWS role its credentials give."""

    pod: str
    service_account: str
    via: str
    role_arn: str
    exec_reasons: tuple[Reason, ...]
    chain: tuple[str, ...]
    actions: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "pod": self.pod,
            "service_account": self.service_account,
            "via": self.via,
            "role_arn": self.role_arn,
            "exec": [r.to_json() for r in self.exec_reasons],
            "chain": list(self.chain),
            "aws_actions": list(self.actions),
        }


@dataclass(frozen=True, slots=True)
class SubjectAccess:
    """A Kubernetes identity and what it may do."""

    username: str
    groups: tuple[str, ...]
    grants: tuple[Grant, ...]
    capabilities: tuple[Capability, ...]
    pod_roles: tuple[PodRoleChain, ...]
    identity: KubeIdentity | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "username": self.username,
            "groups": list(self.groups),
            "authentication": self.identity.to_json() if self.identity else None,
            "grants": [g.to_json() for g in self.grants],
            "capabilities": [c.to_json() for c in self.capabilities],
            "exec_to_aws": [p.to_json() for p in self.pod_roles],
        }


@dataclass(frozen=True, slots=True)
class Person:
    """A GitHub login resolved through the realm."""

    login: str
    realm: str
    username: str
    enabled: bool
    clients: tuple[ClientGrant, ...]
    aws_roles: tuple[AwsRoleClaim, ...]
    session_name: str
    identities: tuple[KubeIdentity, ...]
    #: Sign-ins with an OIDC ID token through the cluster's identity provider
    #: configs, accepted (``mapped``) or refused (the reason last in ``steps``).
    oidc_identities: tuple[KubeIdentity, ...] = ()


@dataclass(frozen=True, slots=True)
class UserAccess:
    """``ekstwin access user``: everything one person can do and how."""

    login: str
    realm: str | None
    keycloak_user: str | None
    enabled: bool
    clients: tuple[ClientGrant, ...]
    aws_roles: tuple[AwsRoleClaim, ...]
    aws_permissions: tuple[tuple[str, tuple[dict[str, object], ...]], ...]
    kubernetes: tuple[tuple[str, SubjectAccess], ...]  # (role ARN or OIDC sign-in, access)
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        perms = dict(self.aws_permissions)
        return {
            "github_login": self.login,
            "realm": self.realm,
            "keycloak_user": self.keycloak_user,
            "enabled": self.enabled,
            "clients": [c.to_json() for c in self.clients],
            "aws_roles": [
                {**c.to_json(), "permissions": list(perms.get(c.role_arn, ()))}
                for c in self.aws_roles
            ],
            "kubernetes": [_kube_json(label, access) for label, access in self.kubernetes],
            "notes": list(self.notes),
        }


SA_PREFIX = "system:serviceaccount:"


def _grant_texts(binding: Binding, rule: str) -> list[tuple[tuple[str, str], str]]:
    """(subject key, ``Kind name -> binding -> role: rule``) for each subject of a
    binding whose role allows a request through ``rule``."""
    role = binding.role.label() if binding.role else binding.role_ref
    out = []
    for kind, name, ns in binding.subjects:
        who = f"{kind} {name if kind != 'ServiceAccount' else f'{ns}/{name}'}"
        out.append((subject_key(kind, name, ns), f"{who} -> {binding.label()} -> {role}: {rule}"))
    return out


def _is_oidc(ident: KubeIdentity | None) -> bool:
    return ident is not None and ident.via == OIDC_VIA


def _kube_json(label: str, access: SubjectAccess) -> dict[str, object]:
    oidc = _is_oidc(access.identity)
    return {
        "role_arn": None if oidc else label,
        "sign_in": "oidc" if oidc else "saml-role",
        **access.to_json(),
    }


def _sign_in_step(ident: KubeIdentity) -> str:
    return ident.principal_arn if _is_oidc(ident) else f"SAML role {ident.principal_arn}"


@dataclass(frozen=True, slots=True)
class WhoCanEntry:
    """One subject that can make the request, and every chain that leads there."""

    kind: str  # person | iam-principal | service-account | user | group
    name: str
    chains: tuple[tuple[str, ...], ...]
    pods: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "name": self.name,
            "chains": [list(c) for c in self.chains],
            "pods": list(self.pods),
        }


@dataclass(frozen=True, slots=True)
class WhoCanResult:
    request: str
    verbs: tuple[str, ...]
    entries: tuple[WhoCanEntry, ...]
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "request": self.request,
            "verbs_checked": list(self.verbs),
            "subjects": [e.to_json() for e in self.entries],
            "notes": list(self.notes),
        }


#: The sensitive abilities evaluated per scope for ``user`` and ``sa``.
ABILITIES: tuple[tuple[str, str, str, str], ...] = (
    ("cluster-admin", "*", "*", ""),
    ("read-secrets", "get", "secrets", ""),
    ("list-secrets", "list", "secrets", ""),
    ("create-pods", "create", "pods", ""),
    ("exec-pods", "create", "pods", "exec"),
    ("impersonate-serviceaccounts", "impersonate", "serviceaccounts", ""),
    ("create-serviceaccount-tokens", "create", "serviceaccounts", "token"),
    ("bind-roles", "bind", "clusterroles", ""),
    ("escalate-roles", "escalate", "clusterroles", ""),
    ("create-rolebindings", "create", "rolebindings", ""),
    ("impersonate-users-groups", "impersonate", "groups", ""),
)
_RBAC_GROUP = {
    "clusterroles": "rbac.authorization.k8s.io",
    "rolebindings": "rbac.authorization.k8s.io",
}


def ability_request(ability: str, namespace: str | None) -> ResourceRequest:
    """The request that stands for one of :data:`ABILITIES` in a namespace (None:
    cluster-wide); ``cluster-admin`` is every verb on every resource."""
    if ability == "cluster-admin":
        return ResourceRequest("*", "*", "", "*", namespace)
    for name, verb, resource, sub in ABILITIES:
        if name == ability:
            return ResourceRequest(verb, resource, sub, _RBAC_GROUP.get(resource, ""), namespace)
    raise KeyError(ability)


@dataclass(frozen=True, slots=True)
class PersonAwsGrant:
    """A person who can perform an AWS action, and the chain that gets them there."""

    login: str
    keycloak_user: str
    client_id: str
    role_arn: str
    granted_by: tuple[str, ...]
    decision: Decision

    def to_json(self) -> dict[str, object]:
        return {
            "github_login": self.login,
            "keycloak_user": self.keycloak_user,
            "client_id": self.client_id,
            "role_arn": self.role_arn,
            "granted_by": list(self.granted_by),
            "decision": self.decision.to_json(),
            "chain": [
                f"GitHub login {self.login} -> Keycloak user {self.keycloak_user}",
                f"Keycloak client {self.client_id} asserts role {self.role_arn} "
                f"({', '.join(self.granted_by) or 'directly'})",
                f"AssumeRoleWithSAML {self.role_arn}: allowed by its trust policy",
                f"{self.role_arn}: {self.decision.reason}",
            ],
        }


@dataclass(frozen=True, slots=True)
class AwsWhoCan:
    """``iam who-can``: the pods whose roles may perform an AWS action, and the people
    whose SSO roles may. ``to_json`` is the command's JSON."""

    pods: WhoCan
    people: tuple[PersonAwsGrant, ...]

    def to_json(self) -> dict[str, object]:
        return {**self.pods.to_json(), "people": [p.to_json() for p in self.people]}


@dataclass(frozen=True, slots=True)
class ServiceAccountAccess:
    """``access sa``: a ServiceAccount (``NS/NAME``) and what it may do.
    ``to_json`` is the command's JSON."""

    service_account: str
    access: SubjectAccess

    def to_json(self) -> dict[str, object]:
        return {"service_account": self.service_account, **self.access.to_json()}


@dataclass(slots=True)
class AccessAnalyzer:
    """Answers access questions over one platform; build once, ask many questions."""

    platform: Platform
    cluster_name: str | None = None
    rbac: Rbac = field(init=False)
    iam: IamAnalyzer = field(init=False)
    cluster: EksCluster | None = field(init=False)
    _identities: dict[str, KubeIdentity] = field(default_factory=dict)
    _people: list[Person] | None = None
    _role_match: dict[tuple[int, ResourceRequest], tuple[str, ...]] = field(default_factory=dict)
    _sa_index: tuple[dict[tuple[str, str], list[str]], list[tuple[str, str]]] | None = None
    _sa_by_ns: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: An IAM analyzer of the same platform to share (its caches), else one is built.
    iam_analyzer: InitVar[IamAnalyzer | None] = None

    def __post_init__(self, iam_analyzer: IamAnalyzer | None) -> None:
        self.rbac = Rbac(self.platform)
        self.iam = (
            iam_analyzer
            if iam_analyzer is not None and iam_analyzer.platform is self.platform
            else IamAnalyzer(self.platform)
        )
        self.cluster = self.platform.eks_cluster(self.cluster_name)

    @property
    def version(self) -> str | None:
        return self.cluster.version if self.cluster else None

    # -- identities

    def identity(self, principal_arn: str, session: str = "SESSION") -> KubeIdentity | None:
        if self.cluster is None:
            return None
        key = f"{principal_arn}\x00{session}"
        found = self._identities.get(key)
        if found is None:
            dns = {i.instance_id: i.private_dns_name for i in self.platform.aws.instances}
            found = authenticate(self.cluster, self.platform.aws_auth, principal_arn, session, dns)
            self._identities[key] = found
        return found

    def known_principals(self) -> tuple[str, ...]:
        """IAM principals the cluster maps: aws-auth entries, access entries, the creator."""
        out: dict[str, None] = {}
        if self.platform.aws_auth is not None:
            for e in (*self.platform.aws_auth.map_roles, *self.platform.aws_auth.map_users):
                out.setdefault(e.arn, None)
        if self.cluster is not None:
            for a in self.cluster.access_entries:
                out.setdefault(a.principal_arn, None)
            if self.cluster.creator_arn:
                out.setdefault(self.cluster.creator_arn, None)
        return tuple(out)

    def people(self) -> list[Person]:
        if self._people is None:
            self._people = [p for realm in self.platform.realms for p in self._people_of(realm)]
        return self._people

    def _people_of(self, realm: Realm) -> Iterable[Person]:
        for user in realm.users:
            for link in user.federated_identities:
                idp = realm.identity_provider(link.identity_provider)
                if (idp is not None and idp.provider_id == "github") or (
                    idp is None and link.identity_provider == "github"
                ):
                    yield self._person(realm, user, link.user_name)
                    break

    def _person(self, realm: Realm, user: User, login: str) -> Person:
        clients = client_grants(realm, user)
        claims: list[AwsRoleClaim] = []
        session = user.username
        for grant in clients:
            values = grant.values(AWS_ROLE_ATTRIBUTE)
            if not values:
                continue
            session = next(iter(grant.values(AWS_SESSION_ATTRIBUTE)), session)
            sources = dict(grant.role_sources)
            for value in values:
                pair = parse_role_pair(value)
                if pair is None:
                    continue
                result = assume_with_saml(
                    self.platform.aws, self.iam.catalog, self.iam.evaluator, *pair
                )
                claims.append(
                    AwsRoleClaim(grant.client_id, pair[0], pair[1], sources.get(value, ()), result)
                )
        identities = tuple(
            ident
            for c in claims
            if c.result.ok
            for ident in [self.identity(c.role_arn, session)]
            if ident is not None
        )
        return Person(
            login, realm.name, user.username, user.enabled and realm.enabled, clients,
            tuple(claims), session, identities, self._oidc_sign_ins(realm, user),
        )  # fmt: skip

    def _oidc_sign_ins(self, realm: Realm, user: User) -> tuple[KubeIdentity, ...]:
        """Every (OIDC client, identity provider config) pair where the client's ID
        token names the config's client id in ``aud``: what the cluster makes of it."""
        if self.cluster is None:
            return ()
        configs = [
            c for c in self.cluster.identity_provider_configs if issuer_matches(c.issuer_url, realm)
        ]
        if not configs:
            return ()
        out: list[KubeIdentity] = []
        for client in oidc_clients(realm, user):
            token = id_token(realm, user, client)
            for config in configs:
                if config.client_id in token.audiences:
                    out.append(authenticate_oidc(self.cluster, config, token))
        return tuple(out)

    # -- evaluation

    def _rbac_reasons(self, user: str, groups: Iterable[str], req: ResourceRequest) -> list[Reason]:
        out: list[Reason] = []
        for matched, binding in self.rbac.bindings_for(user, groups):
            for rule in self._allowing(binding, req):
                out.append(
                    Reason(
                        f"{matched} -> {binding.label()} -> "
                        f"{binding.role.label() if binding.role else binding.role_ref}",
                        rule,
                        binding.source,
                    )
                )
        return out

    def _allowing(self, binding: Binding, req: ResourceRequest) -> tuple[str, ...]:
        if binding.role is None:
            return ()
        if not binding.applies_to(req.namespace) or (
            req.namespace is None and binding.namespace is not None
        ):
            return ()
        if req.non_resource_url is not None and binding.namespace is not None:
            return ()
        key = (id(binding.role), req)
        cached = self._role_match.get(key)
        if cached is None:
            cached = tuple(r.describe() for r in binding.role.rules if r.allows(req))
            self._role_match[key] = cached
        return cached

    def reasons(
        self,
        user: str,
        groups: tuple[str, ...],
        policies: tuple[PolicyGrant, ...],
        req: ResourceRequest,
    ) -> list[Reason]:
        out: list[Reason] = []
        if MASTERS in groups:
            out.append(
                Reason(
                    "group system:masters", "every request (hard-wired in kube-apiserver, not RBAC)"
                )
            )
        for p in policies:
            for rule in p.allowing_rules(req):
                out.append(
                    Reason(
                        f"EKS access policy {p.name} ({p.scope_text()})", rule.describe(), p.source
                    )
                )
        out.extend(self._rbac_reasons(user, groups, req))
        return out

    def session_requests(self, req: ResourceRequest) -> list[ResourceRequest]:
        """The request, and for exec/attach/portforward every verb that opens a session."""
        if (
            req.resource == "pods"
            and req.subresource in SESSION_SUBRESOURCES
            and req.verb
            in (
                "create",
                "get",
            )
        ):
            return [
                ResourceRequest(
                    v, req.resource, req.subresource, req.api_group, req.namespace, req.name
                )
                for v in exec_verbs(self.version)
            ]
        return [req]

    def _capabilities(
        self, user: str, groups: tuple[str, ...], policies: tuple[PolicyGrant, ...]
    ) -> tuple[Capability, ...]:
        out: list[Capability] = []
        scopes: list[str | None] = [None, *sorted({n.name for n in self.platform.namespaces})]
        for ability, *_ in ABILITIES:
            for ns in scopes:
                base = ability_request(ability, ns)
                reasons: list[Reason] = []
                for r in self.session_requests(base):
                    for reason in self.reasons(user, groups, policies, r):
                        if r.verb == "get" and r.subresource:
                            reason = Reason(
                                reason.via,
                                reason.rule + " (get: WebSocket exec before 1.35)",
                                reason.source,
                            )
                        reasons.append(reason)
                if ability == "cluster-admin":
                    reasons = [
                        r
                        for r in reasons
                        if "every request" in r.rule
                        or r.rule.startswith("* on *")
                        or r.rule.startswith("*,")
                        or "* on *" in r.rule
                    ]
                if reasons:
                    out.append(Capability(ability, ns or "cluster", tuple(reasons)))
                    if ns is None:
                        break  # cluster-wide covers every namespace
        return tuple(out)

    def _grants(
        self, user: str, groups: tuple[str, ...], policies: tuple[PolicyGrant, ...]
    ) -> tuple[Grant, ...]:
        out: list[Grant] = []
        if MASTERS in groups:
            out.append(Grant("cluster", "group system:masters", ("* (not RBAC)",)))
        for p in policies:
            scope = "cluster" if p.scope_text() == "cluster" else p.scope_text()
            out.append(
                Grant(
                    scope,
                    f"EKS access policy {p.name}",
                    tuple(r.describe() for r in p.rules),
                    p.source,
                )
            )
        for matched, b in self.rbac.bindings_for(user, groups):
            rules = tuple(r.describe() for r in b.role.rules) if b.role else ()
            role = b.role.label() if b.role else f"{b.role_ref} (missing)"
            out.append(
                Grant(
                    b.namespace or "cluster", f"{matched} -> {b.label()} -> {role}", rules, b.source
                )
            )
        return tuple(out)

    def _pod_roles(
        self, user: str, groups: tuple[str, ...], policies: tuple[PolicyGrant, ...]
    ) -> tuple[PodRoleChain, ...]:
        out: list[PodRoleChain] = []
        seen: set[tuple[str, str]] = set()
        by_ns: dict[str, list[Pod]] = {}
        for pod in self.platform.pods:
            by_ns.setdefault(pod.namespace, []).append(pod)
        for ns in sorted(by_ns):
            reasons: list[Reason] = []
            for r in self.session_requests(ResourceRequest("create", "pods", "exec", "", ns)):
                reasons.extend(self.reasons(user, groups, policies, r))
            if not reasons:
                continue
            for pod in by_ns[ns]:
                if (pod.workload_key, "") in seen:
                    continue
                seen.add((pod.workload_key, ""))
                access = self.iam.pod_access(pod)
                for grant in access.roles:
                    if not grant.obtained:
                        continue
                    actions = tuple(
                        a for p in grant.permissions if p.effect == "Allow" for a in p.actions
                    )
                    out.append(
                        PodRoleChain(
                            pod.key,
                            access.service_account,
                            grant.via.value,
                            grant.role_arn,
                            tuple(reasons[:3]),
                            tuple(f"{s.step}: {s.detail}" for s in grant.steps),
                            tuple(dict.fromkeys(actions)),
                        )
                    )
        return tuple(out)

    def subject_access(
        self, user: str, groups: tuple[str, ...], policies: tuple[PolicyGrant, ...] = (),
        identity: KubeIdentity | None = None,
    ) -> SubjectAccess:  # fmt: skip
        return SubjectAccess(
            user, groups, self._grants(user, groups, policies),
            self._capabilities(user, groups, policies), self._pod_roles(user, groups, policies),
            identity,
        )  # fmt: skip

    # -- the three queries

    def user(self, login: str) -> UserAccess:
        person = next((p for p in self.people() if p.login.lower() == login.lower()), None)
        if person is None:
            return UserAccess(
                login, None, None, False, (), (), (), (),
                (f"no user of any realm is linked to the GitHub login {login!r}",),
            )  # fmt: skip
        notes: list[str] = []
        if not person.enabled:
            notes.append(
                f"Keycloak user {person.username} is disabled: it signs in to nothing, so none of "
                "its groups or roles are usable (they still sit in the realm)"
            )
            return UserAccess(
                person.login, person.realm, person.username, False, (), (), (), (), tuple(notes)
            )
        perms: list[tuple[str, tuple[dict[str, object], ...]]] = []
        kube: list[tuple[str, SubjectAccess]] = []
        for claim in person.aws_roles:
            if not claim.result.ok:
                notes.append(f"cannot assume {claim.role_arn}: {claim.result.reason}")
                continue
            parsed = self.iam.catalog.get(claim.role_arn)
            perms.append(
                (claim.role_arn, tuple(p.to_json() for p in parsed.permissions()) if parsed else ())
            )
            ident = self.identity(claim.role_arn, person.session_name)
            if ident is None:
                continue
            if not ident.mapped:
                notes.append(
                    f"{claim.role_arn} is not mapped to any Kubernetes identity in cluster "
                    f"{ident.cluster}: " + "; ".join(ident.steps)
                )
                continue
            kube.append(
                (
                    claim.role_arn,
                    self.subject_access(ident.username or "", ident.groups, ident.policies, ident),
                )
            )
        for ident in person.oidc_identities:
            if not ident.mapped:
                notes.append(f"{ident.principal_arn}: refused: {ident.steps[-1]}")
                continue
            notes.extend(f"{ident.principal_arn}: {n}" for n in ident.notes)
            kube.append(
                (
                    ident.principal_arn,
                    self.subject_access(ident.username or "", ident.groups, ident.policies, ident),
                )
            )
        return UserAccess(
            person.login, person.realm, person.username, True, person.clients, person.aws_roles,
            tuple(perms), tuple(kube), tuple(notes),
        )  # fmt: skip

    def aws_who_can(
        self, action: str, resource: str, context: dict[str, object] | None = None
    ) -> tuple[PersonAwsGrant, ...]:
        """People who can perform ``action`` on ``resource`` through an SSO role."""
        ctx = Request.make_context(context or {})
        region = self.cluster.region if self.cluster else None
        out: list[PersonAwsGrant] = []
        for person in self.people():
            if not person.enabled:
                continue
            for claim in person.aws_roles:
                if not claim.result.ok:
                    continue
                decision = self.iam.role_decision(
                    claim.role_arn, person.session_name, action, resource, ctx, region=region
                )
                if decision is not None and decision.allowed:
                    out.append(
                        PersonAwsGrant(
                            person.login,
                            person.username,
                            claim.client_id,
                            claim.role_arn,
                            claim.granted_by,
                            decision,
                        )
                    )
        return tuple(sorted(out, key=lambda g: (g.login.lower(), g.role_arn)))

    def service_account(self, namespace: str, name: str) -> SubjectAccess:
        return self.subject_access(
            service_account_user(namespace, name), service_account_groups(namespace)
        )

    def service_account_access(self, namespace: str, name: str) -> ServiceAccountAccess:
        """:meth:`service_account`, named (what ``access sa`` answers)."""
        return ServiceAccountAccess(f"{namespace}/{name}", self.service_account(namespace, name))

    def everyone_aws_who_can(self, action: str, resource: str) -> AwsWhoCan:
        """The pods (their roles' chains) and the people (SSO roles) who can perform
        ``action`` on ``resource`` (what ``iam who-can`` answers)."""
        return AwsWhoCan(self.iam.who_can(action, resource), self.aws_who_can(action, resource))

    def _service_accounts(
        self,
    ) -> tuple[dict[tuple[str, str], list[str]], list[tuple[str, str]]]:
        """The pods of each service account, and every service account the platform
        names (objects, pods, binding subjects) in order; the same for every question."""
        if self._sa_index is None:
            sa_pods: dict[tuple[str, str], list[str]] = {}
            for pod in self.platform.pods:
                sa_pods.setdefault((pod.namespace, pod.spec.service_account), []).append(pod.key)
            sa_keys = {(sa.meta.ns, sa.meta.name) for sa in self.platform.service_accounts}
            sa_keys |= set(sa_pods)
            sa_keys |= {
                (ns, name)
                for b in self.rbac.bindings
                for kind, name, ns in b.subjects
                # a binding's ServiceAccount subjects carry their namespace (Rbac._binding)
                if kind == "ServiceAccount" and ns is not None
            }
            self._sa_index = (sa_pods, sorted(sa_keys))
        return self._sa_index

    def _service_accounts_of(
        self, subjects: dict[tuple[str, str], list[str]]
    ) -> list[tuple[str, str]]:
        """The service accounts (in :meth:`_service_accounts`' order) a subject
        key names: by their user, their namespace's group, or a group of all."""
        _, sa_keys = self._service_accounts()
        groups = {name for kind, name in subjects if kind == "Group"}
        if not groups.isdisjoint(("system:serviceaccounts", AUTHENTICATED)):
            return sa_keys  # groups every service account is in
        if not self._sa_by_ns:
            for key in sa_keys:
                self._sa_by_ns.setdefault(key[0], []).append(key)
        found: set[tuple[str, str]] = set()
        for kind, name in subjects:
            parts = name.split(":")
            ns = parts[-1] if kind == "Group" else parts[-2] if len(parts) == 4 else ""
            for key in self._sa_by_ns.get(ns, ()):
                names = service_account_groups(ns) if kind == "Group" else ()
                if name in names or (kind == "User" and name == service_account_user(*key)):
                    found.add(key)
        return sorted(found)

    def who_can(self, req: ResourceRequest) -> WhoCanResult:
        requests = self.session_requests(req)
        notes: list[str] = []
        if len(requests) > 1:
            notes.append(
                f"Kubernetes {self.version or 'version unknown'}: get on pods/{req.subresource} "
                "opens a session over WebSocket (create is required from 1.35)"
            )
        # RBAC subjects whose bindings allow the request
        subjects: dict[tuple[str, str], list[str]] = {}
        for binding in self.rbac.bindings:
            for r in requests:
                rules = self._allowing(binding, r)
                if not rules:
                    continue
                for key, text in _grant_texts(binding, rules[0]):
                    subjects.setdefault(key, []).append(f"{text} ({r.verb})")
                break
        subjects.setdefault(("Group", MASTERS), []).append(
            "group system:masters: every request (hard-wired in kube-apiserver)"
        )
        for key, texts in self._impersonators(subjects).items():
            subjects.setdefault(key, []).extend(texts)
        entries: list[WhoCanEntry] = []
        consumed: set[tuple[str, str]] = set()
        # service accounts
        sa_pods, _ = self._service_accounts()
        for ns, name in self._service_accounts_of(subjects):
            user = service_account_user(ns, name)
            chains: list[tuple[str, ...]] = []
            for key in (("User", user), *(("Group", g) for g in service_account_groups(ns))):
                for text in subjects.get(key, ()):
                    chains.append((text,))
                    consumed.add(key)
            if chains:
                entries.append(
                    WhoCanEntry(
                        "service-account",
                        f"{ns}/{name}",
                        tuple(chains),
                        tuple(sorted(sa_pods.get((ns, name), []))[:20]),
                    )
                )
        # people and IAM principals
        via_people: set[str] = set()
        for person in self.people():
            if not person.enabled:
                continue
            chains = []
            for ident in (*person.identities, *person.oidc_identities):
                if not ident.mapped:
                    continue
                if not _is_oidc(ident):
                    via_people.add(ident.principal_arn.lower())
                for text in self._identity_chains(ident, requests, subjects, consumed):
                    chains.append(
                        (f"GitHub {person.login}", f"Keycloak user {person.username}",
                         _sign_in_step(ident), *ident.steps[-1:], text)
                    )  # fmt: skip
            if chains:
                entries.append(WhoCanEntry("person", person.login, tuple(chains)))
        for arn in self.known_principals():
            mapped = self.identity(arn)
            if mapped is None or not mapped.mapped:
                continue
            chains = [
                (f"IAM {arn}", *mapped.steps[-1:], text)
                for text in self._identity_chains(mapped, requests, subjects, consumed)
            ]
            if chains:
                entries.append(WhoCanEntry("iam-principal", arn, tuple(chains)))
        for (kind, name), texts in sorted(subjects.items()):
            if (kind, name) in consumed or name == MASTERS:
                continue
            entries.append(WhoCanEntry(kind.lower(), name, tuple((t,) for t in texts)))
        return WhoCanResult(
            req.describe(), tuple(r.verb for r in requests), tuple(entries), tuple(notes)
        )

    def _impersonators(
        self, subjects: dict[tuple[str, str], list[str]]
    ) -> dict[tuple[str, str], list[str]]:
        """RBAC subjects that can impersonate one of ``subjects`` (one hop), each with
        the text of that path.

        kube-apiserver's impersonation filter asks RBAC for ``impersonate`` on
        ``users/NAME``, ``groups/NAME`` or ``serviceaccounts/NAME`` in the
        ServiceAccount's namespace; impersonating a group also needs a user to
        impersonate (``Impersonate-Group`` requires ``Impersonate-User``), so a
        group is reachable only by a subject that may also impersonate some user.
        Impersonating ``system:masters`` this way is cluster-admin.
        """
        candidates = [
            b
            for b in self.rbac.bindings
            if b.role is not None
            and any("*" in r.verbs or "impersonate" in r.verbs for r in b.role.rules)
        ]
        if not candidates:
            return {}

        def holders(req: ResourceRequest) -> list[tuple[tuple[str, str], str]]:
            out = []
            for b in candidates:
                rules = self._allowing(b, req)
                if rules:
                    out.extend(_grant_texts(b, rules[0]))
            return out

        def any_user(key: tuple[str, str]) -> bool:
            """Whether ``key`` may impersonate some user (any name, or listed ones)."""
            return any(
                ("*" in r.verbs or "impersonate" in r.verbs)
                and ({"", "*"} & r.api_groups)
                and ({"users", "*"} & r.resources)
                for b in candidates
                if b.namespace is None and b.role is not None
                and any(subject_key(k, n, ns) == key for k, n, ns in b.subjects)
                for r in b.role.rules
            )  # fmt: skip

        found: dict[tuple[str, str], list[str]] = {}
        direct = set(subjects)  # who already may: the impersonation path adds nothing
        for (kind, name), texts in list(subjects.items()):
            if kind == "User" and name.startswith(SA_PREFIX):
                ns, _, sa = name[len(SA_PREFIX) :].partition(":")
                req = ResourceRequest("impersonate", "serviceaccounts", namespace=ns, name=sa)
                target = f"ServiceAccount {ns}/{sa}"
            elif kind == "User":
                req = ResourceRequest("impersonate", "users", name=name)
                target = f"User {name}"
            else:
                req = ResourceRequest("impersonate", "groups", name=name)
                target = f"Group {name}"
            for key, how in holders(req):
                if key in direct or (kind == "Group" and not any_user(key)):
                    continue
                found.setdefault(key, []).append(
                    f"{how} (impersonate) -> impersonates {target} -> {texts[0]}"
                )
        return found

    def _identity_chains(
        self,
        ident: KubeIdentity,
        requests: list[ResourceRequest],
        subjects: dict[tuple[str, str], list[str]],
        consumed: set[tuple[str, str]],
    ) -> list[str]:
        out: list[str] = []
        who = f"Kubernetes user {ident.username}"
        for key in (("User", ident.username or ""), *(("Group", g) for g in ident.groups)):
            if key == ("Group", AUTHENTICATED) and key not in subjects:
                continue
            for text in subjects.get(key, ()):
                if key == ("Group", MASTERS) and MASTERS not in ident.groups:
                    continue
                out.append(f"{who}: {text}")
                consumed.add(key)
        for p in ident.policies:
            for r in requests:
                rules = p.allowing_rules(r)
                if rules:
                    out.append(
                        f"EKS access policy {p.name} ({p.scope_text()}): "
                        f"{rules[0].describe()} ({r.verb})"
                    )
                    break
        return out
