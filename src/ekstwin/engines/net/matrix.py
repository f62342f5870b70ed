"""Whole-platform connectivity at pod, workload or namespace granularity."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from ekstwin.engines.net.connections import ConnectionSet
from ekstwin.engines.net.endpoints import Endpoint
from ekstwin.engines.net.engine import NetModel, bit_indices


class Granularity(StrEnum):
    POD = "pod"
    WORKLOAD = "workload"
    NAMESPACE = "namespace"


@dataclass(frozen=True, slots=True)
class Flow:
    source: str
    destination: str
    allow: ConnectionSet

    def to_json(self) -> dict[str, object]:
        return {"from": self.source, "to": self.destination, "allow": self.allow.to_json()}


#: One source's flows: (destination, allowed connections), destinations sorted.
Row = tuple[tuple[str, ConnectionSet], ...]


class Matrix:
    """Connectivity between endpoints (pods, workloads or namespaces).

    It is held as rows, one per source endpoint in name order. At pod
    granularity the pods of one class share their class's row, which lists every
    pod the class reaches; a pod's own entry in it is skipped when the flows are
    read (a pod's traffic to itself is not part of the matrix). Building a pod
    matrix therefore costs what the classes cost, and each pair costs only when
    it is read: ``flows`` (made once, then kept), iteration, or ``to_json_text``.
    """

    __slots__ = ("_flows", "_rows", "_skip_self", "endpoints", "granularity")

    def __init__(
        self,
        granularity: Granularity,
        endpoints: tuple[str, ...],
        rows: tuple[tuple[str, Row], ...],
        *,
        skip_self: bool = False,
    ) -> None:
        self.granularity = granularity
        self.endpoints = endpoints
        self._rows = rows
        self._skip_self = skip_self
        self._flows: tuple[Flow, ...] | None = None

    @classmethod
    def of_flows(
        cls, granularity: Granularity, endpoints: tuple[str, ...], flows: Iterable[Flow]
    ) -> Matrix:
        """A matrix from flows already sorted by source, then destination."""
        rows: list[tuple[str, list[tuple[str, ConnectionSet]]]] = []
        for f in flows:
            if not rows or rows[-1][0] != f.source:
                rows.append((f.source, []))
            rows[-1][1].append((f.destination, f.allow))
        return cls(granularity, endpoints, tuple((s, tuple(r)) for s, r in rows))

    def __iter__(self) -> Iterator[Flow]:
        if self._flows is not None:
            yield from self._flows
            return
        skip = self._skip_self
        for source, row in self._rows:
            for destination, allow in row:
                if not (skip and destination == source):
                    yield Flow(source, destination, allow)

    @property
    def flows(self) -> tuple[Flow, ...]:
        if self._flows is None:
            self._flows = tuple(iter(self))
        return self._flows

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Matrix):
            return NotImplemented
        return (self.granularity, self.endpoints, self.flows) == (
            other.granularity,
            other.endpoints,
            other.flows,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Matrix({self.granularity.value}, {len(self.endpoints)} endpoints)"

    def to_json(self) -> dict[str, object]:
        return {
            "granularity": self.granularity.value,
            "endpoints": list(self.endpoints),
            "flows": [f.to_json() for f in self],
        }

    def to_json_text(self) -> str:
        """``json.dumps(self.to_json(), indent=1)``, the same text, written fast: each
        distinct connection set is rendered once, and each shared row's entries once
        (large matrices share a few of each)."""
        return "".join(self.json_text_parts())

    def json_text_parts(self) -> Iterator[str]:
        """:meth:`to_json_text` in pieces (one per source endpoint and a few more), for
        a writer that need not hold the whole text at once (a pod matrix of a large
        platform is tens of megabytes)."""
        dumps = json.dumps
        allow_text: dict[ConnectionSet, str] = {}
        row_text: dict[int, tuple[list[str], dict[str, int]]] = {}
        name_text: dict[str, str] = {}  # an endpoint is a destination in many rows
        yield "".join(
            (
                '{\n "granularity": ',
                dumps(self.granularity.value),
                ',\n "endpoints": ',
                dumps(list(self.endpoints), indent=1).replace("\n", "\n "),
                ',\n "flows": ',
            )
        )
        skip = self._skip_self
        first = True
        for source, row in self._rows:
            if not row:
                continue
            got = row_text.get(id(row))
            if got is None:
                tails = []
                for destination, allow in row:
                    text = allow_text.get(allow)
                    if text is None:
                        text = dumps(allow.to_json(), indent=1).replace("\n", "\n   ")
                        allow_text[allow] = text
                    name = name_text.get(destination)
                    if name is None:
                        name = name_text[destination] = dumps(destination)
                    tails.append(f'{name},\n   "allow": {text}\n  }}')
                got = row_text[id(row)] = (tails, {d: i for i, (d, _) in enumerate(row)})
            tails, position = got
            i = position.get(source) if skip else None
            if i is not None:
                tails = tails[:i] + tails[i + 1 :]
                if not tails:
                    continue
            head = f'  {{\n   "from": {dumps(source)},\n   "to": '
            yield ("[\n" if first else ",\n") + head
            yield (",\n" + head).join(tails)
            first = False
        yield "[]\n}" if first else "\n ]\n}"

    def rows(self) -> Iterator[tuple[str, Row]]:
        """(source, its row) in source order, rows as held: a pod matrix's rows are
        shared by the pods of a class and may list the source itself (see
        ``skips_self``), so readers can work once per distinct row."""
        return iter(self._rows)

    @property
    def skips_self(self) -> bool:
        """Whether a source's own entry in its row is to be skipped (pod matrices)."""
        return self._skip_self

    def lookup(self) -> dict[tuple[str, str], ConnectionSet]:
        return {(f.source, f.destination): f.allow for f in self}


def group_of(ep: Endpoint, by: Granularity) -> str:
    if by is Granularity.NAMESPACE:
        return ep.namespace or ""
    if by is Granularity.WORKLOAD and ep.pod is not None:
        return ep.pod.workload_key
    return ep.name


def pod_flows(model: NetModel) -> Iterator[tuple[Endpoint, Endpoint, int]]:
    """Every ordered pair of distinct pods with some allowed connection."""
    members = model.class_members
    for s, row in enumerate(model.class_rows()):
        sources = members[s]
        for cid, bits in row.items():
            for d in bit_indices(bits):
                for b in members[d]:
                    for a in sources:
                        if a is not b:
                            yield a, b, cid


def pod_flow_count(model: NetModel) -> int:
    """``len(matrix(model, Granularity.POD).flows)``, counted on the classes: every
    ordered pair of distinct pods with some allowed connection."""
    sizes = [len(m) for m in model.class_members]
    # Equivalent sources share their row (one dict): its pods are counted once.
    per_row: dict[int, int] = {}
    total = 0
    for s, row in enumerate(model.class_rows()):
        reached = per_row.get(id(row))
        if reached is None:
            reached = per_row[id(row)] = sum(
                sizes[d] for bits in row.values() for d in bit_indices(bits)
            )
        # a pod's flow to itself is not in the matrix
        reached -= sum(bits >> s & 1 for bits in row.values())
        total += sizes[s] * reached
    return total


def _pod_matrix(model: NetModel, endpoints: list[str]) -> Matrix:
    """Each distinct class row becomes one sorted row of pods, shared by the pods of
    every class with that row (equivalent sources share the row dict)."""
    members = model.class_members
    conns = model.conns
    names = [[ep.name for ep in m] for m in members]
    shared: dict[int, Row] = {}
    class_rows = model.class_rows()
    rows: list[tuple[str, Row]] = []
    for s, row in enumerate(class_rows):
        got = shared.get(id(row))
        if got is None:
            acc = [
                (name, cid) for cid, bits in row.items() for d in bit_indices(bits)
                for name in names[d]
            ]  # fmt: skip
            acc.sort()
            got = shared[id(row)] = tuple((name, conns(cid)) for name, cid in acc)
        rows.extend((name, got) for name in names[s])
    rows.sort(key=_first)
    return Matrix(Granularity.POD, tuple(endpoints), tuple(rows), skip_self=True)


def _first(row: tuple[str, Row]) -> str:
    return row[0]


def _cell(row: dict[int, int], d: int) -> int:
    bit = 1 << d
    for cid, bits in row.items():
        if bits & bit:
            return cid
    return 0


def matrix(model: NetModel, by: Granularity = Granularity.POD) -> Matrix:
    """The connectivity between every pair of distinct pods, grouped ``by``.

    A pod's connections to itself are not part of the matrix (loopback is never
    filtered, see docs/net.md); a group's flow to itself unions the flows between
    distinct pods of the group.

    Grouped matrices are computed on classes: the rows of the classes with
    members in a group are merged, then each destination class bit is mapped to
    its groups, skipping at once every other class of a group already seen.
    """
    names = sorted({group_of(ep, by) for ep in model.endpoints.values()})
    if by is Granularity.POD:
        return _pod_matrix(model, names)
    gid = {g: i for i, g in enumerate(names)}
    # Per class, its groups and how many of its pods fall in each.
    class_groups: list[dict[int, int]] = []
    for members in model.class_members:
        counts: dict[int, int] = {}
        for ep in members:
            g = gid[group_of(ep, by)]
            counts[g] = counts.get(g, 0) + 1
        class_groups.append(counts)
    groups_of = [tuple(c) for c in class_groups]
    exclusive = [0] * len(names)  # classes whose only group is g
    group_classes: list[list[int]] = [[] for _ in names]
    for ci, counts in enumerate(class_groups):
        for g in counts:
            group_classes[g].append(ci)
        if len(counts) == 1:
            (g,) = counts
            exclusive[g] |= 1 << ci
    # Few large groups (namespaces): jump over a whole group once it is seen.
    jump = len(class_groups) >= 4 * max(1, len(names))
    rows = model.class_rows()
    conns = model.conns
    out: list[Flow] = []
    for ga, classes in enumerate(group_classes):
        merged: dict[int, int] = {}
        for s in classes:
            for cid, bits in rows[s].items():
                merged[cid] = merged.get(cid, 0) | bits
        first: dict[int, int] = {}
        more: dict[int, set[int]] = {}
        for cid, bits in merged.items():
            if jump:
                while bits:
                    d = (bits & -bits).bit_length() - 1
                    bits &= ~(1 << d)
                    for gb in groups_of[d]:
                        bits &= ~exclusive[gb]
                        got = first.setdefault(gb, cid)
                        if got != cid:
                            more.setdefault(gb, {got}).add(cid)
            else:
                for d in bit_indices(bits):
                    for gb in groups_of[d]:
                        got = first.setdefault(gb, cid)
                        if got != cid:
                            more.setdefault(gb, {got}).add(cid)
        # A group's flow to itself: distinct pods only, exact per class pair.
        first.pop(ga, None)
        more.pop(ga, None)
        for s in classes:
            row = rows[s]
            for d in classes:
                if s == d and class_groups[s][ga] < 2:
                    continue
                cid = _cell(row, d)
                if cid:
                    got = first.setdefault(ga, cid)
                    if got != cid:
                        more.setdefault(ga, {got}).add(cid)
        source = names[ga]
        for gb in sorted(first):
            cids = more.get(gb)
            cid = first[gb] if cids is None else model.union(cids)
            out.append(Flow(source, names[gb], conns(cid)))
    return Matrix.of_flows(by, tuple(names), out)
