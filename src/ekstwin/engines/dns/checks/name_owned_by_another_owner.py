"""DNS002."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.dns import NameMapper, annotation_prefix_for, suitable_zones
from ekstwin.engines.dns.config import platform_dns
from ekstwin.engines.dns.plan import MANAGED_TYPES, current_records
from ekstwin.engines.dns.sources import claimed_hostnames
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


class NameOwnedByAnotherOwner(Check):
    """
    ## What it does
    Finds hostnames that the platform's Ingresses and Services ask for whose
    existing A, AAAA or CNAME record in Route 53 belongs to another
    ExternalDNS owner id (its TXT registry record names another
    `external-dns/owner`), or to no ExternalDNS at all (made by hand). The
    platform's own owner id is taken as the one that owns most ExternalDNS
    TXT records in the zones, unless the platform runs one ExternalDNS
    Deployment: then its `--txt-owner-id` (and TXT prefix or suffix).

    ## Why is this bad?
    ExternalDNS never updates, deletes or adds to a name it does not own: it
    skips it with a debug log "owner id does not match". The Ingress looks
    published, but the name keeps pointing where the other owner (often a
    staging cluster sharing the zone) or a person left it.

    ## Example
    `grafana.platform.example.com` has the TXT `a-grafana.platform.example.com`
    with `external-dns/owner=platform-staging`; production runs with
    `--txt-owner-id=platform-prod`.

    ## Fix
    Delete the stale record and its TXT, or migrate it with
    `--migrate-from-txt-owner`; give each cluster its own names.

    ## References
    - ExternalDNS: docs/registry/txt.md
    - kubernetes-sigs/external-dns issues #1357, #583
    """

    id = "DNS002"
    slug = "name-owned-by-another-owner"
    title = "Hostname held by a record another owner (or no ExternalDNS) owns"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        zones = list(platform.aws.hosted_zones)
        if not zones:
            return
        found = platform_dns(platform)
        owner = found.options.owner_id if found.owner_known else None
        whence = found.whence
        mapper = NameMapper(found.options.txt_prefix, found.options.txt_suffix)
        current = current_records(zones, mapper, owner or "")
        by_name: dict[str, list[str]] = {}
        for rec in current.records:
            if rec.type in MANAGED_TYPES:
                by_name.setdefault(rec.name.lower(), []).append(rec.owner or "")
        for claim in claimed_hostnames(platform, annotation_prefix_for(platform)):
            if not suitable_zones(claim.hostname, zones):
                continue
            owners = by_name.get(claim.hostname.lower())
            if not owners:
                continue
            foreign = sorted({o for o in owners if o != owner})
            if not foreign:
                continue
            other = foreign[0]
            if other:
                message = (
                    f"{claim.resource} asks for {claim.hostname}, whose record is owned by "
                    f"ExternalDNS owner {other!r}, not this platform's {owner!r}: "
                    "ExternalDNS will not touch it"
                )
                severity = None
            else:
                message = (
                    f"{claim.resource} asks for {claim.hostname}, whose record has no "
                    "ExternalDNS owner (made by hand): ExternalDNS will not touch it"
                )
                severity = Severity.LOW
            yield self.finding(
                ObjectRef(claim.kind, claim.name, claim.namespace),
                message,
                claim.meta_source,
                evidence=[
                    f"platform owner id ({whence}): {owner or 'unknown'}",
                    f"owners of {claim.hostname} records: "
                    + ", ".join(sorted({o or "(none)" for o in owners})),
                ],
                fix="remove or migrate the foreign record (--migrate-from-txt-owner), or use "
                "another hostname",
                key=claim.hostname,
                severity=severity,
            )
