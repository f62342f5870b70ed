"""Typed sets of connections: (protocol, port-interval set) pairs in canonical form.

A :class:`ConnectionSet` is immutable. Each protocol maps to a sorted tuple of
disjoint, non-adjacent closed intervals; a protocol with no interval is absent.
TCP, UDP and SCTP ports run 1..65535. ICMP has no ports: its values encode
``type * 256 + code`` over 0..65535, so "all ICMP" is ``[[0, 65535]]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

Intervals = tuple[tuple[int, int], ...]

PROTOCOLS: tuple[str, ...] = ("TCP", "UDP", "SCTP", "ICMP")
PORT_PROTOCOLS: tuple[str, ...] = ("TCP", "UDP", "SCTP")
_LOW = {"TCP": 1, "UDP": 1, "SCTP": 1, "ICMP": 0}
HIGH = 65535


def protocol_range(protocol: str) -> tuple[int, int]:
    return (_LOW[protocol], HIGH)


def normalize(intervals: Iterable[tuple[int, int]]) -> Intervals:
    """Sort and merge overlapping or adjacent intervals; drop empty ones."""
    items = sorted((lo, hi) for lo, hi in intervals if lo <= hi)
    out: list[tuple[int, int]] = []
    for lo, hi in items:
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def _merge(a: Intervals, b: Intervals) -> Intervals:
    """:func:`normalize` of ``a + b`` for two sorted lists, in one pass."""
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) or j < len(b):
        if j >= len(b) or (i < len(a) and a[i] <= b[j]):
            lo, hi = a[i]
            i += 1
        else:
            lo, hi = b[j]
            j += 1
        if lo > hi:
            continue
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def _intersect(a: Intervals, b: Intervals) -> Intervals:
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _subtract(a: Intervals, b: Intervals) -> Intervals:
    out: list[tuple[int, int]] = []
    j = 0
    for lo, hi in a:
        cur = lo
        while j < len(b) and b[j][1] < cur:
            j += 1
        k = j
        while k < len(b) and b[k][0] <= hi:
            if b[k][0] > cur:
                out.append((cur, b[k][0] - 1))
            cur = max(cur, b[k][1] + 1)
            k += 1
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ConnectionSet:
    """A set of (protocol, port) connections. Build with the class methods."""

    parts: tuple[tuple[str, Intervals], ...] = ()

    # -- construction ----------------------------------------------------

    @classmethod
    def none(cls) -> ConnectionSet:
        return _NONE

    @classmethod
    def all(cls) -> ConnectionSet:
        return _ALL

    @classmethod
    def of(cls, mapping: dict[str, Iterable[tuple[int, int]]]) -> ConnectionSet:
        parts = []
        for proto in PROTOCOLS:
            if proto in mapping:
                low, high = protocol_range(proto)
                ivs = _intersect(normalize(mapping[proto]), ((low, high),))
                if ivs:
                    parts.append((proto, ivs))
        return cls(tuple(parts))

    @classmethod
    def protocol(cls, protocol: str, lo: int | None = None, hi: int | None = None) -> ConnectionSet:
        """Every port of ``protocol``, or ports ``lo``..``hi`` (``hi`` defaults to ``lo``)."""
        low, high = protocol_range(protocol)
        if lo is None:
            return cls.of({protocol: [(low, high)]})
        return cls.of({protocol: [(lo, lo if hi is None else hi)]})

    # -- algebra ---------------------------------------------------------

    def _map(self) -> dict[str, Intervals]:
        return dict(self.parts)

    def __or__(self, other: ConnectionSet) -> ConnectionSet:
        if not other.parts or self is other or self is _ALL:
            return self
        if not self.parts or other is _ALL:
            return other
        a, b = self._map(), other._map()
        parts = []
        for p in PROTOCOLS:
            if p in a or p in b:
                ivs = _merge(a.get(p, ()), b.get(p, ()))
                # clipped to the protocol's range (a set made directly may pass it)
                if ivs and (ivs[0][0] < _LOW[p] or ivs[-1][1] > HIGH):
                    ivs = _intersect(ivs, (protocol_range(p),))
                if ivs:
                    parts.append((p, ivs))
        return ConnectionSet(tuple(parts))

    def _in_range(self) -> bool:
        """Whether every port lies in its protocol's range (true of every set the
        class methods and the algebra build; a set made directly may hold others)."""
        for p, ivs in self.parts:  # noqa: SIM110 (a loop: all() of a generator costs more here)
            if ivs[0][0] < _LOW[p] or ivs[-1][1] > HIGH:
                return False
        return True

    def __and__(self, other: ConnectionSet) -> ConnectionSet:
        if self is other or (other is _ALL and self._in_range()):
            return self
        if self is _ALL and other._in_range():
            return other
        if not self.parts or not other.parts:
            return _NONE
        a, b = self._map(), other._map()
        parts = []
        for p in PROTOCOLS:
            if p in a and p in b:
                ivs = _intersect(a[p], b[p])
                if ivs:
                    parts.append((p, ivs))
        return ConnectionSet(tuple(parts))

    def __sub__(self, other: ConnectionSet) -> ConnectionSet:
        if not other.parts or not self.parts:
            return self
        if other.parts == self.parts or (other is _ALL and self._in_range()):
            return _NONE
        b = other._map()
        parts = []
        for p, ivs in self.parts:
            rest = _subtract(ivs, b[p]) if p in b else ivs
            if rest:
                parts.append((p, rest))
        return ConnectionSet(tuple(parts))

    def complement(self) -> ConnectionSet:
        return _ALL - self

    @property
    def is_empty(self) -> bool:
        return not self.parts

    @property
    def is_all(self) -> bool:
        return self == _ALL

    def contains(self, protocol: str, port: int) -> bool:
        for p, ivs in self.parts:
            if p == protocol:
                return any(lo <= port <= hi for lo, hi in ivs)
        return False

    def __contains__(self, item: tuple[str, int]) -> bool:
        return self.contains(item[0], item[1])

    def issubset(self, other: ConnectionSet) -> bool:
        return (self - other).is_empty

    def __iter__(self) -> Iterator[tuple[str, Intervals]]:
        return iter(self.parts)

    def __bool__(self) -> bool:
        return bool(self.parts)

    # -- output ----------------------------------------------------------

    def to_json(self) -> list[dict[str, object]]:
        """``[{"protocol": "TCP", "ports": [[80, 80], [8000, 8080]]}, ...]``."""
        return [{"protocol": p, "ports": [[lo, hi] for lo, hi in ivs]} for p, ivs in self.parts]

    def __str__(self) -> str:
        if not self.parts:
            return "none"
        if self == _ALL:
            return "all"
        out = []
        for p, ivs in self.parts:
            if ivs == (protocol_range(p),):
                out.append(p)
            else:
                text = ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ivs)
                out.append(f"{p}:{text}")
        return " ".join(out)


_NONE = ConnectionSet(())
_ALL = ConnectionSet(tuple((p, (protocol_range(p),)) for p in PROTOCOLS))
