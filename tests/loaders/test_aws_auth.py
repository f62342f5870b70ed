"""kube-system/aws-auth read as aws-iam-authenticator reads it (pkg/mapper/configmap)."""

from __future__ import annotations

from ekstwin.findings import Diagnostic
from ekstwin.loaders import LoadResult, load
from ekstwin.model.k8s import AwsAuth, AwsAuthEntry, AwsAuthSso
from ekstwin.model.source import Source

A = "arn:aws:iam::111122223333"


def _load(data: str) -> LoadResult:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\n"
        "data:\n" + data
    )
    return load(["-"], stdin_text=lambda: text)


def _at(line: int) -> Source:
    return Source("<stdin>", line)


def test_entry_keys_match_case_insensitively_and_system_masters_is_kept() -> None:
    r = _load(
        "  mapRoles: |\n"  # 5
        f"    - roleARN: {A}:role/nodes\n"
        "      UsErNaMe: system:node:{{EC2PrivateDNSName}}\n"
        "      gRoUpS: [system:bootstrappers, system:nodes]\n"
        "  mapUsers: |\n"  # 9
        f"    - uSeRaRn: {A}:user/admin\n"
        "      USERNAME: admin\n"
        "      Groups: [system:masters]\n"
    )
    assert r.diagnostics == ()
    assert r.platform.aws_auth == AwsAuth(
        map_roles=(
            AwsAuthEntry(
                f"{A}:role/nodes",
                "system:node:{{EC2PrivateDNSName}}",
                ("system:bootstrappers", "system:nodes"),
                _at(5),
            ),
        ),
        map_users=(AwsAuthEntry(f"{A}:user/admin", "admin", ("system:masters",), _at(9)),),
        map_accounts=(),
        source=_at(1),
    )


def test_a_list_as_a_data_value_means_there_is_no_aws_auth() -> None:
    r = _load(
        "  mapUsers:\n"
        f"    - userarn: {A}:user/admin\n"  # 6: where the list starts
        "      username: admin\n"
        "      groups: [system:masters]\n"
    )
    assert r.platform.aws_auth is None
    assert r.diagnostics == (
        Diagnostic(
            _at(6),
            "aws-auth data.mapUsers is a list, not a string: the API server rejects the "
            "ConfigMap, so the cluster has no aws-auth",
            "write data.mapUsers as a YAML block string (mapUsers: |)",
            code="aws-auth",
        ),
    )
    assert r.input_errors


def test_empty_values_are_skipped_without_error() -> None:
    r = _load("  mapRoles: '\"\"'\n  mapUsers: \"''\"\n  mapAccounts: ''\n")
    assert r.diagnostics == ()
    assert r.platform.aws_auth == AwsAuth((), (), (), _at(1))


def test_an_sso_entry_is_valid() -> None:
    r = _load(
        "  mapRoles: |\n"  # 5
        "    - sso:\n"
        "        permissionSetName: ViewOnlyAccess\n"
        '        accountID: "111122223333"\n'
        "      username: viewer\n"
        "      groups: [viewers]\n"
    )
    assert r.diagnostics == ()
    assert r.platform.aws_auth is not None
    assert r.platform.aws_auth.map_roles == (
        AwsAuthEntry(
            "", "viewer", ("viewers",), _at(5), AwsAuthSso("ViewOnlyAccess", "111122223333")
        ),
    )


def test_an_invalid_sso_entry_is_dropped_and_the_others_kept() -> None:
    r = _load(
        "  mapRoles: |\n"  # 5
        "    - sso: {permissionSetName: ViewOnlyAccess, accountID: 111122223333}\n"
        "      username: viewer\n"
        f"    - rolearn: {A}:role/ops\n"
        "      sso: {permissionSetName: Ops, accountID: '111122223333'}\n"
        f"    - rolearn: {A}:role/dev\n"
        "      username: dev\n"
    )
    assert r.platform.aws_auth is not None
    assert r.platform.aws_auth.map_roles == (AwsAuthEntry(f"{A}:role/dev", "dev", (), _at(5)),)
    assert [d.message for d in r.diagnostics] == [
        "aws-auth mapRoles entry 0: sso accountID 111122223333 is not a 12-digit account ID "
        "(quote it)",
        "aws-auth mapRoles entry 1 has both rolearn and sso",
    ]


def test_unquoted_map_accounts_keep_their_text() -> None:
    r = _load("  mapAccounts: |\n    - 012345670123\n    - '111122223333'\n    - 0x1F\n")
    assert r.diagnostics == ()
    assert r.platform.aws_auth is not None
    assert r.platform.aws_auth.map_accounts == ("012345670123", "111122223333", "0x1F")


def test_groups_that_are_not_a_list_map_the_entry_with_no_groups() -> None:
    r = _load(f"  mapRoles: |\n    - rolearn: {A}:role/ops\n      groups: system:masters\n")
    assert r.platform.aws_auth is not None
    assert r.platform.aws_auth.map_roles == (AwsAuthEntry(f"{A}:role/ops", None, (), _at(5)),)
    assert r.diagnostics == (
        Diagnostic(
            _at(5),
            "aws-auth mapRoles entry 0: groups must be a list, got a string",
            "write groups as a YAML list; the authenticator maps the entry with no groups",
            code="aws-auth",
        ),
    )


def test_top_level_keys_are_case_sensitive() -> None:
    r = _load(f"  maproles: |\n    - rolearn: {A}:role/ops\n      groups: [system:masters]\n")
    assert r.diagnostics == ()
    assert r.platform.aws_auth == AwsAuth((), (), (), _at(1))
