"""Any value in an evaluate file gives a decision or an input error, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main

ALICE = {
    "type": "iam-user",
    "arn": "arn:aws:iam::111122223333:user/alice",
    "account": "111122223333",
}


def _case(policy_value: object, context_value: object) -> dict[str, object]:
    return {
        "policies": {
            "identity": [
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:GetObject",
                            "Resource": "*",
                            "Condition": {"DateLessThan": {"aws:CurrentTime": policy_value}},
                        }
                    ],
                }
            ]
        },
        "request": {
            "principal": ALICE,
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::bucket/k",
            "context": {"aws:CurrentTime": context_value},
        },
    }


def _run(tmp_path: Path, data: dict[str, object]) -> int:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data), encoding="utf-8")  # NaN and Infinity as JSON writes them
    return main(["iam", "evaluate", str(path), "--format", "json"])


@pytest.mark.parametrize(
    ("context_value", "decision"),
    [
        (1704067200000, "Deny"),  # epoch seconds, year 55969: not before 2030
        ("1704067200000", "Deny"),
        (99999999999999, "Deny"),
        ("nan", "Deny"),  # no date: orders against nothing
        (float("nan"), "Deny"),
        ("inf", "Deny"),
        (float("inf"), "Deny"),
        ("-inf", "Deny"),
        ("not a date", "Deny"),
        (1704067200, "Allow"),  # 2024-01-01
        ("2024-01-01", "Allow"),
    ],
)
def test_any_date_in_the_request_context_gives_a_decision(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    context_value: object,
    decision: str,
) -> None:
    assert _run(tmp_path, _case("2030-01-01T00:00:00Z", context_value)) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == decision


@pytest.mark.parametrize(
    ("policy_value", "decision"),
    [(1704067200000, "Allow"), ("99999999999999", "Allow"), (0, "Deny"), ("1970-01-01", "Deny")],
)
def test_any_number_as_a_policy_date_gives_a_decision(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    policy_value: object,
    decision: str,
) -> None:
    assert _run(tmp_path, _case(policy_value, "2026-01-01T00:00:00Z")) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == decision


@pytest.mark.parametrize(
    ("policy_value", "shown"),
    [(float("nan"), "'nan'"), (float("inf"), "'inf'"), ("yesterday", "'yesterday'")],
)
def test_a_policy_date_that_is_no_date_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], policy_value: object, shown: str
) -> None:
    assert _run(tmp_path, _case(policy_value, "2026-01-01T00:00:00Z")) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {tmp_path / 'case.json'}: policy identity[0]: "
        f"$.Statement[0].Condition.DateLessThan.aws:CurrentTime: {shown} is not a date: "
        "write ISO 8601 (2024-01-01T00:00:00Z) or epoch seconds\n"
    )


def test_a_kms_key_without_its_key_policy_is_unknown_in_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = {
        "policies": {
            "identity": [
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
                }
            ]
        },
        "request": {
            "principal": ALICE,
            "action": "kms:Decrypt",
            "resource": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd",
        },
    }
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["iam", "evaluate", str(path)]) == 0
    assert capsys.readouterr().out == (
        "unknown: key policy not in the input (a KMS key policy must allow "
        "before IAM policies take effect)\n"
    )


def test_several_values_for_a_single_valued_key_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _case("2030-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
    request = data["request"]
    assert isinstance(request, dict)
    request["context"] = {"aws:SourceIp": ["203.0.113.1", "203.0.113.2"]}
    assert _run(tmp_path, data) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'case.json'}: $.request.context.aws:SourceIp: the key is "
        "single-valued in AWS but has 2 values - give one value (only aws:TagKeys, aws:CalledVia, "
        "aws:PrincipalOrgPaths, aws:ResourceOrgPaths and aws:PrincipalServiceNamesList take "
        "several)\n"
    )


def test_a_multivalued_key_and_a_one_element_list_are_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _case("2030-01-01T00:00:00Z", ["2026-01-01T00:00:00Z"])
    request = data["request"]
    assert isinstance(request, dict)
    request["context"]["aws:TagKeys"] = ["env", "team"]
    assert _run(tmp_path, data) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "Allow"
