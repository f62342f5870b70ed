"""VPC001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.cluster.webhooks import AdmissionWebhook, admission_webhooks
from ekstwin.engines.compiled import CompiledModels
from ekstwin.engines.vpc.layers import LayerVerdict, first_drop
from ekstwin.engines.vpc.whole import PathVerdict, explain_flow
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.k8s import Pod, Service
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


class ControlPlaneCannotReachWebhook(Check):
    """
    ## What it does
    For every admission webhook of the Validating and Mutating
    WebhookConfigurations that calls a Service, finds the pods backing the
    Service's port and judges the whole path from the EKS control plane's
    network interfaces (in the cluster subnets, with the cluster security
    group) to each pod on its target port: the security groups on both ends,
    the network ACLs, the route, and the pod's network policies.

    ## Why is this bad?
    The API server calls webhooks from the control plane's ENIs straight to the
    pods (there is no kube-proxy in the control plane). When a node group's
    security group does not admit the webhook's port from the cluster security
    group, every call times out: with `failurePolicy: Fail` (the default) the
    requests the webhook matches are refused ("context deadline exceeded"),
    the classic failure of the AWS Load Balancer Controller's webhook on 9443
    with private node groups. With `Ignore` the webhook is silently skipped.

    ## Example
    Node group security group admits 443 and 10250 from the cluster security
    group, and the Load Balancer Controller's pods listen on 9443.

    ## Fix
    Admit the webhook's target port from the cluster security group in the
    security group of the nodes (or pods) that run the webhook, and allow it in
    the pods' network policies.

    ## References
    - Amazon EKS User Guide: View Amazon EKS security group requirements for clusters
    - Kubernetes documentation: Dynamic Admission Control
    - AWS Load Balancer Controller: installation, "security group rules for the webhook port 9443"
    """

    id = "VPC001"
    slug = "control-plane-cannot-reach-webhook"
    title = "The control plane cannot reach an admission webhook's pods"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        models = ctx.models(platform)
        if not platform.aws.clusters or not models.vpc.has_vpc_data:
            return
        for hook in admission_webhooks(platform):
            if hook.service_namespace is None or hook.service_name is None:
                continue
            service = _service(platform, hook.service_namespace, hook.service_name)
            if service is None:
                continue
            port = next(
                (
                    p
                    for p in service.ports
                    if p.port == hook.service_port and p.protocol.value == "TCP"
                ),
                None,
            )
            if port is None:
                continue
            backends = service.backends(port, platform.pods_in(service.meta.ns))
            if not backends:
                continue
            dropped: list[tuple[Pod, int, LayerVerdict]] = []
            for pod, target in backends:
                path = _path(models, pod, target)
                drop = first_drop(path.layers) if path is not None else None
                if drop is not None:
                    dropped.append((pod, target, drop))
            if dropped:
                yield self._finding(hook, len(backends), dropped)

    def _finding(
        self, hook: AdmissionWebhook, backends: int, dropped: list[tuple[Pod, int, LayerVerdict]]
    ) -> Finding:
        pod, target, drop = dropped[0]
        evidence = [
            f"{hook.label} calls Service {hook.service_namespace}/{hook.service_name} port "
            f"{hook.service_port}; failurePolicy {hook.failure_policy}",
        ]
        for p, t, d in dropped[:5]:
            where = f" ({d.source.file}:{d.source.line})" if d.source else ""
            evidence.append(
                f"control-plane -> {p.key} TCP/{t}: {d.layer.value}: {d.decided_by}{where}"
            )
        if len(dropped) > 5:
            evidence.append(f"... and {len(dropped) - 5} more pod(s)")
        if hook.blocks_on_failure:
            effect = "every request it matches is refused when the call times out"
        else:
            effect = "it is skipped (failurePolicy Ignore), so what it validates goes unchecked"
        if len(dropped) == backends:
            reach = f"any of the {backends} pods behind" if backends > 1 else "the pod behind"
        else:
            reach = f"{len(dropped)} of the {backends} pods behind"
        return self.finding(
            ObjectRef(hook.configuration_kind, hook.configuration),
            f"the control plane cannot reach {reach} webhook {hook.name} on TCP {target} "
            f"({drop.layer.value}): {effect}",
            drop.source or hook.source,
            evidence=evidence,
            fix=f"admit TCP {target} from the cluster security group where the webhook's pods "
            f"run ({drop.layer.value}), and in their network policies",
            key=f"{hook.name}:{pod.namespace}",
            severity=Severity.HIGH if hook.blocks_on_failure else Severity.MEDIUM,
        )


def _service(platform: Platform, namespace: str, name: str) -> Service | None:
    return next(
        (s for s in platform.services if s.meta.namespace == namespace and s.meta.name == name),
        None,
    )


def _path(models: CompiledModels, pod: Pod, port: int) -> PathVerdict | None:
    answer = explain_flow(models.vpc, models.net, "control-plane", pod.key, port, "TCP")
    return answer.paths[0] if answer.paths else None
