"""Whole-platform connectivity at pod, workload or namespace granularity."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from ekstwin.engines.net.connections import ConnectionSet
from ekstwin.engines.net.endpoints import Endpoint
from ekstwin.engines.net.engine import NetModel


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


@dataclass(frozen=True, slots=True)
class Matrix:
    granularity: Granularity
    endpoints: tuple[str, ...]
    flows: tuple[Flow, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "granularity": self.granularity.value,
            "endpoints": list(self.endpoints),
            "flows": [f.to_json() for f in self.flows],
        }

    def lookup(self) -> dict[tuple[str, str], ConnectionSet]:
        return {(f.source, f.destination): f.allow for f in self.flows}


def group_of(ep: Endpoint, by: Granularity) -> str:
    if by is Granularity.NAMESPACE:
        return ep.namespace or ""
    if by is Granularity.WORKLOAD and ep.pod is not None:
        return ep.pod.workload_key
    return ep.name


def pod_flows(model: NetModel) -> Iterator[tuple[Endpoint, Endpoint, int]]:
    """Every ordered pair of distinct pods with some allowed connection."""
    members = model.class_members
    for s, d, cid in model.class_pairs():
        for a in members[s]:
            for b in members[d]:
                if a is not b:
                    yield a, b, cid


def matrix(model: NetModel, by: Granularity = Granularity.POD) -> Matrix:
    """The connectivity between every pair of distinct pods, grouped ``by``.

    A pod's connections to itself are not part of the matrix (loopback is never
    filtered, see docs/net.md); a group's flow to itself unions the flows between
    distinct pods of the group.
    """
    endpoints = sorted({group_of(ep, by) for ep in model.endpoints.values()})
    if by is Granularity.POD:
        acc_pod: dict[tuple[str, str], int] = {}
        for a, b, cid in pod_flows(model):
            acc_pod[(a.name, b.name)] = cid
        flows = tuple(Flow(k[0], k[1], model.conns(cid)) for k, cid in sorted(acc_pod.items()))
        return Matrix(by, tuple(endpoints), flows)
    # Grouped: per class, how many of its pods fall in each group.
    class_groups: list[dict[str, int]] = []
    for members in model.class_members:
        counts: dict[str, int] = {}
        for ep in members:
            g = group_of(ep, by)
            counts[g] = counts.get(g, 0) + 1
        class_groups.append(counts)
    acc: dict[tuple[str, str], set[int]] = {}
    for s, d, cid in model.class_pairs():
        for ga, na in class_groups[s].items():
            for gb in class_groups[d]:
                if s == d and ga == gb and na < 2:
                    continue
                acc.setdefault((ga, gb), set()).add(cid)
    out = []
    for (ga, gb), cids in sorted(acc.items()):
        conns = ConnectionSet.none()
        for cid in sorted(cids):
            conns = conns | model.conns(cid)
        out.append(Flow(ga, gb, conns))
    return Matrix(by, tuple(endpoints), tuple(out))
