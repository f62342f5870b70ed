"""Calico: NetworkPolicy and GlobalNetworkPolicy (with their selector
expressions, checked as Calico's API validation checks them), NetworkSet,
GlobalNetworkSet and Tier, in ``projectcalico.org`` and ``crd.projectcalico.org``."""

from __future__ import annotations

import re

from ekstwin.errors import SelectorSyntaxError
from ekstwin.loaders.kubernetes.fields import (
    InvalidDocument,
    as_bool,
    as_int,
    as_list,
    as_map,
    as_str,
    fail,
    line_at,
    req_str,
    str_list,
)
from ekstwin.loaders.kubernetes.kinds import CALICO_GROUPS
from ekstwin.loaders.kubernetes.objects import KindHandler, in_groups
from ekstwin.model.calico import (
    DEFAULT_TIER,
    Action,
    CalicoPolicy,
    CalicoPort,
    CalicoRule,
    EntityRule,
    HttpMatch,
    IcmpMatch,
    NetworkSet,
    PolicyScope,
    ServiceAccountMatch,
    ServiceMatch,
    Tier,
)
from ekstwin.model.k8s import Meta
from ekstwin.model.selectors import Selector, parse_calico_selector

__all__ = ["HANDLERS"]


def _calico_selector(value: object, pointer: str) -> Selector:
    text = as_str(value, pointer) or ""
    try:
        return parse_calico_selector(text)
    except SelectorSyntaxError as exc:
        fail(
            f"{pointer}: selector does not parse: {exc.reason} at column {exc.column} in {text!r}",
            pointer,
            "fix the Calico selector expression (see the Calico selector reference)",
        )


def _field_selector(value: object, pointer: str) -> Selector | None:
    """An optional selector field of Calico's API: an omitempty string, so an
    empty string is the same as an absent field (libcalico-go acts only on
    non-empty values when it converts rules and policies)."""
    if value is None or value == "":
        return None
    return _calico_selector(value, pointer)


_ONLY_GLOBAL = re.compile(r"\s*global\(\s*\)\s*")


_GLOBAL_HINT = "use global() only as a rule's whole source/destination namespaceSelector"


def _no_global(value: object, pointer: str) -> None:
    """Calico's API validation: ``global()`` may appear only in an EntityRule's
    namespaceSelector (it rejects the text ``global(`` anywhere else)."""
    if isinstance(value, str) and "global(" in value:
        fail(
            f"{pointer}: global() can only be used in a rule's namespaceSelector",
            pointer,
            _GLOBAL_HINT,
        )


def _global_alone(value: object, pointer: str) -> None:
    """Calico's API validation: a namespaceSelector holding ``global()`` holds nothing else."""
    if isinstance(value, str) and "global(" in value and not _ONLY_GLOBAL.fullmatch(value):
        fail(f"{pointer}: global() cannot be combined with other selectors", pointer, _GLOBAL_HINT)


def _calico_ports(raw: object, ptr: str) -> tuple[CalicoPort, ...]:
    out = []
    for i, v in enumerate(as_list(raw, ptr)):
        p = f"{ptr}/{i}"
        if isinstance(v, int) and not isinstance(v, bool):
            out.append(CalicoPort(v, v))
        elif isinstance(v, str):
            if ":" in v:
                lo, _, hi = v.partition(":")
                if not (lo.isdigit() and hi.isdigit()) or int(lo) > int(hi):
                    fail(f"{p}: bad port range {v!r}", p, "write ranges as 'first:last'")
                out.append(CalicoPort(int(lo), int(hi)))
            elif v.isdigit():
                out.append(CalicoPort(int(v), int(v)))
            else:
                out.append(CalicoPort(name=v))
        else:
            fail(f"{p}: a port is a number, 'first:last' or a name", p)
    return tuple(out)


def _entity(raw: object, ptr: str) -> EntityRule:
    e = as_map(raw, ptr)
    _no_global(e.get("selector"), f"{ptr}/selector")
    _global_alone(e.get("namespaceSelector"), f"{ptr}/namespaceSelector")
    sa = e.get("serviceAccounts")
    sa_match = None
    if sa is not None:
        s = as_map(sa, f"{ptr}/serviceAccounts")
        sa_match = ServiceAccountMatch(
            names=str_list(s.get("names"), f"{ptr}/serviceAccounts/names"),
            selector=_field_selector(s.get("selector"), f"{ptr}/serviceAccounts/selector"),
        )
        if not sa_match.names and sa_match.selector is None:
            sa_match = None  # neither names nor a selector: libcalico-go adds no match
    svc = e.get("services")
    svc_match = None
    if svc is not None:
        s = as_map(svc, f"{ptr}/services")
        svc_match = ServiceMatch(
            name=req_str(s.get("name"), f"{ptr}/services/name"),
            namespace=as_str(s.get("namespace"), f"{ptr}/services/namespace"),
        )
    return EntityRule(
        nets=str_list(e.get("nets"), f"{ptr}/nets"),
        not_nets=str_list(e.get("notNets"), f"{ptr}/notNets"),
        selector=_field_selector(e.get("selector"), f"{ptr}/selector"),
        not_selector=_field_selector(e.get("notSelector"), f"{ptr}/notSelector"),
        namespace_selector=_field_selector(e.get("namespaceSelector"), f"{ptr}/namespaceSelector"),
        ports=_calico_ports(e.get("ports"), f"{ptr}/ports"),
        not_ports=_calico_ports(e.get("notPorts"), f"{ptr}/notPorts"),
        service_accounts=sa_match,
        services=svc_match,
    )


def _icmp(raw: object, ptr: str) -> IcmpMatch | None:
    if raw is None:
        return None
    m = as_map(raw, ptr)
    return IcmpMatch(
        type=as_int(m.get("type"), f"{ptr}/type"), code=as_int(m.get("code"), f"{ptr}/code")
    )


def _protocol_field(raw: object, ptr: str) -> str | int | None:
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        return int(raw) if raw.isdigit() else raw.upper() if raw.lower() != "icmpv6" else "ICMPv6"
    fail(f"{ptr}: a protocol is a name or a number", ptr)


def _calico_rules(raw: object, ptr: str, meta: Meta) -> tuple[CalicoRule, ...]:
    out = []
    for i, rr in enumerate(as_list(raw, ptr)):
        rptr = f"{ptr}/{i}"
        r = as_map(rr, rptr)
        action_text = req_str(r.get("action"), f"{rptr}/action")
        action_norm = {"next-tier": "Pass"}.get(action_text.lower(), action_text.capitalize())
        try:
            action = Action(action_norm)
        except ValueError:
            fail(
                f"{rptr}/action: unknown action {action_text!r}",
                f"{rptr}/action",
                "use Allow, Deny, Log or Pass",
            )
        http = r.get("http")
        http_match = None
        if http is not None:
            h = as_map(http, f"{rptr}/http")
            paths = []
            for j, pv in enumerate(as_list(h.get("paths"), f"{rptr}/http/paths")):
                pm = as_map(pv, f"{rptr}/http/paths/{j}")
                for k, v in pm.items():
                    paths.append((str(k), str(v)))
            http_match = HttpMatch(
                methods=str_list(h.get("methods"), f"{rptr}/http/methods"), paths=tuple(paths)
            )
        out.append(
            CalicoRule(
                action=action,
                protocol=_protocol_field(r.get("protocol"), f"{rptr}/protocol"),
                not_protocol=_protocol_field(r.get("notProtocol"), f"{rptr}/notProtocol"),
                icmp=_icmp(r.get("icmp"), f"{rptr}/icmp"),
                not_icmp=_icmp(r.get("notICMP"), f"{rptr}/notICMP"),
                ip_version=as_int(r.get("ipVersion"), f"{rptr}/ipVersion"),
                source=_entity(r.get("source"), f"{rptr}/source"),
                destination=_entity(r.get("destination"), f"{rptr}/destination"),
                http=http_match,
                location=line_at(meta, rptr),
            )
        )
    return tuple(out)


def _order(raw: object, ptr: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        fail(f"{ptr} must be a number", ptr)
    try:
        return float(raw)
    except ValueError as exc:
        raise InvalidDocument(f"{ptr} must be a number, not {raw!r}", ptr) from exc


def _calico_policy(doc: dict[str, object], meta: Meta, scope: PolicyScope) -> CalicoPolicy:
    spec = as_map(doc.get("spec"), "/spec")
    ingress = _calico_rules(spec.get("ingress"), "/spec/ingress", meta)
    egress = _calico_rules(spec.get("egress"), "/spec/egress", meta)
    declared = spec.get("types")
    if declared is None or declared == []:
        # Calico's API defaulting treats an empty list like an absent field.
        types: list[str] = []
        if ingress or not egress:
            types.append("Ingress")
        if egress:
            types.append("Egress")
        declared_types = None
    else:
        declared_types = str_list(declared, "/spec/types")
        for t in declared_types:
            if t not in ("Ingress", "Egress"):
                fail(f"/spec/types: unknown type {t!r}", "/spec/types", "use Ingress or Egress")
        types = [t for t in ("Ingress", "Egress") if t in declared_types]
    tier = as_str(spec.get("tier"), "/spec/tier") or DEFAULT_TIER
    _no_global(spec.get("selector"), "/spec/selector")
    _no_global(spec.get("serviceAccountSelector"), "/spec/serviceAccountSelector")
    ns_sel = None
    if scope is PolicyScope.GLOBAL:
        _no_global(spec.get("namespaceSelector"), "/spec/namespaceSelector")
        ns_sel = _field_selector(spec.get("namespaceSelector"), "/spec/namespaceSelector")
    return CalicoPolicy(
        meta=meta,
        scope=scope,
        tier=tier,
        order=_order(spec.get("order"), "/spec/order"),
        selector=_calico_selector(spec.get("selector"), "/spec/selector"),
        types=tuple(types),
        ingress=ingress,
        egress=egress,
        namespace_selector=ns_sel,
        service_account_selector=_field_selector(
            spec.get("serviceAccountSelector"), "/spec/serviceAccountSelector"
        ),
        declared_types=declared_types,
        do_not_track=bool(as_bool(spec.get("doNotTrack"), "/spec/doNotTrack", False)),
        pre_dnat=bool(as_bool(spec.get("preDNAT"), "/spec/preDNAT", False)),
        apply_on_forward=bool(as_bool(spec.get("applyOnForward"), "/spec/applyOnForward", False)),
    )


def _network_set(doc: dict[str, object], meta: Meta, is_global: bool) -> NetworkSet:
    spec = as_map(doc.get("spec"), "/spec")
    return NetworkSet(
        meta=meta,
        nets=str_list(spec.get("nets"), "/spec/nets"),
        is_global=is_global,
        allowed_egress_domains=str_list(
            spec.get("allowedEgressDomains"), "/spec/allowedEgressDomains"
        ),
    )


def _tier(doc: dict[str, object], meta: Meta) -> Tier:
    spec = as_map(doc.get("spec"), "/spec")
    action_text = as_str(spec.get("defaultAction"), "/spec/defaultAction") or "Deny"
    if action_text not in ("Deny", "Pass"):
        fail(f"/spec/defaultAction: {action_text!r}", "/spec/defaultAction", "use Deny or Pass")
    return Tier(
        meta=meta,
        order=_order(spec.get("order"), "/spec/order"),
        default_action=Action(action_text),
    )


HANDLERS: dict[tuple[str, str], KindHandler] = in_groups(
    CALICO_GROUPS,
    {
        "NetworkPolicy": lambda objs, data, meta: objs.calico_policies.append(
            _calico_policy(data, meta, PolicyScope.NAMESPACED)
        ),
        "GlobalNetworkPolicy": lambda objs, data, meta: objs.calico_policies.append(
            _calico_policy(data, meta, PolicyScope.GLOBAL)
        ),
        "NetworkSet": lambda objs, data, meta: objs.network_sets.append(
            _network_set(data, meta, is_global=False)
        ),
        "GlobalNetworkSet": lambda objs, data, meta: objs.network_sets.append(
            _network_set(data, meta, is_global=True)
        ),
        "Tier": lambda objs, data, meta: objs.tiers.append(_tier(data, meta)),
    },
)
