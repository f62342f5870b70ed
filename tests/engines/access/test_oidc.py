"""Signing in to Kubernetes with a Keycloak ID token through an EKS OIDC identity provider."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.access import AccessAnalyzer, ResourceRequest
from ekstwin.engines.access.oidc import IdToken, authenticate_oidc, id_token, issuer_matches
from ekstwin.loaders import load
from ekstwin.model.aws import EksCluster, OidcIdentityProviderConfig
from ekstwin.model.keycloak import Client, ClientScope, ProtocolMapper, Realm, User

ISSUER = "https://sso.example.com/realms/platform"
CLUSTER = EksCluster("prod", "eu-west-1", "arn:aws:eks:eu-west-1:111122223333:cluster/prod", "1.31")
USER = User(
    "mona",
    email="mona@example.com",
    id="9f1c0c6e-1111-2222-3333-444455556666",
    email_verified=True,
    groups=("/platform-admins", "/developers/payments"),
    attributes={"team": ("payments", "oncall")},
)


def mapper(kind: str, **config: str) -> ProtocolMapper:
    return ProtocolMapper(kind, "openid-connect", kind, config=config)


def groups_mapper(in_id_token: str = "true", full_path: str = "true") -> ProtocolMapper:
    return mapper(
        "oidc-group-membership-mapper",
        **{"claim.name": "groups", "full.path": full_path, "id.token.claim": in_id_token},
    )


def realm(*mappers: ProtocolMapper, scopes: tuple[str, ...] = ("profile", "email")) -> Realm:
    client = Client("eks-kubectl", protocol_mappers=mappers, default_client_scopes=scopes)
    return Realm("platform", users=(USER,), clients=(client,))


def token(*mappers: ProtocolMapper, scopes: tuple[str, ...] = ("profile", "email")) -> IdToken:
    r = realm(*mappers, scopes=scopes)
    return id_token(r, USER, r.clients[0])


def config(**kw: Any) -> OidcIdentityProviderConfig:
    return OidcIdentityProviderConfig("keycloak", ISSUER, "eks-kubectl", **kw)


# -- the ID token (Keycloak)


def test_id_token_carries_client_audience_subject_and_the_standard_scope_claims() -> None:
    t = token()
    assert t.claims == {
        "aud": ["eks-kubectl"],
        "azp": "eks-kubectl",
        "sub": USER.id,
        "preferred_username": "mona",
        "email": "mona@example.com",
        "email_verified": True,
    }
    # without the email scope there is no email claim
    assert "email" not in token(scopes=("profile",)).claims


def test_a_mapper_not_added_to_the_id_token_is_left_out_and_said() -> None:
    t = token(groups_mapper(in_id_token="false"))
    assert "groups" not in t.claims
    assert t.left_out == (
        "groups (mapper 'oidc-group-membership-mapper', client:eks-kubectl): not added to "
        "the ID token (id.token.claim is not true)",
    )
    # an absent id.token.claim counts as false, as Keycloak reads it
    absent = mapper("oidc-group-membership-mapper", **{"claim.name": "groups"})
    assert "groups" not in token(absent).claims


def test_group_paths_audiences_hardcoded_and_attribute_claims() -> None:
    t = token(
        groups_mapper(full_path="false"),
        mapper(
            "oidc-audience-mapper",
            **{"included.custom.audience": "kubernetes", "id.token.claim": "true"},
        ),
        mapper(
            "oidc-audience-mapper",
            **{"included.client.audience": "argocd", "id.token.claim": "false"},
        ),
        mapper(
            "oidc-hardcoded-claim-mapper",
            **{"claim.name": "env", "claim.value": "prod", "id.token.claim": "true"},
        ),
        mapper(
            "oidc-usermodel-attribute-mapper",
            **{
                "claim.name": "teams",
                "user.attribute": "team",
                "multivalued": "true",
                "id.token.claim": "true",
            },
        ),
        mapper("oidc-usermodel-realm-role-mapper", **{"id.token.claim": "true"}),
    )
    assert t.claims["groups"] == ["platform-admins", "payments"]
    assert t.audiences == ("eks-kubectl", "kubernetes")
    assert (t.claims["env"], t.claims["teams"]) == ("prod", ["payments", "oncall"])
    assert t.nested == ("realm_access.roles",)


def test_defined_standard_scopes_give_only_what_their_mappers_say() -> None:
    profile = ClientScope(
        "profile",
        "openid-connect",
        protocol_mappers=(
            mapper(
                "oidc-usermodel-attribute-mapper",
                **{
                    "claim.name": "preferred_username",
                    "user.attribute": "username",
                    "id.token.claim": "true",
                },
            ),
        ),
    )
    client = Client("eks-kubectl", default_client_scopes=("profile",))
    r = Realm("platform", users=(USER,), clients=(client,), client_scopes=(profile,))
    assert id_token(r, USER, client).claims["preferred_username"] == "mona"


# -- kube-apiserver's OIDC authenticator (EKS)


def test_username_prefix_defaults_to_the_issuer_except_for_email() -> None:
    t = token(groups_mapper())
    sub = authenticate_oidc(CLUSTER, config(), t)
    assert (sub.mapped, sub.username) == (True, f"{ISSUER}#{USER.id}")
    by_email = authenticate_oidc(CLUSTER, config(username_claim="email"), t)
    assert by_email.username == "mona@example.com"
    none = authenticate_oidc(CLUSTER, config(username_claim="email", username_prefix="-"), t)
    assert none.username == "mona@example.com"
    custom = authenticate_oidc(
        CLUSTER, config(username_claim="preferred_username", username_prefix="oidc:"), t
    )
    assert custom.username == "oidc:mona"
    dash = authenticate_oidc(
        CLUSTER, config(username_claim="preferred_username", username_prefix="-"), t
    )
    assert dash.username == "mona"


def test_groups_come_from_the_groups_claim_with_the_prefix() -> None:
    ident = authenticate_oidc(
        CLUSTER, config(groups_claim="groups", groups_prefix="oidc:"), token(groups_mapper())
    )
    assert ident.groups == (
        "oidc:/platform-admins",
        "oidc:/developers/payments",
        "system:authenticated",
    )
    # the mapper does not reach the ID token: signed in, but without groups, and said why
    bare = authenticate_oidc(
        CLUSTER, config(groups_claim="groups"), token(groups_mapper(in_id_token="false"))
    )
    assert bare.mapped and bare.groups == ("system:authenticated",)
    assert "groups claim 'groups' is not in the ID token" in bare.notes[0]
    assert "id.token.claim is not true" in bare.notes[0]


@pytest.mark.parametrize(
    ("kw", "user", "why"),
    [
        ({"client_id": "kubernetes"}, USER, "does not hold the config's client id 'kubernetes'"),
        ({"status": "CREATING"}, USER, "is CREATING, not ACTIVE"),
        ({"required_claims": (("env", "prod"),)}, USER, "required claim env='prod' is missing"),
        ({"username_claim": "nickname"}, USER, "username claim 'nickname' is missing"),
        (
            {"username_claim": "email"},
            User("mona", email="m@example.com", id="1", email_verified=False),
            "email_verified is false",
        ),
        ({"username_claim": "sub"}, User("mona"), "username claim 'sub' is missing"),
    ],
)
def test_tokens_kube_apiserver_refuses(kw: dict[str, Any], user: User, why: str) -> None:
    r = realm()
    if kw.get("client_id") is not None:
        cfg = OidcIdentityProviderConfig("keycloak", ISSUER, **kw)
    else:
        cfg = config(**kw)
    ident = authenticate_oidc(CLUSTER, cfg, id_token(r, user, r.clients[0]))
    assert not ident.mapped
    assert why in ident.steps[-1]


def test_a_required_claim_with_the_right_value_passes() -> None:
    t = token(
        mapper(
            "oidc-hardcoded-claim-mapper",
            **{"claim.name": "env", "claim.value": "prod", "id.token.claim": "true"},
        )
    )
    assert authenticate_oidc(CLUSTER, config(required_claims=(("env", "prod"),)), t).mapped
    assert not authenticate_oidc(CLUSTER, config(required_claims=(("env", "dev"),)), t).mapped


def test_issuer_is_matched_by_the_realm_path() -> None:
    r = realm()
    assert issuer_matches(ISSUER, r)
    assert issuer_matches("https://id.example.com/auth/realms/platform/", r)
    assert not issuer_matches("https://sso.example.com/realms/platform-dev", r)


# -- the whole chain: GitHub -> Keycloak -> ID token -> EKS -> RBAC


REALM_EXPORT = {
    "realm": "platform",
    "enabled": True,
    "users": [
        {
            "username": "mona",
            "id": "9f1c0c6e-aaaa",
            "email": "mona@example.com",
            "emailVerified": True,
            "enabled": True,
            "groups": ["/platform-admins"],
            "federatedIdentities": [
                {"identityProvider": "github", "userId": "1", "userName": "mona-gh"}
            ],
        },
        {
            "username": "dan",
            "id": "d4n",
            "email": "dan@example.com",
            "emailVerified": True,
            "enabled": True,
            "groups": ["/developers"],
            "federatedIdentities": [
                {"identityProvider": "github", "userId": "2", "userName": "dan-gh"}
            ],
        },
    ],
    "groups": [
        {"name": "platform-admins", "path": "/platform-admins", "subGroups": []},
        {"name": "developers", "path": "/developers", "subGroups": []},
    ],
    "identityProviders": [
        {"alias": "github", "providerId": "github", "enabled": True, "config": {}}
    ],
    "clients": [
        {
            "clientId": "eks-kubectl",
            "protocol": "openid-connect",
            "enabled": True,
            "publicClient": True,
            "standardFlowEnabled": True,
            "defaultClientScopes": ["profile", "email"],
            "protocolMappers": [
                {
                    "name": "groups",
                    "protocol": "openid-connect",
                    "protocolMapper": "oidc-group-membership-mapper",
                    "config": {
                        "claim.name": "groups",
                        "full.path": "false",
                        "id.token.claim": "true",
                    },
                }
            ],
        },
    ],
}

RBAC = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: oidc-platform-admins}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "oidc:platform-admins"}
"""


def platform_dir(tmp_path: Path, groups_claim: str = "groups") -> Path:
    aws = {
        "format": "ekstwin-aws",
        "version": 1,
        "accounts": [
            {
                "id": "111122223333",
                "eks": {
                    "clusters": [
                        {
                            "name": "prod",
                            "region": "eu-west-1",
                            "version": "1.31",
                            "arn": "arn:aws:eks:eu-west-1:111122223333:cluster/prod",
                            "identity_provider_configs": [
                                {
                                    "name": "keycloak",
                                    "type": "oidc",
                                    "issuer_url": ISSUER,
                                    "client_id": "eks-kubectl",
                                    "username_claim": "email",
                                    "groups_claim": groups_claim,
                                    "groups_prefix": "oidc:",
                                }
                            ],
                        }
                    ]
                },
            }
        ],
    }
    (tmp_path / "aws.json").write_text(json.dumps(aws), encoding="utf-8")
    (tmp_path / "realm-export.json").write_text(json.dumps(REALM_EXPORT), encoding="utf-8")
    (tmp_path / "rbac.yaml").write_text(RBAC, encoding="utf-8")
    return tmp_path


def test_who_can_follows_people_through_the_oidc_identity_provider(tmp_path: Path) -> None:
    result = load([str(platform_dir(tmp_path))])
    assert [d for d in result.diagnostics if d.level.value == "error"] == []
    analyzer = AccessAnalyzer(result.platform)
    who = analyzer.who_can(ResourceRequest("delete", "secrets", namespace="payments"))
    people = {e.name: e.chains for e in who.entries if e.kind == "person"}
    assert list(people) == ["mona-gh"]  # dan's group is not bound
    (chain,) = people["mona-gh"]
    assert chain[:3] == (
        "GitHub mona-gh",
        "Keycloak user mona",
        "OIDC client eks-kubectl -> identity provider config keycloak",
    )
    assert "Group oidc:platform-admins" in chain[-1]
    user = analyzer.user("mona-gh").to_json()
    kube = user["kubernetes"]
    assert isinstance(kube, list) and len(kube) == 1
    assert (kube[0]["role_arn"], kube[0]["sign_in"], kube[0]["username"]) == (
        None,
        "oidc",
        "mona@example.com",
    )
    assert kube[0]["groups"] == ["oidc:platform-admins", "system:authenticated"]
    assert kube[0]["authentication"]["via"] == "oidc-identity-provider"


def test_a_groups_claim_the_token_lacks_leaves_people_without_groups_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = platform_dir(tmp_path, groups_claim="roles")
    code = main(["access", "user", str(directory), "mona-gh"])
    out = capsys.readouterr().out
    assert code == 0
    assert "as OIDC client eks-kubectl -> identity provider config keycloak:" in out
    assert "groups claim 'roles' is not in the ID token: no groups" in out


def test_group_paths_need_full_path_true_as_keycloak_reads_it() -> None:
    """GroupMembershipMapper.useFullPath is "true".equals(config "full.path"): absent
    means group names, not paths."""
    bare = mapper(
        "oidc-group-membership-mapper", **{"claim.name": "groups", "id.token.claim": "true"}
    )
    assert token(bare).claims["groups"] == ["platform-admins", "payments"]
    assert token(groups_mapper(full_path="true")).claims["groups"] == [
        "/platform-admins",
        "/developers/payments",
    ]


def test_an_empty_username_prefix_is_the_default_prefix() -> None:
    """kube-apiserver treats an empty --oidc-username-prefix as not given."""
    ident = authenticate_oidc(CLUSTER, config(username_prefix=""), token())
    assert ident.username == f"{ISSUER}#{USER.id}"


def test_the_client_view_reads_oidc_mappers_as_the_id_token_does() -> None:
    """access user's "receives" and the ID token share one reading of each mapper
    (whatever token the mapper targets)."""
    from ekstwin.engines.access.sso import client_grants

    r = realm(
        groups_mapper(in_id_token="false"),
        mapper("oidc-hardcoded-claim-mapper", **{"claim.name": "env", "claim.value": "prod"}),
        mapper("oidc-usermodel-property-mapper",
               **{"claim.name": "verified", "user.attribute": "emailVerified"}),
    )  # fmt: skip
    (grant,) = client_grants(r, USER)
    assert dict(grant.attributes) == {
        "groups": ("/platform-admins", "/developers/payments"),
        "env": ("prod",),
        "verified": ("true",),
    }
