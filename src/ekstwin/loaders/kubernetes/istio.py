"""Istio: AuthorizationPolicy, PeerAuthentication, VirtualService, DestinationRule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ekstwin.loaders.kubernetes.fields import (
    as_int,
    as_list,
    as_map,
    as_str,
    fail,
    line_at,
    req_str,
    str_list,
    str_map,
)
from ekstwin.loaders.kubernetes.objects import KindHandler
from ekstwin.model.k8s import Meta

if TYPE_CHECKING:  # the model of Istio is imported by the handlers, when a document is one
    from ekstwin.model.istio import (
        AuthorizationPolicy,
        DestinationRule,
        HttpRoute,
        PeerAuthentication,
        VirtualService,
        WorkloadSelector,
    )

__all__ = ["HANDLERS"]


def _workload_selector(raw: object, ptr: str) -> WorkloadSelector | None:
    from ekstwin.model.istio import WorkloadSelector

    if raw is None:
        return None
    return WorkloadSelector(str_map(as_map(raw, ptr).get("matchLabels"), f"{ptr}/matchLabels"))


def _authz(doc: dict[str, object], meta: Meta) -> AuthorizationPolicy:
    from ekstwin.model.istio import (
        AuthorizationPolicy,
        AuthzCondition,
        AuthzOperation,
        AuthzRule,
        AuthzSource,
        TargetRef,
    )

    spec = as_map(doc.get("spec"), "/spec")
    rules = []
    for i, rr in enumerate(as_list(spec.get("rules"), "/spec/rules")):
        rptr = f"/spec/rules/{i}"
        r = as_map(rr, rptr)
        sources = []
        for j, fr in enumerate(as_list(r.get("from"), f"{rptr}/from")):
            s = as_map(as_map(fr, f"{rptr}/from/{j}").get("source"), f"{rptr}/from/{j}/source")
            sp = f"{rptr}/from/{j}/source"
            sources.append(
                AuthzSource(
                    principals=str_list(s.get("principals"), f"{sp}/principals"),
                    not_principals=str_list(s.get("notPrincipals"), f"{sp}/notPrincipals"),
                    request_principals=str_list(s.get("requestPrincipals"), sp),
                    not_request_principals=str_list(s.get("notRequestPrincipals"), sp),
                    namespaces=str_list(s.get("namespaces"), f"{sp}/namespaces"),
                    not_namespaces=str_list(s.get("notNamespaces"), f"{sp}/notNamespaces"),
                    ip_blocks=str_list(s.get("ipBlocks"), f"{sp}/ipBlocks"),
                    not_ip_blocks=str_list(s.get("notIpBlocks"), f"{sp}/notIpBlocks"),
                    remote_ip_blocks=str_list(s.get("remoteIpBlocks"), sp),
                    not_remote_ip_blocks=str_list(s.get("notRemoteIpBlocks"), sp),
                    service_accounts=str_list(s.get("serviceAccounts"), sp),
                    not_service_accounts=str_list(s.get("notServiceAccounts"), sp),
                )
            )
        operations = []
        for j, to in enumerate(as_list(r.get("to"), f"{rptr}/to")):
            o = as_map(as_map(to, f"{rptr}/to/{j}").get("operation"), f"{rptr}/to/{j}/operation")
            op = f"{rptr}/to/{j}/operation"
            operations.append(
                AuthzOperation(
                    hosts=str_list(o.get("hosts"), f"{op}/hosts"),
                    not_hosts=str_list(o.get("notHosts"), f"{op}/notHosts"),
                    ports=str_list(o.get("ports"), f"{op}/ports"),
                    not_ports=str_list(o.get("notPorts"), f"{op}/notPorts"),
                    methods=str_list(o.get("methods"), f"{op}/methods"),
                    not_methods=str_list(o.get("notMethods"), f"{op}/notMethods"),
                    paths=str_list(o.get("paths"), f"{op}/paths"),
                    not_paths=str_list(o.get("notPaths"), f"{op}/notPaths"),
                )
            )
        conditions = []
        for j, w in enumerate(as_list(r.get("when"), f"{rptr}/when")):
            c = as_map(w, f"{rptr}/when/{j}")
            conditions.append(
                AuthzCondition(
                    key=req_str(c.get("key"), f"{rptr}/when/{j}/key"),
                    values=str_list(c.get("values"), f"{rptr}/when/{j}/values"),
                    not_values=str_list(c.get("notValues"), f"{rptr}/when/{j}/notValues"),
                )
            )
        rules.append(
            AuthzRule(
                sources=tuple(sources),
                operations=tuple(operations),
                conditions=tuple(conditions),
                location=line_at(meta, rptr),
            )
        )
    refs = []
    target_list = as_list(spec.get("targetRefs"), "/spec/targetRefs")
    if spec.get("targetRef") is not None:
        target_list = [spec["targetRef"], *target_list]
    for i, tr in enumerate(target_list):
        t = as_map(tr, f"/spec/targetRefs/{i}")
        refs.append(
            TargetRef(
                group=as_str(t.get("group"), "/spec/targetRefs") or "",
                kind=req_str(t.get("kind"), f"/spec/targetRefs/{i}/kind"),
                name=req_str(t.get("name"), f"/spec/targetRefs/{i}/name"),
                namespace=as_str(t.get("namespace"), f"/spec/targetRefs/{i}/namespace"),
            )
        )
    action = as_str(spec.get("action"), "/spec/action") or "ALLOW"
    if action not in ("ALLOW", "DENY", "AUDIT", "CUSTOM"):
        fail(
            f"/spec/action: unknown action {action!r}",
            "/spec/action",
            "use ALLOW, DENY, AUDIT or CUSTOM",
        )
    provider = as_map(spec.get("provider"), "/spec/provider").get("name")
    return AuthorizationPolicy(
        meta=meta,
        action=action,
        selector=_workload_selector(spec.get("selector"), "/spec/selector"),
        target_refs=tuple(refs),
        rules=tuple(rules),
        provider=as_str(provider, "/spec/provider/name"),
        has_rules_field="rules" in spec,
    )


def _peer_authn(doc: dict[str, object], meta: Meta) -> PeerAuthentication:
    from ekstwin.model.istio import PeerAuthentication

    spec = as_map(doc.get("spec"), "/spec")
    mtls = as_map(spec.get("mtls"), "/spec/mtls")
    port_level = {}
    for k, v in as_map(spec.get("portLevelMtls"), "/spec/portLevelMtls").items():
        port = as_int(k, f"/spec/portLevelMtls/{k}")
        if port is None:
            continue
        port_level[port] = (
            as_str(as_map(v, f"/spec/portLevelMtls/{k}").get("mode"), "/spec") or "UNSET"
        )
    md = as_map(doc.get("metadata"), "/metadata")
    return PeerAuthentication(
        meta=meta,
        selector=_workload_selector(spec.get("selector"), "/spec/selector"),
        mode=as_str(mtls.get("mode"), "/spec/mtls/mode"),
        port_level_mtls=port_level,
        created=as_str(md.get("creationTimestamp"), "/metadata/creationTimestamp"),
    )


def _routes(raw: object, ptr: str, meta: Meta) -> tuple[HttpRoute, ...]:
    from ekstwin.model.istio import HttpRoute, RouteDestination

    out = []
    for i, rr in enumerate(as_list(raw, ptr)):
        rptr = f"{ptr}/{i}"
        r = as_map(rr, rptr)
        dests = []
        for j, d in enumerate(as_list(r.get("route"), f"{rptr}/route")):
            dp = f"{rptr}/route/{j}"
            dm = as_map(d, dp)
            dest = as_map(dm.get("destination"), f"{dp}/destination")
            port = as_map(dest.get("port"), f"{dp}/destination/port")
            dests.append(
                RouteDestination(
                    host=req_str(dest.get("host"), f"{dp}/destination/host"),
                    subset=as_str(dest.get("subset"), f"{dp}/destination/subset"),
                    port=as_int(port.get("number"), f"{dp}/destination/port/number"),
                    weight=as_int(dm.get("weight"), f"{dp}/weight"),
                )
            )
        matches = tuple(
            as_map(m, f"{rptr}/match/{k}")
            for k, m in enumerate(as_list(r.get("match"), f"{rptr}/match"))
        )
        out.append(
            HttpRoute(
                name=as_str(r.get("name"), f"{rptr}/name"),
                matches=matches,
                destinations=tuple(dests),
                location=line_at(meta, rptr),
            )
        )
    return tuple(out)


def _virtual_service(doc: dict[str, object], meta: Meta) -> VirtualService:
    from ekstwin.model.istio import VirtualService

    spec = as_map(doc.get("spec"), "/spec")
    return VirtualService(
        meta=meta,
        hosts=str_list(spec.get("hosts"), "/spec/hosts"),
        gateways=str_list(spec.get("gateways"), "/spec/gateways"),
        http=_routes(spec.get("http"), "/spec/http", meta),
        tcp=_routes(spec.get("tcp"), "/spec/tcp", meta),
        tls=_routes(spec.get("tls"), "/spec/tls", meta),
        export_to=str_list(spec.get("exportTo"), "/spec/exportTo"),
    )


def _destination_rule(doc: dict[str, object], meta: Meta) -> DestinationRule:
    from ekstwin.model.istio import DestinationRule, Subset

    spec = as_map(doc.get("spec"), "/spec")
    subsets = tuple(
        Subset(
            name=req_str(as_map(s, f"/spec/subsets/{i}").get("name"), f"/spec/subsets/{i}/name"),
            labels=str_map(as_map(s, f"/spec/subsets/{i}").get("labels"), f"/spec/subsets/{i}"),
        )
        for i, s in enumerate(as_list(spec.get("subsets"), "/spec/subsets"))
    )
    tp = as_map(spec.get("trafficPolicy"), "/spec/trafficPolicy")
    tls = as_map(tp.get("tls"), "/spec/trafficPolicy/tls")
    return DestinationRule(
        meta=meta,
        host=req_str(spec.get("host"), "/spec/host"),
        subsets=subsets,
        tls_mode=as_str(tls.get("mode"), "/spec/trafficPolicy/tls/mode"),
        export_to=str_list(spec.get("exportTo"), "/spec/exportTo"),
    )


HANDLERS: dict[tuple[str, str], KindHandler] = {
    ("security.istio.io", "AuthorizationPolicy"): lambda objs, data, meta: (
        objs.authorization_policies.append(_authz(data, meta))
    ),
    ("security.istio.io", "PeerAuthentication"): lambda objs, data, meta: (
        objs.peer_authentications.append(_peer_authn(data, meta))
    ),
    ("networking.istio.io", "VirtualService"): lambda objs, data, meta: (
        objs.virtual_services.append(_virtual_service(data, meta))
    ),
    ("networking.istio.io", "DestinationRule"): lambda objs, data, meta: (
        objs.destination_rules.append(_destination_rule(data, meta))
    ),
}
