"""The SSO chain: GitHub login -> Keycloak user -> clients -> what each receives -> AWS roles.

* A GitHub login is a federated identity of a ``github`` identity provider;
  a disabled user signs in to nothing.
* For every client the user can sign in to (``Realm.reachable_clients``), the
  protocol mappers of the client and its default client scopes say what goes
  into the token or assertion: ``saml-role-list-mapper`` puts the roles in the
  client's scope (``Realm.roles_in_scope``: direct, via groups and their
  ancestors, via composites; with ``fullScopeAllowed`` off only the client's
  own roles and scope mappings), group membership mappers the direct groups
  (full paths when ``full.path`` is true).
* AWS reads the SAML attribute ``https://aws.amazon.com/SAML/Attributes/Role``:
  each value is a ``role-arn,saml-provider-arn`` pair (either order). The
  SAML provider must exist in the role's account and the role's trust policy
  must allow ``sts:AssumeRoleWithSAML`` for that provider with ``SAML:aud`` =
  ``https://signin.aws.amazon.com/saml``; the trust is evaluated by the iam
  engine's evaluator.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ekstwin.engines.access.oidc import mapper_claim
from ekstwin.engines.iam import Evaluator, Principal, PrincipalType, Request
from ekstwin.engines.iam.roles import RoleCatalog
from ekstwin.model.aws import Arn, AwsState
from ekstwin.model.keycloak import OPENID_CONNECT, SAML, Client, Realm, RoleRef, User

__all__ = [
    "AWS_ROLE_ATTRIBUTE",
    "AwsRoleClaim",
    "ClientGrant",
    "SamlRoleResult",
    "assume_with_saml",
    "client_grants",
    "parse_role_pair",
]

AWS_ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
AWS_SESSION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"


@dataclass(frozen=True, slots=True)
class ClientGrant:
    """One client a person can sign in to and what its tokens or assertions carry."""

    client_id: str
    protocol: str
    name: str | None
    attributes: tuple[tuple[str, tuple[str, ...]], ...]  # (claim or attribute, values)
    role_sources: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (role, where it comes from)

    def values(self, attribute: str) -> tuple[str, ...]:
        for name, values in self.attributes:
            if name == attribute:
                return values
        return ()

    def to_json(self) -> dict[str, object]:
        return {
            "client_id": self.client_id,
            "protocol": self.protocol,
            "name": self.name,
            "receives": {k: list(v) for k, v in self.attributes},
        }


def _role_sources(realm: Realm, user: User) -> dict[str, list[str]]:
    """For each role name: where the user gets it (direct, group path)."""
    out: dict[str, list[str]] = {}
    for ref in user.role_mappings:
        out.setdefault(str(ref), []).append("direct role mapping")
    for path in realm.effective_groups(user):
        group = realm.group(path)
        if group is None:
            continue
        inherited = path not in {p if p.startswith("/") else "/" + p for p in user.groups}
        for ref in group.role_mappings:
            how = f"group {path}" + (" (inherited by a subgroup member)" if inherited else "")
            out.setdefault(str(ref), []).append(how)
    return out


def client_grants(realm: Realm, user: User) -> tuple[ClientGrant, ...]:
    """Every client the user can sign in to and what each receives."""
    sources = _role_sources(realm, user)
    out: list[ClientGrant] = []
    for client in realm.reachable_clients(user):
        attrs: dict[str, list[str]] = {}
        in_scope_set = realm.roles_in_scope(user, client)
        in_scope = sorted(in_scope_set, key=str)

        def scope_roles(roles: frozenset[RoleRef] = in_scope_set) -> frozenset[RoleRef]:
            return roles

        role_src: list[tuple[str, tuple[str, ...]]] = []
        for _origin, mapper in realm.protocol_mappers_for(client):
            cfg = mapper.config
            kind = mapper.protocol_mapper
            name = cfg.get("attribute.name") or cfg.get("claim.name") or mapper.name
            if kind == "saml-role-list-mapper":
                for ref in in_scope:
                    attrs.setdefault(name, []).append(ref.name)
                    role_src.append((ref.name, tuple(sources.get(str(ref), ["composite role"]))))
            elif kind == "saml-group-membership-mapper":
                full = cfg.get("full.path", "false").lower() == "true"
                for path in user.groups:
                    norm = path if path.startswith("/") else "/" + path
                    attrs.setdefault(name, []).append(norm if full else norm.rsplit("/", 1)[-1])
            elif kind == "saml-user-property-mapper":
                prop = cfg.get("user.attribute", "")
                value = {"username": user.username, "email": user.email or ""}.get(prop)
                if value:
                    attrs.setdefault(name, []).append(value)
            elif kind == "saml-hardcode-attribute-mapper":
                attrs.setdefault(name, []).append(cfg.get("attribute.value", ""))
            elif mapper.protocol == OPENID_CONNECT:
                got = mapper_claim(mapper, user, scope_roles)
                if got is not None:
                    claim, claimed = got
                    values = claimed if isinstance(claimed, list) else [claimed]
                    attrs.setdefault(claim, []).extend(_claim_text(v) for v in values)
        out.append(
            ClientGrant(
                client.client_id,
                client.protocol,
                client.name,
                tuple((k, tuple(dict.fromkeys(v))) for k, v in attrs.items()),
                tuple(role_src),
            )
        )
    return tuple(out)


def _claim_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_aws_saml_client(client: Client) -> bool:
    return client.protocol == SAML and any(
        m.config.get("attribute.name") == AWS_ROLE_ATTRIBUTE for m in client.protocol_mappers
    )


def parse_role_pair(value: str) -> tuple[str, str] | None:
    """(role ARN, SAML provider ARN) from a Role attribute value; None if it is not a pair."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 2:
        return None
    role = next((p for p in parts if ":role/" in p), None)
    provider = next((p for p in parts if ":saml-provider/" in p), None)
    if role is None or provider is None:
        return None
    return role, provider


@dataclass(frozen=True, slots=True)
class AwsRoleClaim:
    """An AWS role a SAML assertion offers, and whether AWS lets the person assume it."""

    client_id: str
    role_arn: str
    provider_arn: str
    granted_by: tuple[str, ...]
    result: SamlRoleResult

    def to_json(self) -> dict[str, object]:
        return {
            "client_id": self.client_id,
            "role_arn": self.role_arn,
            "saml_provider_arn": self.provider_arn,
            "granted_by": list(self.granted_by),
            "assumable": self.result.ok,
            "reason": self.result.reason,
        }


@dataclass(frozen=True, slots=True)
class SamlRoleResult:
    ok: bool
    reason: str


def assume_with_saml(
    aws: AwsState, catalog: RoleCatalog, evaluator: Evaluator, role_arn: str, provider_arn: str
) -> SamlRoleResult:
    """Whether AssumeRoleWithSAML for ``role_arn`` with ``provider_arn`` succeeds."""
    role = aws.role(role_arn)
    if role is None:
        return SamlRoleResult(False, f"role {role_arn} is not in the AWS state")
    parsed_role, parsed_provider = Arn.parse(role_arn), Arn.parse(provider_arn)
    if parsed_role is None or parsed_provider is None:
        return SamlRoleResult(False, "malformed ARN in the Role attribute")
    if parsed_provider.account != parsed_role.account:
        return SamlRoleResult(
            False,
            f"SAML provider {provider_arn} is not in the role's account {parsed_role.account}",
        )
    if aws.account(parsed_role.account) is not None and aws.saml_provider(provider_arn) is None:
        return SamlRoleResult(False, f"SAML provider {provider_arn} is not registered in IAM")
    policies = catalog.get(role_arn)
    if policies is None or policies.trust is None:
        return SamlRoleResult(False, f"role {role_arn} has no trust policy")
    principal = Principal(
        PrincipalType.WEB_IDENTITY, arn=provider_arn, account=parsed_role.account,
        federated=provider_arn,
    )  # fmt: skip
    request = Request(
        principal,
        "sts:AssumeRoleWithSAML",
        role_arn,
        {"saml:aud": (SAML_AUDIENCE,), "aws:federatedprovider": (provider_arn,)},
    )
    decision = evaluator.evaluate(
        request, replace(policies.policy_set(trust=True), rcps=catalog.rcps(parsed_role.account))
    )
    if decision.allowed:
        return SamlRoleResult(True, f"trust policy allows {provider_arn}: {decision.reason}")
    return SamlRoleResult(
        False, f"trust policy refuses sts:AssumeRoleWithSAML from {provider_arn}: {decision.reason}"
    )
