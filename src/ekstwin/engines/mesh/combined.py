"""Network AND mesh: one verdict from L3 to L7, with both explanations.

The net engine answers whether packets get through (NetworkPolicy, Calico);
the mesh engine whether the sidecars let the connection and the request
through. A flow works only when both allow it. ``explain`` shows both layers;
``net_can`` is what ``ekstwin net can`` answers (its ``to_json`` is the
command's JSON); ``mesh_matrix`` adds the mesh's refusals to the network's
connectivity matrix, and ``MatrixWithMesh`` is ``net matrix --mesh``'s JSON.
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
from ekstwin.engines.net.engine import BackendAnswers
from ekstwin.engines.net.matrix import Matrix, pod_flows
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
class CombinedServiceVerdict(BackendAnswers[CombinedVerdict]):
    """``--to NS/svc/NAME``: both layers for each backend pod, at its target port."""


def _net_json(v: CombinedVerdict) -> dict[str, object]:
    """A flow in ``net can``'s shape: the network verdict's keys, ``allowed`` for both
    layers, and the mesh's part."""
    decided = v.decided_by
    return {
        **v.network.to_json(),
        "allowed": v.allowed,
        "network_allowed": v.network.allowed,
        "status": v.status,
        "decided_by": None if decided is None else decided.value,
        "mesh": v.mesh.to_json(),
    }


@dataclass(frozen=True, slots=True)
class NetCanAnswer:
    """What ``ekstwin net can`` answers: the network verdict (``--no-mesh``), or the
    network verdict with the mesh's part. ``to_json`` is the command's JSON
    (``ekstwin/schemas/net-can.schema.json``)."""

    result: Verdict | ServiceVerdict | CombinedVerdict | CombinedServiceVerdict

    @property
    def allowed(self) -> bool:
        return self.result.allowed

    def to_json(self) -> dict[str, object]:
        r = self.result
        if isinstance(r, CombinedVerdict):
            return _net_json(r)
        if isinstance(r, CombinedServiceVerdict):
            return {**r.to_json(), "backends": [_net_json(b) for b in r.backends]}
        return r.to_json()


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


def net_can(
    target: MeshModel | NetModel | Platform,
    source: str,
    destination: str,
    port: int,
    protocol: str = "TCP",
    *,
    mesh: bool = True,
    method: str | None = None,
    path: str | None = None,
    host: str | None = None,
) -> NetCanAnswer:
    """``ekstwin net can``: the network layer alone (``mesh=False``), or with the mesh."""
    if not mesh:
        if isinstance(target, MeshModel):
            net = target.net
        else:
            net = target if isinstance(target, NetModel) else NetModel(target)
        return NetCanAnswer(can(net, source, destination, port, protocol))
    return NetCanAnswer(
        explain(target, source, destination, port, protocol, method=method, path=path, host=host)
    )


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


@dataclass(frozen=True, slots=True)
class MatrixWithMesh:
    """``net matrix --by pod --mesh``: the network's pod matrix, each flow with the
    declared TCP ports the mesh refuses (``mesh_refused``, empty for the flows the
    mesh matrix does not list). ``to_json`` is the command's JSON."""

    network: Matrix
    mesh: MeshMatrix

    def to_json(self) -> dict[str, object]:
        refused = {
            (f.source, f.destination): [r.to_json() for r in f.refused] for f in self.mesh.flows
        }
        doc = self.network.to_json()
        doc["flows"] = [
            {**f.to_json(), "mesh_refused": refused.get((f.source, f.destination), [])}
            for f in self.network
        ]
        return doc
