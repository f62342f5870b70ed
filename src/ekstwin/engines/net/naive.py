"""A deliberately naive reference evaluator: pod pair by pod pair, port by port.

It shares the policy compilation (which policies select a pod, which peers a
rule names) with the engine but none of its speed: no endpoint classes, no
partitions, no connection sets. Rule ports are matched by their own scalar
code below. Tests compare it with the engine on random small platforms.
"""

from __future__ import annotations

from collections.abc import Iterable

from ekstwin.engines.net.endpoints import Endpoint, EndpointKind
from ekstwin.engines.net.engine import NetModel
from ekstwin.engines.net.policies import (
    AdminPorts,
    CalicoPorts,
    CompiledRule,
    Direction,
    K8sPorts,
)
from ekstwin.model.calico import Action

_NUMBERS = {"ICMP": 1, "TCP": 6, "UDP": 17, "SCTP": 132}


def _named(dst: Endpoint, name: str, protocol: str, port: int, protocols: Iterable[str]) -> bool:
    return protocol in protocols and any(
        n == name and p == protocol and v == port for n, p, v in dst.named_ports
    )


def _proto_is(value: str | int | None, protocol: str) -> bool:
    if isinstance(value, int):
        return _NUMBERS.get(protocol) == value
    return value is not None and value.upper() == protocol


def rule_covers(rule: CompiledRule, dst: Endpoint, protocol: str, port: int) -> bool:
    ports = rule.ports
    if isinstance(ports, K8sPorts):
        if not ports.ports:
            return True
        for p in ports.ports:
            if p.protocol.value != protocol:
                continue
            if p.port is None:
                return True
            if isinstance(p.port, str):
                if _named(dst, p.port, protocol, port, (protocol,)):
                    return True
            elif p.port <= port <= (p.end_port or p.port):
                return True
        return False
    if isinstance(ports, AdminPorts):
        if ports.ports is None:
            return True
        return any(
            _named(dst, p.name, protocol, port, ("TCP", "UDP", "SCTP"))
            if p.name is not None
            else p.protocol.value == protocol and p.first <= port <= p.last
            for p in ports.ports
        )
    assert isinstance(ports, CalicoPorts)
    r = ports.rule
    if r.protocol is not None and not _proto_is(r.protocol, protocol):
        return False
    if r.not_protocol is not None and _proto_is(r.not_protocol, protocol):
        return False
    d = r.destination
    has_ports = protocol in ("TCP", "UDP", "SCTP")
    if d.ports:
        if not has_ports:
            return False
        if not any(
            (p.name is not None and _named(dst, p.name, protocol, port, ("TCP", "UDP", "SCTP")))
            or (p.name is None and p.first <= port <= p.last)
            for p in d.ports
        ):
            return False
    if (
        d.not_ports
        and has_ports
        and any(
            (p.name is not None and _named(dst, p.name, protocol, port, ("TCP", "UDP", "SCTP")))
            or (p.name is None and p.first <= port <= p.last)
            for p in d.not_ports
        )
    ):
        return False
    if protocol == "ICMP":
        icmp_type, code = divmod(port, 256)
        icmp = r.icmp
        if (
            icmp is not None
            and icmp.type is not None
            and (icmp.type != icmp_type or (icmp.code is not None and icmp.code != code))
        ):
            return False
        if r.not_icmp is not None:
            nt = r.not_icmp
            if nt.type is None or (nt.type == icmp_type and (nt.code is None or nt.code == code)):
                return False
    return True


def naive_side(
    model: NetModel, direction: Direction, src: Endpoint, dst: Endpoint, *, protocol: str, port: int
) -> bool:
    subject = src if direction is Direction.EGRESS else dst
    peer = dst if direction is Direction.EGRESS else src
    if subject.kind is not EndpointKind.POD:
        return True
    for tier in model.tiers:
        selecting = [
            p for p in tier.policies if direction in p.types and p.selects(subject, model.ctx)
        ]
        if not selecting:
            continue
        outcome: str | None = None
        for p in selecting:
            for r in p.rules(direction):
                if not r.subject_matches(subject, model.ctx):
                    continue
                if not r.peer.matches(peer, model.ctx):
                    continue
                if not rule_covers(r, dst, protocol, port):
                    continue
                if r.action is Action.LOG:
                    continue
                outcome = r.action.value
                break
            if outcome is not None:
                break
        if outcome == "Allow":
            return True
        if outcome == "Deny":
            return False
        if outcome == "Pass":
            continue
        if tier.default_action is Action.PASS:
            continue
        return False
    return True


def naive_allowed(model: NetModel, src: Endpoint, dst: Endpoint, protocol: str, port: int) -> bool:
    if src is dst:
        return True
    return naive_side(
        model, Direction.EGRESS, src, dst, protocol=protocol, port=port
    ) and naive_side(model, Direction.INGRESS, src, dst, protocol=protocol, port=port)
