"""Where traffic for a host goes: VirtualService routes and DestinationRule subsets.

- The VirtualServices whose ``hosts`` match the host (short names are relative
  to the VirtualService's namespace; ``*.suffix`` wildcards) and that bind to
  the gateway asked for (no ``gateways`` means the reserved ``mesh``: the
  sidecars).
- ``http``, ``tls`` and ``tcp`` are ordered lists: the first route whose match
  holds wins; a route without ``match`` matches everything, so every route
  after it is shadowed.
- A route's destinations share its traffic by weight: ``weight / sum``; one
  destination takes all; weight 0 takes nothing (weights need not sum to 100).
- A destination subset names a DestinationRule subset of the destination
  host; a subset that no DestinationRule defines makes Envoy answer 503 (no
  healthy upstream). The subset's pods are the host Service's pods that carry
  the subset's labels.
- With no VirtualService, sidecars balance over all the Service's pods.
"""

from __future__ import annotations

from dataclasses import dataclass

from ekstwin.engines.mesh.verdict import CLUSTER_DOMAIN, host_matches, service_fqdn
from ekstwin.model.istio import DestinationRule, HttpRoute, RouteDestination, VirtualService
from ekstwin.model.k8s import Service
from ekstwin.model.platform import Platform
from ekstwin.model.source import Source

MESH_GATEWAY = "mesh"


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    subset: str | None
    port: int | None
    share: float  # 0..1 of the route's traffic
    pods: tuple[str, ...]
    problem: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "host": self.host,
            "subset": self.subset,
            "port": self.port,
            "share": round(self.share, 6),
            "pods": list(self.pods),
            "problem": self.problem,
        }


@dataclass(frozen=True, slots=True)
class Route:
    virtual_service: str
    kind: str  # http, tls, tcp
    index: int
    name: str | None
    matches: tuple[dict[str, object], ...]
    targets: tuple[Target, ...]
    shadowed_by: int | None
    source: Source | None

    def to_json(self) -> dict[str, object]:
        return {
            "virtual_service": self.virtual_service,
            "kind": self.kind,
            "index": self.index,
            "name": self.name,
            "match": [dict(m) for m in self.matches],
            "targets": [t.to_json() for t in self.targets],
            "shadowed_by": self.shadowed_by,
            "file": None if self.source is None else self.source.file,
            "line": None if self.source is None else self.source.line,
        }


@dataclass(frozen=True, slots=True)
class RouteTable:
    host: str
    gateway: str
    virtual_services: tuple[str, ...]
    routes: tuple[Route, ...]
    default: tuple[Target, ...] = ()  # without a VirtualService

    def to_json(self) -> dict[str, object]:
        return {
            "host": self.host,
            "gateway": self.gateway,
            "virtual_services": list(self.virtual_services),
            "routes": [r.to_json() for r in self.routes],
            "default": [t.to_json() for t in self.default],
        }


def normalize_host(text: str) -> str:
    """``NS/svc/NAME``, ``NS/NAME``, ``NAME.NS``, ``NAME.NS.svc``, a full name, or a
    bare ``NAME`` -> a lower-case FQDN. A bare name is a Service of ``default``, as a
    pod there resolves it (``reviews`` -> ``reviews.default.svc.cluster.local``)."""
    t = text.strip().lower().rstrip(".")
    parts = t.split("/")
    if len(parts) == 3 and parts[1] in ("svc", "service"):
        return f"{parts[2]}.{parts[0]}.{CLUSTER_DOMAIN}"
    if len(parts) == 2 and parts[0] and parts[1]:
        return f"{parts[1]}.{parts[0]}.{CLUSTER_DOMAIN}"
    if "." not in t and "/" not in t and t not in ("*", ""):
        return f"{t}.default.{CLUSTER_DOMAIN}"
    if t.count(".") == 1:
        return f"{t}.{CLUSTER_DOMAIN}"
    if t.endswith(".svc"):
        return f"{t}.cluster.local"
    return t


def _service_for(platform: Platform, fqdn: str) -> Service | None:
    for svc in platform.services:
        if service_fqdn(svc) == fqdn:
            return svc
    return None


def _pods_of(
    platform: Platform, svc: Service | None, labels: dict[str, str], port: int | None
) -> tuple[str, ...]:
    """The pods behind ``svc`` that carry the subset's ``labels``: those backing the
    Service port ``port``, or any of its ports when the route names none (or one
    the Service lacks)."""
    if svc is None:
        return ()
    pods = [
        p
        for p in platform.pods_in(svc.meta.ns)
        if all(p.labels.get(k) == v for k, v in labels.items())
    ]
    if not svc.ports:
        return tuple(sorted(p.key for p in pods if svc.selects(p)))
    ports = [sp for sp in svc.ports if sp.port == port] or list(svc.ports)
    keys: set[str] = set()
    for sp in ports:
        keys.update(p.key for p, _ in svc.backends(sp, pods) or ())
    return tuple(sorted(keys))


def _subset(
    platform: Platform, fqdn: str, name: str
) -> tuple[DestinationRule | None, dict[str, str] | None]:
    for dr in sorted(
        platform.destination_rules, key=lambda d: (d.meta.namespace or "", d.meta.name)
    ):
        if host_matches(dr.host, fqdn, dr.meta.ns):
            for s in dr.subsets:
                if s.name == name:
                    return dr, s.labels
    return None, None


def _targets(platform: Platform, vs: VirtualService, route: HttpRoute) -> tuple[Target, ...]:
    dests: tuple[RouteDestination, ...] = route.destinations
    if not dests:
        return ()
    weights = [d.weight or 0 for d in dests]
    total = sum(weights)
    out = []
    for d, w in zip(dests, weights, strict=True):
        if len(dests) == 1:
            share = 1.0
        elif total == 0:
            share = 1.0 / len(dests)
        else:
            share = w / total
        fqdn = normalize_host(d.host) if "." in d.host else host_fqdn(d.host, vs)
        svc = _service_for(platform, fqdn)
        problem = None
        labels: dict[str, str] = {}
        if d.subset is not None:
            _, got = _subset(platform, fqdn, d.subset)
            if got is None:
                problem = (
                    f"no DestinationRule for {fqdn} defines subset {d.subset!r}: "
                    "requests routed here get 503 (no healthy upstream)"
                )
            else:
                labels = got
        if svc is None and problem is None:
            problem = f"no Service {fqdn} in the platform (a ServiceEntry or another cluster?)"
        pods = (
            ()
            if d.subset is not None and problem is not None
            else _pods_of(platform, svc, labels, d.port)
        )
        out.append(Target(fqdn, d.subset, d.port, share, pods, problem))
    return tuple(out)


def host_fqdn(name: str, vs: VirtualService) -> str:
    return f"{name}.{vs.meta.ns}.{CLUSTER_DOMAIN}".lower()


def routes(platform: Platform, host: str, gateway: str = MESH_GATEWAY) -> RouteTable:
    """The routes sidecars (or ``gateway``) apply to traffic for ``host``, in order."""
    fqdn = normalize_host(host)
    matching = [
        vs
        for vs in sorted(
            platform.virtual_services, key=lambda v: (v.meta.namespace or "", v.meta.name)
        )
        if any(host_matches(h, fqdn, vs.meta.ns) for h in vs.hosts)
        and (gateway in (vs.gateways or (MESH_GATEWAY,)))
    ]
    out: list[Route] = []
    for vs in matching:
        name = f"{vs.meta.namespace}/{vs.meta.name}"
        for kind, rs in (("http", vs.http), ("tls", vs.tls), ("tcp", vs.tcp)):
            catch_all: int | None = None
            for i, r in enumerate(rs):
                out.append(
                    Route(
                        name,
                        kind,
                        i,
                        r.name,
                        r.matches,
                        _targets(platform, vs, r),
                        catch_all,
                        r.location,
                    )
                )
                if not r.matches and catch_all is None:
                    catch_all = i
    default: tuple[Target, ...] = ()
    if not matching:
        svc = _service_for(platform, fqdn)
        if svc is not None:
            default = (Target(fqdn, None, None, 1.0, _pods_of(platform, svc, {}, None)),)
    return RouteTable(
        fqdn,
        gateway,
        tuple(f"{v.meta.namespace}/{v.meta.name}" for v in matching),
        tuple(out),
        default,
    )
