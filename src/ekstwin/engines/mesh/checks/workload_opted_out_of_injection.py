"""MSH005."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.mesh.injection import INJECT_LABEL, mesh_members
from ekstwin.engines.mesh.workloads import owner_meta, template_pointer
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


class WorkloadOptedOutOfInjection(Check):
    """
    ## What it does
    Finds workloads in namespaces that ask for sidecar injection
    (`istio-injection=enabled` or `istio.io/rev`) whose pods refuse it with
    `sidecar.istio.io/inject: "false"` (label, or the deprecated annotation).

    ## Why is this bad?
    The pod runs without a sidecar in a namespace everyone believes is in the
    mesh: its traffic is plaintext and carries no identity, STRICT
    destinations reset its connections, AuthorizationPolicies do not protect
    it, and the mesh's telemetry does not see it. Sometimes this is deliberate
    (a Job that must exit, which a sidecar would keep alive); it should be a
    decision on record, not a surprise.

    ## Example
    ```yaml
    template:
      metadata:
        labels: {sidecar.istio.io/inject: "false"}   # namespace istio-injection=enabled
    ```

    ## Fix
    Remove the opt-out. For Jobs, use native sidecars (Kubernetes 1.28+,
    Istio's `ENABLE_NATIVE_SIDECARS`) so the sidecar does not block
    completion. If the opt-out must stay, suppress this finding with a reason.

    ## References
    - Istio: Installing the Sidecar, "Controlling the injection policy"
    """

    id = "MSH005"
    slug = "workload-opted-out-of-injection"
    title = "Workload opted out of sidecar injection in a mesh namespace"
    severity = Severity.LOW
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        members = mesh_members(platform)
        seen: set[ObjectRef] = set()
        for pod in sorted(platform.pods, key=lambda p: p.key):
            inj = members[pod.key]
            if not inj.opted_out:
                continue
            meta = owner_meta(platform, pod)
            if meta.ref in seen:
                continue
            seen.add(meta.ref)
            pointer = template_pointer(meta)
            escaped = INJECT_LABEL.replace("~", "~0").replace("/", "~1")
            if INJECT_LABEL not in pod.labels:
                pointer = pointer.replace("/labels", "/annotations")
            yield self.finding(
                meta.ref,
                f"{meta.ref} runs without a sidecar in namespace {pod.namespace}, which is in "
                f"the mesh: {inj.reason}",
                meta.line_of(f"{pointer}/{escaped}"),
                evidence=[inj.reason],
                fix=f'remove {INJECT_LABEL}: "false" (for Jobs, use native sidecars), or '
                "suppress this finding with the reason",
            )
