"""AdminNetworkPolicy and BaselineAdminNetworkPolicy (``policy.networking.k8s.io``)."""

from __future__ import annotations

import re

from ekstwin.loaders.kubernetes.fields import (
    as_int,
    as_list,
    as_map,
    as_str,
    fail,
    label_selector,
    line_at,
    protocol_of,
    req_str,
    str_list,
)
from ekstwin.loaders.kubernetes.kinds import ADMIN_POLICY_GROUP
from ekstwin.loaders.kubernetes.objects import KindHandler, in_groups
from ekstwin.model.adminpolicy import (
    BASELINE_NAME,
    PRIORITY_MAX,
    PRIORITY_MIN,
    AdminAction,
    AdminNetworkPolicy,
    AdminPeer,
    AdminPort,
    AdminRule,
    AdminSubject,
)
from ekstwin.model.k8s import Meta
from ekstwin.model.selectors import LabelSelector

__all__ = ["HANDLERS"]


_ADMIN_PEERS = {
    "ingress": ("namespaces", "pods"),
    "egress": ("namespaces", "pods", "nodes", "networks"),
}


def _one_of(raw: dict[str, object], allowed: tuple[str, ...], ptr: str, what: str) -> str:
    """The one key of ``raw`` among ``allowed``, as the CRD's one-of validation asks."""
    given = [k for k in raw if raw[k] is not None]
    unknown = [k for k in given if k not in allowed]
    if unknown:
        fail(
            f"{ptr}: {unknown[0]!r} is not a field of {what}",
            ptr,
            f"use one of {', '.join(allowed)}",
        )
    if len(given) != 1:
        fail(
            f"{ptr}: {what} needs exactly one of {', '.join(allowed)} (has {len(given)})",
            ptr,
            "split it into one entry per kind",
        )
    return given[0]


def _namespaced_pod(raw: object, ptr: str) -> tuple[LabelSelector, LabelSelector]:
    m = as_map(raw, ptr)
    for key in ("namespaceSelector", "podSelector"):
        if key not in m:
            fail(f"{ptr}/{key} is required", f"{ptr}/{key}", "write {} to select all")
    return (
        label_selector(m.get("namespaceSelector"), f"{ptr}/namespaceSelector"),
        label_selector(m.get("podSelector"), f"{ptr}/podSelector"),
    )


def _admin_peer(raw: object, ptr: str, direction: str) -> AdminPeer:
    m = as_map(raw, ptr)
    key = _one_of(m, _ADMIN_PEERS[direction], ptr, f"an {direction} peer")
    if key == "namespaces":
        return AdminPeer(namespaces=label_selector(m[key], f"{ptr}/namespaces"))
    if key == "pods":
        ns, pods = _namespaced_pod(m[key], f"{ptr}/pods")
        return AdminPeer(namespace_selector=ns, pod_selector=pods)
    if key == "nodes":
        return AdminPeer(nodes=label_selector(m[key], f"{ptr}/nodes"))
    nets = str_list(m[key], f"{ptr}/networks")
    if not nets:
        fail(f"{ptr}/networks needs at least one CIDR", f"{ptr}/networks")
    for i, net in enumerate(nets):
        if not _CIDR.fullmatch(net):
            fail(f"{ptr}/networks/{i}: {net!r} is not a CIDR", f"{ptr}/networks/{i}")
    return AdminPeer(networks=nets)


_CIDR = re.compile(r"\d{1,3}(\.\d{1,3}){3}/\d{1,2}|[0-9a-fA-F:]+/\d{1,3}")


def _admin_port_number(value: object, ptr: str) -> int:
    n = as_int(value, ptr)
    if n is None:
        fail(f"{ptr} is required", ptr)
    if not 1 <= n <= 65535:
        fail(f"{ptr}: {n} is not a port (1-65535)", ptr)
    return n


def _admin_port(raw: object, ptr: str) -> AdminPort:
    m = as_map(raw, ptr)
    key = _one_of(m, ("portNumber", "portRange", "namedPort"), ptr, "a port")
    if key == "namedPort":
        return AdminPort(name=req_str(m[key], f"{ptr}/namedPort"))
    sub = as_map(m[key], f"{ptr}/{key}")
    proto = protocol_of(sub.get("protocol"), f"{ptr}/{key}/protocol")
    if key == "portNumber":
        n = _admin_port_number(sub.get("port"), f"{ptr}/portNumber/port")
        return AdminPort(proto, n, n)
    start = _admin_port_number(sub.get("start"), f"{ptr}/portRange/start")
    end = _admin_port_number(sub.get("end"), f"{ptr}/portRange/end")
    if start >= end:
        fail(f"{ptr}/portRange: start {start} must be below end {end}", f"{ptr}/portRange")
    return AdminPort(proto, start, end)


def _admin_rules(
    raw: object, ptr: str, meta: Meta, direction: str, actions: tuple[AdminAction, ...]
) -> tuple[AdminRule, ...]:
    rules = as_list(raw, ptr)
    if len(rules) > 100:
        fail(f"{ptr}: {len(rules)} rules, at most 100 are allowed", ptr)
    peers_key = "from" if direction == "ingress" else "to"
    out = []
    for i, rr in enumerate(rules):
        rptr = f"{ptr}/{i}"
        r = as_map(rr, rptr)
        text = req_str(r.get("action"), f"{rptr}/action")
        if text not in [a.value for a in actions]:
            fail(
                f"{rptr}/action: unknown action {text!r}",
                f"{rptr}/action",
                f"use {', '.join(a.value for a in actions)}",
            )
        peers_raw = as_list(r.get(peers_key), f"{rptr}/{peers_key}")
        if not peers_raw:
            fail(f"{rptr}/{peers_key} needs at least one peer", f"{rptr}/{peers_key}")
        peers = tuple(
            _admin_peer(p, f"{rptr}/{peers_key}/{j}", direction) for j, p in enumerate(peers_raw)
        )
        ports = None
        if r.get("ports") is not None:
            ports_raw = as_list(r.get("ports"), f"{rptr}/ports")
            if not ports_raw:
                fail(f"{rptr}/ports needs at least one port when given", f"{rptr}/ports")
            ports = tuple(_admin_port(p, f"{rptr}/ports/{j}") for j, p in enumerate(ports_raw))
            if any(p.name for p in ports) and any(p.nodes or p.networks for p in peers):
                fail(
                    f"{rptr}: a namedPort cannot be combined with nodes or networks peers",
                    f"{rptr}/ports",
                    "use portNumber or portRange",
                )
        out.append(
            AdminRule(
                name=as_str(r.get("name"), f"{rptr}/name") or "",
                action=AdminAction(text),
                peers=peers,
                ports=ports,
                source=line_at(meta, rptr),
            )
        )
    return tuple(out)


def _admin_policy(doc: dict[str, object], meta: Meta, *, baseline: bool) -> AdminNetworkPolicy:
    spec = as_map(doc.get("spec"), "/spec")
    priority = None
    actions: tuple[AdminAction, ...] = (AdminAction.ALLOW, AdminAction.DENY)
    if baseline:
        if meta.name != BASELINE_NAME:
            fail(
                f"a BaselineAdminNetworkPolicy must be named {BASELINE_NAME!r}, not {meta.name!r}",
                "/metadata/name",
                "there is one per cluster: rename it default",
            )
    else:
        actions = (*actions, AdminAction.PASS)
        priority = as_int(spec.get("priority"), "/spec/priority")
        if priority is None:
            fail("/spec/priority is required", "/spec/priority")
        if not PRIORITY_MIN <= priority <= PRIORITY_MAX:
            fail(
                f"/spec/priority: {priority} is out of range",
                "/spec/priority",
                f"use {PRIORITY_MIN}-{PRIORITY_MAX} (lower goes first)",
            )
    subject = as_map(spec.get("subject"), "/spec/subject")
    if not subject:
        fail("/spec/subject is required", "/spec/subject", "give namespaces or pods")
    key = _one_of(subject, ("namespaces", "pods"), "/spec/subject", "a subject")
    if key == "namespaces":
        subj = AdminSubject(label_selector(subject[key], "/spec/subject/namespaces"))
    else:
        ns, pods = _namespaced_pod(subject[key], "/spec/subject/pods")
        subj = AdminSubject(ns, pods)
    return AdminNetworkPolicy(
        meta=meta,
        subject=subj,
        ingress=_admin_rules(spec.get("ingress"), "/spec/ingress", meta, "ingress", actions),
        egress=_admin_rules(spec.get("egress"), "/spec/egress", meta, "egress", actions),
        priority=priority,
        baseline=baseline,
    )


HANDLERS: dict[tuple[str, str], KindHandler] = in_groups(
    (ADMIN_POLICY_GROUP,),
    {
        "AdminNetworkPolicy": lambda objs, data, meta: objs.admin_network_policies.append(
            _admin_policy(data, meta, baseline=False)
        ),
        "BaselineAdminNetworkPolicy": lambda objs, data, meta: objs.admin_network_policies.append(
            _admin_policy(data, meta, baseline=True)
        ),
    },
)
