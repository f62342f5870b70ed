"""The iam checks against their fixtures: tests/fixtures/iam/<ID>/{fail,pass}_<case>/.

Each case is a small platform (aws.json and manifests) loaded from inside its
directory; the whole findings are compared with the reviewed ``expected.json``
next to it (rewritten only with ``EKSTWIN_UPDATE_SNAPSHOTS=1``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ekstwin.engines.checks import CheckContext, discover_checks
from ekstwin.findings import Finding
from ekstwin.loaders import load

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "iam"
CASES = sorted(p for p in FIXTURES.glob("IAM*/*") if p.is_dir())
UPDATE = os.environ.get("EKSTWIN_UPDATE_SNAPSHOTS") == "1"


def _json(f: Finding) -> dict[str, object]:
    return {
        "check_id": f.check_id,
        "severity": f.severity.value,
        "subject": str(f.subject),
        "message": f.message,
        "source": str(f.source) if f.source else None,
        "evidence": list(f.evidence),
        "fix": f.fix,
        "key": f.key,
    }


def test_every_iam_check_has_fail_and_pass_fixtures() -> None:
    ids = {c.id for c in discover_checks() if c.id.startswith("IAM")}
    for check_id in sorted(ids):
        names = [p.name for p in CASES if p.parent.name == check_id]
        assert any(n.startswith("fail_") for n in names), check_id
        assert any(n.startswith("pass_") for n in names), check_id


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_check_findings_match_expected(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case)
    (cls,) = [c for c in discover_checks() if c.id == case.parent.name]
    result = load(["aws.json", "k8s.yaml"])
    assert not result.input_errors, [str(d) for d in result.diagnostics]
    findings = [_json(f) for f in cls().run(result.platform, CheckContext())]
    expected_file = case / "expected.json"
    if UPDATE:
        expected_file.write_text(json.dumps(findings, indent=2) + "\n", encoding="utf-8")
    assert findings == json.loads(expected_file.read_text(encoding="utf-8"))
    assert bool(findings) == case.name.startswith("fail_")
