"""dns: the Route 53 records ExternalDNS would create, update and delete.

Public API::

    plan = plan_dns(platform, DnsOptions(owner_id="platform-prod"))   # -> DnsPlan

See docs/dns.md for the semantics and the JSON shape.
"""

from __future__ import annotations

from ekstwin.engines.dns.plan import (
    Change,
    ChangeAction,
    Conflict,
    DnsOptions,
    DnsPlan,
    Policy,
    Skipped,
    domain_matches,
    plan_dns,
    suitable_zones,
)
from ekstwin.engines.dns.registry import NameMapper, parse_labels, serialize_labels
from ekstwin.engines.dns.sources import (
    ALPHA_PREFIX,
    GA_PREFIX,
    Endpoint,
    annotation_prefix_for,
    ingress_endpoints,
    service_endpoints,
)

__all__ = [
    "ALPHA_PREFIX",
    "GA_PREFIX",
    "Change",
    "ChangeAction",
    "Conflict",
    "DnsOptions",
    "DnsPlan",
    "Endpoint",
    "NameMapper",
    "Policy",
    "Skipped",
    "annotation_prefix_for",
    "domain_matches",
    "ingress_endpoints",
    "parse_labels",
    "plan_dns",
    "serialize_labels",
    "service_endpoints",
    "suitable_zones",
]
