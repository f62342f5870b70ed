"""ING001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class IngressGroupWillFail(Check):
    """
    ## What it does
    Builds every IngressGroup the way the AWS Load Balancer Controller does
    and reports each member of a group whose model build fails: conflicting
    group-wide settings (`scheme`, `ssl-redirect`, `load-balancer-name`,
    `ip-address-type`, `subnets`, `security-groups`, `load-balancer-attributes`
    per key, `tags` per key, WAF, Shield), per-port conflicts (protocol,
    `ssl-policy`, `inbound-cidrs`), a `group.order` outside -1000..1000, a
    wildcard in an `Exact` or `Prefix` path, an unparsable annotation, two
    default backends on one port, instance targets on a ClusterIP Service.

    ## Why is this bad?
    The controller builds the group's model as one unit. One error and it
    changes nothing for any member: no new rules, no removed rules, no new
    certificates, and every member only gets a `FailedBuildModel` event.
    The team whose Ingress is fine sees its change ignored with an error
    about someone else's annotation.

    ## Example
    ```yaml
    # monitoring/grafana, group platform-internal
    alb.ingress.kubernetes.io/load-balancer-attributes: idle_timeout.timeout_seconds=60
    # argocd/argocd-server, same group
    alb.ingress.kubernetes.io/load-balancer-attributes: idle_timeout.timeout_seconds=300
    ```

    ## Fix
    Set each group-wide setting on one member only, or to the same value on
    every member; or move the Ingress to a group of its own.

    ## References
    - AWS Load Balancer Controller: Ingress annotations, "IngressGroup"
    - kubernetes-sigs/aws-load-balancer-controller issues #3262, #4060, #3870
    """

    id = "ING001"
    slug = "ingress-group-will-fail"
    title = "IngressGroup fails to build: the controller changes nothing for it"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for alb in ctx.models(platform).albs.albs:
            if not alb.errors:
                continue
            members = ", ".join(m.key for m in alb.members)
            for m in alb.members:
                yield self.finding(
                    m.ingress.meta.ref,
                    f"IngressGroup {alb.group} fails to build, so the controller changes nothing "
                    f"for {m.key} or any other member: {alb.errors[0]}",
                    m.ingress.meta.source,
                    evidence=[f"group {alb.group} members (in order): {members}"]
                    + [f"build error: {e}" for e in alb.errors],
                    fix="give every group-wide setting one value across the group, or fix the "
                    "member named in the error",
                    key=alb.group,
                )
