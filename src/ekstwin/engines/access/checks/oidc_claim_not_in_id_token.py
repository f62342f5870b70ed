"""ACC007."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ekstwin.engines.access.oidc import IdToken, id_token, issuer_matches
from ekstwin.engines.access.rbac import Rbac
from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.aws import EksCluster, OidcIdentityProviderConfig
from ekstwin.model.keycloak import OPENID_CONNECT, Client, Realm, User
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


@dataclass(frozen=True, slots=True)
class _Target:
    """One identity provider config and the realm that issues its tokens."""

    cluster: EksCluster
    config: OidcIdentityProviderConfig
    realm: Realm


class OidcClaimNotInIdToken(Check):
    """
    ## What it does
    Follows each OIDC identity provider config of an EKS cluster to the
    Keycloak realm that issues its tokens (the issuer's `/realms/<name>`) and
    to the client it names, and works out which claims that client's ID
    tokens carry (its protocol mappers and those of its default client
    scopes, only where `id.token.claim` is true; `profile` and `email` scopes
    give `preferred_username`, `email` and `email_verified`). It reports a
    config whose client the realm does not have, whose username claim or a
    required claim the ID token never carries (every sign-in is refused), or
    whose groups claim the ID token never carries or nests (people sign in
    without groups, so RBAC bindings to the prefixed groups never apply).

    ## Why is this bad?
    kube-apiserver reads the ID token, not the access token or userinfo: a
    groups mapper that is only added to the access token (the default of a
    new mapper in some Keycloak versions' UIs is easy to miss) signs everyone
    in as a bare `system:authenticated` user. Nothing fails loudly: `kubectl`
    just answers Forbidden, and the RoleBindings to `oidc:platform-admins`
    look right in review.

    ## Example
    ```json
    {"protocolMapper": "oidc-group-membership-mapper",
     "config": {"claim.name": "groups", "id.token.claim": "false",
                "access.token.claim": "true"}}
    ```

    ## Fix
    Set `id.token.claim` to `true` on the mapper (Add to ID token), add the
    scope that carries the claim to the client's default scopes, or point the
    config at a claim the ID token has.

    ## References
    - Amazon EKS User Guide: Grant users access to Kubernetes with an external OIDC provider
    - Kubernetes documentation: Authenticating, OpenID Connect Tokens
    - Keycloak Server Administration Guide: Mapping claims and assertions
    """

    id = "ACC007"
    slug = "oidc-claim-not-in-id-token"
    title = "EKS OIDC sign-in reads a claim the Keycloak ID token does not carry"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        rbac: Rbac | None = None
        for cluster in platform.aws.clusters:
            for config in cluster.identity_provider_configs:
                if config.status != "ACTIVE":
                    continue
                for realm in platform.realms:
                    if not issuer_matches(config.issuer_url, realm):
                        continue
                    client = next(
                        (
                            c
                            for c in realm.clients
                            if c.client_id == config.client_id and c.protocol == OPENID_CONNECT
                        ),
                        None,
                    )
                    if client is None:
                        yield self._finding(
                            _Target(cluster, config, realm),
                            f"realm {realm.name} has no OIDC client {config.client_id!r}: "
                            "nobody can sign in through this config",
                            [f"clients of realm {realm.name}: "
                             + ", ".join(c.client_id for c in realm.clients)],
                            fix=f"create the client {config.client_id} in realm {realm.name}, "
                            "or name an existing client in the config",
                            key="client",
                        )  # fmt: skip
                        continue
                    token = id_token(realm, _probe(realm, client), client)
                    if rbac is None:
                        rbac = Rbac(platform)
                    yield from self._claims(_Target(cluster, config, realm), client, token, rbac)

    def _claims(
        self, target: _Target, client: Client, token: IdToken, rbac: Rbac
    ) -> Iterator[Finding]:
        config, realm = target.config, target.realm

        def why(claim: str) -> list[str]:
            left = [x for x in token.left_out if x.startswith(f"{claim} ")]
            nested = [f"{claim} is a nested claim"] if claim in token.nested else []
            return left + nested or [f"no mapper of client {token.client_id} or its default "
                                     f"scopes makes a {claim!r} claim"]  # fmt: skip

        def present(claim: str) -> bool:
            return claim in token.claims and claim not in token.nested

        claims = ", ".join(sorted(k for k in token.claims if k not in token.nested))
        seen = f"the client's ID tokens carry: {claims}"
        if not present(config.username_claim):
            yield self._finding(
                target,
                f"username claim {config.username_claim!r} is not in the ID tokens of "
                f"{token.client_id}: every sign-in through {config.name} is refused",
                [*why(config.username_claim), seen],
                fix=f"add the {config.username_claim!r} claim to the client's ID token, or set "
                "the config's username claim to one it carries (sub, email, preferred_username)",
                key="username",
            )  # fmt: skip
        hardcoded = {
            m.config.get("claim.name"): m.config.get("claim.value")
            for _origin, m in realm.protocol_mappers_for(client)
            if m.protocol_mapper == "oidc-hardcoded-claim-mapper"
            and m.config.get("id.token.claim", "false").lower() == "true"
        }
        for key, want in config.required_claims:
            if present(key) and hardcoded.get(key, want) == want:
                continue
            state = "not in" if not present(key) else f"always {hardcoded.get(key)!r} in"
            yield self._finding(
                target,
                f"required claim {key}={want!r} is {state} the ID tokens of "
                f"{token.client_id}: every sign-in is refused",
                [*(why(key) if not present(key) else ["a hard-coded claim mapper sets it"]),
                 seen],
                fix=f"add a {key!r} claim with {want!r} to the client's ID token, or drop "
                "the required claim",
                key=f"required:{key}",
            )  # fmt: skip
        if config.groups_claim and not present(config.groups_claim):
            prefix = config.groups_prefix
            bound = sorted(
                {
                    f"{b.label()} -> Group {name}"
                    for b in rbac.bindings
                    for kind, name, _ns in b.subjects
                    if kind == "Group" and prefix and name.startswith(prefix)
                }
            )
            yield self._finding(
                target,
                f"groups claim {config.groups_claim!r} is not in the ID tokens of "
                f"{token.client_id}: people sign in through {config.name} without groups"
                + (f", so {len(bound)} RBAC binding(s) to {prefix}* groups never apply"
                   if bound else ""),
                [*why(config.groups_claim), *bound[:5], seen],
                fix="set id.token.claim to true on the groups mapper (Add to ID token), or "
                "add the scope that carries it to the client's default scopes",
                key="groups",
            )  # fmt: skip

    def _finding(
        self, target: _Target, message: str, evidence: list[str], *, fix: str, key: str
    ) -> Finding:
        cluster, config, realm = target.cluster, target.config, target.realm
        return self.finding(
            ObjectRef("EksIdentityProviderConfig", config.name, cluster.name),
            message,
            config.source,
            evidence=[
                f"cluster {cluster.name}: identity provider config {config.name}, issuer "
                f"{config.issuer_url}, client {config.client_id} (realm {realm.name})",
                *evidence,
            ],
            fix=fix,
            key=key,
        )


def _probe(realm: Realm, client: Client) -> User:
    """A user with every attribute the client's mappers read, so the token shows every
    claim the client can carry."""
    wanted: dict[str, tuple[str, ...]] = {
        m.config["user.attribute"]: ("probe",)
        for _origin, m in realm.protocol_mappers_for(client)
        if m.config.get("user.attribute")
    }
    return User(
        "probe", email="probe@example.invalid", id="probe", email_verified=True,
        first_name="Probe", last_name="User", groups=("/probe",), attributes=wanted,
    )  # fmt: skip
