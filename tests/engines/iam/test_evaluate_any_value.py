"""Property: whatever a policy or request context holds, evaluation gives a
decision or an input error (EkstwinError), never a crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ekstwin.engines.iam import evaluate, parse_case
from ekstwin.engines.iam.policy import _OPERATORS
from ekstwin.errors import EkstwinError

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["nan", "inf", "-inf", "1704067200000", "99999999999999", "2024-01-01", "${aws:username}",
         "${*}", "203.0.113.0/24", "::/0", "arn:aws:s3:::b/*", "QmluYXJ5", "true", "0x1F"]
    ),
)  # fmt: skip
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=3), SCALARS, max_size=2),
)
OPERATORS = st.builds(
    lambda q, base, if_exists: f"{q}{base}{'IfExists' if if_exists and base != 'Null' else ''}",
    st.sampled_from(["", "ForAllValues:", "ForAnyValue:"]),
    st.sampled_from(sorted(_OPERATORS)),
    st.booleans(),
)
KEYS = st.sampled_from(
    [
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:SourceIp",
        "aws:username",
        "aws:TagKeys",
        "s3:max-keys",
        "key",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    operator=OPERATORS,
    key=KEYS,
    policy_value=VALUES,
    context_value=VALUES,
    version=st.sampled_from(["2012-10-17", "2008-10-17", None]),
)
def test_any_condition_value_gives_a_decision_or_an_input_error(
    operator: str, key: str, policy_value: object, context_value: object, version: str | None
) -> None:
    document: dict[str, object] = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/${aws:username}",
                "Condition": {operator: {key: policy_value}},
            }
        ]
    }
    if version is not None:
        document["Version"] = version
    data = {
        "policies": {"identity": [document]},
        "request": {
            "principal": {
                "type": "iam-user",
                "arn": "arn:aws:iam::111122223333:user/alice",
                "account": "111122223333",
            },
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::b/alice",
            "context": {key: context_value, "aws:username": "alice"},
        },
    }
    try:
        request, policies = parse_case(data)
    except EkstwinError:
        return  # an input error, reported with exit code 2
    assert evaluate(request, policies).decision in ("Allow", "Deny", "unknown")


def test_a_number_followed_by_a_separator_character_is_read_not_a_crash() -> None:
    """Hypothesis found it: str.strip() removes \\x1f, float() does not accept it."""
    from ekstwin.engines.iam.policy import date_seconds, decimal

    assert decimal("0\x1f") == 0.0
    assert date_seconds(" 1704067200\x1f") == 1704067200.0
