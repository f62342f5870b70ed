"""access engine scale: ``who-can`` over 5,000 bindings, 2,000 ServiceAccounts and
500 people (Keycloak users whose groups map to SAML roles, then to access
entries and aws-auth groups).

Run: ``.venv/bin/python benchmarks/access_scale.py [--bindings 5000] [--sas 2000]
[--people 500]``. Prints each figure next to its target; exits 1 when missed.
The cold figure includes building the analyzer (roles, aggregation, bindings)
and resolving every person (realm -> SAML trust -> EKS identity).
"""

from __future__ import annotations

import argparse
import sys
import time

from ekstwin.engines.access import AccessAnalyzer, ResourceRequest
from ekstwin.model.aws import (
    AccessEntry,
    AccessPolicyAssociation,
    AccessScope,
    AccessScopeType,
    Account,
    AuthenticationMode,
    AwsState,
    EksCluster,
    IamRole,
    SamlProvider,
)
from ekstwin.model.k8s import (
    AwsAuth,
    AwsAuthEntry,
    Meta,
    PolicyRule,
    Role,
    RoleBinding,
    RoleRef,
    ServiceAccount,
    Subject,
)
from ekstwin.model.keycloak import (
    SAML,
    Client,
    FederatedIdentity,
    Group,
    IdentityProvider,
    ProtocolMapper,
    Realm,
    User,
)
from ekstwin.model.platform import Platform
from ekstwin.model.source import Source

A = "111122223333"
PROVIDER = f"arn:aws:iam::{A}:saml-provider/keycloak"
AWS_CLIENT = "urn:amazon:webservices"
TARGET_SECONDS = 1.0
SRC = Source("bench", 1)


def _meta(kind: str, name: str, ns: str | None = None) -> Meta:
    return Meta("rbac.authorization.k8s.io/v1", kind, name, ns, SRC)


def platform(bindings: int, sas: int, people: int, namespaces: int = 100) -> Platform:
    nss = [f"team-{i:03d}" for i in range(namespaces)]
    roles = [
        Role(_meta("ClusterRole", f"cr-{i}"), True, (
            PolicyRule(("get", "list", "watch"), ("", "apps"), ("pods", "services", f"thing{i}")),
            PolicyRule(("create",), ("",), ("pods/exec",) if i % 7 == 0 else ("configmaps",)),
        ))
        for i in range(50)
    ]  # fmt: skip
    service_accounts = [
        ServiceAccount(Meta("v1", "ServiceAccount", f"sa-{i}", nss[i % namespaces], SRC))
        for i in range(sas)
    ]
    rbs: list[RoleBinding] = []
    for i in range(bindings):
        ns = nss[i % namespaces]
        if i % 3 == 0:
            subject = Subject("ServiceAccount", f"sa-{i % sas}", nss[(i % sas) % namespaces])
        elif i % 3 == 1:
            subject = Subject("Group", f"group-{i % 40}")
        else:
            subject = Subject("User", f"user-{i}")
        ref = RoleRef("ClusterRole", f"cr-{i % 50}")
        rbs.append(RoleBinding(_meta("RoleBinding", f"rb-{i}", ns), False, ref, (subject,)))
    role_arns = [f"arn:aws:iam::{A}:role/team-{g}" for g in range(40)]
    trust: dict[str, object] = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Federated": PROVIDER},
                       "Action": "sts:AssumeRoleWithSAML"}],
    }  # fmt: skip
    iam_roles = tuple(IamRole(a.rsplit("/", 1)[1], a, trust_policy=trust) for a in role_arns)
    entries = tuple(
        AccessEntry(
            a, kubernetes_groups=(f"group-{g}",),
            access_policies=(AccessPolicyAssociation(
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
                AccessScope(AccessScopeType.NAMESPACE, (nss[g],)),
            ),),
        )
        for g, a in enumerate(role_arns) if g % 2 == 0
    )  # fmt: skip
    mapped = tuple(
        AwsAuthEntry(a, "u:{{SessionName}}", (f"group-{g}",), SRC)
        for g, a in enumerate(role_arns)
        if g % 2
    )
    aws_auth = AwsAuth(mapped, (), (), SRC)
    cluster = EksCluster(
        "bench", "eu-west-1", f"arn:aws:eks:eu-west-1:{A}:cluster/bench", "1.30",
        authentication_mode=AuthenticationMode.API_AND_CONFIG_MAP, access_entries=entries,
    )  # fmt: skip
    account = Account(
        A, eks_clusters=(cluster,), roles=iam_roles,
        saml_providers=(SamlProvider(PROVIDER, "keycloak"),),
    )  # fmt: skip
    groups = tuple(
        Group(f"team-{g}", f"/team-{g}", client_roles={AWS_CLIENT: (f"{a},{PROVIDER}",)})
        for g, a in enumerate(role_arns)
    )
    users = tuple(
        User(
            f"person-{i}", groups=(f"/team-{i % 40}",),
            federated_identities=(FederatedIdentity("github", str(i), f"gh-{i}"),),
        )
        for i in range(people)
    )  # fmt: skip
    client = Client(
        AWS_CLIENT, protocol=SAML, full_scope_allowed=False,
        protocol_mappers=(ProtocolMapper(
            "roles", SAML, "saml-role-list-mapper",
            config={"attribute.name": "https://aws.amazon.com/SAML/Attributes/Role"},
        ),),
    )  # fmt: skip
    realm = Realm(
        "bench", users=users, groups=groups, clients=(client,),
        identity_providers=(IdentityProvider("github", "github"),),
    )  # fmt: skip
    return Platform(
        service_accounts=tuple(service_accounts), roles=tuple(roles), role_bindings=tuple(rbs),
        aws_auth=aws_auth, aws=AwsState(accounts=(account,)), realms=(realm,),
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bindings", type=int, default=5000)
    parser.add_argument("--sas", type=int, default=2000)
    parser.add_argument("--people", type=int, default=500)
    args = parser.parse_args(argv)
    p = platform(args.bindings, args.sas, args.people)
    queries = [
        ResourceRequest("create", "pods", "exec", "", "team-007"),
        ResourceRequest("get", "pods", "", "", "team-042"),
        ResourceRequest("list", "services", "", "apps", None),
    ]
    start = time.perf_counter()
    analyzer = AccessAnalyzer(p)
    first = analyzer.who_can(queries[0])
    cold = time.perf_counter() - start
    warm: list[float] = []
    sizes = [len(first.entries)]
    for q in queries[1:]:
        t = time.perf_counter()
        sizes.append(len(analyzer.who_can(q).entries))
        warm.append(time.perf_counter() - t)
    ok = cold <= TARGET_SECONDS and max(warm) <= TARGET_SECONDS
    print(f"platform: {args.bindings} bindings, {args.sas} ServiceAccounts, {args.people} people")
    print(f"who-can cold (analyzer + people + query): {cold:.3f} s  (target <= {TARGET_SECONDS} s)")
    print(f"who-can warm: {', '.join(f'{w:.3f}' for w in warm)} s  (target <= {TARGET_SECONDS} s)")
    print(f"subjects found per query: {sizes}")
    print("OK" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
