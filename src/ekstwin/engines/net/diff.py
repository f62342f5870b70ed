"""Semantic difference of two platforms' connectivity."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ekstwin.engines.net.connections import ConnectionSet
from ekstwin.engines.net.engine import NetModel, Verdict
from ekstwin.engines.net.matrix import Granularity, Row, matrix


class ChangeKind(StrEnum):
    OPENED = "opened"
    CLOSED = "closed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class FlowChange:
    kind: ChangeKind
    source: str
    destination: str
    old: ConnectionSet
    new: ConnectionSet
    example_old: Verdict | None
    example_new: Verdict | None

    @property
    def added(self) -> ConnectionSet:
        return self.new - self.old

    @property
    def removed(self) -> ConnectionSet:
        return self.old - self.new

    def to_json(self) -> dict[str, object]:
        def why(v: Verdict | None) -> dict[str, object] | None:
            return None if v is None else v.to_json()

        return {
            "change": self.kind.value,
            "from": self.source,
            "to": self.destination,
            "old": self.old.to_json(),
            "new": self.new.to_json(),
            "added": self.added.to_json(),
            "removed": self.removed.to_json(),
            "why_old": why(self.example_old),
            "why_new": why(self.example_new),
        }


@dataclass(frozen=True, slots=True)
class NetDiff:
    endpoints_added: tuple[str, ...]
    endpoints_removed: tuple[str, ...]
    changes: tuple[FlowChange, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.endpoints_added or self.endpoints_removed or self.changes)

    def to_json(self) -> dict[str, object]:
        return {
            "endpoints_added": list(self.endpoints_added),
            "endpoints_removed": list(self.endpoints_removed),
            "changes": [c.to_json() for c in self.changes],
        }


def _first(conns: ConnectionSet) -> tuple[str, int] | None:
    for proto, ivs in conns:
        return proto, ivs[0][0]
    return None


def _row_changes(
    old_row: Row, new_row: Row, both: set[str]
) -> list[tuple[str, ConnectionSet, ConnectionSet]]:
    """Destinations present in both platforms whose connections differ between two
    rows (both sorted by destination): a merge of the two lists."""
    none = ConnectionSet.none()
    out = []
    i = j = 0
    while i < len(old_row) or j < len(new_row):
        if j >= len(new_row) or (i < len(old_row) and old_row[i][0] < new_row[j][0]):
            dest, o, n = old_row[i][0], old_row[i][1], none
            i += 1
        elif i >= len(old_row) or new_row[j][0] < old_row[i][0]:
            dest, o, n = new_row[j][0], none, new_row[j][1]
            j += 1
        else:
            dest, o, n = old_row[i][0], old_row[i][1], new_row[j][1]
            i += 1
            j += 1
        if o != n and dest in both:
            out.append((dest, o, n))
    return out


def diff(old: NetModel, new: NetModel) -> NetDiff:
    """Flows opened, closed and changed between pods present in both platforms,
    and pods added or removed; each change explained by one example port in
    both platforms (the rule that decides it before and after).

    Pod matrices hold one row per class, shared by its pods; two rows are
    compared once for every source with that pair of rows, so the cost follows
    the distinct (old class, new class) pairs and the changes, not the pod pairs.
    """
    a = matrix(old, Granularity.POD)
    b = matrix(new, Granularity.POD)
    both = set(old.endpoints) & set(new.endpoints)
    new_rows = dict(b.rows())
    compared: dict[tuple[int, int], list[tuple[str, ConnectionSet, ConnectionSet]]] = {}
    changes = []
    for source, old_row in a.rows():
        new_row = new_rows.get(source)
        if new_row is None or source not in both:
            continue
        key = (id(old_row), id(new_row))
        found = compared.get(key)
        if found is None:
            found = compared[key] = _row_changes(old_row, new_row, both)
        for dest, o, n in found:
            if dest == source:
                continue  # a pod's traffic to itself is not part of the matrix
            changes.append(_change(old, new, (source, dest), o, n))
    return NetDiff(
        tuple(sorted(set(new.endpoints) - set(old.endpoints))),
        tuple(sorted(set(old.endpoints) - set(new.endpoints))),
        tuple(changes),
    )


def _change(
    old: NetModel, new: NetModel, pair: tuple[str, str], o: ConnectionSet, n: ConnectionSet
) -> FlowChange:
    source, dest = pair
    kind = (
        ChangeKind.OPENED if o.is_empty else ChangeKind.CLOSED if n.is_empty else ChangeKind.CHANGED
    )
    sample = _first(n - o) or _first(o - n)
    ex_old = ex_new = None
    if sample is not None:
        src_o, dst_o = old.endpoints[source], old.endpoints[dest]
        src_n, dst_n = new.endpoints[source], new.endpoints[dest]
        ex_old = old.verdict(src_o, dst_o, sample[0], sample[1])
        ex_new = new.verdict(src_n, dst_n, sample[0], sample[1])
    return FlowChange(kind, source, dest, o, n, ex_old, ex_new)
