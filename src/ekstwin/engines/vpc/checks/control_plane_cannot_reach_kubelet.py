"""VPC002."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.net import NetQueryError
from ekstwin.engines.vpc.layers import first_drop
from ekstwin.engines.vpc.whole import explain_flow
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

#: The kubelet's API port: logs, exec, attach, port-forward and metrics go there.
KUBELET_PORT = 10250


class ControlPlaneCannotReachKubelet(Check):
    """
    ## What it does
    Judges the whole path from the EKS control plane's network interfaces to
    every node's kubelet on TCP 10250: the cluster security group's egress,
    the network ACLs, the route and the node's security groups.

    ## Why is this bad?
    The API server reaches the kubelet for `kubectl logs`, `exec`, `attach`,
    `port-forward` and for the metrics the autoscalers read. Without 10250 from
    the cluster security group those fail with timeouts while the nodes look
    healthy (they connect out to the API server, which needs no inbound rule).

    ## Example
    A node group security group that admits only 443 from the cluster
    security group.

    ## Fix
    Admit TCP 10250 from the cluster security group in the nodes' security
    group.

    ## References
    - Amazon EKS User Guide: View Amazon EKS security group requirements for clusters
    """

    id = "VPC002"
    slug = "control-plane-cannot-reach-kubelet"
    title = "The control plane cannot reach a node's kubelet"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        models = ctx.models(platform)
        if not platform.aws.clusters or not models.vpc.has_vpc_data:
            return
        for node in sorted(platform.nodes, key=lambda n: n.meta.name):
            try:
                answer = explain_flow(
                    models.vpc, models.net, "control-plane", f"node/{node.meta.name}", KUBELET_PORT
                )
            except NetQueryError:
                continue  # a node without a known address cannot be judged
            drop = first_drop(answer.paths[0].layers) if answer.paths else None
            if drop is None:
                continue
            where = f" ({drop.source.file}:{drop.source.line})" if drop.source else ""
            yield self.finding(
                ObjectRef("Node", node.meta.name),
                f"the control plane cannot reach the kubelet of node {node.meta.name} on TCP "
                f"{KUBELET_PORT} ({drop.layer.value}): logs, exec and port-forward to its pods "
                "fail",
                drop.source or node.meta.source,
                evidence=[
                    f"control-plane -> node/{node.meta.name} TCP/{KUBELET_PORT}: "
                    f"{drop.layer.value}: {drop.decided_by}{where}"
                ],
                fix=f"admit TCP {KUBELET_PORT} from the cluster security group "
                f"({drop.layer.value})",
                key=node.meta.name,
            )
