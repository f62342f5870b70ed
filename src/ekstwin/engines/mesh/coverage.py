"""Which flows the mesh's telemetry sees.

A flow is visible to the mesh (metrics, access logs, traces) when at least
one end runs a sidecar or a proxyless agent; a flow between two pods outside
the mesh is invisible. Flows are the pod pairs the network allows (the net
engine's matrix), reported per workload pair.
"""

from __future__ import annotations

from dataclasses import dataclass

from ekstwin.engines.mesh.injection import DataPlane
from ekstwin.engines.mesh.verdict import MeshModel
from ekstwin.engines.net import NetModel
from ekstwin.engines.net.matrix import pod_flows
from ekstwin.model.platform import Platform


@dataclass(frozen=True, slots=True)
class WorkloadCoverage:
    workload: str
    pods: int
    data_plane: DataPlane
    reason: str

    def to_json(self) -> dict[str, object]:
        return {
            "workload": self.workload,
            "pods": self.pods,
            "data_plane": self.data_plane.value,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class FlowCoverage:
    source: str  # workload (ns/name)
    destination: str
    seen_by: tuple[str, ...]  # "source", "destination"; empty: not seen

    @property
    def seen(self) -> bool:
        return bool(self.seen_by)

    def to_json(self) -> dict[str, object]:
        return {
            "from": self.source,
            "to": self.destination,
            "seen": self.seen,
            "seen_by": list(self.seen_by),
        }


@dataclass(frozen=True, slots=True)
class Coverage:
    workloads: tuple[WorkloadCoverage, ...]
    flows: tuple[FlowCoverage, ...]

    @property
    def seen(self) -> int:
        return sum(1 for f in self.flows if f.seen)

    def to_json(self) -> dict[str, object]:
        return {
            "workloads": [w.to_json() for w in self.workloads],
            "flows": [f.to_json() for f in self.flows],
            "summary": {
                "workloads_in_mesh": sum(
                    1 for w in self.workloads if w.data_plane is not DataPlane.NONE
                ),
                "workloads": len(self.workloads),
                "flows_seen": self.seen,
                "flows": len(self.flows),
            },
        }


def coverage(target: MeshModel | NetModel | Platform) -> Coverage:
    """Workloads with their data plane, and every allowed workload-to-workload flow
    with the side(s) whose proxy or agent reports it."""
    if isinstance(target, MeshModel):
        model = target
    elif isinstance(target, NetModel):
        model = MeshModel(target.platform, target)
    else:
        model = MeshModel(target)
    by_workload: dict[str, list[str]] = {}
    for pod in model.platform.pods:
        by_workload.setdefault(pod.workload_key, []).append(pod.key)
    workloads = []
    for wl, keys in sorted(by_workload.items()):
        first = model.injections[sorted(keys)[0]]
        workloads.append(WorkloadCoverage(wl, len(keys), first.data_plane, first.reason))
    seen: dict[tuple[str, str], set[str]] = {}
    for a, b, _ in pod_flows(model.net):
        if a.pod is None or b.pod is None:
            continue
        key = (a.pod.workload_key, b.pod.workload_key)
        sides = seen.setdefault(key, set())
        if model.injections[a.pod.key].in_mesh:
            sides.add("source")
        if model.injections[b.pod.key].in_mesh:
            sides.add("destination")
    flows = tuple(
        FlowCoverage(s, d, tuple(x for x in ("source", "destination") if x in sides))
        for (s, d), sides in sorted(seen.items())
    )
    return Coverage(tuple(workloads), flows)
