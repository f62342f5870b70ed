"""The recorded states compared: what ``ekstwin history`` lists and what the web
UI's Timeline tab shows, from one function (the store keeps states; this module
rebuilds their platforms from the stored snapshots and asks the change-review
engine what changed)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from ekstwin.engines.review import PlatformDiff, diff_platforms
from ekstwin.errors import ConfigError
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.loaders import LoadResult, load_raw
from ekstwin.loaders.inputs import snapshot_from_json
from ekstwin.model.source import ObjectRef, Source
from ekstwin.store import State, StateStore, StoredFinding, StoreError

__all__ = [
    "Step",
    "compare_states",
    "history_document",
    "history_steps",
    "latest_platform",
    "open_store",
    "state_platform",
]


def open_store(path: str, *, create: bool = False) -> StateStore:
    """The state database at ``path`` (``create``: made when absent); a user's
    mistake (no such file, not a state database, a newer schema) is a ConfigError."""
    if not create and not Path(path).is_file():
        raise ConfigError(f"--db {path}: no such file - record a state first (ekstwin record)")
    try:
        return StateStore(path)
    except StoreError as exc:
        raise ConfigError(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class Step:
    """Two consecutive states and what changed between them (``None``: same digest)."""

    old: State
    new: State
    diff: PlatformDiff | None

    def to_json(self) -> dict[str, object]:
        return {
            "from": self.old.id,
            "to": self.new.id,
            "diff": None if self.diff is None else self.diff.to_json(),
        }


def stored_finding(stored: StoredFinding) -> Finding:
    """A stored finding as the diff engine compares them (by fingerprint)."""
    kind, _, rest = stored.object.partition("/")
    namespace, _, name = rest.rpartition("/")
    return Finding(
        stored.check_id,
        stored.title,
        Severity(stored.severity),
        Confidence.HIGH,
        ObjectRef(kind, name, namespace or None),
        stored.message,
        None,
        fingerprint=stored.fingerprint,
    )


def state_platform(store: StateStore, state: State) -> LoadResult:
    """The platform of ``state``, rebuilt from its stored snapshot."""
    where = Source(f"{store.path}#state-{state.id}")
    return load_raw(snapshot_from_json(store.snapshot(state), where))


def compare_states(store: StateStore, old: State, new: State) -> PlatformDiff | None:
    """What changed from ``old`` to ``new``; ``None`` when their digests are equal
    (the same platform, whatever version of ekstwin recorded it)."""
    if old.digest == new.digest:
        return None
    return diff_platforms(
        state_platform(store, old).platform,
        state_platform(store, new).platform,
        base_findings=[stored_finding(f) for f in old.findings],
        head_findings=[stored_finding(f) for f in new.findings],
    )


def history_steps(store: StateStore, states: list[State]) -> list[Step]:
    """Each pair of consecutive ``states`` with what changed between them."""
    return [Step(a, b, compare_states(store, a, b)) for a, b in itertools.pairwise(states)]


def history_document(states: list[State], steps: list[Step]) -> dict[str, object]:
    """``ekstwin history --format json``: ``{"states": [...], "changes": [...]}``."""
    return {"states": [s.to_json() for s in states], "changes": [s.to_json() for s in steps]}


def latest_platform(store: StateStore) -> tuple[State, LoadResult] | None:
    """The most recent state and its platform (``None`` when nothing is recorded)."""
    states = list(store.states())
    if not states:
        return None
    return states[-1], state_platform(store, states[-1])
