"""DNS001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.dns import annotation_prefix_for, suitable_zones
from ekstwin.engines.dns.sources import claimed_hostnames
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


class HostnameOutsideHostedZones(Check):
    """
    ## What it does
    Finds hostnames that Ingresses (rule hosts, TLS hosts, the hostname
    annotation) and Services (the hostname annotation) ask ExternalDNS for,
    which fall in none of the Route 53 hosted zones of `aws.json`. Runs only
    when `aws.json` lists hosted zones. `ekstwin dns plan --domain-filter`
    also reports names outside the domain filter.

    ## Why is this bad?
    ExternalDNS skips such a name with a debug-level log line ("no hosted
    zone matching record DNS Name"). The name never resolves, and nothing in
    the cluster says so. A typo in the hostname or a zone that lives in
    another account are the usual causes.

    ## Example
    ```yaml
    rules:
      - host: shop.exmaple.com    # the zone is example.com
    ```

    ## Fix
    Correct the hostname, or create (or give ExternalDNS access to) the zone.

    ## References
    - ExternalDNS: AWS tutorial, "Set up a hosted zone"
    - ExternalDNS: docs/flags.md, --domain-filter
    """

    id = "DNS001"
    slug = "hostname-outside-hosted-zones"
    title = "Hostname lies in no hosted zone: ExternalDNS skips it"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        zones = list(platform.aws.hosted_zones)
        if not zones:
            return
        names = ", ".join(sorted(z.name.removesuffix(".") for z in zones))
        for claim in claimed_hostnames(platform, annotation_prefix_for(platform)):
            if suitable_zones(claim.hostname, zones):
                continue
            yield self.finding(
                ObjectRef(claim.kind, claim.name, claim.namespace),
                f"{claim.resource} asks for {claim.hostname}, which lies in no hosted zone: "
                "ExternalDNS skips it and the name never resolves",
                claim.meta_source,
                evidence=[f"hosted zones in aws.json: {names}"],
                fix="correct the hostname or create the zone that should hold it",
                key=claim.hostname,
            )
