"""STO007."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.storage.model import claims
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class SharedFilesOnEbs(Check):
    """
    ## What it does
    Finds EBS claims mounted by several pods that do not all run on one
    node: pods with different `spec.nodeName`, or pods of different
    workloads or replicas not pinned to one node (the scheduler spreads
    them).

    ## Why is this bad?
    An EBS volume attaches to one instance at a time. The second pod on
    another node waits in `ContainerCreating` with a Multi-Attach error,
    and a rollout of a Deployment with more than one replica hangs. Files
    shared between pods on different nodes need EFS.

    ## Example
    A Deployment with `replicas: 3` mounting `claimName: uploads` on a gp3
    class.

    ## Fix
    Move the shared files to an EFS class (`efs.csi.aws.com`,
    `ReadWriteMany`), or give each replica its own volume (a StatefulSet
    with `volumeClaimTemplates`).

    ## References
    - Amazon EKS User Guide: Store an elastic file system with Amazon EFS
    - Kubernetes documentation: Persistent Volumes, "Access Modes"
    """

    id = "STO007"
    slug = "shared-files-on-ebs"
    title = "One EBS claim mounted by pods on different nodes"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for view in claims(platform):
            if not view.on_ebs or view.claim.template_of is not None or len(view.users) < 2:
                continue
            nodes = {p.spec.node_name for p in view.users}
            if len(nodes) == 1 and None not in nodes:
                continue  # all on one node: RWO allows that
            pods = sorted(p.name for p in view.users)
            sc = view.storage_class.meta.name if view.storage_class else "?"
            yield self.finding(
                view.claim.meta.ref,
                f"claim {view.namespace}/{view.claim.meta.name} (EBS class {sc}) is mounted by "
                f"{len(pods)} pods that can run on different nodes; EBS attaches to one node",
                view.claim.meta.source,
                evidence=[
                    "mounted by " + ", ".join(pods),
                    "nodes: "
                    + ", ".join(sorted(n or "not pinned (scheduler spreads them)" for n in nodes)),
                    f"access modes: {', '.join(view.claim.access_modes)}",
                ],
                fix="use an EFS class for files shared between pods, or one volume per replica",
            )
