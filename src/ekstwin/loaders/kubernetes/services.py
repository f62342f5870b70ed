"""Services, Ingresses and IngressClasses."""

from __future__ import annotations

from ekstwin.loaders.kubernetes.fields import (
    as_int,
    as_list,
    as_map,
    as_str,
    enum_value,
    fail,
    port_in_range,
    port_or_name,
    port_value,
    protocol_of,
    req_str,
    str_list,
    str_map,
    unknown_fields,
)
from ekstwin.loaders.kubernetes.kinds import CORE_GROUPS
from ekstwin.loaders.kubernetes.objects import KindHandler, in_groups
from ekstwin.model.k8s import (
    Ingress,
    IngressBackend,
    IngressClass,
    IngressPath,
    IngressRule,
    IngressTls,
    Meta,
    Service,
    ServicePort,
)

__all__ = ["HANDLERS"]


_SERVICE_PORT_FIELDS = frozenset(
    {"name", "protocol", "appProtocol", "port", "targetPort", "nodePort"}
)


def _service(doc: dict[str, object], meta: Meta) -> Service:
    spec = as_map(doc.get("spec"), "/spec")
    ports = []
    for i, raw in enumerate(as_list(spec.get("ports"), "/spec/ports")):
        ptr = f"/spec/ports/{i}"
        p = as_map(raw, ptr)
        if unknown_fields(p, _SERVICE_PORT_FIELDS, ptr, "that port was left out"):
            continue
        port = port_in_range(as_int(p.get("port"), f"{ptr}/port"), f"{ptr}/port")
        if port is None:
            fail(f"{ptr}/port is required", f"{ptr}/port")
        target = port_value(p.get("targetPort"), f"{ptr}/targetPort")
        if target in (0, ""):
            target = None  # the API server defaults it to the port
        target = port_or_name(target, f"{ptr}/targetPort")
        ports.append(
            ServicePort(
                port=port,
                target_port=port if target is None else target,
                protocol=protocol_of(p.get("protocol"), f"{ptr}/protocol"),
                name=as_str(p.get("name"), f"{ptr}/name"),
                node_port=port_in_range(
                    as_int(p.get("nodePort"), f"{ptr}/nodePort"), f"{ptr}/nodePort", zero=True
                ),
            )
        )
    selector = spec.get("selector")
    lb = as_map(as_map(doc.get("status"), "/status").get("loadBalancer"), "/status/loadBalancer")
    hostnames = tuple(
        str(e.get("hostname") or e.get("ip"))
        for e in as_list(lb.get("ingress"), "/status/loadBalancer/ingress")
        if isinstance(e, dict) and (e.get("hostname") or e.get("ip"))
    )
    return Service(
        meta=meta,
        type=enum_value(
            as_str(spec.get("type"), "/spec/type"),
            ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"),
            "/spec/type",
        )
        or "ClusterIP",
        selector=str_map(selector, "/spec/selector") if selector is not None else None,
        ports=tuple(ports),
        cluster_ip=as_str(spec.get("clusterIP"), "/spec/clusterIP"),
        external_name=as_str(spec.get("externalName"), "/spec/externalName"),
        load_balancer_hostnames=hostnames,
        load_balancer_class=as_str(spec.get("loadBalancerClass"), "/spec/loadBalancerClass"),
        ip_families=tuple(
            req_str(f, f"/spec/ipFamilies/{i}")
            for i, f in enumerate(as_list(spec.get("ipFamilies"), "/spec/ipFamilies"))
        ),
    )


def _backend(raw: object, ptr: str) -> IngressBackend:
    b = as_map(raw, ptr)
    svc = b.get("service")
    if isinstance(svc, dict):
        port = as_map(svc.get("port"), f"{ptr}/service/port")
        number = as_int(port.get("number"), f"{ptr}/service/port/number")
        return IngressBackend(
            service_name=as_str(svc.get("name"), f"{ptr}/service/name"),
            service_port=number if number is not None else as_str(port.get("name"), ptr),
        )
    if "serviceName" in b:  # networking.k8s.io/v1beta1, extensions/v1beta1
        return IngressBackend(
            service_name=as_str(b.get("serviceName"), f"{ptr}/serviceName"),
            service_port=port_value(b.get("servicePort"), f"{ptr}/servicePort"),
        )
    resource = b.get("resource")
    return IngressBackend(
        service_name=None,
        service_port=None,
        resource=str_map(resource, f"{ptr}/resource") if resource is not None else None,
    )


def _ingress(doc: dict[str, object], meta: Meta) -> Ingress:
    spec = as_map(doc.get("spec"), "/spec")
    rules = []
    for i, raw in enumerate(as_list(spec.get("rules"), "/spec/rules")):
        ptr = f"/spec/rules/{i}"
        r = as_map(raw, ptr)
        http = as_map(r.get("http"), f"{ptr}/http")
        paths = []
        for j, rp in enumerate(as_list(http.get("paths"), f"{ptr}/http/paths")):
            pptr = f"{ptr}/http/paths/{j}"
            p = as_map(rp, pptr)
            paths.append(
                IngressPath(
                    path=as_str(p.get("path"), f"{pptr}/path"),
                    path_type=enum_value(
                        as_str(p.get("pathType"), f"{pptr}/pathType"),
                        ("Exact", "Prefix", "ImplementationSpecific"),
                        f"{pptr}/pathType",
                    )
                    or "ImplementationSpecific",
                    backend=_backend(p.get("backend"), f"{pptr}/backend"),
                    pointer=pptr,
                )
            )
        rules.append(IngressRule(host=as_str(r.get("host"), f"{ptr}/host"), paths=tuple(paths)))
    tls = tuple(
        IngressTls(
            hosts=str_list(as_map(t, f"/spec/tls/{i}").get("hosts"), f"/spec/tls/{i}/hosts"),
            secret_name=as_str(as_map(t, f"/spec/tls/{i}").get("secretName"), f"/spec/tls/{i}"),
        )
        for i, t in enumerate(as_list(spec.get("tls"), "/spec/tls"))
    )
    default = spec.get("defaultBackend", spec.get("backend"))
    lb = as_map(as_map(doc.get("status"), "/status").get("loadBalancer"), "/status/loadBalancer")
    hostnames = tuple(
        str(e.get("hostname") or e.get("ip"))
        for e in as_list(lb.get("ingress"), "/status/loadBalancer/ingress")
        if isinstance(e, dict) and (e.get("hostname") or e.get("ip"))
    )
    return Ingress(
        meta=meta,
        ingress_class_name=as_str(spec.get("ingressClassName"), "/spec/ingressClassName"),
        rules=tuple(rules),
        tls=tls,
        default_backend=_backend(default, "/spec/defaultBackend") if default else None,
        status_hostnames=hostnames,
    )


def _ingress_class(doc: dict[str, object], meta: Meta) -> IngressClass:
    spec = as_map(doc.get("spec"), "/spec")
    params = spec.get("parameters")
    return IngressClass(
        meta=meta,
        controller=as_str(spec.get("controller"), "/spec/controller") or "",
        parameters=str_map(params, "/spec/parameters") if params is not None else None,
        is_default=meta.annotations.get("ingressclass.kubernetes.io/is-default-class") == "true",
    )


HANDLERS: dict[tuple[str, str], KindHandler] = in_groups(
    CORE_GROUPS,
    {
        "Service": lambda objs, data, meta: objs.services.append(_service(data, meta)),
        "Ingress": lambda objs, data, meta: objs.ingresses.append(_ingress(data, meta)),
        "IngressClass": lambda objs, data, meta: objs.ingress_classes.append(
            _ingress_class(data, meta)
        ),
    },
)
