"""A Keycloak realm, as its export (``RealmRepresentation``) describes it.

The access engine walks a chain through this model::

    GitHub login -> User (federated identity of a ``github`` identity provider)
                 -> groups (direct memberships; role mappings inherited from ancestors)
                 -> realm and client roles (composites expanded)
                 -> the roles in a client's scope (fullScopeAllowed / scope mappings)
                 -> the protocol mappers of the client and of its client scopes

Semantics follow Keycloak's own code (``RoleUtils.getDeepUserRoleMappings``,
``TokenManager.getAccess``, ``GroupMembershipMapper``):

- a member of ``/a/b`` is *not* a member of ``/a`` (group membership mappers
  emit direct memberships only), but it holds the role mappings of ``/a``;
- composite roles expand transitively (cycles are harmless);
- a client with ``fullScopeAllowed`` receives every effective role of the
  user; otherwise only the intersection of the user's effective roles with the
  expanded union of: the client's own client roles, the client's scope
  mappings and the scope mappings of its (default and requested optional)
  client scopes.

Secrets never enter this model: client secrets, identity-provider client
secrets, user credentials and any config key that names a secret, password,
private key or certificate are dropped by the loader; objects keep only
``has_secret`` / ``redacted_keys`` to say that something was there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import field
from typing import TypeVar

from ekstwin.errors import ModelError
from ekstwin.model._dataclass import dataclass
from ekstwin.model.source import Source

GITHUB_PROVIDER_ID = "github"
"""``providerId`` of Keycloak's GitHub social broker."""

_K = TypeVar("_K")
_V = TypeVar("_V")

SAML = "saml"
OPENID_CONNECT = "openid-connect"


@dataclass(frozen=True, slots=True, order=True)
class RoleRef:
    """Names a role: a realm role (``client`` None) or a role of the client ``client``.

    ``client`` is the *clientId* (not the internal id) of the role's client.
    """

    name: str
    client: str | None = None

    def __str__(self) -> str:
        return f"{self.client}/{self.name}" if self.client is not None else self.name


@dataclass(frozen=True, slots=True)
class Role:
    """A realm role or a client role, with its composite children."""

    name: str
    client: str | None
    description: str = ""
    composites: tuple[RoleRef, ...] = ()
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: Source | None = None

    @property
    def ref(self) -> RoleRef:
        return RoleRef(self.name, self.client)

    @property
    def composite(self) -> bool:
        return bool(self.composites)


@dataclass(frozen=True, slots=True)
class FederatedIdentity:
    """A link from a Keycloak user to an account at an identity provider.

    For GitHub, ``user_id`` is the numeric GitHub id and ``user_name`` the login.
    """

    identity_provider: str
    user_id: str
    user_name: str


@dataclass(frozen=True, slots=True)
class User:
    """A realm user. ``groups`` are the paths of *direct* memberships."""

    username: str
    email: str | None = None
    enabled: bool = True
    id: str | None = None  # the ``sub`` of its OIDC tokens
    email_verified: bool = False
    first_name: str | None = None
    last_name: str | None = None
    federated_identities: tuple[FederatedIdentity, ...] = ()
    groups: tuple[str, ...] = ()
    realm_roles: tuple[str, ...] = ()
    client_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    service_account_client_id: str | None = None
    credential_types: tuple[str, ...] = ()
    source: Source | None = None

    @property
    def role_mappings(self) -> frozenset[RoleRef]:
        """The roles mapped to the user directly (no groups, no composites)."""
        return _role_refs(self.realm_roles, self.client_roles)


@dataclass(frozen=True, slots=True)
class Group:
    """A group and its subtree. ``path`` is ``/parent/child``."""

    name: str
    path: str
    sub_groups: tuple[Group, ...] = ()
    realm_roles: tuple[str, ...] = ()
    client_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: Source | None = None

    @property
    def role_mappings(self) -> frozenset[RoleRef]:
        """The roles mapped to this group itself (not its ancestors)."""
        return _role_refs(self.realm_roles, self.client_roles)

    def walk(self) -> Iterable[Group]:
        """This group, then its subgroups depth-first."""
        yield self
        for child in self.sub_groups:
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class IdentityProvider:
    """A brokered identity provider (``providerId`` ``github``, ``oidc``, ``saml``...).

    ``config`` holds no secrets; ``has_secret`` tells whether a client secret
    was configured and ``redacted_keys`` which config keys were dropped.
    """

    alias: str
    provider_id: str
    enabled: bool = True
    display_name: str | None = None
    trust_email: bool = False
    link_only: bool = False
    store_token: bool = False
    first_broker_login_flow: str | None = None
    post_broker_login_flow: str | None = None
    config: dict[str, str] = field(default_factory=dict)
    has_secret: bool = False
    redacted_keys: tuple[str, ...] = ()
    source: Source | None = None

    @property
    def sync_mode(self) -> str:
        """``IMPORT`` (the default), ``FORCE`` or ``LEGACY``."""
        return self.config.get("syncMode", "IMPORT") or "IMPORT"


@dataclass(frozen=True, slots=True)
class IdentityProviderMapper:
    """A mapper applied when a user logs in through an identity provider.

    ``mapper_type`` is the ``identityProviderMapper`` id, e.g.
    ``oidc-hardcoded-group-idp-mapper`` (config ``group``: a group path) or
    ``oidc-hardcoded-role-idp-mapper`` (config ``role``: ``name`` or ``clientId.name``).
    """

    name: str
    identity_provider_alias: str
    mapper_type: str
    config: dict[str, str] = field(default_factory=dict)
    redacted_keys: tuple[str, ...] = ()
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class ProtocolMapper:
    """Puts something into a token or assertion (``protocol_mapper`` is its type id).

    Common types: ``saml-role-list-mapper`` (config ``attribute.name``,
    ``single``), ``saml-group-membership-mapper``, ``saml-hardcode-attribute-mapper``,
    ``saml-user-property-mapper``, ``oidc-group-membership-mapper`` (``claim.name``,
    ``full.path``), ``oidc-usermodel-realm-role-mapper``, ``oidc-audience-mapper``.
    """

    name: str
    protocol: str
    protocol_mapper: str
    consent_required: bool = False
    config: dict[str, str] = field(default_factory=dict)
    redacted_keys: tuple[str, ...] = ()
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class ClientScope:
    """A reusable set of protocol mappers and role scope mappings."""

    name: str
    protocol: str
    description: str = ""
    protocol_mappers: tuple[ProtocolMapper, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class Client:
    """An application that signs users in through the realm (SAML or OIDC).

    ``attributes`` holds no secrets or key material; ``has_secret`` tells
    whether the export carried a client secret.
    """

    client_id: str
    protocol: str = OPENID_CONNECT
    name: str | None = None
    enabled: bool = True
    public_client: bool = False
    bearer_only: bool = False
    base_url: str | None = None
    root_url: str | None = None
    redirect_uris: tuple[str, ...] = ()
    web_origins: tuple[str, ...] = ()
    protocol_mappers: tuple[ProtocolMapper, ...] = ()
    default_client_scopes: tuple[str, ...] = ()
    optional_client_scopes: tuple[str, ...] = ()
    full_scope_allowed: bool = True
    standard_flow_enabled: bool = True
    direct_access_grants_enabled: bool = False
    service_accounts_enabled: bool = False
    attributes: dict[str, str] = field(default_factory=dict)
    has_secret: bool = False
    redacted_keys: tuple[str, ...] = ()
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class ScopeMapping:
    """Roles put in the scope of a client (``client``) or of a client scope (``client_scope``)."""

    roles: tuple[RoleRef, ...]
    client: str | None = None
    client_scope: str | None = None
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class Realm:
    """One Keycloak realm. Lookups by name are indexes built at construction."""

    name: str
    enabled: bool = True
    users: tuple[User, ...] = ()
    groups: tuple[Group, ...] = ()
    roles: tuple[Role, ...] = ()
    identity_providers: tuple[IdentityProvider, ...] = ()
    identity_provider_mappers: tuple[IdentityProviderMapper, ...] = ()
    clients: tuple[Client, ...] = ()
    client_scopes: tuple[ClientScope, ...] = ()
    default_default_client_scopes: tuple[str, ...] = ()
    default_optional_client_scopes: tuple[str, ...] = ()
    scope_mappings: tuple[ScopeMapping, ...] = ()
    default_role: str | None = None
    default_groups: tuple[str, ...] = ()
    source: Source | None = None
    groups_by_path: dict[str, Group] = field(init=False, repr=False, compare=False)
    _group_parent: dict[str, str] = field(init=False, repr=False, compare=False)
    _roles: dict[RoleRef, Role] = field(init=False, repr=False, compare=False)
    _users: dict[str, User] = field(init=False, repr=False, compare=False)
    _clients: dict[str, Client] = field(init=False, repr=False, compare=False)
    _scopes: dict[str, ClientScope] = field(init=False, repr=False, compare=False)
    _idps: dict[str, IdentityProvider] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_path: dict[str, Group] = {}
        parent: dict[str, str] = {}

        def index(group: Group, parent_path: str | None) -> None:
            by_path.setdefault(group.path, group)
            if parent_path is not None:
                parent.setdefault(group.path, parent_path)
            for child in group.sub_groups:
                index(child, group.path)

        for top in self.groups:
            index(top, None)
        object.__setattr__(self, "groups_by_path", by_path)
        object.__setattr__(self, "_group_parent", parent)
        object.__setattr__(self, "_roles", _first_by(self.roles, lambda r: r.ref))
        object.__setattr__(self, "_users", _first_by(self.users, lambda u: u.username.lower()))
        object.__setattr__(self, "_clients", _first_by(self.clients, lambda c: c.client_id))
        object.__setattr__(self, "_scopes", _first_by(self.client_scopes, lambda s: s.name))
        object.__setattr__(self, "_idps", _first_by(self.identity_providers, lambda i: i.alias))

    # -- lookups -----------------------------------------------------------

    def user(self, username: str) -> User | None:
        """The user of that username (Keycloak stores usernames lower-cased)."""
        return self._users.get(username.lower())

    def group(self, path: str) -> Group | None:
        """The group at ``path`` (a leading ``/`` is optional, as in Keycloak)."""
        return self.groups_by_path.get(normalize_group_path(path))

    def role(self, ref: RoleRef) -> Role | None:
        return self._roles.get(ref)

    def client(self, client_id: str) -> Client | None:
        return self._clients.get(client_id)

    def client_scope(self, name: str) -> ClientScope | None:
        return self._scopes.get(name)

    def identity_provider(self, alias: str) -> IdentityProvider | None:
        return self._idps.get(alias)

    def client_roles_of(self, client_id: str) -> tuple[Role, ...]:
        """The roles defined by the client ``client_id``."""
        return tuple(r for r in self.roles if r.client == client_id)

    def mappers_of(self, alias: str) -> tuple[IdentityProviderMapper, ...]:
        """The identity-provider mappers of the provider ``alias``."""
        return tuple(
            m for m in self.identity_provider_mappers if m.identity_provider_alias == alias
        )

    # -- GitHub identities -------------------------------------------------

    def github_providers(self) -> tuple[IdentityProvider, ...]:
        """Identity providers whose ``providerId`` is ``github`` (any alias)."""
        return tuple(i for i in self.identity_providers if i.provider_id == GITHUB_PROVIDER_ID)

    def _is_github_alias(self, alias: str) -> bool:
        idp = self._idps.get(alias)
        if idp is not None:
            return idp.provider_id == GITHUB_PROVIDER_ID
        # A link to a provider the export does not declare: Keycloak names a new
        # GitHub provider "github" by default, so only that alias is trusted.
        return alias == GITHUB_PROVIDER_ID

    def users_by_github_login(self, login: str, *, alias: str | None = None) -> tuple[User, ...]:
        """Users linked to the GitHub account ``login`` (case-insensitive, as GitHub logins are).

        Only federated identities count: a local user whose username happens
        to equal the login is a different account. ``alias`` limits the
        search to one provider (github.com and a GitHub Enterprise server
        are two providers whose logins may collide).
        """
        wanted = login.lower()
        found: list[User] = []
        for user in self.users:
            for link in user.federated_identities:
                if alias is not None and link.identity_provider != alias:
                    continue
                if not self._is_github_alias(link.identity_provider):
                    continue
                if link.user_name.lower() == wanted:
                    found.append(user)
                    break
        return tuple(found)

    def user_by_github_login(self, login: str, *, alias: str | None = None) -> User | None:
        """The one user linked to the GitHub ``login``; None if none.

        Raises ModelError when several users match (several GitHub providers
        and no ``alias``): the caller must say which provider it means.
        """
        users = self.users_by_github_login(login, alias=alias)
        if len(users) > 1:
            names = ", ".join(u.username for u in users)
            raise ModelError(
                f"GitHub login {login!r} is linked to several users of realm {self.name!r}: "
                f"{names}; pass the identity provider alias"
            )
        return users[0] if users else None

    def user_by_github_id(self, user_id: str, *, alias: str | None = None) -> User | None:
        """The user linked to the numeric GitHub id (logins can be renamed, ids cannot)."""
        for user in self.users:
            for link in user.federated_identities:
                if alias is not None and link.identity_provider != alias:
                    continue
                if self._is_github_alias(link.identity_provider) and link.user_id == user_id:
                    return user
        return None

    # -- groups and roles --------------------------------------------------

    def group_ancestors(self, path: str) -> tuple[str, ...]:
        """Paths of the ancestors of ``path``, nearest first."""
        out: list[str] = []
        current = normalize_group_path(path)
        if current not in self.groups_by_path:
            # Not in the tree: fall back to the path's own segments.
            parts = current.strip("/").split("/")
            return tuple("/" + "/".join(parts[:i]) for i in range(len(parts) - 1, 0, -1))
        while current in self._group_parent:
            current = self._group_parent[current]
            out.append(current)
        return tuple(out)

    def effective_groups(self, user: User) -> tuple[str, ...]:
        """The user's group paths and their ancestors: the groups whose roles it holds.

        Membership itself is not inherited: a group membership mapper emits
        ``user.groups`` only.
        """
        seen: dict[str, None] = {}
        for path in user.groups:
            seen.setdefault(normalize_group_path(path), None)
            for ancestor in self.group_ancestors(path):
                seen.setdefault(ancestor, None)
        return tuple(seen)

    def role_mappings(self, user: User) -> frozenset[RoleRef]:
        """Direct role mappings of the user and of its groups and their ancestors."""
        refs = set(user.role_mappings)
        for path in self.effective_groups(user):
            group = self.groups_by_path.get(path)
            if group is not None:
                refs |= group.role_mappings
        return frozenset(refs)

    def expand_composites(self, refs: Iterable[RoleRef]) -> frozenset[RoleRef]:
        """The roles and, transitively, their composite children.

        A reference to a role the realm does not define is kept as it is.
        """
        seen: set[RoleRef] = set()
        stack = list(refs)
        while stack:
            ref = stack.pop()
            if ref in seen:
                continue
            seen.add(ref)
            role = self._roles.get(ref)
            if role is not None:
                stack.extend(role.composites)
        return frozenset(seen)

    def effective_roles(self, user: User) -> frozenset[RoleRef]:
        """Every role the user holds: direct, through groups, through composites."""
        return self.expand_composites(self.role_mappings(user))

    def effective_realm_roles(self, user: User) -> frozenset[str]:
        return frozenset(r.name for r in self.effective_roles(user) if r.client is None)

    def effective_client_roles(self, user: User) -> dict[str, frozenset[str]]:
        """Effective client roles keyed by clientId."""
        out: dict[str, set[str]] = {}
        for ref in self.effective_roles(user):
            if ref.client is not None:
                out.setdefault(ref.client, set()).add(ref.name)
        return {client: frozenset(names) for client, names in sorted(out.items())}

    # -- what a client receives --------------------------------------------

    def client_scopes_for(
        self, client: Client, requested: Iterable[str] = ()
    ) -> tuple[ClientScope, ...]:
        """The client scopes applied to a login to ``client``.

        The default client scopes always apply; optional ones only when
        ``requested`` (OIDC ``scope`` parameter). Scopes of another protocol
        and scopes the realm does not define are left out.
        """
        wanted = set(requested)
        names = list(client.default_client_scopes)
        names += [n for n in client.optional_client_scopes if n in wanted]
        out: list[ClientScope] = []
        for name in dict.fromkeys(names):
            scope = self._scopes.get(name)
            if scope is not None and scope.protocol == client.protocol:
                out.append(scope)
        return tuple(out)

    def scope_mappings_of(
        self, *, client: str | None = None, client_scope: str | None = None
    ) -> frozenset[RoleRef]:
        """Roles scope-mapped to a client (by clientId) or a client scope (by name)."""
        refs: set[RoleRef] = set()
        for mapping in self.scope_mappings:
            if (client is not None and mapping.client == client) or (
                client_scope is not None and mapping.client_scope == client_scope
            ):
                refs.update(mapping.roles)
        return frozenset(refs)

    def roles_in_scope(
        self, user: User, client: Client, requested: Iterable[str] = ()
    ) -> frozenset[RoleRef]:
        """The user's effective roles that ``client`` receives (``TokenManager.getAccess``)."""
        roles = self.effective_roles(user)
        if client.full_scope_allowed:
            return roles
        allowed: set[RoleRef] = {r.ref for r in self.client_roles_of(client.client_id)}
        allowed |= self.scope_mappings_of(client=client.client_id)
        for scope in self.client_scopes_for(client, requested):
            allowed |= self.scope_mappings_of(client_scope=scope.name)
        return roles & self.expand_composites(allowed)

    def protocol_mappers_for(
        self, client: Client, requested: Iterable[str] = ()
    ) -> tuple[tuple[str, ProtocolMapper], ...]:
        """The protocol mappers a login to ``client`` runs, each with where it comes from.

        The origin is ``client:<clientId>`` or ``scope:<name>``; the client's
        own mappers come first, then those of its applied client scopes.
        """
        out: list[tuple[str, ProtocolMapper]] = [
            (f"client:{client.client_id}", m)
            for m in client.protocol_mappers
            if m.protocol == client.protocol
        ]
        for scope in self.client_scopes_for(client, requested):
            out.extend(
                (f"scope:{scope.name}", m)
                for m in scope.protocol_mappers
                if m.protocol == client.protocol
            )
        return tuple(out)

    def reachable_clients(self, user: User) -> tuple[Client, ...]:
        """Clients the user can sign in to.

        Keycloak lets any enabled user of an enabled realm log in to any
        enabled client that has a login flow (not bearer-only; for OIDC the
        standard flow or direct grants); restricting that takes a custom
        authentication flow or the client's own checks, which the export
        does not make explicit. Service-account users sign in to nothing.
        """
        if not (self.enabled and user.enabled) or user.service_account_client_id is not None:
            return ()
        out: list[Client] = []
        for client in self.clients:
            if not client.enabled or client.bearer_only:
                continue
            if client.protocol == OPENID_CONNECT and not (
                client.standard_flow_enabled or client.direct_access_grants_enabled
            ):
                continue
            out.append(client)
        return tuple(out)


def normalize_group_path(path: str) -> str:
    """``admins`` and ``/admins/`` both name ``/admins``."""
    stripped = path.strip("/")
    return "/" + stripped if stripped else "/"


def _role_refs(
    realm_roles: Iterable[str], client_roles: Mapping[str, Iterable[str]]
) -> frozenset[RoleRef]:
    refs = {RoleRef(name) for name in realm_roles}
    for client, names in client_roles.items():
        refs.update(RoleRef(name, client) for name in names)
    return frozenset(refs)


def _first_by(items: Iterable[_V], key: Callable[[_V], _K]) -> dict[_K, _V]:
    out: dict[_K, _V] = {}
    for item in items:
        out.setdefault(key(item), item)
    return out
