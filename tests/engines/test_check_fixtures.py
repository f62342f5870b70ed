"""Each check against its fixtures, compared with reviewed snapshots.

``tests/fixtures/checks/<CHECK-ID>/{fail,pass}_<case>/`` is a small platform
(manifests, and an ``aws.json`` where the check reads AWS). The test loads it
from inside the directory (so locations are relative to it), runs that one
check and compares the whole findings with
``tests/engines/snapshots/<CHECK-ID>/<case>.json``. A ``fail_`` case must
find something, a ``pass_`` case nothing.

An optional ``options.toml`` in a case sets the check context; it holds
``dev_namespaces`` (the ``--dev-namespaces`` selector) only.

Snapshots are rewritten only with ``--update-snapshots`` (tests/snapshots.py);
read every one you write before committing it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ekstwin.engines.checks import Check, CheckContext, discover_checks, run_checks
from ekstwin.findings import Finding
from ekstwin.loaders import load
from ekstwin.model.selectors import parse_calico_selector
from tests.snapshots import assert_snapshot, json_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checks"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def fixture_cases() -> list[Path]:
    """Every ``<ID>/<case>`` directory under the fixtures, sorted."""
    return sorted(p for p in FIXTURES.glob("*/*") if p.is_dir())


def case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def check_class(check_id: str) -> type[Check]:
    by_id = {cls.id: cls for cls in discover_checks()}
    assert check_id in by_id, f"fixture directory {check_id} names no registered check"
    return by_id[check_id]


def context_for(case: Path) -> CheckContext:
    options_file = case / "options.toml"
    if not options_file.exists():
        return CheckContext()
    options = tomllib.loads(options_file.read_text(encoding="utf-8"))
    assert set(options) <= {"dev_namespaces"}, f"unknown options in {options_file}"
    return CheckContext(dev_namespaces=parse_calico_selector(options["dev_namespaces"]))


def finding_to_json(finding: Finding) -> dict[str, object]:
    """Everything a finding says, in the order a reviewer reads it."""
    return {
        "id": finding.check_id,
        "title": finding.title,
        "severity": finding.severity.value,
        "confidence": finding.confidence.value,
        "subject": str(finding.subject),
        "location": str(finding.source) if finding.source else None,
        "message": finding.message,
        "evidence": list(finding.evidence),
        "fix": finding.fix,
        "key": finding.key,
        "fingerprint": finding.fingerprint,
    }


def run_case(case: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Finding, ...]:
    """Load the fixture from inside it and run only its check; input must be clean."""
    monkeypatch.chdir(case)
    result = load(["."])
    assert [str(d) for d in result.diagnostics] == [], "the fixture itself has input problems"
    run = run_checks(result.platform, context_for(case), [check_class(case.parent.name)])
    assert [str(d) for d in run.diagnostics] == []
    assert run.crashed == ()
    return run.findings


def snapshot_path(case: Path) -> Path:
    return SNAPSHOTS / case.parent.name / f"{case.name}.json"


@pytest.mark.parametrize("case", fixture_cases(), ids=case_id)
def test_check_findings_match_snapshot(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    findings = [finding_to_json(f) for f in run_case(case, monkeypatch)]
    if case.name.startswith("pass_"):
        assert findings == []
        assert not snapshot_path(case).exists(), "pass cases have no snapshot: they find nothing"
        return
    assert case.name.startswith("fail_"), f"{case_id(case)}: name cases fail_* or pass_*"
    assert findings, f"{case_id(case)} must yield at least one finding"
    for finding in findings:
        assert finding["id"] == case.parent.name
    assert_snapshot(snapshot_path(case), json_text(findings))


def test_every_snapshot_has_a_fail_fixture() -> None:
    cases = {case_id(c) for c in fixture_cases() if c.name.startswith("fail_")}
    snapshots = {f"{p.parent.name}/{p.stem}" for p in SNAPSHOTS.glob("*/*.json")}
    assert snapshots == cases
