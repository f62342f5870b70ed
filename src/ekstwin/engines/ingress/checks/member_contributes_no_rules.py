"""ING005."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.ingress import ActionType
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class MemberContributesNoRules(Check):
    """
    ## What it does
    Finds an Ingress with paths that joins an IngressGroup which builds, yet
    contributes no rule to any listener. The usual cause: it declares no
    `listen-ports` and no certificate, so it listens on HTTP :80 only, and
    another member's `ssl-redirect` turns every HTTP listener of the group
    into a bare redirect without rules. Its rules may also all have been
    dropped because an earlier redirect rule covers them.

    ## Why is this bad?
    The controller reports nothing: the Ingress gets the ALB's address in its
    status, ExternalDNS publishes its hostnames, and its paths answer with a
    redirect or the default 404.

    ## Example
    ```yaml
    # orders/orders-api joins group shop without listen-ports or certificate-arn;
    # shop-frontend/storefront sets alb.ingress.kubernetes.io/ssl-redirect: "443"
    ```

    ## Fix
    Add `alb.ingress.kubernetes.io/listen-ports: '[{"HTTPS": 443}]'` (and a
    certificate) to the member.

    ## References
    - AWS Load Balancer Controller: Ingress annotations, "listen-ports", "ssl-redirect"
    - kubernetes-sigs/aws-load-balancer-controller issues #2471, #3395
    """

    id = "ING005"
    slug = "member-contributes-no-rules"
    title = "IngressGroup member contributes no rules to the ALB"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for alb in ctx.models(platform).albs.albs:
            if alb.errors:
                continue
            for m in alb.members:
                if m.rule_count or not any(r.paths for r in m.ingress.rules):
                    continue
                why = []
                for port, proto in m.ports:
                    ls = next((x for x in alb.listeners if x.port == port), None)
                    if ls and proto == "HTTP" and ls.default_action.type is ActionType.REDIRECT:
                        why.append(
                            f"it listens on {proto}:{port}, which the group's ssl-redirect "
                            "turns into a redirect without rules"
                        )
                    else:
                        why.append(f"its rules on {proto}:{port} are covered by earlier redirects")
                ports = ", ".join(f"{p}:{n}" for n, p in m.ports)
                yield self.finding(
                    m.ingress.meta.ref,
                    f"{m.key} joins ALB {alb.group} but contributes no rule: " + "; ".join(why),
                    m.ingress.meta.source,
                    evidence=[f"{m.key} listens on {ports}"]
                    + [
                        f"listener {ls.protocol}:{ls.port}: {len(ls.rules)} rules, default "
                        f"{ls.default_action.describe()}"
                        for ls in alb.listeners
                    ],
                    fix="add alb.ingress.kubernetes.io/listen-ports with the HTTPS port (and a "
                    "certificate) to this Ingress",
                    key=alb.group,
                )
