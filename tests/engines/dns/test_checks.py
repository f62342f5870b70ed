from __future__ import annotations

from pathlib import Path

import pytest

from tests.engines.ingress.fixture_checks import cases, check_case

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


@pytest.mark.parametrize("case", cases("dns"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_check_findings_match_snapshot(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check_case(case, SNAPSHOTS, monkeypatch)


def test_every_dns_check_has_a_fail_and_a_pass_fixture() -> None:
    from ekstwin.engines.checks import discover_checks

    ids = {c.id for c in discover_checks() if c.engine() == "dns"}
    assert ids == {"DNS001", "DNS002", "DNS003"}
    for check_id in ids:
        names = {p.name.split("_")[0] for p in cases("dns") if p.parent.name == check_id}
        assert names == {"fail", "pass"}, check_id
