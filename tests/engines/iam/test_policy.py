"""Parsing policy documents: typed statements, and clear errors for malformed ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.iam import PolicyError, parse_policy
from ekstwin.engines.iam.policy import Effect


def test_single_statement_object_and_string_values_are_normalised() -> None:
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "S3:Get*", "Resource": "*"},
        },
        "p",
    )
    (stmt,) = policy.statements
    assert stmt.effect is Effect.ALLOW
    assert stmt.actions is not None
    assert stmt.actions.wildcards == ("s3:get*",)
    assert stmt.resources is not None and stmt.resources.any
    assert stmt.label == "Statement[0]"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "policy p: $: a policy document must be an object, got list"),
        ({"Version": "2012-10-17"}, "policy p: $: missing Statement"),
        (
            {"Statement": [{"Effect": "allow", "Action": "s3:*"}]},
            "policy p: $.Statement[0].Effect: Effect must be 'Allow' or 'Deny', got 'allow'",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
            "policy p: $.Statement[0]: needs Action or NotAction",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*"}]},
            "policy p: $.Statement[0]: has both Action and NotAction",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "GetObject"}]},
            "policy p: $.Statement[0].Action: action 'GetObject' is not of the form service:Action",
        ),
        (
            {
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Condition": {"StringEqual": {"a": "b"}}}
                ]
            },
            "policy p: $.Statement[0].Condition.StringEqual: "
            "unknown condition operator 'StringEqual'",
        ),
        (
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "s3:*",
                        "Condition": {"NullIfExists": {"a": "true"}},
                    }
                ]
            },
            "policy p: $.Statement[0].Condition.NullIfExists: Null cannot take IfExists",
        ),
        (
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "s3:*",
                        "Condition": {"ForSomeValues:StringLike": {"a": "b"}},
                    }
                ]
            },
            "policy p: $.Statement[0].Condition.ForSomeValues:StringLike: unknown set operator "
            "'ForSomeValues' (ForAllValues or ForAnyValue)",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": ["s3:*", 3]}]},
            "policy p: $.Statement[0].Action[1]: must be a string or a list of strings, got int",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Principal": {"Users": "x"}}]},
            "policy p: $.Statement[0].Principal: unknown principal type 'Users' "
            "(AWS, Federated, Service or CanonicalUser)",
        ),
        (
            {"Version": "2024-01-01", "Statement": []},
            "policy p: $.Version: Version must be 2012-10-17 or 2008-10-17, got '2024-01-01'",
        ),
    ],
)
def test_malformed_policy_names_the_policy_and_path(document: object, message: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(document, "p")
    assert str(info.value) == message


def test_evaluate_command_reports_a_malformed_policy_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "bad.json"
    case.write_text(
        json.dumps(
            {
                "policies": {"identity": [{"Statement": [{"Effect": "Permit", "Action": "s3:*"}]}]},
                "request": {
                    "principal": {
                        "type": "iam-user",
                        "arn": "arn:aws:iam::111122223333:user/a",
                        "account": "111122223333",
                    },
                    "action": "s3:GetObject",
                    "resource": "*",
                },
            }
        )
    )
    assert main(["iam", "evaluate", str(case)]) == 2
    assert capsys.readouterr().err == (
        f"error: {case}: policy identity[0]: $.Statement[0].Effect: Effect must be 'Allow' or "
        "'Deny', got 'Permit'\n"
    )


def test_evaluate_command_rejects_an_unknown_principal_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "bad.json"
    case.write_text(
        json.dumps(
            {
                "policies": {},
                "request": {"principal": {"type": "robot"}, "action": "s3:x", "resource": "*"},
            }
        )
    )
    assert main(["iam", "evaluate", str(case)]) == 2
    assert (
        "$.request.principal.type 'robot' is not one of iam-user, iam-role, role-session, "
        "web-identity, service" in capsys.readouterr().err
    )
