"""MSH001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.mesh.checks import mesh_model
from ekstwin.engines.mesh.verdict import MeshModel, MeshReason, MeshVerdict, mesh_verdict
from ekstwin.engines.mesh.workloads import owner_ref
from ekstwin.engines.net.endpoints import Endpoint
from ekstwin.engines.net.engine import bit_indices
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
        # A caller without a sidecar sends plaintext whoever it is: the verdict on one
        # meshed pod and port is the same for every such caller, and the callers of
        # one class of sources reach the same destinations with the same connections.
        verdicts: dict[tuple[str, int], MeshVerdict] = {}
        owners: dict[str, ObjectRef] = {}
        callers: dict[int, set[str]] = {}  # per class of sources (its list is kept)
        for sources, b, cid in self._plaintext_to_mesh(model):
            pod = b.pod
            assert pod is not None  # meshed destinations are pods
            conns = model.net.conns(cid)
            for port in sorted({p.container_port for p in pod.spec.all_ports}):
                if not conns.contains("TCP", port):
                    continue
                v = verdicts.get((b.name, port))
                if v is None:
                    v = verdicts[(b.name, port)] = mesh_verdict(model, sources[0], b, port)
                if v.reason is not MeshReason.PLAINTEXT_TO_STRICT or v.mtls is None:
                    continue
                owner = owners.get(b.name)
                if owner is None:
                    owner = owners[b.name] = owner_ref(platform, pod)
                key = (owner, port)
                names = callers.get(id(sources))
                if names is None:
                    names = callers[id(sources)] = {
                        str(owner_ref(platform, a.pod)) if a.pod is not None else a.name
                        for a in sources
                    }
                broken.setdefault(key, set()).update(names)
                why[key] = (v.mtls.explanation, v.mtls.source)
        yield from self._findings(broken, why)

    @staticmethod
    def _plaintext_to_mesh(
        model: MeshModel,
    ) -> Iterator[tuple[list[Endpoint], Endpoint, int]]:
        """Allowed flows from pods without a sidecar to a pod with one, walked by
        class: (the sources of one class without a sidecar, a meshed destination,
        the connection id). Classes with no such destination (or source) cost nothing;
        a source is never its destination (one has a sidecar, the other not)."""
        net = model.net

        def in_mesh(ep: Endpoint) -> bool:
            inj = model.injection(ep)
            return inj is not None and inj.in_mesh

        meshed = [[b for b in m if b.pod is not None and in_mesh(b)] for m in net.class_members]
        if not any(meshed):
            return
        plain = [[a for a in m if not in_mesh(a)] for m in net.class_members]
        for s, row in enumerate(net.class_rows()):
            sources = plain[s]
            if not sources:
                continue
            for cid, bits in row.items():
                for d in bit_indices(bits):
                    for b in meshed[d]:
                        yield sources, b, cid

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
