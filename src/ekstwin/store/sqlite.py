"""SQLite through the standard library: a versioned schema with tested migrations."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ekstwin.errors import EkstwinError

#: One step per schema version: the statements that take a database from the
#: version before to this one. Never edit a released step; add one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE states (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                recorded_at TEXT NOT NULL,
                label TEXT NOT NULL DEFAULT '',
                digest TEXT NOT NULL,
                snapshot BLOB NOT NULL
            )""",
            "CREATE INDEX states_recorded_at ON states (recorded_at)",
        ),
    ),
    (
        2,
        (
            "ALTER TABLE states ADD COLUMN tool_version TEXT NOT NULL DEFAULT ''",
            """CREATE TABLE findings (
                state_id INTEGER NOT NULL REFERENCES states (id) ON DELETE CASCADE,
                fingerprint TEXT NOT NULL,
                check_id TEXT NOT NULL,
                title TEXT NOT NULL,
                severity TEXT NOT NULL,
                object TEXT NOT NULL,
                message TEXT NOT NULL,
                PRIMARY KEY (state_id, fingerprint)
            )""",
            """CREATE TABLE summaries (
                state_id INTEGER PRIMARY KEY REFERENCES states (id) ON DELETE CASCADE,
                body TEXT NOT NULL
            )""",
        ),
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1][0]


class StoreError(EkstwinError):
    """The state database cannot be opened, is newer than this ekstwin, or is damaged."""


@dataclass(frozen=True, slots=True)
class StoredFinding:
    fingerprint: str
    check_id: str
    title: str
    severity: str
    object: str
    message: str


@dataclass(frozen=True, slots=True)
class State:
    """One recorded platform (the snapshot is read on demand: it is the large part)."""

    id: int
    recorded_at: str  # ISO 8601, UTC
    label: str
    digest: str
    tool_version: str
    findings: tuple[StoredFinding, ...]
    summary: dict[str, object]

    def to_json(self) -> dict[str, object]:
        by_severity: dict[str, int] = {}
        for f in self.findings:
            by_severity[f.severity] = by_severity.get(f.severity, 0) + 1
        return {
            "id": self.id,
            "recorded_at": self.recorded_at,
            "label": self.label,
            "digest": self.digest,
            "tool_version": self.tool_version,
            "findings": len(self.findings),
            "findings_by_severity": by_severity,
            "summary": self.summary,
        }


def snapshot_digest(snapshot: dict[str, object]) -> str:
    """sha256 of the snapshot's canonical JSON without its writer's version, so the
    same platform recorded by two ekstwin versions has one digest."""
    body = {k: v for k, v in snapshot.items() if k not in ("tool", "tool_version")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class StateStore:
    """The state history in one SQLite file; a context manager that closes it."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._db = sqlite3.connect(self.path)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not an ekstwin state database ({exc})") from exc

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @property
    def version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.version
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {current} is newer than this ekstwin's "
                f"({SCHEMA_VERSION}) - upgrade ekstwin"
            )
        for version, statements in MIGRATIONS:
            if version <= current:
                continue
            with self._db:  # one transaction per step
                for sql in statements:
                    self._db.execute(sql)
                self._db.execute(f"PRAGMA user_version = {version}")

    def add(
        self,
        snapshot: dict[str, object],
        *,
        findings: list[StoredFinding],
        summary: dict[str, object],
        label: str = "",
        tool_version: str = "",
        recorded_at: datetime | None = None,
    ) -> State:
        when = (recorded_at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
        digest = snapshot_digest(snapshot)
        blob = zlib.compress(json.dumps(snapshot, separators=(",", ":")).encode(), 6)
        with self._db:
            cur = self._db.execute(
                "INSERT INTO states (recorded_at, label, digest, snapshot, tool_version) "
                "VALUES (?, ?, ?, ?, ?)",
                (when, label, digest, blob, tool_version),
            )
            state_id = int(cur.lastrowid or 0)
            self._db.executemany(
                "INSERT OR IGNORE INTO findings VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (state_id, f.fingerprint, f.check_id, f.title, f.severity, f.object, f.message)
                    for f in findings
                ],
            )
            self._db.execute("INSERT INTO summaries VALUES (?, ?)", (state_id, json.dumps(summary)))
        return self._state(state_id)

    def _state(self, state_id: int) -> State:
        row = self._db.execute(
            "SELECT id, recorded_at, label, digest, tool_version FROM states WHERE id = ?",
            (state_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no state {state_id}")
        findings = tuple(
            StoredFinding(*r)
            for r in self._db.execute(
                "SELECT fingerprint, check_id, title, severity, object, message FROM findings "
                "WHERE state_id = ? ORDER BY check_id, object, fingerprint",
                (state_id,),
            )
        )
        summary_row = self._db.execute(
            "SELECT body FROM summaries WHERE state_id = ?", (state_id,)
        ).fetchone()
        summary = json.loads(summary_row[0]) if summary_row else {}
        return State(row[0], row[1], row[2], row[3], row[4], findings, summary)

    def state(self, state_id: int) -> State:
        """The state ``state_id``; StoreError when there is none."""
        return self._state(state_id)

    def states(self, since: str | None = None) -> Iterator[State]:
        """The states in the order they were recorded (``since``: an ISO date or time,
        UTC; states recorded at or after it)."""
        sql = "SELECT id FROM states"
        args: tuple[str, ...] = ()
        if since:
            sql += " WHERE recorded_at >= ?"
            args = (since,)
        ids = [r[0] for r in self._db.execute(sql + " ORDER BY recorded_at, id", args)]
        for state_id in ids:
            yield self._state(state_id)

    def previous(self, state: State) -> State | None:
        """The state recorded just before ``state``."""
        row = self._db.execute(
            "SELECT id FROM states WHERE (recorded_at, id) < (?, ?) "
            "ORDER BY recorded_at DESC, id DESC LIMIT 1",
            (state.recorded_at, state.id),
        ).fetchone()
        return None if row is None else self._state(row[0])

    def snapshot(self, state: State) -> dict[str, object]:
        row = self._db.execute("SELECT snapshot FROM states WHERE id = ?", (state.id,)).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no state {state.id}")
        try:
            data = json.loads(zlib.decompress(row[0]))
        except (zlib.error, ValueError) as exc:
            raise StoreError(f"{self.path}: the snapshot of state {state.id} is damaged") from exc
        if not isinstance(data, dict):
            raise StoreError(f"{self.path}: the snapshot of state {state.id} is damaged")
        return data
