"""mesh: Istio sidecar injection, mTLS (PeerAuthentication), AuthorizationPolicy,
routing (VirtualService, DestinationRule) and telemetry coverage.

Public API::

    model = MeshModel(platform)                         # injection per pod, once
    mesh_verdict(model, "shop/web-0", "shop/db-0", 8080,
                 method="GET", path="/x")               # -> MeshVerdict
    explain(model, src, dst, port, method=..., path=...)  # network AND mesh
    routes(platform, "reviews.shop.svc.cluster.local")  # -> RouteTable
    coverage(model)                                     # -> Coverage

See docs/mesh.md for the semantics and the JSON shapes.
"""

from __future__ import annotations

from ekstwin.engines.mesh.authz import AuthzDecision, AuthzStatus
from ekstwin.engines.mesh.combined import CombinedVerdict, explain, mesh_matrix
from ekstwin.engines.mesh.coverage import Coverage, coverage
from ekstwin.engines.mesh.injection import DataPlane, Injection, decide_injection, mesh_members
from ekstwin.engines.mesh.peerauth import MtlsDecision, MtlsMode, effective_mtls
from ekstwin.engines.mesh.routes import RouteTable, routes
from ekstwin.engines.mesh.verdict import (
    MeshModel,
    MeshQueryError,
    MeshReason,
    MeshStatus,
    MeshVerdict,
    mesh_verdict,
)

__all__ = [
    "AuthzDecision",
    "AuthzStatus",
    "CombinedVerdict",
    "Coverage",
    "DataPlane",
    "Injection",
    "MeshModel",
    "MeshQueryError",
    "MeshReason",
    "MeshStatus",
    "MeshVerdict",
    "MtlsDecision",
    "MtlsMode",
    "RouteTable",
    "coverage",
    "decide_injection",
    "effective_mtls",
    "explain",
    "mesh_matrix",
    "mesh_members",
    "mesh_verdict",
    "routes",
]
