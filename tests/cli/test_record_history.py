"""``ekstwin record`` and ``ekstwin history`` over a platform that changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from tests.fixtures.review.head import BASE, write_head


def test_history_lists_what_changed_between_states(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "states.db")
    head = write_head(tmp_path / "head")
    assert main(["record", str(BASE), "--db", db, "--label", "monday", "-q"]) == 0
    assert main(["record", str(BASE), "--db", db, "--label", "tuesday"]) == 0
    assert "unchanged since state 1" in capsys.readouterr().err
    assert main(["record", str(head), "--db", db, "--label", "wednesday", "-q"]) == 0
    capsys.readouterr()
    assert main(["history", "--db", db, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["label"] for s in doc["states"]] == ["monday", "tuesday", "wednesday"]
    assert [(c["from"], c["to"]) for c in doc["changes"]] == [(1, 2), (2, 3)]
    assert doc["changes"][0]["diff"] is None
    assert doc["changes"][1]["diff"]["summary"] == {
        "reachability": {"opened": 1},
        "kubernetes-access": {"gained": 6},
        "alb": {"added": 1, "removed": 1},
    }
    assert main(["history", "--db", db]) == 0
    text = capsys.readouterr().out
    assert "state 2 at " in text and "  no change" in text
    assert "shop/frontend -> payments/db opened" in text


def test_history_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--db", str(tmp_path / "none.db")]) == 2
    assert "record a state first" in capsys.readouterr().err
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00junk" * 500)
    assert main(["history", "--db", str(junk)]) == 2
    assert "not an ekstwin state database" in capsys.readouterr().err
