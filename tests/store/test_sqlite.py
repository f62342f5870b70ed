"""The state database: versioned schema, migrations, round trips."""

from __future__ import annotations

import sqlite3
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ekstwin.store import MIGRATIONS, SCHEMA_VERSION, StateStore, StoredFinding, StoreError
from ekstwin.store.sqlite import snapshot_digest

SNAPSHOT: dict[str, object] = {
    "format": "ekstwin-snapshot",
    "version": 1,
    "tool": {"name": "ekstwin", "version": "0.1.0"},
    "kubernetes": [],
}
FINDING = StoredFinding("f" * 32, "NET001", "title", "high", "NetworkPolicy/shop/a", "msg")


def test_a_new_database_has_the_current_schema(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.db") as store:
        assert store.version == SCHEMA_VERSION
        when = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
        state = store.add(SNAPSHOT, findings=[FINDING], summary={"pods": 3}, label="a",
                          tool_version="0.1.0", recorded_at=when)  # fmt: skip
        assert state.recorded_at == "2026-12-01T08:00:00+00:00"
        assert state.findings == (FINDING,)
        assert state.summary == {"pods": 3}
        assert store.snapshot(state) == SNAPSHOT
        assert [s.id for s in store.states("2026-12-02")] == []
        assert [s.id for s in store.states("2026-12-01")] == [state.id]


def test_a_version_1_database_is_migrated_and_keeps_its_states(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for sql in MIGRATIONS[0][1]:
        db.execute(sql)
    db.execute("PRAGMA user_version = 1")
    blob = zlib.compress(b'{"format": "ekstwin-snapshot", "version": 1}')
    db.execute(
        "INSERT INTO states (recorded_at, label, digest, snapshot) VALUES (?, ?, ?, ?)",
        ("2026-11-30T00:00:00+00:00", "v1", "d" * 64, blob),
    )
    db.commit()
    db.close()
    with StateStore(path) as store:
        assert store.version == SCHEMA_VERSION == 2
        (old,) = store.states()
        assert (old.label, old.tool_version, old.findings, old.summary) == ("v1", "", (), {})
        new = store.add(SNAPSHOT, findings=[FINDING], summary={})
        assert store.previous(new) == old
        assert store.previous(old) is None


def test_a_newer_or_foreign_database_is_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer than this ekstwin"):
        StateStore(newer)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not an ekstwin state database"):
        StateStore(junk)


def test_the_digest_ignores_the_writers_version() -> None:
    other = {**SNAPSHOT, "tool": {"name": "ekstwin", "version": "9.9"}}
    assert snapshot_digest(SNAPSHOT) == snapshot_digest(other)
    assert snapshot_digest(SNAPSHOT) != snapshot_digest({**SNAPSHOT, "kubernetes": [{}]})
