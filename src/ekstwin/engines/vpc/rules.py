"""Security group rules, network ACL entries and routes, compiled for matching.

Addresses are IPv4 integers; an IPv6 CIDR never matches an IPv4 address. A
port is a TCP/UDP port, or for ICMP ``type * 256 + code`` (as the net engine
encodes ICMP); protocols are IANA numbers in text (``"6"``, ``"17"``,
``"1"``, ``"-1"`` for every protocol).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from ekstwin.model.aws import Route, RouteTable
from ekstwin.model.source import Source
from ekstwin.model.vpc import (
    ALL_PROTOCOLS,
    ICMP,
    ICMPV6,
    TCP,
    UDP,
    ManagedPrefixList,
    NaclAction,
    NetworkAcl,
    NetworkAclEntry,
    SecurityGroupRule,
)

#: Protocol names of ``net can`` to IANA numbers.
PROTOCOL_NUMBERS = {"TCP": TCP, "UDP": UDP, "SCTP": "132", "ICMP": ICMP}
_NAMES = {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMPV6: "icmpv6", "132": "sctp"}
PORTS_APPLY = frozenset({TCP, UDP})


def protocol_name(number: str) -> str:
    return "all" if number == ALL_PROTOCOLS else _NAMES.get(number, f"protocol {number}")


def flow_text(protocol: str, port: int) -> str:
    if protocol == ICMP:
        return f"icmp type {port // 256} code {port % 256}"
    if protocol in PORTS_APPLY:
        return f"{protocol_name(protocol)}/{port}"
    return protocol_name(protocol)


def cidr_range(text: str) -> tuple[int, int, int] | None:
    """(first, last, prefix length) of an IPv4 CIDR; None for IPv6 or garbage."""
    address, _, length = text.strip().partition("/")
    n = ip_int(address)
    if n is not None and length.isdigit() and int(length) <= 32:
        plen = int(length)
        size = 1 << (32 - plen)
        first = n & ~(size - 1)
        return first, first + size - 1, plen
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None
    if net.version != 4:
        return None
    return int(net.network_address), int(net.broadcast_address), net.prefixlen


def ip_int(text: str | None) -> int | None:
    """An IPv4 address as an integer; None for IPv6, garbage or nothing."""
    if not text:
        return None
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        if not part.isdigit() or len(part) > 3 or (len(part) > 1 and part[0] == "0"):
            return None
        octet = int(part)
        if octet > 255:
            return None
        value = value << 8 | octet
    return value


def ip_text(value: int | None) -> str | None:
    return None if value is None else str(ipaddress.IPv4Address(value))


def ports_match(
    rule_protocol: str,
    low: int | None,
    high: int | None,
    protocol: str,
    port: int,
    *,
    icmp_type: int | None = None,
    icmp_code: int | None = None,
) -> bool:
    """Does a rule's protocol and port range (or ICMP type/code) cover the flow?

    For ICMP a security group rule keeps the type in ``low`` and the code in
    ``high``; a network ACL entry in ``icmp_type``/``icmp_code``; None or -1 is
    any. Protocols other than TCP, UDP and ICMP have no ports (every port)."""
    if rule_protocol == ALL_PROTOCOLS:
        return True
    if rule_protocol != protocol:
        return False
    if protocol in PORTS_APPLY:
        if low is None and high is None:
            return True
        lo = 0 if low is None or low < 0 else low
        hi = 65535 if high is None or high < 0 else high
        return lo <= port <= hi
    if protocol == ICMP:
        kind, code = port // 256, port % 256
        t = icmp_type if icmp_type is not None else low
        c = icmp_code if icmp_code is not None else high
        return (t is None or t < 0 or t == kind) and (c is None or c < 0 or c == code)
    return True


def port_span(low: int | None, high: int | None) -> tuple[int, int]:
    lo = 0 if low is None or low < 0 else low
    hi = 65535 if high is None or high < 0 else high
    return lo, hi


def rule_text(group_id: str, direction: str, index: int, rule: SecurityGroupRule) -> str:
    """``sg-1 ingress rule 3 (tcp 5432 from sg-2 "db clients")``."""
    proto = protocol_name(rule.protocol)
    if rule.protocol in PORTS_APPLY and not (rule.from_port is None and rule.to_port is None):
        lo, hi = port_span(rule.from_port, rule.to_port)
        proto += f" {lo}" if lo == hi else f" {lo}-{hi}"
    elif rule.protocol == ICMP and rule.from_port not in (None, -1):
        proto += f" type {rule.from_port}"
    word = "from" if direction == "ingress" else "to"
    desc = f' "{rule.description}"' if rule.description else ""
    return f"{group_id} {direction} rule {index + 1} ({proto} {word} {rule.peer}{desc})"


# ---------------------------------------------------------------------------
# prefix lists


@dataclass(frozen=True, slots=True)
class PrefixRanges:
    """A managed prefix list's IPv4 entries as ranges; ``known`` is False for an
    AWS managed list whose entries the input does not hold (or a list missing
    from the input)."""

    prefix_list_id: str
    ranges: tuple[tuple[int, int, int], ...]
    known: bool
    name: str | None = None

    def contains(self, address: int) -> bool:
        return any(lo <= address <= hi for lo, hi, _ in self.ranges)


def compile_prefix_list(pl: ManagedPrefixList | None, pl_id: str) -> PrefixRanges:
    if pl is None:
        return PrefixRanges(pl_id, (), False)
    ranges = tuple(r for r in (cidr_range(e) for e in pl.entries) if r is not None)
    known = bool(pl.entries) or not pl.aws_managed
    return PrefixRanges(pl_id, ranges, known, pl.name)


# ---------------------------------------------------------------------------
# network ACLs


@dataclass(frozen=True, slots=True)
class AclJudgement:
    """A network ACL's answer for a flow, or for a range of ports (the reply's
    ephemeral ports): the ports it allows, and the entries that decided."""

    allowed: bool | None
    text: str
    source: Source | None
    allowed_ports: tuple[tuple[int, int], ...] = ()


def _subtract(ranges: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in ranges:
        if hi < a or lo > b:
            out.append((a, b))
            continue
        if a < lo:
            out.append((a, lo - 1))
        if hi < b:
            out.append((hi + 1, b))
    return out


def _overlap(ranges: Iterable[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    return [(max(a, lo), min(b, hi)) for a, b in ranges if not (hi < a or lo > b)]


def _ranges_text(ranges: Iterable[tuple[int, int]]) -> str:
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def judge_acl(
    acl: NetworkAcl,
    entries: tuple[NetworkAclEntry, ...],
    *,
    egress: bool,
    protocol: str,
    ports: tuple[int, int],
    peer: int | None,
    peer_text: str,
) -> AclJudgement:
    """Walk ``entries`` (one direction, ascending rule number) for traffic of
    ``protocol`` to ``ports`` (a single port, or the reply's ephemeral range)
    with ``peer`` the address on the far side (destination for outbound,
    source for inbound). First match decides, per port; none matching denies."""
    direction = "outbound" if egress else "inbound"
    first, last = ports
    remaining = [(first, last)]
    allowed: list[tuple[int, int]] = []
    denials: list[tuple[NetworkAclEntry, list[tuple[int, int]]]] = []
    deciders: list[NetworkAclEntry] = []
    for entry in entries:
        if not remaining:
            break
        proto = entry.protocol
        if proto not in (ALL_PROTOCOLS, protocol):
            continue
        rng = cidr_range(entry.cidr)
        if rng is None:
            continue
        if peer is None:
            if rng[2] != 0:
                return AclJudgement(
                    None,
                    f"{acl.network_acl_id} {direction} rule {entry.rule_number} names "
                    f"{entry.cidr}; the address of {peer_text} is unknown",
                    entry.source,
                )
        elif not rng[0] <= peer <= rng[1]:
            continue
        if protocol in PORTS_APPLY and proto != ALL_PROTOCOLS:
            lo, hi = port_span(entry.from_port, entry.to_port)
        elif protocol == ICMP and proto != ALL_PROTOCOLS:
            if not ports_match(
                proto, None, None, protocol, first,
                icmp_type=entry.icmp_type, icmp_code=entry.icmp_code,
            ):  # fmt: skip
                continue
            lo, hi = first, last
        else:
            lo, hi = first, last
        hit = _overlap(remaining, lo, hi)
        if not hit:
            continue
        deciders.append(entry)
        if entry.action is NaclAction.ALLOW:
            allowed.extend(hit)
        else:
            denials.append((entry, hit))
        remaining = _subtract(remaining, lo, hi)
    what = f"{protocol_name(protocol)} {_ranges_text([(first, last)])}"
    allowed.sort()
    if not allowed:
        denier = next((e for e in deciders if e.action is NaclAction.DENY), None)
        if denier is not None:
            return AclJudgement(
                False,
                f"{acl.network_acl_id} {direction} rule {denier.rule_number} denies {what} "
                f"{'to' if egress else 'from'} {peer_text}",
                denier.source,
            )
        return AclJudgement(
            False,
            f"{acl.network_acl_id} {direction}: no rule allows {what} "
            f"{'to' if egress else 'from'} {peer_text} (the final * rule denies)",
            acl.source,
        )
    if remaining or denials:
        # a range only partly allowed is denied (a reply to a port outside the
        # allowed part is dropped): name every port dropped and what drops it
        drops = [f"rule {e.rule_number} drops {_ranges_text(hit)}" for e, hit in denials]
        if remaining:
            drops.append(f"the final * rule drops {_ranges_text(remaining)}")
        deny = denials[0][0] if denials else None
        return AclJudgement(
            False,
            f"{acl.network_acl_id} {direction} allows only {_ranges_text(allowed)} of {what} "
            f"{'to' if egress else 'from'} {peer_text}; {'; '.join(drops)}",
            deny.source if deny is not None else acl.source,
            tuple(allowed),
        )
    allow = next(e for e in deciders if e.action is NaclAction.ALLOW)
    return AclJudgement(
        True,
        f"{acl.network_acl_id} {direction} rule {allow.rule_number} allows {what} "
        f"{'to' if egress else 'from'} {peer_text}",
        allow.source,
        tuple(allowed),
    )


# ---------------------------------------------------------------------------
# routes


@dataclass(frozen=True, slots=True)
class CompiledRoute:
    route: Route
    first: int
    last: int
    prefix_len: int
    prefix_list_id: str | None = None


@dataclass(frozen=True, slots=True)
class CompiledTable:
    """A route table's IPv4 routes, most specific first; at one prefix length a
    CIDR (static) route before a prefix-list route (AWS's route priority), and
    the prefix-list routes whose entries the input does not hold apart."""

    table: RouteTable
    routes: tuple[CompiledRoute, ...]
    unknown_lists: tuple[tuple[str, Route], ...]

    def lookup(self, address: int) -> CompiledRoute | None:
        for r in self.routes:
            if r.first <= address <= r.last:
                return r
        return None


def compile_table(table: RouteTable, lists: dict[str, PrefixRanges]) -> CompiledTable:
    out: list[tuple[int, int, CompiledRoute]] = []
    unknown: list[tuple[str, Route]] = []
    for route in table.routes:
        if route.to_prefix_list:
            pl = lists.get(route.destination)
            if pl is None or not pl.known:
                unknown.append((route.destination, route))
                continue
            for lo, hi, plen in pl.ranges:
                out.append((plen, 1, CompiledRoute(route, lo, hi, plen, route.destination)))
            continue
        rng = cidr_range(route.destination)
        if rng is None:
            continue
        out.append((rng[2], 0, CompiledRoute(route, rng[0], rng[1], rng[2])))
    out.sort(key=lambda t: (-t[0], t[1]))
    return CompiledTable(table, tuple(r for _, _, r in out), tuple(unknown))
