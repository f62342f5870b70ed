"""ING003."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class IngressGroupOverQuota(Check):
    """
    ## What it does
    Counts the rules the controller would put on each ALB (summed over its
    listeners, default actions not counted) against the AWS quota of 100
    rules per load balancer, and the values and wildcards of each rule's
    conditions against the quota of 5 per rule.

    ## Why is this bad?
    The controller does not know the quotas: it builds the model, then AWS
    refuses the rules with `TooManyRules` (or a validation error for a rule
    with too many condition values) and the group is stuck half-synced. The
    controller never splits a group across load balancers. A `Prefix` path
    already uses two values (`/foo` and `/foo/*`), so host + Prefix + three
    more `conditions.*` values is over.

    ## Example
    A group of 30 Ingresses with 4 paths each on both HTTP and HTTPS: 240 rules.

    ## Fix
    Split the group, use ssl-redirect so the HTTP listener holds no rules, or
    ask AWS to raise the rules-per-load-balancer quota.

    ## References
    - Elastic Load Balancing: Quotas for your Application Load Balancers
    - kubernetes-sigs/aws-load-balancer-controller issues #2011, #3525
    """

    id = "ING003"
    slug = "ingress-group-over-quota"
    title = "ALB over the rules-per-load-balancer or condition-values quota"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for alb in ctx.models(platform).albs.albs:
            if not alb.quota or not alb.members:
                continue
            first = alb.members[0]
            for q in alb.quota:
                yield self.finding(
                    first.ingress.meta.ref,
                    f"ALB {alb.group}: {q}",
                    first.ingress.meta.source,
                    evidence=[f"{m.key}: {m.rule_count} rules" for m in alb.members],
                    fix="split the IngressGroup or reduce its rules; use ssl-redirect so HTTP "
                    "listeners carry no rules",
                    key=f"{alb.group}:{q.split(':')[0]}",
                )
