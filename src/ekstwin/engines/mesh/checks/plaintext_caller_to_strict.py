"""MSH001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.mesh.checks import mesh_model, plaintext_to_mesh
from ekstwin.engines.mesh.verdict import MeshReason, mesh_verdict
from ekstwin.engines.mesh.workloads import owner_ref
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef, Source


class PlaintextCallerToStrict(Check):
    """
    ## What it does
    Finds workloads outside the mesh (no sidecar) that the network policies
    allow to reach a port of a workload whose effective mTLS mode on that port
    is STRICT. It walks the network's pod-to-pod connectivity and the mesh's
    PeerAuthentication composition together, per declared container port.

    ## Why is this bad?
    The network lets the packets through, so the flow looks open, but the
    destination's sidecar requires a client certificate that a pod without a
    sidecar cannot present. Every connection is reset before any request is
    read: the caller sees a reset (curl exit 56, no HTTP status), not a 403.
    Either the flow is wanted and broken, or it is not wanted and the network
    policy allows more than it should.

    ## Example
    ```yaml
    apiVersion: security.istio.io/v1
    kind: PeerAuthentication
    metadata: {name: default, namespace: istio-system}
    spec: {mtls: {mode: STRICT}}
    # and a NetworkPolicy that admits monitoring/blackbox-exporter (no sidecar)
    ```

    ## Fix
    Put the caller in the mesh (namespace label `istio-injection=enabled`), or
    relax mTLS for exactly that port with a workload PeerAuthentication and
    `portLevelMtls: {PORT: {mode: PERMISSIVE}}`, or remove the network allow if
    the flow is not wanted.

    ## References
    - Istio: PeerAuthentication reference (modes, precedence, port-level mTLS)
    - Istio: Mutual TLS Migration task (plaintext clients against STRICT)
    """

    id = "MSH001"
    slug = "plaintext-caller-to-strict"
    title = "Network allows a caller outside the mesh to reach a STRICT port"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        model = mesh_model(platform, ctx)
        broken: dict[tuple[ObjectRef, int], set[str]] = {}
        why: dict[tuple[ObjectRef, int], tuple[str, Source | None]] = {}
        for a, b, cid in plaintext_to_mesh(model):
            pod = b.pod
            assert pod is not None  # meshed destinations are pods
            conns = model.net.conns(cid)
            for port in sorted({p.container_port for p in pod.spec.all_ports}):
                if not conns.contains("TCP", port):
                    continue
                v = mesh_verdict(model, a, b, port)
                if v.reason is not MeshReason.PLAINTEXT_TO_STRICT or v.mtls is None:
                    continue
                key = (owner_ref(platform, pod), port)
                caller = str(owner_ref(platform, a.pod)) if a.pod is not None else a.name
                broken.setdefault(key, set()).add(caller)
                why[key] = (v.mtls.explanation, v.mtls.source)
        yield from self._findings(broken, why)

    def _findings(
        self,
        broken: dict[tuple[ObjectRef, int], set[str]],
        why: dict[tuple[ObjectRef, int], tuple[str, Source | None]],
    ) -> Iterator[Finding]:
        for (subject, port), callers in sorted(
            broken.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])
        ):
            explanation, source = why[(subject, port)]
            names = sorted(callers)
            yield self.finding(
                subject,
                f"{subject} port {port} requires mutual TLS, but the network lets "
                f"{len(names)} workload(s) without a sidecar reach it: their connections are reset",
                source,
                evidence=[
                    explanation,
                    *(f"allowed by the network, plaintext: {n}" for n in names),
                ],
                fix=f"inject the callers, or add a port-level PERMISSIVE exception for {port} "
                "on this workload, or stop allowing the flow in the network policy",
                key=str(port),
            )
