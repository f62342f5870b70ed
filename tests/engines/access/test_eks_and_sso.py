"""EKS authentication and the SSO chain, including what RBAC-only tools miss."""

from __future__ import annotations

from ekstwin.engines.access import AccessAnalyzer, ResourceRequest, authenticate, canonical_arn
from ekstwin.model.aws import (
    AccessEntry,
    AccessPolicyAssociation,
    AccessScope,
    AccessScopeType,
    AuthenticationMode,
    EksCluster,
)
from ekstwin.model.k8s import AwsAuth, AwsAuthEntry, AwsAuthSso
from ekstwin.model.source import Source

SRC = Source("aws-auth.yaml", 3)
A = "arn:aws:iam::111122223333"


def cluster(
    mode: AuthenticationMode, *entries: AccessEntry, creator: str | None = None
) -> EksCluster:
    return EksCluster(
        "prod", "eu-west-1", "arn:aws:eks:eu-west-1:111122223333:cluster/prod", "1.31",
        authentication_mode=mode, access_entries=entries, creator_arn=creator,
        bootstrap_cluster_creator_admin_permissions=True,
    )  # fmt: skip


def aws_auth(
    roles: list[AwsAuthEntry],
    users: tuple[AwsAuthEntry, ...] = (),
    accounts: tuple[str, ...] = (),
) -> AwsAuth:
    return AwsAuth(tuple(roles), tuple(users), accounts, SRC)


def test_canonical_arn_drops_session_and_keeps_user_paths() -> None:
    assert (
        canonical_arn("arn:aws:sts::111122223333:assumed-role/dev/alice@example.com")
        == f"{A}:role/dev"
    )
    assert canonical_arn(f"{A}:user/ops/alice") == f"{A}:user/ops/alice"
    assert canonical_arn("arn:aws:s3:::bucket") is None


def test_aws_auth_role_with_path_never_matches_but_user_path_does() -> None:
    auth = aws_auth(
        [AwsAuthEntry(f"{A}:role/sso/dev", "dev:{{SessionName}}", ("devs",), SRC)],
        (AwsAuthEntry(f"{A}:user/ops/alice", "alice", ("ops",), SRC),),
    )
    c = cluster(AuthenticationMode.CONFIG_MAP)
    role = authenticate(c, auth, f"{A}:role/sso/dev", "bob")
    assert (role.mapped, role.steps[-1]) == (
        False,
        f"no aws-auth mapRoles/mapUsers entry matches {A}:role/dev",
    )
    user = authenticate(c, auth, f"{A}:user/ops/alice")
    assert (user.username, user.groups) == ("alice", ("ops", "system:authenticated"))


def test_aws_auth_is_case_insensitive_roles_first_last_entry_wins_and_templates_render() -> None:
    auth = aws_auth(
        [
            AwsAuthEntry(f"{A}:role/Dev", "old", ("old",), SRC),
            AwsAuthEntry(f"{A}:role/DEV", "dev:{{SessionName}}:{{AccountID}}", ("devs",), SRC),
        ],
        (AwsAuthEntry(f"{A}:role/dev", "as-user", ("users",), SRC),),
    )
    ident = authenticate(
        cluster(AuthenticationMode.CONFIG_MAP), auth, f"{A}:role/dev", "bob@example.com"
    )
    assert (ident.username, ident.groups, ident.via) == (
        "dev:bob-example.com:111122223333", ("devs", "system:authenticated"), "aws-auth mapRoles",
    )  # fmt: skip


def test_map_accounts_gives_the_arn_as_username_and_no_groups() -> None:
    ident = authenticate(
        cluster(AuthenticationMode.CONFIG_MAP),
        aws_auth([], accounts=("111122223333",)),
        f"{A}:role/x",
    )
    assert (ident.username, ident.groups, ident.via) == (
        f"{A}:role/x",
        ("system:authenticated",),
        "aws-auth mapAccounts",
    )


def test_access_entry_wins_over_aws_auth_and_carries_namespace_scoped_policies() -> None:
    entry = AccessEntry(
        f"{A}:role/payments", username="payments:{{SessionName}}", kubernetes_groups=("devs",),
        access_policies=(AccessPolicyAssociation(
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
            AccessScope(AccessScopeType.NAMESPACE, ("pay-*",)),
        ),),
    )  # fmt: skip
    auth = aws_auth([AwsAuthEntry(f"{A}:role/payments", "p", ("devs", "oncall"), SRC)])
    ident = authenticate(
        cluster(AuthenticationMode.API_AND_CONFIG_MAP, entry), auth, f"{A}:role/payments", "carol"
    )
    assert (ident.via, ident.username, ident.groups) == (
        "access-entry",
        "payments:carol",
        ("devs", "system:authenticated"),
    )
    policy = ident.policies[0]
    exec_req = ResourceRequest("create", "pods", "exec", namespace="pay-eu")
    assert [r.describe() for r in policy.allowing_rules(exec_req)] == [
        "create,delete,deletecollection,patch,update on "
        "pods,pods/attach,pods/exec,pods/portforward,pods/proxy [core]"
    ]
    assert policy.allowing_rules(ResourceRequest("create", "pods", "exec", namespace="shop")) == ()
    # in CONFIG_MAP mode the access entry is not consulted
    legacy = authenticate(cluster(AuthenticationMode.CONFIG_MAP, entry), auth, f"{A}:role/payments")
    assert legacy.groups == ("devs", "oncall", "system:authenticated")


def test_view_policy_has_no_secrets_but_admin_view_does() -> None:
    def grants(name: str) -> bool:
        entry = AccessEntry(
            f"{A}:role/r",
            access_policies=(
                AccessPolicyAssociation(f"arn:aws:eks::aws:cluster-access-policy/{name}"),
            ),
        )
        ident = authenticate(cluster(AuthenticationMode.API, entry), None, f"{A}:role/r")
        return bool(
            ident.policies[0].allowing_rules(ResourceRequest("get", "secrets", namespace="x"))
        )

    assert [
        grants(n)
        for n in ("AmazonEKSViewPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSEditPolicy")
    ] == [False, True, True]


def test_cluster_creator_is_admin_without_any_visible_configuration() -> None:
    ident = authenticate(
        cluster(AuthenticationMode.CONFIG_MAP, creator=f"{A}:role/creator"),
        None,
        f"{A}:role/creator",
    )
    assert (ident.via, ident.groups) == (
        "cluster-creator",
        ("system:masters", "system:authenticated"),
    )
    api = authenticate(
        cluster(AuthenticationMode.API, creator=f"{A}:role/creator"), None, f"{A}:role/creator"
    )
    assert [p.name for p in api.policies] == ["AmazonEKSClusterAdminPolicy"]


def test_system_masters_can_do_anything_without_rbac() -> None:
    from ekstwin.model.aws import Account, AwsState
    from ekstwin.model.platform import Platform

    auth = aws_auth([], (AwsAuthEntry(f"{A}:user/break-glass", "bg", ("system:masters",), SRC),))
    p = Platform(
        aws_auth=auth,
        aws=AwsState(
            accounts=(
                Account("111122223333", eks_clusters=(cluster(AuthenticationMode.CONFIG_MAP),)),
            )
        ),
    )
    got = AccessAnalyzer(p).who_can(ResourceRequest("delete", "nodes"))
    assert [(e.kind, e.name, e.chains) for e in got.entries] == [
        ("iam-principal", f"{A}:user/break-glass", ((
            f"IAM {A}:user/break-glass",
            f"aws-auth mapUsers entry {A}:user/break-glass (aws-auth.yaml:3)",
            "Kubernetes user bg: group system:masters: "
            "every request (hard-wired in kube-apiserver)",
        ),)),
    ]  # fmt: skip


def test_ec2_private_dns_name_is_the_instances_private_dns_name() -> None:
    auth = aws_auth(
        [
            AwsAuthEntry(
                f"{A}:role/nodes", "system:node:{{EC2PrivateDNSName}}", ("system:nodes",), SRC
            )
        ]
    )
    c = cluster(AuthenticationMode.CONFIG_MAP)
    dns = {"i-0123456789abcdef0": "ip-198-18-0-10.eu-west-1.compute.internal"}
    node = authenticate(c, auth, f"{A}:role/nodes", "i-0123456789abcdef0", dns)
    assert (node.mapped, node.username, node.notes) == (
        True,
        "system:node:ip-198-18-0-10.eu-west-1.compute.internal",
        (),
    )
    unknown = authenticate(c, auth, f"{A}:role/nodes", "i-0fedcba9876543210", dns)
    assert (unknown.mapped, unknown.username, unknown.notes) == (
        True,
        "system:node:{{EC2PrivateDNSName}}",
        (
            "{{EC2PrivateDNSName}} is the private DNS name of instance i-0fedcba9876543210, "
            "which is not in the input: left unrendered",
        ),
    )
    refused = authenticate(c, auth, f"{A}:role/nodes", "mallory", dns)
    assert (refused.mapped, refused.steps[-1]) == (
        False,
        "the entry uses {{EC2PrivateDNSName}} but the session name 'mallory' is not an EC2 "
        "instance ID: the authenticator refuses the login",
    )


def test_access_key_id_is_never_in_the_input_and_stays_unrendered() -> None:
    auth = aws_auth([AwsAuthEntry(f"{A}:role/ci", "ci:{{AccessKeyID}}", ("ci",), SRC)])
    ident = authenticate(cluster(AuthenticationMode.CONFIG_MAP), auth, f"{A}:role/ci", "run-1")
    assert (ident.username, ident.notes) == (
        "ci:{{AccessKeyID}}",
        (
            "{{AccessKeyID}} is the caller's access key ID, which is not in the input: "
            "left unrendered",
        ),
    )


def test_an_sso_entry_is_named_but_not_counted_without_the_feature_gate() -> None:
    sso_role = f"{A}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123abcd"
    auth = aws_auth(
        [
            AwsAuthEntry(
                "", "admin", ("system:masters",), SRC, AwsAuthSso("Admin", "111122223333")
            ),
            AwsAuthEntry(
                "", "cn", ("system:masters",), SRC, AwsAuthSso("Admin", "111122223333", "aws")
            ),
        ]
    )
    ident = authenticate(cluster(AuthenticationMode.CONFIG_MAP), auth, sso_role, "alice")
    assert (ident.mapped, ident.notes) == (
        False,
        (
            "the aws-auth mapRoles sso entry for permission set Admin in account 111122223333 "
            "(aws-auth.yaml:3) maps this role to admin (system:masters) only where "
            "aws-iam-authenticator runs with its SSORoleMatch feature gate (alpha, off by "
            "default); not counted",
        ),
    )


def test_an_unknown_partition_is_not_an_identity_arn() -> None:
    assert canonical_arn("arn:aws-nk:iam::111122223333:user/alice") is None
    assert canonical_arn("arn:aws-iso-b:iam::111122223333:user/Chris") == (
        "arn:aws-iso-b:iam::111122223333:user/Chris"
    )
