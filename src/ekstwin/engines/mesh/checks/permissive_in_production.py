"""MSH002."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.mesh.injection import mesh_members
from ekstwin.engines.mesh.peerauth import MtlsMode, namespace_mtls
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import Source


class MtlsNotStrictInProduction(Check):
    """
    ## What it does
    Finds production namespaces (labels matching `--prod-namespaces`, by default
    `environment` is `production` or `prod`) with pods
    in the mesh whose namespace-wide mTLS mode is PERMISSIVE or DISABLE
    (written in the namespace, or inherited from the mesh-wide policy or from
    Istio's PERMISSIVE default), and workload-level PeerAuthentications there
    whose own mode is PERMISSIVE or DISABLE. Port-level exceptions are left
    alone: they are the narrow way to accept plaintext.

    ## Why is this bad?
    PERMISSIVE accepts plaintext from anyone the network lets in, and
    plaintext carries no identity: authorization rules keyed on principals or
    namespaces no longer protect the workload, and traffic is readable on the
    wire. It is a migration mode, not a production setting.

    ## Example
    ```yaml
    apiVersion: security.istio.io/v1
    kind: PeerAuthentication
    metadata: {name: default, namespace: orders}   # environment: production
    spec: {mtls: {mode: PERMISSIVE}}
    ```

    ## Fix
    Use STRICT namespace-wide, and give the one workload port that must accept
    plaintext (a load balancer sending to pod IPs) a workload-level
    PeerAuthentication with `portLevelMtls: {PORT: {mode: PERMISSIVE}}`.

    ## References
    - Istio: PeerAuthentication reference
    - Istio: Security concepts, "Peer authentication" and the PERMISSIVE caveat
    """

    id = "MSH002"
    slug = "mtls-not-strict-in-production"
    title = "mTLS PERMISSIVE or DISABLE in a production namespace"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        members = mesh_members(platform)
        meshed = {k.split("/", 1)[0] for k, inj in members.items() if inj.in_mesh}
        for ns in sorted(platform.namespaces, key=lambda n: n.name):
            if not ctx.prod_namespaces.matches(ns.labels) or ns.name not in meshed:
                continue
            wide = namespace_mtls(platform, ns.name)
            if wide.mode is not MtlsMode.STRICT:
                subject = ns.meta.ref
                source: Source | None = ns.meta.source
                for pa in platform.peer_authentications:
                    if wide.policy == f"{pa.meta.namespace}/{pa.meta.name}":
                        subject, source = pa.meta.ref, wide.source
                yield self.finding(
                    subject,
                    f"namespace {ns.name} (production) accepts plaintext: {wide.explanation}",
                    source,
                    evidence=[
                        f"namespace {ns.name} has environment={ns.labels.get('environment')}",
                        wide.explanation,
                    ],
                    fix=f"set mtls.mode STRICT for namespace {ns.name}; keep plaintext only on "
                    "the ports that need it with a workload-level portLevelMtls exception",
                    key=ns.name,
                )
            for pa in sorted(platform.peer_authentications, key=lambda p: p.meta.name):
                if (
                    pa.meta.namespace != ns.name
                    or pa.selector is None
                    or not pa.selector.match_labels
                ):
                    continue
                wmode = (pa.mode or "UNSET").upper()
                if wmode in ("PERMISSIVE", "DISABLE"):
                    yield self.finding(
                        pa.meta.ref,
                        f"workload PeerAuthentication {ns.name}/{pa.meta.name} sets mTLS {wmode} "
                        f"in production namespace {ns.name}",
                        pa.meta.line_of("/spec/mtls/mode"),
                        evidence=[f"selector {pa.selector.match_labels}"],
                        fix="use STRICT; list only the ports that need plaintext in portLevelMtls",
                        key=pa.meta.name,
                    )
