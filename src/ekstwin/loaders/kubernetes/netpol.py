"""Kubernetes NetworkPolicy."""

from __future__ import annotations

import functools
import ipaddress
import re

from ekstwin.loaders.kubernetes.fields import (
    as_int,
    as_list,
    as_map,
    fail,
    label_selector,
    line_at,
    port_in_range,
    port_or_name,
    port_value,
    protocol_of,
    req_str,
    str_list,
    unknown_fields,
)
from ekstwin.loaders.kubernetes.kinds import CORE_GROUPS
from ekstwin.loaders.kubernetes.objects import KindHandler, in_groups
from ekstwin.model.k8s import IpBlock, Meta, NetpolPeer, NetpolPort, NetpolRule, NetworkPolicy

__all__ = ["HANDLERS"]


_NETPOL_PORT_FIELDS = frozenset({"protocol", "port", "endPort"})


_NETPOL_PEER_FIELDS = frozenset({"podSelector", "namespaceSelector", "ipBlock"})


def _netpol_rules(raw: object, ptr: str, peers_key: str, meta: Meta) -> tuple[NetpolRule, ...]:
    out = []
    for i, rr in enumerate(as_list(raw, ptr)):
        rptr = f"{ptr}/{i}"
        r = as_map(rr, rptr)
        peers = []
        # A rule loses no single peer or port: an empty list would widen it to
        # every peer or every port. The whole rule is left out instead.
        skip_rule = False
        for j, rpeer in enumerate(as_list(r.get(peers_key), f"{rptr}/{peers_key}")):
            pptr = f"{rptr}/{peers_key}/{j}"
            peer = as_map(rpeer, pptr)
            if unknown_fields(peer, _NETPOL_PEER_FIELDS, pptr, "the whole rule was left out"):
                skip_rule = True
                continue
            block = peer.get("ipBlock")
            ip_block = None
            if block is not None:
                b = as_map(block, f"{pptr}/ipBlock")
                ip_block = IpBlock(
                    cidr=req_str(b.get("cidr"), f"{pptr}/ipBlock/cidr"),
                    except_=str_list(b.get("except"), f"{pptr}/ipBlock/except"),
                )
                _check_ip_block(ip_block, f"{pptr}/ipBlock")
                if "podSelector" in peer or "namespaceSelector" in peer:
                    fail(
                        f"{pptr}: ipBlock cannot be combined with podSelector or namespaceSelector",
                        pptr,
                        "split it into separate peers",
                    )
            ps = peer.get("podSelector")
            ns = peer.get("namespaceSelector")
            if ip_block is None and ps is None and ns is None:
                fail(f"{pptr}: a peer needs podSelector, namespaceSelector or ipBlock", pptr)
            peers.append(
                NetpolPeer(
                    pod_selector=label_selector(ps, f"{pptr}/podSelector")
                    if ps is not None
                    else None,
                    namespace_selector=label_selector(ns, f"{pptr}/namespaceSelector")
                    if ns is not None
                    else None,
                    ip_block=ip_block,
                )
            )
        ports = []
        for j, rport in enumerate(as_list(r.get("ports"), f"{rptr}/ports")):
            pptr = f"{rptr}/ports/{j}"
            p = as_map(rport, pptr)
            if unknown_fields(p, _NETPOL_PORT_FIELDS, pptr, "the whole rule was left out"):
                skip_rule = True
                continue
            port = port_or_name(port_value(p.get("port"), f"{pptr}/port"), f"{pptr}/port")
            end = port_in_range(as_int(p.get("endPort"), f"{pptr}/endPort"), f"{pptr}/endPort")
            if end is not None and not isinstance(port, int):
                fail(f"{pptr}: endPort needs a numeric port", pptr)
            if end is not None and isinstance(port, int) and end < port:
                fail(f"{pptr}: endPort {end} is below port {port}", pptr)
            ports.append(
                NetpolPort(
                    protocol=protocol_of(p.get("protocol"), f"{pptr}/protocol"),
                    port=port,
                    end_port=end,
                )
            )
        if skip_rule:
            continue
        out.append(NetpolRule(peers=tuple(peers), ports=tuple(ports), source=line_at(meta, rptr)))
    return tuple(out)


@functools.lru_cache(maxsize=4096)  # policies repeat CIDRs; the networks are immutable
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text, strict=False)


def _parse_cidr(text: str, pointer: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR as the API server parses it (host bits allowed; leading zeros in an
    IPv4 octet too, as its sloppy parser reads them)."""
    try:
        return _network(text)
    except ValueError:
        sloppy = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)\.(\d+)/(\d+)", text)
        if sloppy is not None:
            octets = ".".join(str(int(x)) for x in sloppy.groups()[:4])
            try:
                return ipaddress.ip_network(f"{octets}/{sloppy.group(5)}", strict=False)
            except ValueError:
                pass
    hint = "write a CIDR such as 198.18.0.0/15 or 2001:db8::/64"
    if "$" in text or "{" in text:
        hint += "; a template variable must be substituted before the policy is applied"
    fail(f"{pointer}: {text!r} is not a valid CIDR", pointer, hint)


def _check_ip_block(block: IpBlock, pointer: str) -> None:
    """What the API server checks of an ipBlock (ValidateIPBlock): a valid cidr, and
    each except a valid CIDR strictly inside it."""
    net = _parse_cidr(block.cidr, f"{pointer}/cidr")
    for i, text in enumerate(block.except_):
        ptr = f"{pointer}/except/{i}"
        ex = _parse_cidr(text, ptr)
        if (
            ex.version != net.version
            or ex.network_address not in net
            or net.prefixlen >= ex.prefixlen
        ):
            fail(
                f"{ptr}: {text!r} must be a strict subset of cidr {block.cidr!r}",
                ptr,
                "except lists ranges inside cidr, each smaller than it",
            )


def _network_policy(doc: dict[str, object], meta: Meta) -> NetworkPolicy:
    spec = as_map(doc.get("spec"), "/spec")
    declared = spec.get("policyTypes")
    ingress = _netpol_rules(spec.get("ingress"), "/spec/ingress", "from", meta)
    egress = _netpol_rules(spec.get("egress"), "/spec/egress", "to", meta)
    if declared is None or declared == []:
        # The API server defaults an empty policyTypes: Ingress, and Egress
        # when the policy has egress rules (an empty ``egress: []`` has none).
        types: tuple[str, ...] = ("Ingress", "Egress") if egress else ("Ingress",)
        declared_types = None
    else:
        declared_types = str_list(declared, "/spec/policyTypes")
        for t in declared_types:
            if t not in ("Ingress", "Egress"):
                fail(f"/spec/policyTypes: unknown type {t!r}", "/spec/policyTypes")
        types = tuple(t for t in ("Ingress", "Egress") if t in declared_types)
    return NetworkPolicy(
        meta=meta,
        pod_selector=label_selector(spec.get("podSelector"), "/spec/podSelector"),
        policy_types=types,
        ingress=ingress,
        egress=egress,
        declared_policy_types=declared_types,
    )


HANDLERS: dict[tuple[str, str], KindHandler] = in_groups(
    CORE_GROUPS,
    {
        "NetworkPolicy": lambda objs, data, meta: objs.network_policies.append(
            _network_policy(data, meta)
        ),
    },
)
