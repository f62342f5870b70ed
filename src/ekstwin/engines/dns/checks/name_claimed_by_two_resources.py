"""DNS003."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.dns import plan_dns
from ekstwin.engines.dns.config import platform_dns
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

_REAL = ("different targets", "discarded", "unioned")


class NameClaimedByTwoResources(Check):
    """
    ## What it does
    Runs the ExternalDNS plan and finds hostnames that two or more Ingresses
    or Services claim with different targets: different CNAME targets (one
    candidate wins, the others are ignored without an error), a CNAME next to
    A/AAAA candidates (the CNAME is discarded), or A/AAAA targets of different
    resources unioned into one record. Members of one IngressGroup that share
    the ALB give the same target and are not reported.

    ## Why is this bad?
    ExternalDNS resolves the clash silently: the winner is the candidate with
    the fewest targets (then the lowest target), or the resource that owned
    the record before. Which application answers then depends on a tie-break
    nobody chose, and it can flap when resources change.

    ## Example
    Two Services of type LoadBalancer both annotated
    `external-dns.kubernetes.io/hostname: api.example.com`.

    ## Fix
    Give each resource its own hostname, or route one name to one load
    balancer (an IngressGroup).

    ## References
    - ExternalDNS: plan/conflict.go (per-resource resolver)
    - kubernetes-sigs/external-dns issues #2791, #6479, #6192
    """

    id = "DNS003"
    slug = "name-claimed-by-two-resources"
    title = "Two resources claim one hostname with different targets"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        plan = plan_dns(platform, platform_dns(platform).options, ctx.models(platform).albs)
        for conflict in plan.conflicts:
            if not any(word in conflict.reason for word in _REAL):
                continue
            kind, ns, name = conflict.claimants[0].split("/", 2)
            ref = ObjectRef("Ingress" if kind == "ingress" else "Service", name, ns)
            meta = platform.meta_of(ref)
            yield self.finding(
                ref,
                f"{conflict.name} is claimed by {', '.join(conflict.claimants)}: {conflict.reason}",
                meta.source if meta else None,
                evidence=[f"claimant {c}" for c in conflict.claimants],
                fix="give each resource its own hostname",
                key=conflict.name,
            )
