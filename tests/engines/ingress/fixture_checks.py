"""Run an engine's checks against ``tests/fixtures/<engine>/<ID>/{fail,pass}_*`` and
compare whole findings with reviewed snapshots in ``tests/engines/<engine>/snapshots``.

Snapshots are rewritten only with ``EKSTWIN_UPDATE_SNAPSHOTS=1``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.engines.test_check_fixtures import finding_to_json, run_case

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
UPDATE = os.environ.get("EKSTWIN_UPDATE_SNAPSHOTS") == "1"


def cases(engine: str) -> list[Path]:
    return sorted(p for p in (FIXTURES / engine).glob("*/*") if p.is_dir())


def check_case(case: Path, snapshots: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    findings = [finding_to_json(f) for f in run_case(case, monkeypatch)]
    path = snapshots / case.parent.name / f"{case.name}.json"
    if case.name.startswith("pass_"):
        assert findings == []
        assert not path.exists()
        return
    assert case.name.startswith("fail_")
    assert findings
    assert {f["id"] for f in findings} == {case.parent.name}
    text = json.dumps(findings, indent=2, ensure_ascii=False) + "\n"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}; run with EKSTWIN_UPDATE_SNAPSHOTS=1 and review it"
    assert findings == json.loads(path.read_text(encoding="utf-8"))
