"""Build :class:`ekstwin.model.keycloak.Realm` from a Keycloak realm export.

Accepts what ``kc.sh export`` and the admin console's partial export write:
one ``RealmRepresentation`` object, or a list of them (a whole-server export,
see :func:`build_realms`). Keycloak's users-in-separate-files layout
(``realm-users-0.json``: ``{"realm": ..., "users": [...]}``) is a realm too.

Bad parts are data: a user that is not an object, a group without a name, a
reference to a role or group the realm does not define each become a
:class:`~ekstwin.findings.Diagnostic` (with file and line when ``lines`` maps
JSON pointers such as ``/users/3`` to lines) and the rest still loads.

Secrets never enter the model. Dropped, keeping only that they were there:
the client ``secret`` and ``registrationAccessToken``, users' ``credentials``
(only their types are kept), and every config or attribute key whose name
contains ``secret``, ``password``, ``private``, ``certificate`` or
``credential`` (identity-provider ``clientSecret``, SAML signing keys and
certificates, ...). ``components`` (realm keys, LDAP bind credentials) and the
deprecated realm-level ``privateKey`` / ``codeSecret`` are not read at all.
Diagnostics name keys and paths, never values of those keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial

from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders.credentials import REDACTED
from ekstwin.loaders.interface import InputFormat, Loaded
from ekstwin.loaders.jsonlines import nearest_line
from ekstwin.model.keycloak import (
    OPENID_CONNECT,
    Client,
    ClientScope,
    FederatedIdentity,
    Group,
    IdentityProvider,
    IdentityProviderMapper,
    ProtocolMapper,
    Realm,
    Role,
    RoleRef,
    ScopeMapping,
    User,
    normalize_group_path,
)
from ekstwin.model.source import Source

__all__ = [
    "INPUT_FORMAT",
    "RealmDocument",
    "build_realm",
    "build_realms",
    "is_keycloak_export",
    "is_keycloak_realm",
    "is_secret_key",
    "redact_realm",
]

_REALM_PARTS = ("users", "clients", "groups", "identityProviders", "roles")
_SECRET_MARKERS = ("secret", "password", "passwd", "private", "certificate", "credential")
_CODE = "keycloak"


@dataclass(frozen=True, slots=True)
class RealmDocument:
    """One Keycloak export as read (secret values redacted): a realm or a list of realms."""

    data: object
    source: Source
    lines: dict[str, int] = field(default_factory=dict)


def is_keycloak_realm(data: object) -> bool:
    """True for a mapping with a string ``realm`` and any of the parts a realm export has."""
    return (
        (data.__class__ is dict or isinstance(data, Mapping))
        and isinstance(data.get("realm"), str)
        and any(part in data for part in _REALM_PARTS)
    )


def is_secret_key(key: str) -> bool:
    """Whether a config or attribute key names secret material (its value is dropped)."""
    lowered = key.lower()
    return any(marker in lowered for marker in _SECRET_MARKERS)


def build_realm(
    data: dict[str, object], source: Source, lines: Mapping[str, int] | None = None
) -> tuple[Realm, list[Diagnostic]]:
    """One realm from one ``RealmRepresentation``; never raises on bad content."""
    ctx = _Context(source, lines or {})
    realm = _Builder(ctx, "").realm(data)
    return realm, ctx.diagnostics


def build_realms(
    data: object, source: Source, lines: Mapping[str, int] | None = None
) -> tuple[list[Realm], list[Diagnostic]]:
    """Every realm of an export: a list of realms (whole server) or a single realm."""
    ctx = _Context(source, lines or {})
    if isinstance(data, Mapping):
        return [_Builder(ctx, "").realm(data)], ctx.diagnostics
    if not isinstance(data, list):
        ctx.report("", "a Keycloak export must be a realm object or a list of realms")
        return [], ctx.diagnostics
    realms: list[Realm] = []
    for index, item in enumerate(data):
        pointer = f"/{index}"
        if not isinstance(item, Mapping):
            ctx.report(pointer, f"realm #{index} is not an object; skipped")
            continue
        realms.append(_Builder(ctx, pointer).realm(item))
    return realms, ctx.diagnostics


# -- plumbing ------------------------------------------------------------------


@dataclass
class _Context:
    source: Source
    lines: Mapping[str, int]
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def at(self, pointer: str) -> Source:
        """The source of ``pointer``, or of its nearest ancestor the line map knows."""
        line = nearest_line(self.lines, pointer)
        return self.source if line is None else Source(self.source.file, line)

    def report(
        self,
        pointer: str,
        message: str,
        hint: str = "",
        level: DiagnosticLevel = DiagnosticLevel.ERROR,
    ) -> None:
        where = f" at {pointer}" if pointer else ""
        self.diagnostics.append(
            Diagnostic(self.at(pointer), f"{message}{where}", hint, level, _CODE)
        )

    def warn(self, pointer: str, message: str, hint: str = "") -> None:
        self.report(pointer, message, hint, DiagnosticLevel.WARNING)


def _escape(token: str) -> str:
    """A JSON-pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def _scalar_text(value: object) -> str | None:
    """Keycloak config maps are string to string; Jackson coerces scalars."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


class _Builder:
    """Reads one realm object; ``base`` is its JSON pointer ("" or "/N")."""

    def __init__(self, ctx: _Context, base: str) -> None:
        self.ctx = ctx
        self.base = base

    # -- field readers -----------------------------------------------------

    def _str(self, obj: Mapping[str, object], key: str, ptr: str) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        self.ctx.warn(f"{ptr}/{key}", f"{key!r} is not a string; ignored")
        return None

    def _bool(self, obj: Mapping[str, object], key: str, ptr: str, default: bool) -> bool:
        value = obj.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.ctx.warn(f"{ptr}/{key}", f"{key!r} is not a boolean; using {default}")
        return default

    def _list(self, obj: Mapping[str, object], key: str, ptr: str) -> list[object]:
        value = obj.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self.ctx.report(f"{ptr}/{key}", f"{key!r} is not a list; ignored")
        return []

    def _str_list(self, obj: Mapping[str, object], key: str, ptr: str) -> tuple[str, ...]:
        out: list[str] = []
        for index, item in enumerate(self._list(obj, key, ptr)):
            if isinstance(item, str):
                out.append(item)
            else:
                self.ctx.warn(f"{ptr}/{key}/{index}", f"an entry of {key!r} is not a string")
        return tuple(out)

    def _mapping(self, obj: Mapping[str, object], key: str, ptr: str) -> Mapping[str, object]:
        value = obj.get(key)
        if value is None:
            return {}
        if isinstance(value, Mapping):
            return value
        self.ctx.report(f"{ptr}/{key}", f"{key!r} is not an object; ignored")
        return {}

    def _client_roles(
        self, obj: Mapping[str, object], key: str, ptr: str
    ) -> dict[str, tuple[str, ...]]:
        """``{clientId: [role, ...]}``."""
        out: dict[str, tuple[str, ...]] = {}
        roles = self._mapping(obj, key, ptr)
        for client_id in roles:
            out[client_id] = self._str_list(roles, client_id, f"{ptr}/{key}")
        return out

    def _multi_attributes(
        self, obj: Mapping[str, object], key: str, ptr: str
    ) -> dict[str, tuple[str, ...]]:
        """``{name: [value, ...]}`` (a lone string counts as one value); secrets dropped."""
        out: dict[str, tuple[str, ...]] = {}
        attrs = self._mapping(obj, key, ptr)
        for name, value in attrs.items():
            if is_secret_key(name):
                continue
            if isinstance(value, str):
                out[name] = (value,)
            else:
                out[name] = self._str_list(attrs, name, f"{ptr}/{key}")
        return out

    def _config(
        self, obj: Mapping[str, object], key: str, ptr: str
    ) -> tuple[dict[str, str], tuple[str, ...]]:
        """A string map without secret keys: (clean map, names of the dropped keys)."""
        clean: dict[str, str] = {}
        redacted: list[str] = []
        config = self._mapping(obj, key, ptr)
        for name, value in config.items():
            if is_secret_key(name):
                redacted.append(name)
                continue
            text = _scalar_text(value)
            if text is None:
                self.ctx.warn(f"{ptr}/{key}/{_escape(name)}", f"{key} {name!r} is not a string")
                continue
            clean[name] = text
        return clean, tuple(sorted(redacted))

    def _items(
        self,
        obj: Mapping[str, object],
        key: str,
        ptr: str,
        what: str,
        build: Callable[[Mapping[str, object], str], object],
    ) -> None:
        for index, item in enumerate(self._list(obj, key, ptr)):
            item_ptr = f"{ptr}/{key}/{index}"
            if not isinstance(item, Mapping):
                self.ctx.report(item_ptr, f"{what} #{index} is not an object; skipped")
                continue
            build(item, item_ptr)

    # -- the realm ---------------------------------------------------------

    def realm(self, data: Mapping[str, object]) -> Realm:
        ptr = self.base
        name = self._str(data, "realm", ptr)
        if not name:
            self.ctx.report(ptr, "realm export has no 'realm' name", "export the realm again")
            name = ""

        roles = self._roles(data, ptr)
        groups: list[Group] = []
        self._items(data, "groups", ptr, "group", lambda g, p: self._group(g, p, "", groups))
        users: list[User] = []
        self._items(data, "users", ptr, "user", lambda u, p: self._user(u, p, users))
        idps: list[IdentityProvider] = []
        self._items(
            data, "identityProviders", ptr, "identity provider", lambda i, p: self._idp(i, p, idps)
        )
        idp_mappers: list[IdentityProviderMapper] = []
        self._items(
            data,
            "identityProviderMappers",
            ptr,
            "identity provider mapper",
            lambda m, p: self._idp_mapper(m, p, idp_mappers),
        )
        clients: list[Client] = []
        self._items(data, "clients", ptr, "client", lambda c, p: self._client(c, p, clients))
        scopes: list[ClientScope] = []
        self._items(
            data, "clientScopes", ptr, "client scope", lambda s, p: self._scope(s, p, scopes)
        )
        scope_mappings = self._scope_mappings(data, ptr)

        default_role_obj = data.get("defaultRole")
        default_role: str | None = None
        if isinstance(default_role_obj, Mapping):
            default_role = self._str(default_role_obj, "name", f"{ptr}/defaultRole")
        elif default_role_obj is not None:
            self.ctx.warn(f"{ptr}/defaultRole", "'defaultRole' is not an object; ignored")

        realm = Realm(
            name=name,
            enabled=self._bool(data, "enabled", ptr, True),
            users=tuple(users),
            groups=tuple(groups),
            roles=roles,
            identity_providers=tuple(idps),
            identity_provider_mappers=tuple(idp_mappers),
            clients=tuple(clients),
            client_scopes=tuple(scopes),
            default_default_client_scopes=self._str_list(data, "defaultDefaultClientScopes", ptr),
            default_optional_client_scopes=self._str_list(data, "defaultOptionalClientScopes", ptr),
            scope_mappings=scope_mappings,
            default_role=default_role,
            default_groups=tuple(
                normalize_group_path(p) for p in self._str_list(data, "defaultGroups", ptr)
            ),
            source=self.ctx.at(ptr),
        )
        self._check_references(realm, data)
        return realm

    # -- roles -------------------------------------------------------------

    def _roles(self, data: Mapping[str, object], ptr: str) -> tuple[Role, ...]:
        roles_obj = self._mapping(data, "roles", ptr)
        roles_ptr = f"{ptr}/roles"
        out: list[Role] = []
        self._items(
            roles_obj, "realm", roles_ptr, "realm role", lambda r, p: self._role(r, p, None, out)
        )
        clients = self._mapping(roles_obj, "client", roles_ptr)
        for client_id in clients:
            self._items(
                clients,
                client_id,
                f"{roles_ptr}/client",
                f"role of client {client_id!r}",
                partial(self._role, client=client_id, out=out),
            )
        seen: set[RoleRef] = set()
        unique: list[Role] = []
        for role in out:
            if role.ref in seen:
                self.ctx.diagnostics.append(
                    Diagnostic(
                        role.source,
                        f"role {role.ref} is defined twice; the first is used",
                        level=DiagnosticLevel.WARNING,
                        code=_CODE,
                    )
                )
                continue
            seen.add(role.ref)
            unique.append(role)
        return tuple(unique)

    def _role(
        self, obj: Mapping[str, object], ptr: str, client: str | None, out: list[Role]
    ) -> None:
        name = self._str(obj, "name", ptr)
        if not name:
            self.ctx.report(ptr, "role has no name; skipped")
            return
        composites: list[RoleRef] = []
        comp = self._mapping(obj, "composites", ptr)
        comp_ptr = f"{ptr}/composites"
        composites += [RoleRef(n) for n in self._str_list(comp, "realm", comp_ptr)]
        for key in ("client", "application"):  # "application" is the pre-1.x spelling
            for cid, names in self._client_roles(comp, key, comp_ptr).items():
                composites += [RoleRef(n, cid) for n in names]
        attributes = self._multi_attributes(obj, "attributes", ptr)
        out.append(
            Role(
                name=name,
                client=client,
                description=self._str(obj, "description", ptr) or "",
                composites=tuple(dict.fromkeys(composites)),
                attributes=attributes,
                source=self.ctx.at(ptr),
            )
        )

    # -- groups ------------------------------------------------------------

    def _group(
        self, obj: Mapping[str, object], ptr: str, parent_path: str, out: list[Group]
    ) -> None:
        name = self._str(obj, "name", ptr)
        if not name:
            self.ctx.report(ptr, "group has no name; skipped with its subgroups")
            return
        # Keycloak rebuilds paths from the tree on import; the exported path is
        # only checked against it.
        path = f"{parent_path}/{name}"
        given = self._str(obj, "path", ptr)
        if given is not None and normalize_group_path(given) != path:
            self.ctx.warn(
                f"{ptr}/path",
                f"group path {given!r} does not match its place in the tree ({path!r}); "
                "using the tree",
            )
        children: list[Group] = []
        self._items(
            obj, "subGroups", ptr, "subgroup", lambda g, p: self._group(g, p, path, children)
        )
        out.append(
            Group(
                name=name,
                path=path,
                sub_groups=tuple(children),
                realm_roles=self._str_list(obj, "realmRoles", ptr),
                client_roles=self._client_roles(obj, "clientRoles", ptr),
                attributes=self._multi_attributes(obj, "attributes", ptr),
                source=self.ctx.at(ptr),
            )
        )

    # -- users -------------------------------------------------------------

    def _user(self, obj: Mapping[str, object], ptr: str, out: list[User]) -> None:
        username = self._str(obj, "username", ptr)
        if not username:
            self.ctx.report(ptr, "user has no username; skipped")
            return
        links: list[FederatedIdentity] = []

        def link(item: Mapping[str, object], item_ptr: str) -> None:
            alias = self._str(item, "identityProvider", item_ptr)
            user_id = self._str(item, "userId", item_ptr)
            user_name = self._str(item, "userName", item_ptr)
            if not alias or user_id is None or user_name is None:
                self.ctx.report(
                    item_ptr,
                    f"federated identity of user {username!r} lacks identityProvider, "
                    "userId or userName; skipped",
                )
                return
            links.append(FederatedIdentity(alias, user_id, user_name))

        self._items(obj, "federatedIdentities", ptr, "federated identity", link)
        credential_types: list[str] = []
        for item in self._list(obj, "credentials", ptr):
            kind = item.get("type") if isinstance(item, Mapping) else None
            if isinstance(kind, str):
                credential_types.append(kind)
        out.append(
            User(
                # Keycloak lower-cases usernames when it stores them.
                username=username.lower(),
                email=self._str(obj, "email", ptr),
                # Keycloak imports a user without "enabled" as disabled.
                enabled=self._bool(obj, "enabled", ptr, False),
                id=self._str(obj, "id", ptr),
                email_verified=self._bool(obj, "emailVerified", ptr, False),
                first_name=self._str(obj, "firstName", ptr),
                last_name=self._str(obj, "lastName", ptr),
                federated_identities=tuple(links),
                groups=tuple(
                    dict.fromkeys(
                        normalize_group_path(p) for p in self._str_list(obj, "groups", ptr)
                    )
                ),
                realm_roles=self._str_list(obj, "realmRoles", ptr),
                client_roles=self._client_roles(obj, "clientRoles", ptr),
                attributes=self._multi_attributes(obj, "attributes", ptr),
                service_account_client_id=self._str(obj, "serviceAccountClientId", ptr),
                credential_types=tuple(sorted(set(credential_types))),
                source=self.ctx.at(ptr),
            )
        )

    # -- identity providers ------------------------------------------------

    def _idp(self, obj: Mapping[str, object], ptr: str, out: list[IdentityProvider]) -> None:
        alias = self._str(obj, "alias", ptr)
        provider_id = self._str(obj, "providerId", ptr)
        if not alias or not provider_id:
            self.ctx.report(ptr, "identity provider lacks alias or providerId; skipped")
            return
        config, redacted = self._config(obj, "config", ptr)
        raw_config = obj.get("config")
        has_secret = isinstance(raw_config, Mapping) and bool(raw_config.get("clientSecret"))
        out.append(
            IdentityProvider(
                alias=alias,
                provider_id=provider_id,
                enabled=self._bool(obj, "enabled", ptr, True),
                display_name=self._str(obj, "displayName", ptr),
                trust_email=self._bool(obj, "trustEmail", ptr, False),
                link_only=self._bool(obj, "linkOnly", ptr, False),
                store_token=self._bool(obj, "storeToken", ptr, False),
                first_broker_login_flow=self._str(obj, "firstBrokerLoginFlowAlias", ptr),
                post_broker_login_flow=self._str(obj, "postBrokerLoginFlowAlias", ptr),
                config=config,
                has_secret=has_secret,
                redacted_keys=redacted,
                source=self.ctx.at(ptr),
            )
        )

    def _idp_mapper(
        self, obj: Mapping[str, object], ptr: str, out: list[IdentityProviderMapper]
    ) -> None:
        name = self._str(obj, "name", ptr)
        alias = self._str(obj, "identityProviderAlias", ptr)
        mapper_type = self._str(obj, "identityProviderMapper", ptr)
        if not name or not alias or not mapper_type:
            self.ctx.report(
                ptr,
                "identity provider mapper lacks name, identityProviderAlias or "
                "identityProviderMapper; skipped",
            )
            return
        config, redacted = self._config(obj, "config", ptr)
        out.append(
            IdentityProviderMapper(
                name=name,
                identity_provider_alias=alias,
                mapper_type=mapper_type,
                config=config,
                redacted_keys=redacted,
                source=self.ctx.at(ptr),
            )
        )

    # -- clients and client scopes -----------------------------------------

    def _mappers(
        self, obj: Mapping[str, object], ptr: str, default_protocol: str
    ) -> tuple[ProtocolMapper, ...]:
        out: list[ProtocolMapper] = []

        def mapper(item: Mapping[str, object], item_ptr: str) -> None:
            name = self._str(item, "name", item_ptr)
            kind = self._str(item, "protocolMapper", item_ptr)
            if not name or not kind:
                self.ctx.report(item_ptr, "protocol mapper lacks name or protocolMapper; skipped")
                return
            config, redacted = self._config(item, "config", item_ptr)
            out.append(
                ProtocolMapper(
                    name=name,
                    protocol=self._str(item, "protocol", item_ptr) or default_protocol,
                    protocol_mapper=kind,
                    consent_required=self._bool(item, "consentRequired", item_ptr, False),
                    config=config,
                    redacted_keys=redacted,
                    source=self.ctx.at(item_ptr),
                )
            )

        self._items(obj, "protocolMappers", ptr, "protocol mapper", mapper)
        return tuple(out)

    def _client(self, obj: Mapping[str, object], ptr: str, out: list[Client]) -> None:
        client_id = self._str(obj, "clientId", ptr)
        if not client_id:
            self.ctx.report(ptr, "client has no clientId; skipped")
            return
        protocol = self._str(obj, "protocol", ptr) or OPENID_CONNECT
        attributes, redacted = self._config(obj, "attributes", ptr)
        dropped = list(redacted)
        dropped += [key for key in ("secret", "registrationAccessToken") if key in obj]
        consent = self._bool(obj, "consentRequired", ptr, False)
        out.append(
            Client(
                client_id=client_id,
                protocol=protocol,
                name=self._str(obj, "name", ptr),
                enabled=self._bool(obj, "enabled", ptr, True),
                public_client=self._bool(obj, "publicClient", ptr, False),
                bearer_only=self._bool(obj, "bearerOnly", ptr, False),
                base_url=self._str(obj, "baseUrl", ptr),
                root_url=self._str(obj, "rootUrl", ptr),
                redirect_uris=self._str_list(obj, "redirectUris", ptr),
                web_origins=self._str_list(obj, "webOrigins", ptr),
                protocol_mappers=self._mappers(obj, ptr, protocol),
                default_client_scopes=self._str_list(obj, "defaultClientScopes", ptr),
                optional_client_scopes=self._str_list(obj, "optionalClientScopes", ptr),
                # Keycloak: an unset fullScopeAllowed means "not consentRequired".
                full_scope_allowed=self._bool(obj, "fullScopeAllowed", ptr, not consent),
                standard_flow_enabled=self._bool(obj, "standardFlowEnabled", ptr, True),
                direct_access_grants_enabled=self._bool(
                    obj, "directAccessGrantsEnabled", ptr, False
                ),
                service_accounts_enabled=self._bool(obj, "serviceAccountsEnabled", ptr, False),
                attributes=attributes,
                has_secret=bool(obj.get("secret")),
                redacted_keys=tuple(sorted(set(dropped))),
                source=self.ctx.at(ptr),
            )
        )

    def _scope(self, obj: Mapping[str, object], ptr: str, out: list[ClientScope]) -> None:
        name = self._str(obj, "name", ptr)
        if not name:
            self.ctx.report(ptr, "client scope has no name; skipped")
            return
        protocol = self._str(obj, "protocol", ptr) or OPENID_CONNECT
        attributes, _ = self._config(obj, "attributes", ptr)
        out.append(
            ClientScope(
                name=name,
                protocol=protocol,
                description=self._str(obj, "description", ptr) or "",
                protocol_mappers=self._mappers(obj, ptr, protocol),
                attributes=attributes,
                source=self.ctx.at(ptr),
            )
        )

    def _scope_mappings(self, data: Mapping[str, object], ptr: str) -> tuple[ScopeMapping, ...]:
        """``scopeMappings`` (realm roles) and ``clientScopeMappings`` (by the roles' client)."""
        out: list[ScopeMapping] = []

        def mapping(item: Mapping[str, object], item_ptr: str, role_client: str | None) -> None:
            client = self._str(item, "client", item_ptr)
            scope = self._str(item, "clientScope", item_ptr) or self._str(
                item, "clientTemplate", item_ptr
            )
            if not client and not scope:
                self.ctx.report(
                    item_ptr, "scope mapping names neither client nor clientScope; skipped"
                )
                return
            roles = tuple(RoleRef(n, role_client) for n in self._str_list(item, "roles", item_ptr))
            out.append(ScopeMapping(roles, client, scope, self.ctx.at(item_ptr)))

        self._items(data, "scopeMappings", ptr, "scope mapping", lambda m, p: mapping(m, p, None))
        by_client = self._mapping(data, "clientScopeMappings", ptr)
        for role_client in by_client:
            self._items(
                by_client,
                role_client,
                f"{ptr}/clientScopeMappings",
                "client scope mapping",
                partial(mapping, role_client=role_client),
            )
        return tuple(out)

    # -- cross references --------------------------------------------------

    def _check_references(self, realm: Realm, data: Mapping[str, object]) -> None:
        """Warn about what Keycloak would refuse or ignore on import."""
        ctx = self.ctx

        def warn(where: Source | None, message: str, hint: str = "") -> None:
            ctx.diagnostics.append(Diagnostic(where, message, hint, DiagnosticLevel.WARNING, _CODE))

        known = {r.ref for r in realm.roles}
        roles_exported = isinstance(data.get("roles"), Mapping)

        def check_role(ref: RoleRef, where: Source | None, owner: str) -> None:
            if roles_exported and ref not in known:
                warn(
                    where,
                    f"{owner} refers to role {ref}, which the realm does not define",
                    "define the role or remove the mapping",
                )

        for role in realm.roles:
            for child in role.composites:
                check_role(child, role.source, f"composite role {role.ref}")
        all_groups = [g for top in realm.groups for g in top.walk()]
        for group in all_groups:
            if realm.groups_by_path[group.path] is not group:
                warn(group.source, f"group {group.path} appears twice; the first is used")
        for group in realm.groups_by_path.values():
            for ref in sorted(group.role_mappings):
                check_role(ref, group.source, f"group {group.path}")
        for mapping in realm.scope_mappings:
            for ref in mapping.roles:
                owner = mapping.client or mapping.client_scope or "?"
                check_role(ref, mapping.source, f"scope mapping of {owner}")

        seen_users: set[str] = set()
        for user in realm.users:
            if user.username in seen_users:
                warn(user.source, f"user {user.username!r} appears twice; the first is used")
            seen_users.add(user.username)
            for ref in sorted(user.role_mappings):
                check_role(ref, user.source, f"user {user.username!r}")
            if isinstance(data.get("groups"), list):
                for path in user.groups:
                    if path not in realm.groups_by_path:
                        warn(
                            user.source,
                            f"user {user.username!r} is in group {path}, "
                            "which the realm does not define",
                            "Keycloak refuses to import a user in an unknown group",
                        )
            if "identityProviders" in data:
                for link in user.federated_identities:
                    if realm.identity_provider(link.identity_provider) is None:
                        warn(
                            user.source,
                            f"user {user.username!r} is linked to identity provider "
                            f"{link.identity_provider!r}, which the realm does not define",
                        )

        if isinstance(data.get("clients"), list):
            defined = {c.client_id for c in realm.clients}
            for role in realm.roles:
                if role.client is not None and role.client not in defined:
                    warn(
                        role.source,
                        f"role {role.ref} belongs to client {role.client!r}, "
                        "which the realm does not define",
                        "Keycloak refuses to import roles of an unknown client",
                    )
                    defined.add(role.client)  # once per client is enough
        seen_clients: set[str] = set()
        for client in realm.clients:
            if client.client_id in seen_clients:
                warn(client.source, f"client {client.client_id!r} appears twice; the first is used")
            seen_clients.add(client.client_id)
            if "clientScopes" in data:
                for name in (*client.default_client_scopes, *client.optional_client_scopes):
                    if realm.client_scope(name) is None:
                        warn(
                            client.source,
                            f"client {client.client_id!r} names client scope {name!r}, "
                            "which the realm does not define; Keycloak ignores it",
                        )
        for mapper in realm.identity_provider_mappers:
            if realm.identity_provider(mapper.identity_provider_alias) is None:
                warn(
                    mapper.source,
                    f"identity provider mapper {mapper.name!r} belongs to unknown provider "
                    f"{mapper.identity_provider_alias!r}",
                )


def redact_realm(data: object) -> object:
    """A Keycloak export with the value of every secret-looking key replaced.

    The realm builder drops these values anyway; redacting the raw export too
    keeps them out of snapshots.
    """
    if isinstance(data, dict):
        return {
            k: (
                (_redact_leaves(v) if isinstance(v, list | dict) else REDACTED)
                if is_secret_key(str(k)) and v not in (None, "", [], {})
                else redact_realm(v)
            )
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [redact_realm(v) for v in data]
    return data


def _redact_leaves(data: object) -> object:
    """Secret material that is a list or a mapping (a user's ``credentials``):
    its shape and each entry's ``type`` kept, every other text redacted, so the
    realm still reads as Keycloak wrote it."""
    if isinstance(data, dict):
        return {
            k: v if k == "type" and isinstance(v, str) else _redact_leaves(v)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_redact_leaves(v) for v in data]
    return REDACTED if isinstance(data, str) and data else data


def is_keycloak_export(data: object) -> bool:
    """A realm export, or a list of them (a whole server's export)."""
    return is_keycloak_realm(data) or (
        isinstance(data, list) and bool(data) and all(is_keycloak_realm(x) for x in data)
    )


def _load(data: object, source: Source, lines: dict[str, int]) -> Loaded:
    return Loaded(realms=(RealmDocument(redact_realm(data), source, lines),))


INPUT_FORMAT = InputFormat("keycloak", is_keycloak_export, _load)
