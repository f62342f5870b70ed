from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ekstwin.errors import ModelError
from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders.keycloak import build_realm, build_realms, is_keycloak_realm, is_secret_key
from ekstwin.model.keycloak import (
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
)
from ekstwin.model.source import Source

FIXTURE = Path(__file__).parent.parent / "fixtures" / "keycloak" / "realm-platform.json"
SRC = Source("realm.json")
AWS = "urn:amazon:webservices"
PROVIDER = "arn:aws:iam::111122223333:saml-provider/keycloak"
ADMINS = f"arn:aws:iam::111122223333:role/eks-admins,{PROVIDER}"
DEVELOPERS = f"arn:aws:iam::111122223333:role/eks-developers,{PROVIDER}"
READONLY = f"arn:aws:iam::111122223333:role/eks-readonly,{PROVIDER}"

SECRET_VALUES = (
    "MIIE-DEPRECATED-REALM-PRIVATE-KEY",
    "realm-code-SECRET-000",
    "smtp-SECRET-789",
    "hashed-SECRET-VALUE-abc",
    "salt-SECRET-def",
    "otp-SECRET-ghi",
    "gh-client-SECRET-123",
    "**********",
    "MIIC-AWS-SIGNING-CERT",
    "MIIE-AWS-PRIVATE-KEY",
    "argocd-client-SECRET-456",
    "1700000000",
    "ci-client-SECRET-jkl",
    "jenkins-SECRET-mno",
    "eyJ-REGISTRATION-TOKEN-pqr",
    "MIIE-REALM-SIGNING-PRIVATE-KEY",
    "MIIC-REALM-SIGNING-CERT",
    "hmac-SECRET-stu",
)


def raw() -> dict[str, object]:
    data: dict[str, object] = json.loads(FIXTURE.read_text())
    return data


@pytest.fixture(scope="module")
def loaded() -> tuple[Realm, list[Diagnostic]]:
    return build_realm(raw(), SRC)


@pytest.fixture(scope="module")
def realm(loaded: tuple[Realm, list[Diagnostic]]) -> Realm:
    return loaded[0]


# -- recognising and loading ---------------------------------------------------


def test_is_keycloak_realm_recognises_exports_and_rejects_other_json() -> None:
    assert is_keycloak_realm(raw())
    assert is_keycloak_realm({"realm": "platform", "users": []})
    assert not is_keycloak_realm({"realm": "platform"})
    assert not is_keycloak_realm({"realm": 3, "users": []})
    assert not is_keycloak_realm({"apiVersion": "v1", "kind": "List", "items": []})
    assert not is_keycloak_realm([raw()])
    assert not is_keycloak_realm("realm")


def test_fixture_loads_without_diagnostics(loaded: tuple[Realm, list[Diagnostic]]) -> None:
    assert loaded[1] == []


def test_realm_top_level(realm: Realm) -> None:
    assert (realm.name, realm.enabled, realm.default_role, realm.default_groups) == (
        "platform",
        True,
        "default-roles-platform",
        (),
    )
    assert realm.default_default_client_scopes == ("role_list", "profile", "email", "roles")
    assert realm.default_optional_client_scopes == ("offline_access",)
    assert realm.source == SRC
    assert [u.username for u in realm.users] == [
        "mona",
        "dan-dev",
        "former-admin",
        "breakglass",
        "service-account-ci",
        "ghe-octo",
    ]


def test_user_with_github_identity(realm: Realm) -> None:
    assert realm.user("mona") == User(
        username="mona",
        email="mona@example.com",
        enabled=True,
        first_name="Mona",
        last_name="Lisa",
        federated_identities=(FederatedIdentity("github", "583231", "MonaLisa-GH"),),
        groups=("/platform/admins", "/auditors"),
        realm_roles=("default-roles-platform",),
        client_roles={},
        attributes={"github_login": ("MonaLisa-GH",)},
        source=SRC,
    )


def test_username_is_lower_cased_as_keycloak_stores_it(realm: Realm) -> None:
    user = realm.user("DAN-dev")
    assert user is not None
    assert user.username == "dan-dev"


def test_local_user_keeps_only_credential_types(realm: Realm) -> None:
    assert realm.user("breakglass") == User(
        username="breakglass",
        enabled=True,
        realm_roles=("default-roles-platform", "platform-operator"),
        client_roles={"argocd": ("admin",)},
        credential_types=("otp", "password"),
        source=SRC,
    )


def test_group_tree_and_path_lookup(realm: Realm) -> None:
    payments = Group(
        name="payments",
        path="/platform/developers/payments",
        client_roles={AWS: (DEVELOPERS,)},
        source=SRC,
    )
    admins = Group(
        name="admins",
        path="/platform/admins",
        client_roles={AWS: (ADMINS,)},
        attributes={"github-team": ("platform-admins",)},
        source=SRC,
    )
    developers = Group(
        name="developers", path="/platform/developers", sub_groups=(payments,), source=SRC
    )
    platform = Group(
        name="platform",
        path="/platform",
        sub_groups=(admins, developers),
        realm_roles=("viewer",),
        client_roles={"argocd": ("readonly",)},
        source=SRC,
    )
    auditors = Group(name="auditors", path="/auditors", client_roles={AWS: (READONLY,)}, source=SRC)
    assert realm.groups == (platform, auditors)
    assert realm.groups_by_path == {
        "/platform": platform,
        "/platform/admins": admins,
        "/platform/developers": developers,
        "/platform/developers/payments": payments,
        "/auditors": auditors,
    }
    assert realm.group("platform/developers/payments/") == payments
    assert realm.group_ancestors("/platform/developers/payments") == (
        "/platform/developers",
        "/platform",
    )


def test_roles_with_composites(realm: Realm) -> None:
    assert realm.role(RoleRef("default-roles-platform")) == Role(
        name="default-roles-platform",
        client=None,
        description="${role_default-roles}",
        composites=(
            RoleRef("offline_access"),
            RoleRef("uma_authorization"),
            RoleRef("view-profile", "account"),
        ),
        source=SRC,
    )
    assert realm.role(RoleRef("platform-operator")) == Role(
        name="platform-operator",
        client=None,
        description="Operates the platform",
        composites=(RoleRef("viewer"), RoleRef("admin", "argocd")),
        attributes={"owner": ("platform-team",)},
        source=SRC,
    )
    assert realm.role(RoleRef(DEVELOPERS, AWS)) == Role(
        name=DEVELOPERS, client=AWS, composites=(RoleRef(READONLY, AWS),), source=SRC
    )
    assert [r.name for r in realm.client_roles_of(AWS)] == [ADMINS, DEVELOPERS, READONLY]


def test_identity_providers_keep_config_without_secrets(realm: Realm) -> None:
    assert realm.identity_providers == (
        IdentityProvider(
            alias="github",
            provider_id="github",
            enabled=True,
            display_name="GitHub",
            trust_email=True,
            first_broker_login_flow="first broker login",
            config={
                "clientId": "Iv1.0123456789abcdef",
                "syncMode": "IMPORT",
                "defaultScope": "user:email",
            },
            has_secret=True,
            redacted_keys=("clientSecret",),
            source=SRC,
        ),
        IdentityProvider(
            alias="github-enterprise",
            provider_id="github",
            enabled=True,
            first_broker_login_flow="first broker login",
            config={
                "clientId": "ghe-client",
                "baseUrl": "https://github.example.com",
                "apiUrl": "https://github.example.com/api/v3",
                "syncMode": "FORCE",
            },
            has_secret=True,
            redacted_keys=("clientSecret",),
            source=SRC,
        ),
    )
    github = realm.identity_provider("github")
    assert github is not None
    assert github.sync_mode == "IMPORT"


def test_identity_provider_mappers(realm: Realm) -> None:
    assert realm.mappers_of("github") == (
        IdentityProviderMapper(
            name="every GitHub user is an auditor",
            identity_provider_alias="github",
            mapper_type="oidc-hardcoded-group-idp-mapper",
            config={"group": "/auditors", "syncMode": "INHERIT"},
            source=SRC,
        ),
        IdentityProviderMapper(
            name="github login",
            identity_provider_alias="github",
            mapper_type="github-user-attribute-mapper",
            config={"jsonField": "login", "userAttribute": "github_login", "syncMode": "INHERIT"},
            source=SRC,
        ),
    )


def test_aws_saml_client(realm: Realm) -> None:
    assert realm.client(AWS) == Client(
        client_id=AWS,
        protocol="saml",
        name="Amazon Web Services",
        enabled=True,
        base_url="/realms/platform/protocol/saml/clients/amazon-aws",
        redirect_uris=("https://signin.aws.amazon.com/saml",),
        protocol_mappers=(
            ProtocolMapper(
                name="aws roles",
                protocol="saml",
                protocol_mapper="saml-role-list-mapper",
                config={
                    "attribute.name": "https://aws.amazon.com/SAML/Attributes/Role",
                    "attribute.nameformat": "Basic",
                    "friendly.name": "Role",
                    "single": "true",
                },
                source=SRC,
            ),
            ProtocolMapper(
                name="aws session name",
                protocol="saml",
                protocol_mapper="saml-user-property-mapper",
                config={
                    "user.attribute": "username",
                    "attribute.name": "https://aws.amazon.com/SAML/Attributes/RoleSessionName",
                    "attribute.nameformat": "Basic",
                },
                source=SRC,
            ),
            ProtocolMapper(
                name="aws session duration",
                protocol="saml",
                protocol_mapper="saml-hardcode-attribute-mapper",
                config={
                    "attribute.name": "https://aws.amazon.com/SAML/Attributes/SessionDuration",
                    "attribute.value": "28800",
                    "attribute.nameformat": "Basic",
                },
                source=SRC,
            ),
        ),
        default_client_scopes=("role_list",),
        full_scope_allowed=False,
        attributes={
            "saml_idp_initiated_sso_url_name": "amazon-aws",
            "saml.assertion.signature": "true",
            "saml_name_id_format": "persistent",
        },
        has_secret=False,
        redacted_keys=("saml.signing.certificate", "saml.signing.private.key"),
        source=SRC,
    )


def test_argocd_oidc_client_has_secret_flag_only(realm: Realm) -> None:
    assert realm.client("argocd") == Client(
        client_id="argocd",
        protocol="openid-connect",
        name="Argo CD",
        root_url="https://argocd.example.com",
        base_url="/applications",
        redirect_uris=("https://argocd.example.com/auth/callback",),
        web_origins=("+",),
        protocol_mappers=(
            ProtocolMapper(
                name="groups",
                protocol="openid-connect",
                protocol_mapper="oidc-group-membership-mapper",
                config={
                    "claim.name": "groups",
                    "full.path": "true",
                    "id.token.claim": "true",
                    "access.token.claim": "true",
                    "userinfo.token.claim": "true",
                },
                source=SRC,
            ),
        ),
        default_client_scopes=("profile", "email"),
        optional_client_scopes=("offline_access",),
        full_scope_allowed=True,
        attributes={"pkce.code.challenge.method": "S256"},
        has_secret=True,
        redacted_keys=("client.secret.creation.time", "secret"),
        source=SRC,
    )


def test_client_scope_and_scope_mappings(realm: Realm) -> None:
    assert realm.client_scope("role_list") == ClientScope(
        name="role_list",
        protocol="saml",
        description="SAML role list",
        protocol_mappers=(
            ProtocolMapper(
                name="role list",
                protocol="saml",
                protocol_mapper="saml-role-list-mapper",
                config={
                    "single": "false",
                    "attribute.nameformat": "Basic",
                    "attribute.name": "Role",
                },
                source=SRC,
            ),
        ),
        attributes={
            "consent.screen.text": "${samlRoleListScopeConsentText}",
            "display.on.consent.screen": "true",
        },
        source=SRC,
    )
    assert realm.scope_mappings == (
        ScopeMapping((RoleRef("offline_access"),), client_scope="offline_access", source=SRC),
        ScopeMapping((RoleRef("viewer"),), client="grafana", source=SRC),
        ScopeMapping((RoleRef("readonly", "argocd"),), client="grafana", source=SRC),
    )


# -- secrets -------------------------------------------------------------------


def test_no_secret_value_reaches_the_model_or_diagnostics() -> None:
    data = raw()
    broken = copy.deepcopy(data)
    users = broken["users"]
    assert isinstance(users, list)
    users.append({"credentials": [{"type": "password", "secretData": "hashed-SECRET-VALUE-abc"}]})
    for payload in (data, broken, [data, broken]):
        realms, diagnostics = build_realms(payload, SRC)
        text = repr(realms) + repr(diagnostics) + "".join(str(d) for d in diagnostics)
        leaked = [value for value in SECRET_VALUES if value in text]
        assert leaked == []


def test_secret_key_names() -> None:
    assert [
        key
        for key in (
            "clientSecret",
            "secret",
            "bindCredential",
            "saml.signing.private.key",
            "saml.encryption.certificate",
            "privateKey",
            "password",
            "clientId",
            "access.token.claim",
            "attribute.value",
            "jwks.url",
        )
        if is_secret_key(key)
    ] == [
        "clientSecret",
        "secret",
        "bindCredential",
        "saml.signing.private.key",
        "saml.encryption.certificate",
        "privateKey",
        "password",
    ]


# -- derived: groups and roles -------------------------------------------------


def test_effective_groups_add_ancestors_to_direct_memberships(realm: Realm) -> None:
    dan = realm.user("dan-dev")
    assert dan is not None
    assert dan.groups == ("/platform/developers/payments", "/auditors")
    assert realm.effective_groups(dan) == (
        "/platform/developers/payments",
        "/platform/developers",
        "/platform",
        "/auditors",
    )


def test_effective_roles_expand_groups_ancestors_and_composites(realm: Realm) -> None:
    dan = realm.user("dan-dev")
    assert dan is not None
    assert realm.role_mappings(dan) == {
        RoleRef("default-roles-platform"),
        RoleRef("viewer"),
        RoleRef("readonly", "argocd"),
        RoleRef(DEVELOPERS, AWS),
        RoleRef(READONLY, AWS),
    }
    assert realm.effective_realm_roles(dan) == {
        "default-roles-platform",
        "offline_access",
        "uma_authorization",
        "viewer",
    }
    assert realm.effective_client_roles(dan) == {
        "account": {"view-profile"},
        "argocd": {"readonly"},
        AWS: {DEVELOPERS, READONLY},
    }


def test_composite_realm_role_grants_client_role(realm: Realm) -> None:
    breakglass = realm.user("breakglass")
    assert breakglass is not None
    assert realm.effective_roles(breakglass) == {
        RoleRef("default-roles-platform"),
        RoleRef("offline_access"),
        RoleRef("uma_authorization"),
        RoleRef("view-profile", "account"),
        RoleRef("platform-operator"),
        RoleRef("viewer"),
        RoleRef("admin", "argocd"),
    }


def test_composite_cycle_terminates() -> None:
    realm = Realm(
        name="r",
        roles=(
            Role("a", None, composites=(RoleRef("b"),)),
            Role("b", None, composites=(RoleRef("a"), RoleRef("ghost"))),
        ),
    )
    assert realm.expand_composites([RoleRef("a")]) == {
        RoleRef("a"),
        RoleRef("b"),
        RoleRef("ghost"),
    }


# -- derived: what each client receives ----------------------------------------


def test_saml_client_without_full_scope_gets_only_its_own_roles(realm: Realm) -> None:
    mona = realm.user("mona")
    aws = realm.client(AWS)
    assert mona is not None
    assert aws is not None
    assert realm.roles_in_scope(mona, aws) == {RoleRef(ADMINS, AWS), RoleRef(READONLY, AWS)}


def test_scope_mappings_widen_a_restricted_client(realm: Realm) -> None:
    mona = realm.user("mona")
    grafana = realm.client("grafana")
    assert mona is not None
    assert grafana is not None
    assert realm.roles_in_scope(mona, grafana) == {RoleRef("viewer"), RoleRef("readonly", "argocd")}
    assert realm.roles_in_scope(mona, grafana, requested=["offline_access"]) == {
        RoleRef("viewer"),
        RoleRef("readonly", "argocd"),
        RoleRef("offline_access"),
    }


def test_full_scope_client_gets_every_effective_role(realm: Realm) -> None:
    mona = realm.user("mona")
    argocd = realm.client("argocd")
    assert mona is not None
    assert argocd is not None
    assert realm.roles_in_scope(mona, argocd) == realm.effective_roles(mona)


def test_protocol_mappers_include_default_client_scopes(realm: Realm) -> None:
    aws = realm.client(AWS)
    assert aws is not None
    assert [
        (origin, m.name, m.protocol_mapper) for origin, m in realm.protocol_mappers_for(aws)
    ] == [
        (f"client:{AWS}", "aws roles", "saml-role-list-mapper"),
        (f"client:{AWS}", "aws session name", "saml-user-property-mapper"),
        (f"client:{AWS}", "aws session duration", "saml-hardcode-attribute-mapper"),
        ("scope:role_list", "role list", "saml-role-list-mapper"),
    ]
    grafana = realm.client("grafana")
    assert grafana is not None
    assert [(origin, m.protocol_mapper) for origin, m in realm.protocol_mappers_for(grafana)] == [
        ("scope:profile", "oidc-usermodel-attribute-mapper"),
        ("scope:roles", "oidc-usermodel-realm-role-mapper"),
    ]


def test_reachable_clients(realm: Realm) -> None:
    def reach(username: str) -> list[str]:
        user = realm.user(username)
        assert user is not None
        return [c.client_id for c in realm.reachable_clients(user)]

    assert reach("mona") == [AWS, "argocd", "grafana", "account"]
    assert reach("former-admin") == []
    assert reach("service-account-ci") == []


# -- GitHub login lookup -------------------------------------------------------


def test_user_by_github_login_is_case_insensitive(realm: Realm) -> None:
    assert realm.user_by_github_login("monalisa-gh") == realm.user("mona")
    assert realm.user_by_github_login("MONALISA-GH", alias="github") == realm.user("mona")
    assert realm.user_by_github_id("583231") == realm.user("mona")


def test_user_by_github_login_ignores_local_usernames(realm: Realm) -> None:
    assert realm.user_by_github_login("breakglass") is None
    assert realm.user_by_github_login("mona") is None


def test_user_by_github_login_across_two_github_providers(realm: Realm) -> None:
    assert realm.users_by_github_login("dan-dev") == (realm.user("dan-dev"), realm.user("ghe-octo"))
    assert realm.user_by_github_login("dan-dev", alias="github") == realm.user("dan-dev")
    assert realm.user_by_github_login("dan-dev", alias="github-enterprise") == realm.user(
        "ghe-octo"
    )
    with pytest.raises(ModelError, match="several users"):
        realm.user_by_github_login("dan-dev")


def test_link_to_undeclared_provider_counts_as_github_only_under_alias_github() -> None:
    realm = Realm(
        name="r",
        users=(
            User("a", federated_identities=(FederatedIdentity("github", "1", "octo"),)),
            User("b", federated_identities=(FederatedIdentity("gitlab", "2", "octo"),)),
        ),
    )
    assert realm.users_by_github_login("octo") == (realm.users[0],)


# -- malformed input -----------------------------------------------------------


def test_malformed_parts_become_diagnostics_and_the_rest_loads() -> None:
    data: dict[str, object] = {
        "realm": "broken",
        "roles": {"realm": [{"name": "viewer"}, {"description": "no name"}]},
        "groups": [
            {"name": "ok", "subGroups": [{"path": "/ok/nameless"}]},
            {"name": "moved", "path": "/elsewhere/moved"},
        ],
        "users": [
            {"username": "alice", "enabled": True, "groups": ["/ok", "/missing"]},
            "not-a-user",
            {"email": "nobody@example.com"},
            {
                "username": "bob",
                "realmRoles": ["viewer", "ghost"],
                "federatedIdentities": [{"identityProvider": "github", "userId": "9"}],
            },
        ],
        "clients": {"not": "a list"},
    }
    lines = {"/users/1": 21, "/users/2": 22, "/users/3": 23, "/groups/0/subGroups/0": 7}
    realm, diagnostics = build_realm(data, SRC, lines)
    assert [u.username for u in realm.users] == ["alice", "bob"]
    assert [g.path for g in realm.groups_by_path.values()] == ["/ok", "/moved"]
    assert realm.clients == ()
    at = Source("realm.json", 23)
    assert diagnostics == [
        Diagnostic(SRC, "role has no name; skipped at /roles/realm/1", code="keycloak"),
        Diagnostic(
            Source("realm.json", 7),
            "group has no name; skipped with its subgroups at /groups/0/subGroups/0",
            code="keycloak",
        ),
        Diagnostic(
            SRC,
            "group path '/elsewhere/moved' does not match its place in the tree ('/moved'); "
            "using the tree at /groups/1/path",
            level=DiagnosticLevel.WARNING,
            code="keycloak",
        ),
        Diagnostic(
            Source("realm.json", 21),
            "user #1 is not an object; skipped at /users/1",
            code="keycloak",
        ),
        Diagnostic(
            Source("realm.json", 22), "user has no username; skipped at /users/2", code="keycloak"
        ),
        Diagnostic(
            at,
            "federated identity of user 'bob' lacks identityProvider, userId or userName; "
            "skipped at /users/3/federatedIdentities/0",
            code="keycloak",
        ),
        Diagnostic(SRC, "'clients' is not a list; ignored at /clients", code="keycloak"),
        Diagnostic(
            SRC,
            "user 'alice' is in group /missing, which the realm does not define",
            "Keycloak refuses to import a user in an unknown group",
            DiagnosticLevel.WARNING,
            "keycloak",
        ),
        Diagnostic(
            at,
            "user 'bob' refers to role ghost, which the realm does not define",
            "define the role or remove the mapping",
            DiagnosticLevel.WARNING,
            "keycloak",
        ),
    ]


def test_duplicate_groups_and_roles_of_unknown_clients_are_warned() -> None:
    data: dict[str, object] = {
        "realm": "r",
        "roles": {"client": {"ghost-app": [{"name": "admin"}]}},
        "groups": [{"name": "ops"}, {"name": "ops", "realmRoles": ["x"]}],
        "clients": [],
    }
    realm, diagnostics = build_realm(data, SRC)
    assert realm.group("/ops") == Group(name="ops", path="/ops", source=SRC)
    assert diagnostics == [
        Diagnostic(
            SRC,
            "group /ops appears twice; the first is used",
            level=DiagnosticLevel.WARNING,
            code="keycloak",
        ),
        Diagnostic(
            SRC,
            "role ghost-app/admin belongs to client 'ghost-app', which the realm does not define",
            "Keycloak refuses to import roles of an unknown client",
            DiagnosticLevel.WARNING,
            "keycloak",
        ),
    ]


def test_realm_without_name_still_loads() -> None:
    realm, diagnostics = build_realm({"users": [{"username": "x", "enabled": True}]}, SRC)
    assert (realm.name, [u.username for u in realm.users]) == ("", ["x"])
    assert diagnostics == [
        Diagnostic(
            SRC, "realm export has no 'realm' name", "export the realm again", code="keycloak"
        )
    ]


def test_users_only_partial_file_does_not_warn_about_undeclared_groups() -> None:
    data: dict[str, object] = {
        "realm": "platform",
        "users": [{"username": "x", "groups": ["/platform"]}],
    }
    realm, diagnostics = build_realm(data, SRC)
    assert diagnostics == []
    user = realm.user("x")
    assert user == User("x", enabled=False, groups=("/platform",), source=SRC)
    assert realm.effective_groups(user) == ("/platform",)


def test_server_export_yields_one_realm_per_entry() -> None:
    master = {"realm": "master", "enabled": True, "users": []}
    lines = {"/2": 40}
    realms, diagnostics = build_realms([master, 42, raw()], SRC, lines)
    assert [r.name for r in realms] == ["master", "platform"]
    assert realms[1].source == Source("realm.json", 40)
    assert realms[1].user("mona") is not None
    assert diagnostics == [
        Diagnostic(SRC, "realm #1 is not an object; skipped at /1", code="keycloak")
    ]


def test_server_export_that_is_neither_list_nor_object() -> None:
    realms, diagnostics = build_realms("nope", SRC)
    assert realms == []
    assert diagnostics == [
        Diagnostic(
            SRC, "a Keycloak export must be a realm object or a list of realms", code="keycloak"
        )
    ]


def test_users_credentials_survive_redaction_on_the_way_through_the_loader(
    tmp_path: Path,
) -> None:
    from ekstwin.loaders import load
    from ekstwin.loaders.inputs import REDACTED

    path = tmp_path / "realm.json"
    path.write_text(FIXTURE.read_text())
    result = load([str(path)])
    assert [d for d in result.diagnostics if "credentials" in d.message] == []
    [realm] = result.platform.realms
    user = realm.user("breakglass")
    assert user is not None and user.credential_types == ("otp", "password")
    [doc] = result.raw.realms
    assert isinstance(doc.data, dict)
    [raw_user] = [u for u in doc.data["users"] if u["username"] == "breakglass"]
    assert {c["type"] for c in raw_user["credentials"]} == {"otp", "password"}
    assert all(
        v == REDACTED
        for c in raw_user["credentials"]
        for k, v in c.items()
        if k != "type" and isinstance(v, str)
    )
    assert "SECRET" not in json.dumps(doc.data)
