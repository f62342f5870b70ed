"""net: pod-to-pod reachability under Kubernetes NetworkPolicy and Calico policy.

Public API::

    model = NetModel(platform)                  # compile once
    can(model, "shop/web-0", "shop/db-0", 5432) # -> Verdict (or ServiceVerdict)
    matrix(model, Granularity.NAMESPACE)        # -> Matrix
    diff(old_model, new_model)                  # -> NetDiff

See docs/net.md for the semantics and the JSON shapes.
"""

from __future__ import annotations

from ekstwin.engines.net.connections import ConnectionSet
from ekstwin.engines.net.endpoints import IMDS_ADDRESS, INTERNET_ADDRESS, Endpoint, EndpointKind
from ekstwin.engines.net.engine import (
    Decision,
    NetModel,
    NetQueryError,
    Reason,
    ServiceVerdict,
    Verdict,
)
from ekstwin.engines.net.matrix import Flow, Granularity, Matrix, matrix
from ekstwin.model.k8s import Protocol, Service
from ekstwin.model.platform import Platform

__all__ = [
    "ConnectionSet",
    "Decision",
    "Endpoint",
    "EndpointKind",
    "Flow",
    "Granularity",
    "Matrix",
    "NetModel",
    "NetQueryError",
    "Reason",
    "ServiceVerdict",
    "Verdict",
    "can",
    "matrix",
    "resolve_endpoint",
    "service_backends",
]

_ALIASES = {"internet": INTERNET_ADDRESS, "imds": IMDS_ADDRESS, "metadata": IMDS_ADDRESS}
_DNS_SERVICE = "kube-system/svc/kube-dns"


def resolve_endpoint(model: NetModel, spec: str) -> Endpoint | Service:
    """``NS/POD``, ``NS/svc/NAME``, a workload (``NS/deployment/NAME``, or ``NS/NAME``
    naming one workload: the first of its pods), an IPv4 address, ``node/NAME``, or an alias:
    ``internet`` (203.0.113.1), ``imds`` (169.254.169.254), ``coredns``."""
    text = spec.strip()
    low = text.lower()
    if low in _ALIASES:
        return model.address_endpoint(_ALIASES[low])
    if low in ("coredns", "dns", "kube-dns"):
        text = _DNS_SERVICE
    parts = text.split("/")
    if len(parts) == 3 and parts[1] in ("svc", "service"):
        svc = model.platform.service(parts[0], parts[2])
        if svc is None:
            raise NetQueryError(f"no Service {parts[0]}/{parts[2]} in the platform")
        return svc
    if len(parts) == 2 and parts[0] == "node":
        ip = model.node_ip_by_name.get(parts[1])
        if ip is None:
            raise NetQueryError(f"node {parts[1]!r} has no known address")
        return model.address_endpoint(ip)
    if len(parts) == 2 and text in model.endpoints:
        return model.endpoints[text]
    if len(parts) in (2, 3):
        return _workload_pod(model, text)
    return model.address_endpoint(text)


def _workload_pod(model: NetModel, spec: str) -> Endpoint:
    """A workload named as ``NS/KIND/NAME`` or ``NS/NAME``: the first of its pods."""
    pod, note = model.platform.workload_pod(spec)
    if pod is None:
        raise NetQueryError(note)
    ep = model.endpoints.get(pod.key)
    if ep is None:
        raise NetQueryError(f"pod {pod.key} of {spec} has no endpoint (host network?)")
    return ep


def _service_backends(
    model: NetModel, svc: Service, port: int, protocol: str
) -> tuple[list[tuple[Endpoint, int]], str | None]:
    sp = svc.port(port, protocol)
    if sp is None:
        return [], f"Service has no {protocol} port {port}"
    found = svc.backends(sp, model.platform.pods_in(svc.meta.ns))  # it selects its own only
    if found is None:
        return [], "Service has no selector (its endpoints are not modelled)"
    out = [(model.endpoints[pod.key], target) for pod, target in found]
    return out, None if out else "no ready backend pod matches the Service selector and port"


def service_backends(
    model: NetModel, svc: Service, port: int, protocol: str
) -> tuple[list[tuple[Endpoint, int]], str | None]:
    """A Service's backend pods at their target port for ``port``/``protocol``,
    or none and why."""
    return _service_backends(model, svc, port, protocol)


def can(
    target: NetModel | Platform,
    source: str,
    destination: str,
    port: int,
    protocol: str = "TCP",
) -> Verdict | ServiceVerdict:
    """May ``source`` open a connection to ``destination`` on ``protocol``/``port``?"""
    model = target if isinstance(target, NetModel) else NetModel(target)
    proto = protocol.upper()
    if proto not in ("TCP", "UDP", "SCTP", "ICMP"):
        raise NetQueryError(f"unknown protocol {protocol!r} (TCP, UDP, SCTP or ICMP)")
    src = resolve_endpoint(model, source)
    if isinstance(src, Service):
        raise NetQueryError("a Service cannot be the source of a flow")
    dst = resolve_endpoint(model, destination)
    if isinstance(dst, Service):
        name = f"{dst.meta.namespace}/svc/{dst.meta.name}"
        if proto not in {p.value for p in Protocol}:
            raise NetQueryError("Services carry TCP, UDP or SCTP only")
        backends, problem = _service_backends(model, dst, port, proto)
        verdicts = tuple(model.verdict(src, ep, proto, tp) for ep, tp in backends)
        return ServiceVerdict(src.name, name, proto, port, verdicts, problem)
    return model.verdict(src, dst, proto, port)
