"""ING004."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.ingress import ActionType, TargetType, reachability
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class AlbCannotReachPods(Check):
    """
    ## What it does
    For every ALB rule that forwards to a Service with target type `ip`, asks
    the network engine whether connections from the ALB's subnets (its
    addresses live there) may reach each pod on its target port under the
    Kubernetes NetworkPolicies and Calico policies.

    Without the ALB's subnets (no load balancer in `aws.json`, or no
    `aws.json`), it still reports a pod whose policies admit no address
    outside the cluster's pods on the target port (rules with pod and
    namespace selectors only): such a policy can never admit an ALB,
    wherever its subnets are.

    ## Why is this bad?
    With target type `ip` the ALB connects straight to pod addresses. A
    default-deny policy without an ingress rule for the ALB's subnets makes
    the targets fail their health checks; the ALB answers 502/503 while the
    pods are healthy.

    ## Example
    A `default-deny` NetworkPolicy in the namespace and no `ipBlock` rule for
    the public subnets `198.18.0.0/22` on port 8080.

    ## Fix
    Allow ingress from the ALB's subnets (an `ipBlock` with their CIDRs) on
    the pods' target port.

    ## References
    - AWS Load Balancer Controller: target-type ip
    - Kubernetes documentation: Network Policies, ipBlock
    """

    id = "ING004"
    slug = "alb-cannot-reach-pods"
    title = "Network policy blocks the ALB from the pods behind an Ingress"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        models = ctx.models(platform)
        for alb in models.albs.albs:
            for ls in alb.listeners:
                for rule in ls.rules:
                    if rule.action.type is not ActionType.FORWARD:
                        continue
                    for target in rule.action.targets:
                        if target.target_type is not TargetType.IP or not target.service:
                            continue
                        reach = reachability(platform, alb, target, models.net, models.lint)
                        if reach.reachable is not False:
                            continue
                        member = alb.member(rule.ingress)
                        assert member is not None
                        subnets = ", ".join(alb.subnet_ids)
                        why = (
                            "network policy denies its subnets"
                            if subnets
                            else "network policy admits no address outside the cluster's pods, "
                            "so no ALB, whatever its subnets"
                        )
                        yield self.finding(
                            member.ingress.meta.ref,
                            f"ALB {alb.group} cannot reach {', '.join(reach.blocked)} behind "
                            f"{target.service}:{target.service_port} (rule {ls.port}:"
                            f"{rule.priority} of {rule.ingress}): {why}",
                            rule.source,
                            evidence=list(reach.evidence),
                            fix=f"allow ingress from the ALB subnets ({subnets}) to the pods' "
                            "target port"
                            if subnets
                            else "allow ingress from the CIDRs of the ALB's subnets (an ipBlock) "
                            "to the pods' target port",
                            key=f"{alb.group}:{ls.port}:{rule.priority}:{target.service}",
                        )
