"""The iam engine against the AWS documentation (tests/conformance/iam).

Each case is an ``iam evaluate`` file (``policies`` and ``request``) with the
decision the cited page documents; ``expect`` holds ``decision`` and
``deny_kind``, the facts (the reason text is ekstwin's own wording).
"""

from __future__ import annotations

import pytest

from ekstwin.engines.iam import evaluate, parse_case
from tests.conformance.suites import Case, expected, load_suites, params

SUITES = sorted(load_suites("iam"))


def _decide(case: Case) -> dict[str, object]:
    request, policies = parse_case(case.data)
    got = evaluate(request, policies).to_json()
    return {key: got[key] for key in ("decision", "deny_kind")}


@pytest.mark.parametrize("case", [p for suite in SUITES for p in params("iam", suite)])
def test_decides_as_documented(case: Case) -> None:
    assert _decide(case) == expected(case)


def test_every_case_cites_an_aws_page() -> None:
    cites = {c.data["cite"].split("#")[0] for s in SUITES for c in load_suites("iam")[s]}
    assert all(c.startswith("https://docs.aws.amazon.com/") for c in cites), sorted(cites)
