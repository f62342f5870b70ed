"""RBAC rules: matching, scopes, aggregation, built-in roles, subjects, exec by version."""

from __future__ import annotations

from pathlib import Path

from ekstwin.engines.access import AccessAnalyzer, ResourceRequest, Rule, exec_verbs
from ekstwin.engines.access.builtin import RuleSpec
from ekstwin.engines.access.rbac import Rbac
from ekstwin.loaders import load
from ekstwin.model.k8s import (
    Meta,
    PolicyRule,
    Role,
    RoleBinding,
    RoleRef,
    ServiceAccount,
    Subject,
)
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import LabelSelector
from ekstwin.model.source import Source

SRC = Source("t.yaml", 1)


def meta(kind: str, name: str, ns: str | None = None, labels: dict[str, str] | None = None) -> Meta:
    return Meta("rbac.authorization.k8s.io/v1", kind, name, ns, SRC, labels=labels or {})


def role(name: str, *rules: PolicyRule, ns: str | None = None, **kw: object) -> Role:
    return Role(meta("Role" if ns else "ClusterRole", name, ns), ns is None, rules, **kw)  # type: ignore[arg-type]


def bind(
    name: str, ref: str, *subjects: Subject, ns: str | None = None, kind: str = "ClusterRole"
) -> RoleBinding:
    return RoleBinding(
        meta("RoleBinding" if ns else "ClusterRoleBinding", name, ns), ns is None,
        RoleRef(kind, ref), subjects,
    )  # fmt: skip


def rule(**kw: object) -> Rule:
    return Rule.of(RuleSpec(**kw))  # type: ignore[arg-type]


def test_wildcards_subresources_and_resource_names_match_like_the_authorizer() -> None:
    r = rule(
        verbs=("get",), api_groups=("",), resources=("*/exec", "secrets"), resource_names=("db",)
    )
    assert r.allows(ResourceRequest("get", "pods", "exec", name="db"))
    assert not r.allows(ResourceRequest("get", "pods", "exec"))  # no name: list-like
    assert not r.allows(ResourceRequest("get", "pods", name="db"))  # */exec is not pods
    assert r.allows(ResourceRequest("get", "secrets", name="db"))
    assert not r.allows(ResourceRequest("get", "secrets", name="other"))
    star = rule(verbs=("*",), api_groups=("*",), resources=("*",))
    assert star.allows(ResourceRequest("create", "pods", "exec", "", "ns"))
    pods = rule(verbs=("create",), api_groups=("",), resources=("pods",))
    assert not pods.allows(ResourceRequest("create", "pods", "exec"))


def test_non_resource_urls_match_exactly_star_or_by_prefix() -> None:
    r = rule(verbs=("get",), non_resource_urls=("/metrics", "/logs/*"))
    assert [
        r.allows(ResourceRequest("get", non_resource_url=u))
        for u in ("/metrics", "/logs/x/y", "/metricsx", "/healthz")
    ] == [True, True, False, False]


def test_rolebinding_grants_clusterrole_only_in_its_namespace() -> None:
    p = Platform(
        roles=(role("reader", PolicyRule(("get",), ("",), ("secrets",))),),
        role_bindings=(bind("r", "reader", Subject("User", "u"), ns="a"),),
    )
    a = AccessAnalyzer(p)
    assert [
        e.name for e in a.who_can(ResourceRequest("get", "secrets", namespace="a")).entries
    ] == ["u"]
    assert a.who_can(ResourceRequest("get", "secrets", namespace="b")).entries == ()
    assert a.who_can(ResourceRequest("get", "secrets")).entries == ()  # cluster-wide


def test_aggregation_unions_member_rules_transitively_with_builtin_admin_edit() -> None:
    extra = role("extra", PolicyRule(("get",), ("example.com",), ("widgets",)))
    extra = Role(
        meta(
            "ClusterRole", "extra", labels={"rbac.authorization.k8s.io/aggregate-to-edit": "true"}
        ),
        True,
        extra.rules,
    )
    mine = Role(
        meta("ClusterRole", "mine"), True, (),
        aggregation_selectors=(LabelSelector((("team", "x"),)),),
    )  # fmt: skip
    member = Role(
        meta("ClusterRole", "m", labels={"team": "x"}),
        True,
        (PolicyRule(("list",), ("",), ("pods",)),),
    )
    rbac = Rbac(Platform(roles=(extra, mine, member)))
    admin = rbac.cluster_roles["admin"]
    assert admin.builtin and "edit" in admin.aggregated_from
    req = ResourceRequest("get", "widgets", api_group="example.com", namespace="n")
    assert any(r.allows(req) for r in admin.rules)  # admin <- edit <- extra
    assert any(
        r.allows(ResourceRequest("create", "pods", "exec", namespace="n")) for r in admin.rules
    )
    assert [r.describe() for r in rbac.cluster_roles["mine"].rules] == ["list on pods [core]"]


def test_service_account_groups_and_system_authenticated_bind() -> None:
    p = Platform(
        roles=(role("r", PolicyRule(("list",), ("",), ("configmaps",))),),
        role_bindings=(
            bind("all-sa", "r", Subject("Group", "system:serviceaccounts:apps"), ns="apps"),
            bind("sa", "r", Subject("ServiceAccount", "bot", "tools")),
        ),
    )
    a = AccessAnalyzer(p)
    assert sorted(e.ability for e in a.service_account("apps", "web").capabilities) == []
    got = a.who_can(ResourceRequest("list", "configmaps", namespace="apps"))
    assert [(e.kind, e.name) for e in got.entries] == [
        ("service-account", "tools/bot"),
        ("group", "system:serviceaccounts:apps"),
    ]
    web = a.service_account("apps", "web")
    assert web.groups == (
        "system:serviceaccounts",
        "system:serviceaccounts:apps",
        "system:authenticated",
    )
    assert [g.via for g in web.grants if g.scope == "apps"] == [
        "Group system:serviceaccounts:apps -> RoleBinding apps/all-sa -> ClusterRole r"
    ]


def test_who_can_names_the_service_accounts_each_kind_of_subject_reaches() -> None:
    """A namespace's group, one account's user, and the groups every account is in
    (system:serviceaccounts, system:authenticated): exactly those accounts, in order."""

    def sa(ns: str, name: str) -> ServiceAccount:
        return ServiceAccount(Meta("v1", "ServiceAccount", name, ns, SRC))

    accounts = (sa("apps", "web"), sa("apps", "db"), sa("other", "x"), sa("tools", "bot"))
    r = role("r", PolicyRule(("list",), ("",), ("configmaps",)))

    def who(*subjects: Subject) -> list[tuple[str, str]]:
        p = Platform(
            roles=(r,), role_bindings=(bind("b", "r", *subjects),), service_accounts=accounts
        )
        got = AccessAnalyzer(p).who_can(ResourceRequest("list", "configmaps", namespace="apps"))
        return [(e.kind, e.name) for e in got.entries]

    assert who(Subject("Group", "system:serviceaccounts:apps")) == [
        ("service-account", "apps/db"),
        ("service-account", "apps/web"),
    ]
    assert who(Subject("User", "system:serviceaccount:other:x")) == [("service-account", "other/x")]
    assert who(Subject("User", "system:serviceaccount:other:nobody")) == [
        ("user", "system:serviceaccount:other:nobody")
    ]
    everyone = [("service-account", f"{a.meta.ns}/{a.meta.name}") for a in accounts]
    for group in ("system:serviceaccounts", "system:authenticated"):
        assert who(Subject("Group", group))[:4] == sorted(everyone), group
    # a group of no service account reaches none; the namespace group its own only
    assert who(Subject("Group", "ops"), Subject("Group", "system:serviceaccounts:tools")) == [
        ("service-account", "tools/bot"),
        ("group", "ops"),
    ]


def test_escalate_bind_impersonate_are_reported_as_privilege_paths() -> None:
    p = Platform(
        roles=(
            role(
                "dangerous",
                PolicyRule(("escalate", "bind"), ("rbac.authorization.k8s.io",), ("clusterroles",)),
                PolicyRule(("impersonate",), ("",), ("groups", "serviceaccounts")),
            ),
        ),
        role_bindings=(bind("d", "dangerous", Subject("ServiceAccount", "ci", "ci")),),
    )
    caps = {c.ability: c.scope for c in AccessAnalyzer(p).service_account("ci", "ci").capabilities}
    assert caps == {
        "impersonate-serviceaccounts": "cluster",
        "bind-roles": "cluster",
        "escalate-roles": "cluster",
        "impersonate-users-groups": "cluster",
    }


def test_exec_needs_create_from_1_35_and_get_suffices_before() -> None:
    assert exec_verbs("1.30") == ("create", "get")
    assert exec_verbs("1.35") == ("create",)
    assert exec_verbs("v1.36.1-eks") == ("create",)
    assert exec_verbs(None) == ("create", "get")


IMPERSONATION = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: impersonate-masters}
rules:
- {apiGroups: [""], resources: [users], verbs: [impersonate]}
- {apiGroups: [""], resources: [groups], verbs: [impersonate], resourceNames: ["system:masters"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-deployer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonate-masters}
subjects: [{kind: ServiceAccount, name: deployer, namespace: ci}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: group-only}
rules:
- {apiGroups: [""], resources: [groups], verbs: [impersonate], resourceNames: ["system:masters"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: half-impersonator}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: group-only}
subjects: [{kind: ServiceAccount, name: half, namespace: ci}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-reader, namespace: shop}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: shop-admin-reads, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
subjects: [{kind: ServiceAccount, name: shop-admin, namespace: shop}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: become-shop-admin, namespace: shop}
rules:
- {apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate], resourceNames: [shop-admin]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-becomes-shop-admin, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: become-shop-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
"""


def test_who_can_follows_one_hop_of_impersonation(tmp_path: Path) -> None:
    (tmp_path / "rbac.yaml").write_text(IMPERSONATION, encoding="utf-8")
    result = load([str(tmp_path)])
    assert [str(d) for d in result.diagnostics if d.level.value == "error"] == []
    who = AccessAnalyzer(result.platform).who_can(
        ResourceRequest("get", "secrets", namespace="shop", name="db")
    )
    chains = {(e.kind, e.name): [" | ".join(c) for c in e.chains] for e in who.entries}
    deployer = chains[("service-account", "ci/deployer")]
    assert any(
        "(impersonate) -> impersonates Group system:masters -> group system:masters" in c
        for c in deployer
    )
    alice = chains[("user", "alice")]
    assert alice == [
        "User alice -> RoleBinding shop/alice-becomes-shop-admin -> Role shop/become-shop-admin: "
        "impersonate on serviceaccounts [core] names shop-admin (impersonate) -> impersonates "
        "ServiceAccount shop/shop-admin -> ServiceAccount shop/shop-admin -> RoleBinding "
        "shop/shop-admin-reads -> Role shop/secret-reader: get on secrets [core] (get)"
    ]
    # a group may be impersonated only together with a user: ci/half cannot
    assert ("service-account", "ci/half") not in chains
    assert ("service-account", "shop/shop-admin") in chains


def test_a_cluster_role_binding_service_account_without_namespace_matches_nobody() -> None:
    p = Platform(
        roles=(role("r", PolicyRule(("list",), ("",), ("secrets",))),),
        role_bindings=(bind("sa", "r", Subject("ServiceAccount", "bot")),),
    )
    a = AccessAnalyzer(p)
    assert a.who_can(ResourceRequest("list", "secrets", namespace="default")).entries == ()
    # only what every ServiceAccount of the namespace has (system:authenticated and the like)
    assert a.service_account("default", "bot").grants == a.service_account("default", "x").grants


def test_the_loader_refuses_a_cluster_role_binding_service_account_without_namespace() -> None:
    r = load(
        ["-"],
        stdin_text=lambda: (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
            "metadata: {name: sa}\nroleRef: {kind: ClusterRole, name: view}\n"
            "subjects:\n- kind: ServiceAccount\n  name: bot\n"
        ),
    )
    assert r.platform.role_bindings == ()
    assert [(d.source, d.message) for d in r.diagnostics] == [
        (
            Source("<stdin>", 1),
            "ClusterRoleBinding sa: subjects[0] is a ServiceAccount without a namespace: the "
            "API server rejects such a ClusterRoleBinding; the object was skipped",
        )
    ]
