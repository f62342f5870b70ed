"""Semantic difference of two platforms' connectivity."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ekstwin.engines.net.connections import ConnectionSet
from ekstwin.engines.net.engine import NetModel, Verdict
from ekstwin.engines.net.matrix import Granularity, matrix


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


def diff(old: NetModel, new: NetModel) -> NetDiff:
    """Flows opened, closed and changed between pods present in both platforms,
    and pods added or removed; each change explained by one example port in
    both platforms (the rule that decides it before and after)."""
    a = matrix(old, Granularity.POD).lookup()
    b = matrix(new, Granularity.POD).lookup()
    both = set(old.endpoints) & set(new.endpoints)
    changes = []
    for key in sorted(set(a) | set(b)):
        if key[0] not in both or key[1] not in both:
            continue
        o = a.get(key, ConnectionSet.none())
        n = b.get(key, ConnectionSet.none())
        if o == n:
            continue
        kind = (
            ChangeKind.OPENED
            if o.is_empty
            else ChangeKind.CLOSED
            if n.is_empty
            else ChangeKind.CHANGED
        )
        sample = _first(n - o) or _first(o - n)
        ex_old = ex_new = None
        if sample is not None:
            src_o, dst_o = old.endpoints[key[0]], old.endpoints[key[1]]
            src_n, dst_n = new.endpoints[key[0]], new.endpoints[key[1]]
            ex_old = old.verdict(src_o, dst_o, sample[0], sample[1])
            ex_new = new.verdict(src_n, dst_n, sample[0], sample[1])
        changes.append(FlowChange(kind, key[0], key[1], o, n, ex_old, ex_new))
    return NetDiff(
        tuple(sorted(set(new.endpoints) - set(old.endpoints))),
        tuple(sorted(set(old.endpoints) - set(new.endpoints))),
        tuple(changes),
    )
