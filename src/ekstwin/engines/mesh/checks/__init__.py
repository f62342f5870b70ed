"""Checks of the mesh engine, one per file."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import CheckContext
from ekstwin.engines.mesh.verdict import MeshModel
from ekstwin.engines.net.endpoints import Endpoint
from ekstwin.engines.net.engine import bit_indices
from ekstwin.model.platform import Platform


def mesh_model(platform: Platform, ctx: CheckContext) -> MeshModel:
    """The mesh model on the run's shared network model, built once per check run."""
    return ctx.models(platform).mesh


def mesh_sides(model: MeshModel) -> tuple[list[list[Endpoint]], list[list[Endpoint]]]:
    """Per class of the network model: its pods in the mesh, and its endpoints outside
    it that can call (pods without a sidecar, addresses). Pods ekstwin implied
    (CoreDNS) are not callers: they are assumed for what they serve."""

    def in_mesh(ep: Endpoint) -> bool:
        inj = model.injection(ep)
        return inj is not None and inj.in_mesh

    members = model.net.class_members
    meshed = [[b for b in m if b.pod is not None and in_mesh(b)] for m in members]
    plain = [
        [a for a in m if not in_mesh(a) and (a.pod is None or not a.pod.meta.source.implied)]
        for m in members
    ]
    return meshed, plain


def plaintext_to_mesh(model: MeshModel) -> Iterator[tuple[Endpoint, Endpoint, int]]:
    """Allowed pairs from an endpoint without a sidecar (a pod outside the mesh, an
    address) to a pod with one, with the id of their connection set; walked by
    class: classes with no such destination (or source) cost nothing."""
    net = model.net
    meshed, plain = mesh_sides(model)
    if not any(meshed):
        return
    for s, row in enumerate(net.class_rows()):
        sources = plain[s]
        if not sources:
            continue
        for cid, bits in row.items():
            for d in bit_indices(bits):
                for b in meshed[d]:
                    for a in sources:
                        if a is not b:
                            yield a, b, cid
