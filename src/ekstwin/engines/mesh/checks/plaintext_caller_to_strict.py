"""MSH001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.mesh.checks import mesh_model, mesh_sides
from ekstwin.engines.mesh.verdict import MeshReason, mesh_verdict
from ekstwin.engines.mesh.workloads import owner_ref
from ekstwin.engines.net.engine import bit_indices
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef, Source

#: The callers named in a finding's evidence, in name order (a platform where
#: thousands of pods outside the mesh reach every port would otherwise repeat them
#: all in each of thousands of findings: gigabytes of report).
MAX_CALLERS_SHOWN = 20


class PlaintextCallerToStrict(Check):
    """
    ## What it does
    Finds workloads outside the mesh (no sidecar) that the network policies
    allow to reach a port of a workload whose effective mTLS mode on that port
    is STRICT. It walks the network's pod-to-pod connectivity and the mesh's
    PeerAuthentication composition together, per declared container port.
    A finding names the first 20 callers (in name order) and counts the rest.

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
        net = model.net
        meshed, plain = mesh_sides(model)
        if not any(meshed):
            return
        # A caller without a sidecar sends plaintext whoever it is: the verdict on one
        # meshed pod and port is the same for every such caller (asked once, of any).
        caller = next(a for m in plain for a in m) if any(plain) else None
        if caller is None:
            return
        strict: dict[str, list[tuple[int, tuple[ObjectRef, int], tuple[str, Source | None]]]]
        strict = {}
        for m in meshed:
            for b in m:
                assert b.pod is not None  # meshed destinations are pods
                owner = owner_ref(platform, b.pod)
                refused = strict[b.name] = []
                for port in sorted({p.container_port for p in b.pod.spec.all_ports}):
                    v = mesh_verdict(model, caller, b, port)
                    if v.reason is MeshReason.PLAINTEXT_TO_STRICT and v.mtls is not None:
                        refused.append((port, (owner, port), (v.mtls.explanation, v.mtls.source)))
        # Sources of one class reach the same destinations with the same connections,
        # and classes with the same row share it: each distinct row is walked once, for
        # all its classes at once, in the order of their last class, so that the
        # explanation kept for a workload is the one the last source class met.
        by_row: dict[int, tuple[dict[int, int], int, int]] = {}
        for s, row in enumerate(net.class_rows()):
            if plain[s]:
                _, bits, _ = by_row.get(id(row), (row, 0, 0))
                by_row[id(row)] = (row, bits | (1 << s), s)
        broken: dict[tuple[ObjectRef, int], int] = {}  # the source classes, as bits
        why: dict[tuple[ObjectRef, int], tuple[str, Source | None]] = {}
        for row, sources, _last in sorted(by_row.values(), key=lambda r: r[2]):
            for cid, bits in row.items():
                conns = net.conns(cid)
                for d in bit_indices(bits):
                    for b in meshed[d]:
                        for port, key, explained in strict[b.name]:
                            if conns.contains("TCP", port):
                                broken[key] = broken.get(key, 0) | sources
                                why[key] = explained
        callers = {
            s: {str(owner_ref(platform, a.pod)) if a.pod is not None else a.name for a in m}
            for s, m in enumerate(plain)
            if m
        }
        yield from self._findings(broken, why, callers)

    def _findings(
        self,
        broken: dict[tuple[ObjectRef, int], int],
        why: dict[tuple[ObjectRef, int], tuple[str, Source | None]],
        callers: dict[int, set[str]],
    ) -> Iterator[Finding]:
        # Most workloads are reached by the same callers: each distinct set of source
        # classes is named once, and each caller's evidence line is one string.
        named: dict[int, tuple[int, tuple[str, ...]]] = {}
        lines: dict[str, str] = {}
        for (subject, port), bits in sorted(
            broken.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])
        ):
            explanation, source = why[(subject, port)]
            got = named.get(bits)
            if got is None:
                names = sorted({n for c in bit_indices(bits) for n in callers[c]})
                shown = tuple(
                    lines.setdefault(n, f"allowed by the network, plaintext: {n}")
                    for n in names[:MAX_CALLERS_SHOWN]
                )
                if len(names) > MAX_CALLERS_SHOWN:
                    shown += (
                        f"and {len(names) - MAX_CALLERS_SHOWN} more workload(s) without a sidecar",
                    )
                got = named[bits] = (len(names), shown)
            count, evidence = got
            yield self.finding(
                subject,
                f"{subject} port {port} requires mutual TLS, but the network lets "
                f"{count} workload(s) without a sidecar reach it: their connections "
                "are reset",
                source,
                evidence=(explanation, *evidence),
                fix=f"inject the callers, or add a port-level PERMISSIVE exception for {port} "
                "on this workload, or stop allowing the flow in the network policy",
                key=str(port),
            )
