"""Signing in to Kubernetes with an OIDC ID token: Keycloak issues it, EKS reads it.

An EKS cluster can have an OIDC identity provider associated with it
(``aws eks associate-identity-provider-config``): kube-apiserver then accepts
that issuer's ID tokens (``kubectl`` with kubelogin), with no IAM and no access
entry or aws-auth mapping on the way. Two halves:

* What the ID token says (Keycloak). ``iss`` is ``<base URL>/realms/<realm>``;
  ``aud`` is the client's id plus audiences that ``oidc-audience-mapper``
  adds to the ID token; ``azp`` the client; ``sub`` the user's id. The claims
  come from the protocol mappers of the client and of its default client
  scopes, and only from those whose ``id.token.claim`` is ``true`` (Keycloak's
  ``OIDCAttributeMapperHelper.includeInIDToken``): a groups mapper left out of
  the ID token gives kubectl users no groups. The standard ``profile`` and
  ``email`` scopes give ``preferred_username`` and ``email``/``email_verified``;
  when the export names such a scope but does not define its mappers, their
  usual claims are assumed. A claim name with an unescaped dot is nested
  (``realm_access.roles``), which kube-apiserver's claim flags cannot read.
* What kube-apiserver makes of it (the OIDC authenticator, as EKS configures
  it from the identity provider config). ``iss`` must equal the issuer URL and
  ``aud`` must contain the client id; every required claim must be present
  with its value; the username claim (``sub`` by default) must be a string,
  and when it is ``email`` an ``email_verified`` claim that is present must be
  true; the username gets the username prefix (unset: the issuer URL and
  ``#``, except for ``email``; ``-``: none); groups come from the groups claim
  (a string or a list of strings) with the groups prefix; every authenticated
  user is also in ``system:authenticated``.

The realm export does not hold the host Keycloak is served on, so the issuer
is matched by its path (``/realms/<realm>``, or ``/auth/realms/<realm>`` for
Keycloak before 17) and the step says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ekstwin.engines.access.eks import KubeIdentity
from ekstwin.engines.access.rbac import AUTHENTICATED
from ekstwin.model.aws import EksCluster, OidcIdentityProviderConfig
from ekstwin.model.keycloak import OPENID_CONNECT, Client, ProtocolMapper, Realm, RoleRef, User

__all__ = [
    "OIDC_VIA",
    "IdToken",
    "authenticate_oidc",
    "id_token",
    "issuer_matches",
    "mapper_claim",
    "oidc_clients",
]

#: ``KubeIdentity.via`` of an OIDC sign-in.
OIDC_VIA = "oidc-identity-provider"

#: Claims the standard client scopes give when the export does not define them.
_STANDARD_SCOPE_CLAIMS = {"profile": ("preferred_username",), "email": ("email", "email_verified")}


@dataclass(frozen=True, slots=True)
class IdToken:
    """The claims of the ID token a user gets from one OIDC client, and what was left out."""

    realm: str
    client_id: str
    claims: Mapping[str, object]
    nested: tuple[str, ...] = ()  # claim names that are nested objects in the token
    left_out: tuple[str, ...] = field(default=())  # "<claim> (mapper <name>): why"

    @property
    def audiences(self) -> tuple[str, ...]:
        aud = self.claims.get("aud")
        return tuple(aud) if isinstance(aud, list) else ((aud,) if isinstance(aud, str) else ())


def _property(user: User, name: str) -> object:
    return {
        "username": user.username,
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "emailVerified": user.email_verified,
        "id": user.id,
    }.get(name)


def _user_attribute(user: User, name: str, multivalued: bool) -> object:
    values = user.attributes.get(name)
    if values is None:
        value = _property(user, name)  # the user profile exposes these as attributes
        return None if value is None else ([value] if multivalued else value)
    if multivalued:
        return list(values)
    return values[0] if values else None


def _is_nested(claim: str) -> bool:
    return "." in claim.replace("\\.", "")


def id_token(realm: Realm, user: User, client: Client) -> IdToken:
    """The ID token ``user`` gets from OIDC ``client``: its claims as Keycloak fills them."""
    claims: dict[str, object] = {
        "aud": [client.client_id],
        "azp": client.client_id,
    }
    if user.id is not None:
        claims["sub"] = user.id
    nested: list[str] = []
    left_out: list[str] = []
    scoped = {scope.name: scope for scope in realm.client_scopes_for(client)}
    for name, wanted in _STANDARD_SCOPE_CLAIMS.items():
        scope = scoped.get(name)
        if name in client.default_client_scopes and (scope is None or not scope.protocol_mappers):
            for claim in wanted:
                standard = {
                    "preferred_username": user.username,
                    "email": user.email,
                    "email_verified": user.email_verified,
                }[claim]
                if standard is not None:
                    claims[claim] = standard
    roles: list[frozenset[RoleRef]] = []

    def in_scope() -> frozenset[RoleRef]:
        if not roles:
            roles.append(realm.roles_in_scope(user, client))
        return roles[0]

    for origin, mapper in realm.protocol_mappers_for(client):
        cfg = mapper.config
        if mapper.protocol_mapper == "oidc-audience-mapper":
            if cfg.get("id.token.claim", "false").lower() != "true":
                continue
            audiences = claims["aud"]
            assert isinstance(audiences, list)
            for key in ("included.client.audience", "included.custom.audience"):
                if cfg.get(key):
                    audiences.append(cfg[key])
            continue
        got = mapper_claim(mapper, user, in_scope)
        if got is None:
            continue
        claim, value = got
        if cfg.get("id.token.claim", "false").lower() != "true":
            left_out.append(
                f"{claim} (mapper {mapper.name!r}, {origin}): not added to the ID token "
                "(id.token.claim is not true)"
            )
            continue
        if _is_nested(claim):
            nested.append(claim)
        claims[claim.replace("\\.", ".")] = value
    return IdToken(realm.name, client.client_id, claims, tuple(nested), tuple(left_out))


def mapper_claim(
    mapper: ProtocolMapper, user: User, roles: Callable[[], frozenset[RoleRef]]
) -> tuple[str, object] | None:
    """(claim name, value) an OIDC protocol mapper puts in a token for ``user``, or
    None (a mapper type not modelled, or nothing to put). ``roles`` gives the user's
    roles in the client's scope, asked only by the role mappers. Where the claim
    goes (ID token, access token) is the caller's business."""
    cfg = mapper.config
    kind = mapper.protocol_mapper
    claim = cfg.get("claim.name", "")
    value: object = None
    if kind == "oidc-group-membership-mapper":
        # GroupMembershipMapper.useFullPath: "true".equals(full.path); absent is false
        full = cfg.get("full.path", "false").lower() == "true"
        value = [p if full else p.rsplit("/", 1)[-1] for p in user.groups]
    elif kind == "oidc-usermodel-property-mapper":
        value = _property(user, cfg.get("user.attribute", ""))
    elif kind == "oidc-usermodel-attribute-mapper":
        multi = cfg.get("multivalued", "false").lower() == "true"
        value = _user_attribute(user, cfg.get("user.attribute", ""), multi)
    elif kind == "oidc-hardcoded-claim-mapper":
        value = cfg.get("claim.value")
    elif kind == "oidc-full-name-mapper":
        claim = "name"
        value = " ".join(x for x in (user.first_name, user.last_name) if x) or None
    elif kind in ("oidc-usermodel-realm-role-mapper", "oidc-usermodel-client-role-mapper"):
        realm_roles = kind == "oidc-usermodel-realm-role-mapper"
        wanted_client = cfg.get("usermodel.clientRoleMapping.clientId")
        value = sorted(
            r.name
            for r in roles()
            if (r.client is None) == realm_roles
            and (wanted_client is None or r.client == wanted_client)
        )
        claim = claim or (
            "realm_access.roles" if realm_roles else "resource_access.${client_id}.roles"
        )
    if not claim or value is None:
        return None
    return claim, value


def issuer_matches(issuer_url: str, realm: Realm) -> bool:
    """Whether ``issuer_url`` is the realm's issuer, judged by its path (the export
    has no host)."""
    path = issuer_url.rstrip("/")
    return path.endswith((f"/realms/{realm.name}", f"/auth/realms/{realm.name}"))


def _strings(value: object) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def authenticate_oidc(
    cluster: EksCluster, config: OidcIdentityProviderConfig, token: IdToken
) -> KubeIdentity:
    """What kube-apiserver makes of ``token`` through ``config``: a user and groups, or
    why the token is refused (``mapped`` false, the reason last in ``steps``)."""
    label = f"OIDC client {token.client_id} -> identity provider config {config.name}"
    steps = [
        f"ID token of Keycloak realm {token.realm}, client {token.client_id}",
        f"issuer {config.issuer_url}: the realm's issuer by its path (the host is not "
        "in the realm export)",
    ]

    def refused(why: str) -> KubeIdentity:
        return KubeIdentity(
            label, cluster.name, False, via=OIDC_VIA,
            source=config.source, steps=(*steps, why),
        )  # fmt: skip

    if config.status != "ACTIVE":
        return refused(f"identity provider config {config.name} is {config.status}, not ACTIVE")
    if config.client_id not in token.audiences:
        return refused(
            f"the token's aud {list(token.audiences)} does not hold the config's client id "
            f"{config.client_id!r}"
        )
    steps.append(f"aud holds client id {config.client_id}")
    claims = token.claims
    for key, want in config.required_claims:
        got = claims.get(key)
        if got != want:
            shown = "missing" if got is None else repr(got)
            return refused(f"required claim {key}={want!r} is {shown} in the token")
    if config.required_claims:
        steps.append("required claims present: " + ", ".join(k for k, _ in config.required_claims))
    claim = config.username_claim
    if claim in token.nested:
        return refused(
            f"username claim {claim!r} is a nested claim; kube-apiserver reads it top-level"
        )
    raw = claims.get(claim)
    if not isinstance(raw, str) or not raw:
        shown = "missing" if raw is None else f"not a string ({raw!r})"
        return refused(f"username claim {claim!r} is {shown} in the token")
    if claim == "email" and "email_verified" in claims and claims["email_verified"] is not True:
        return refused("username claim is email and email_verified is false")
    if not config.username_prefix:  # unset and "" alike, as kube-apiserver reads the flag
        prefix = "" if claim == "email" else f"{config.issuer_url}#"
    else:
        prefix = "" if config.username_prefix == "-" else config.username_prefix
    username = prefix + raw
    steps.append(
        f"username {username!r} from claim {claim}" + (f" with prefix {prefix!r}" if prefix else "")
    )
    groups: list[str] = []
    notes: list[str] = []
    if config.groups_claim:
        gclaim = config.groups_claim
        values = _strings(claims.get(gclaim))
        if gclaim in token.nested:
            notes.append(f"groups claim {gclaim!r} is nested in the token: no groups")
        elif values is None:
            why = next((x for x in token.left_out if x.startswith(f"{gclaim} ")), None)
            notes.append(
                f"groups claim {gclaim!r} is not in the ID token: no groups"
                + (f" ({why})" if why else "")
            )
        else:
            groups = [config.groups_prefix + g for g in values]
            steps.append(
                f"groups from claim {gclaim}"
                + (f" with prefix {config.groups_prefix!r}" if config.groups_prefix else "")
            )
    groups.append(AUTHENTICATED)
    return KubeIdentity(
        label, cluster.name, True, username, tuple(dict.fromkeys(groups)),
        via=OIDC_VIA, source=config.source, steps=tuple(steps), notes=tuple(notes),
    )  # fmt: skip


def oidc_clients(realm: Realm, user: User) -> tuple[Client, ...]:
    """The OIDC clients ``user`` can sign in to."""
    return tuple(c for c in realm.reachable_clients(user) if c.protocol == OPENID_CONNECT)
