"""Network AND mesh: one verdict from L3 to L7, with both explanations.

The net engine answers whether packets get through (NetworkPolicy, Calico);
the mesh engine whether the sidecars let the connection and the request
through. A flow works only when both allow it. ``explain`` is what
``ekstwin net can`` calls to show both layers; ``mesh_matrix`` adds the mesh's
refusals to the network's connectivity matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ekstwin.engines.mesh.verdict import (
    CLUSTER_DOMAIN,
    MeshModel,
    MeshReason,
    MeshStatus,
    MeshVerdict,
    mesh_verdict,
)
from ekstwin.engines.net import NetModel, ServiceVerdict, Verdict, can
from ekstwin.engines.net.matrix import pod_flows
from ekstwin.model.platform import Platform


class Layer(StrEnum):
    NETWORK = "network"
    MESH = "mesh"


@dataclass(frozen=True, slots=True)
class CombinedVerdict:
    """One flow on both layers; ``decided_by`` names the layer that refused."""

    network: Verdict
    mesh: MeshVerdict

    @property
    def allowed(self) -> bool:
        return self.network.allowed and self.mesh.allowed

    @property
    def status(self) -> str:
        if not self.network.allowed:
            return "denied"
        return self.mesh.status.value

    @property
    def decided_by(self) -> Layer | None:
        if not self.network.allowed:
            return Layer.NETWORK
        if self.mesh.status is MeshStatus.ALLOWED:
            return None
        return Layer.MESH

    def to_json(self) -> dict[str, object]:
        decided = self.decided_by
        return {
            "from": self.network.source,
            "to": self.network.destination,
            "protocol": self.network.protocol,
            "port": self.network.port,
            "allowed": self.allowed,
            "status": self.status,
            "decided_by": None if decided is None else decided.value,
            "network": self.network.to_json(),
            "mesh": self.mesh.to_json(),
        }


@dataclass(frozen=True, slots=True)
class CombinedServiceVerdict:
    """``--to NS/svc/NAME``: both layers for each backend pod, at its target port."""

    source: str
    service: str
    protocol: str
    port: int
    backends: tuple[CombinedVerdict, ...]
    problem: str | None = None

    @property
    def allowed(self) -> bool:
        return any(v.allowed for v in self.backends)

    def to_json(self) -> dict[str, object]:
        return {
            "from": self.source,
            "to": self.service,
            "protocol": self.protocol,
            "port": self.port,
            "allowed": self.allowed,
            "problem": self.problem,
            "backends": [v.to_json() for v in self.backends],
        }


def _model(target: MeshModel | NetModel | Platform) -> MeshModel:
    if isinstance(target, MeshModel):
        return target
    if isinstance(target, NetModel):
        return MeshModel(target.platform, target)
    return MeshModel(target)


def _one(
    model: MeshModel,
    v: Verdict,
    method: str | None,
    path: str | None,
    host: str | None,
) -> CombinedVerdict:
    m = mesh_verdict(
        model,
        model.endpoint(v.source),
        model.endpoint(v.destination),
        v.port,
        v.protocol,
        method=method,
        path=path,
        host=host,
    )
    return CombinedVerdict(v, m)


def explain(
    target: MeshModel | NetModel | Platform,
    source: str,
    destination: str,
    port: int,
    protocol: str = "TCP",
    *,
    method: str | None = None,
    path: str | None = None,
    host: str | None = None,
) -> CombinedVerdict | CombinedServiceVerdict:
    """``net can`` with the mesh layer: the same endpoints and ports, both verdicts.

    Raises the net engine's ``NetQueryError`` for unknown endpoints, as ``can`` does.
    """
    model = _model(target)
    result = can(model.net, source, destination, port, protocol)
    if isinstance(result, ServiceVerdict):
        svc_host = host
        if svc_host is None:
            ns, _, name = result.service.split("/", 2)  # NS/svc/NAME
            svc_host = f"{name}.{ns}.{CLUSTER_DOMAIN}"
        backends = tuple(_one(model, v, method, path, svc_host) for v in result.backends)
        return CombinedServiceVerdict(
            result.source, result.service, result.protocol, result.port, backends, result.problem
        )
    return _one(model, result, method, path, host)


# -- the matrix ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeshRefusal:
    port: int
    reason: MeshReason
    message: str

    def to_json(self) -> dict[str, object]:
        return {"port": self.port, "reason": self.reason.value, "message": self.message}


@dataclass(frozen=True, slots=True)
class MeshFlow:
    """A pod pair the network connects, and the declared TCP ports the mesh refuses."""

    source: str
    destination: str
    network: list[dict[str, object]]
    refused: tuple[MeshRefusal, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "from": self.source,
            "to": self.destination,
            "network": self.network,
            "mesh_refused": [r.to_json() for r in self.refused],
        }


@dataclass(frozen=True, slots=True)
class MeshMatrix:
    flows: tuple[MeshFlow, ...]

    def to_json(self) -> dict[str, object]:
        return {"granularity": "pod", "flows": [f.to_json() for f in self.flows]}


def mesh_matrix(target: MeshModel | NetModel | Platform) -> MeshMatrix:
    """Every pod pair the network lets through, with the container ports
    (declared TCP ports of the destination that the network allows) on which
    the mesh refuses the connection outright. Requests that only some
    AuthorizationPolicy rules refuse are not listed: without a method and a
    path they are 'conditional', not refused."""
    model = _model(target)
    flows: list[MeshFlow] = []
    for a, b, cid in pod_flows(model.net):
        conns = model.net.conns(cid)
        refused: list[MeshRefusal] = []
        if b.pod is not None:
            ports = sorted(
                {p.container_port for p in b.pod.spec.all_ports if p.protocol.value == "TCP"}
            )
            for port in ports:
                if not conns.contains("TCP", port):
                    continue
                m = mesh_verdict(model, a, b, port)
                if m.status is MeshStatus.REFUSED:
                    refused.append(MeshRefusal(port, m.reason, m.message))
        flows.append(MeshFlow(a.name, b.name, conns.to_json(), tuple(refused)))
    flows.sort(key=lambda f: (f.source, f.destination))
    return MeshMatrix(tuple(flows))
