"""Desired endpoints: what ExternalDNS's ingress and service sources produce.

Follows source/ingress.go, source/service.go and endpoint/utils.go of
kubernetes-sigs/external-dns:

- Ingress hostnames: ``spec.rules[].host``, ``spec.tls[].hosts`` and the
  ``hostname`` annotation (comma list); the ``ingress-hostname-source``
  annotation keeps only ``defined-hosts-only`` or ``annotation-only`` (any
  other value keeps nothing);
- Service hostnames: the ``hostname`` annotation only;
- targets: the ``target`` annotation, else the load balancer status (IPs and
  hostnames); when the status is empty the twin takes the DNS name of the
  load balancer the controller made (aws.json) for it;
- record type per target: IPv4 -> A, IPv6 -> AAAA, anything else -> CNAME;
- a ``controller`` annotation other than ``dns-controller`` hides the object;
- Ingress endpoints are merged: A/AAAA targets of one (name, type, set
  identifier, TTL) are unioned; CNAMEs with the same target collapse into
  one, different targets stay separate candidates;
- ``set-identifier`` gives the record's set identifier, and the
  ``aws-weight``, ``aws-region``, ``aws-failover``, ``aws-geolocation-*``,
  ``aws-multi-value-answer`` and ``aws-health-check-id`` annotations its Route
  53 routing policy (provider-specific properties ``aws/<name>``,
  source/annotations/provider_specific.go).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

from ekstwin.engines.ingress import AlbPlan, build_albs
from ekstwin.model.images import ImageRef
from ekstwin.model.k8s import Ingress, Meta, Service
from ekstwin.model.platform import Platform
from ekstwin.model.source import Source

#: The AWS provider-specific annotations (``<prefix>aws-<name>``) that make a
#: Route 53 routing policy, in ExternalDNS's order.
ROUTING_KEYS = (
    "weight",
    "region",
    "failover",
    "geolocation-continent-code",
    "geolocation-country-code",
    "geolocation-subdivision-code",
    "multi-value-answer",
    "health-check-id",
)
GA_PREFIX = "external-dns.kubernetes.io/"
ALPHA_PREFIX = "external-dns.alpha.kubernetes.io/"
SERVICE_STACK_TAG = "service.k8s.aws/stack"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One DNS record, desired or current, as ExternalDNS carries it."""

    name: str
    type: str
    targets: tuple[str, ...]
    ttl: int | None = None
    set_identifier: str = ""
    resource: str | None = None  # label "resource": ingress/ns/name, service/ns/name
    owner: str | None = None  # label "owner" from the TXT registry
    alias: bool | None = None
    evaluate_target_health: bool | None = None
    force_update: bool = False
    claimants: tuple[str, ...] = ()  # every resource merged into this candidate
    source: Source | None = field(default=None, compare=False)
    #: Route 53 routing policy: (name, value) pairs of ROUTING_KEYS, sorted
    routing: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return self.name.lower(), self.set_identifier


@dataclass(frozen=True, slots=True)
class Skip:
    name: str
    reason: str


def suitable_type(target: str) -> str:
    try:
        ip = ipaddress.ip_address(target)
    except ValueError:
        return "CNAME"
    return "A" if ip.version == 4 else "AAAA"


def endpoints_for_hostname(
    hostname: str,
    targets: list[str],
    ttl: int | None,
    resource: str,
    source: Source | None,
    *,
    set_identifier: str = "",
    routing: tuple[tuple[str, str], ...] = (),
) -> list[Endpoint]:
    by_type: dict[str, list[str]] = {}
    for t in targets:
        by_type.setdefault(suitable_type(t), []).append(t)
    name = hostname.strip().removesuffix(".")
    return [
        Endpoint(
            name,
            rt,
            tuple(by_type[rt]),
            ttl,
            set_identifier,
            resource=resource,
            claimants=(resource,),
            source=source,
            routing=routing,
        )
        for rt in ("A", "AAAA", "CNAME")
        if by_type.get(rt)
    ]


def routing_of(annotations: dict[str, str], prefix: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The set identifier and routing policy the annotations ask for."""
    set_id = annotations.get(prefix + "set-identifier", "")
    routing = tuple(
        sorted(
            (k, annotations[prefix + "aws-" + k])
            for k in ROUTING_KEYS
            if prefix + "aws-" + k in annotations
        )
    )
    return set_id, routing


def merge_endpoints(endpoints: list[Endpoint]) -> list[Endpoint]:
    """Union A/AAAA targets per (name, type, set id, TTL); collapse equal CNAMEs."""
    merged: dict[tuple[object, ...], Endpoint] = {}
    for ep in endpoints:
        k: tuple[object, ...] = (ep.name, ep.type, ep.set_identifier, ep.ttl)
        if ep.type == "CNAME":
            if not ep.targets:
                continue
            k = (*k, ep.targets[0])
        old = merged.get(k)
        if old is None:
            merged[k] = ep
            continue
        claimants = tuple(dict.fromkeys((*old.claimants, *ep.claimants)))
        merged[k] = replace(old, targets=(*old.targets, *ep.targets), claimants=claimants)
    return [replace(ep, targets=tuple(sorted(set(ep.targets)))) for ep in merged.values()]


def _ttl(annotations: dict[str, str], prefix: str) -> int | None:
    raw = annotations.get(prefix + "ttl")
    if raw is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*(s|m|h)?\s*", raw)
    if not m:
        return None
    value = int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]
    return value if 1 <= value <= 2**31 - 1 else None


def _split(raw: str | None) -> list[str]:
    if raw is None:
        return []
    return [h.strip() for h in raw.split(",") if h.strip()]


def _target_annotation(annotations: dict[str, str], prefix: str) -> list[str]:
    return [t.removesuffix(".") for t in _split(annotations.get(prefix + "target"))]


def annotation_prefix_for(platform: Platform) -> str:
    """The prefix of the ExternalDNS the platform runs: alpha before v0.22."""
    for w in platform.workloads:
        for c in w.spec.containers:
            if is_external_dns(c.image) and c.image.tag:
                m = re.match(r"v?(\d+)\.(\d+)", c.image.tag)
                if m and (int(m.group(1)), int(m.group(2))) < (0, 22):
                    return ALPHA_PREFIX
                if m:
                    return GA_PREFIX
    return GA_PREFIX


def is_external_dns(image: ImageRef) -> bool:
    return image.repository.rsplit("/", 1)[-1] == "external-dns"


def _controller_hides(annotations: dict[str, str], prefix: str) -> str | None:
    value = annotations.get(prefix + "controller")
    if value is not None and value != "dns-controller":
        return f"annotation {prefix}controller={value!r} hands the object to another controller"
    return None


def _ingress_targets(ing: Ingress, prefix: str, albs: AlbPlan) -> tuple[list[str], str]:
    targets = _target_annotation(ing.meta.annotations, prefix)
    if targets:
        return targets, "target annotation"
    if ing.status_hostnames:
        return [t.removesuffix(".") for t in ing.status_hostnames], "status"
    key = f"{ing.meta.ns}/{ing.meta.name}"
    alb = albs.alb_of(key)
    if alb is None:
        return [], "no load balancer status and no ALB: the AWS Load Balancer Controller ignores it"
    if alb.errors:
        return [], f"no target: its IngressGroup {alb.group} fails ({alb.error})"
    if alb.dns_name:
        return [alb.dns_name.removesuffix(".")], f"ALB {alb.group} in aws.json"
    return [], f"no target yet: ALB {alb.group} is not in aws.json, its DNS name is unknown"


def ingress_endpoints(
    platform: Platform, prefix: str, albs: AlbPlan | None = None
) -> tuple[list[Endpoint], list[Skip]]:
    albs = albs if albs is not None else build_albs(platform)
    out: list[Endpoint] = []
    skipped: list[Skip] = []
    for ing in sorted(platform.ingresses, key=lambda i: (i.meta.namespace or "", i.meta.name)):
        a = ing.meta.annotations
        resource = f"ingress/{ing.meta.ns}/{ing.meta.name}"
        defined = [r.host for r in ing.rules if r.host] + [h for t in ing.tls for h in t.hosts if h]
        from_annotation = _split(a.get(prefix + "hostname"))
        source_mode = a.get(prefix + "ingress-hostname-source")
        if source_mode is None:
            hosts = defined + from_annotation
        elif source_mode.lower() == "defined-hosts-only":
            hosts = defined
        elif source_mode.lower() == "annotation-only":
            hosts = from_annotation
        else:
            hosts = []
        targets = partial(_ingress_targets, ing, prefix, albs)
        found, skips = _publish(resource, hosts, ing.meta, prefix, targets)
        out += found
        skipped += skips
    return merge_endpoints(out), skipped


def _publish(
    resource: str,
    hosts: list[str],
    meta: Meta,
    prefix: str,
    targets_of: Callable[[], tuple[list[str], str]],
) -> tuple[list[Endpoint], list[Skip]]:
    """The records one Ingress or Service asks for; or, when the annotated
    controller is not this one or the resource has no target yet, each hostname
    once as skipped, with why."""
    if not hosts:
        return [], []
    a = meta.annotations
    hidden = _controller_hides(a, prefix)
    targets, why = ([], hidden) if hidden else targets_of()
    if not targets:
        return [], [Skip(h.removesuffix("."), f"{resource}: {why}") for h in dict.fromkeys(hosts)]
    ttl = _ttl(a, prefix)
    set_id, routing = routing_of(a, prefix)
    out: list[Endpoint] = []
    for h in hosts:
        out += endpoints_for_hostname(
            h, targets, ttl, resource, meta.source, set_identifier=set_id, routing=routing
        )
    return out, []


def _service_targets(platform: Platform, svc: Service, prefix: str) -> tuple[list[str], str]:
    targets = _target_annotation(svc.meta.annotations, prefix)
    if targets:
        return targets, "target annotation"
    if svc.type == "LoadBalancer":
        if svc.load_balancer_hostnames:
            return list(svc.load_balancer_hostnames), "status"
        stack = f"{svc.meta.ns}/{svc.meta.name}"
        lb = next(
            (b for b in platform.aws.load_balancers if b.tags.get(SERVICE_STACK_TAG) == stack),
            None,
        )
        if lb is not None and lb.dns_name:
            return [lb.dns_name.removesuffix(".")], "load balancer in aws.json"
        return [], "no target yet: no load balancer status and none in aws.json"
    if svc.type == "ExternalName" and svc.external_name:
        return [svc.external_name], "externalName"
    if svc.type == "ClusterIP":
        return [], "a ClusterIP Service is published only with --publish-internal-services"
    return [], f"type {svc.type} Services are not modelled (NodePort publishes node addresses)"


def service_endpoints(platform: Platform, prefix: str) -> tuple[list[Endpoint], list[Skip]]:
    out: list[Endpoint] = []
    skipped: list[Skip] = []
    for svc in platform.services:
        a = svc.meta.annotations
        hosts = _split(a.get(prefix + "hostname"))
        resource = f"service/{svc.meta.ns}/{svc.meta.name}"
        targets = partial(_service_targets, platform, svc, prefix)
        found, skips = _publish(resource, hosts, svc.meta, prefix, targets)
        out += found
        skipped += skips
    # Sorted by resource so the same Service stays first; A/AAAA unioned, CNAMEs kept apart.
    out.sort(key=lambda e: e.resource or "")
    return merge_endpoints(out), skipped


@dataclass(frozen=True, slots=True)
class Claim:
    """A hostname an Ingress or Service asks ExternalDNS for, whatever its targets."""

    hostname: str
    resource: str
    meta_source: Source
    kind: str
    namespace: str
    name: str


def claimed_hostnames(platform: Platform, prefix: str) -> list[Claim]:
    out: list[Claim] = []
    for ing in platform.ingresses:
        a = ing.meta.annotations
        if _controller_hides(a, prefix):
            continue
        ns = ing.meta.ns
        defined = [r.host for r in ing.rules if r.host] + [h for t in ing.tls for h in t.hosts if h]
        mode = (a.get(prefix + "ingress-hostname-source") or "").lower()
        hosts = {
            "": defined + _split(a.get(prefix + "hostname")),
            "defined-hosts-only": defined,
            "annotation-only": _split(a.get(prefix + "hostname")),
        }.get(mode, [])
        for h in dict.fromkeys(x.removesuffix(".") for x in hosts):
            out.append(
                Claim(
                    h,
                    f"ingress/{ns}/{ing.meta.name}",
                    ing.meta.source,
                    "Ingress",
                    ns,
                    ing.meta.name,
                )
            )
    for svc in platform.services:
        a = svc.meta.annotations
        if _controller_hides(a, prefix):
            continue
        ns = svc.meta.ns
        for h in dict.fromkeys(x.removesuffix(".") for x in _split(a.get(prefix + "hostname"))):
            out.append(
                Claim(
                    h,
                    f"service/{ns}/{svc.meta.name}",
                    svc.meta.source,
                    "Service",
                    ns,
                    svc.meta.name,
                )
            )
    return out
