"""Connection-set algebra, the shortcuts for the whole set and equal sets included,
against membership of sample connections."""

from __future__ import annotations

import itertools

from ekstwin.engines.net.connections import PROTOCOLS, ConnectionSet, protocol_range

_POINTS = [
    (p, port)
    for p in PROTOCOLS
    for port in (0, protocol_range(p)[0], 52, 53, 54, 80, 443, 8000, 8080, 65535)
]


def _sets() -> list[ConnectionSet]:
    low_udp, high_udp = protocol_range("UDP")
    return [
        ConnectionSet.all(),
        ConnectionSet.none(),
        # the whole set and a copy of a set, built again: equal, not the same object
        ConnectionSet.of({p: [protocol_range(p)] for p in PROTOCOLS}),
        ConnectionSet.protocol("TCP", 80),
        ConnectionSet.of({"TCP": [(80, 80)]}),
        ConnectionSet.protocol("TCP") | ConnectionSet.protocol("UDP", 53),
        ConnectionSet.of({"TCP": [(1, 8000)], "UDP": [(low_udp, high_udp)], "ICMP": [(0, 9)]}),
        ConnectionSet.all() - ConnectionSet.protocol("TCP", 443),
        # made directly, with a port out of range (how a flow on such a port is asked)
        ConnectionSet((("TCP", ((0, 0),)),)),
    ]


def test_union_intersection_and_difference_are_those_of_the_members() -> None:
    compared = 0
    for a, b in itertools.product(_sets(), repeat=2):
        for p, port in _POINTS:
            x, y = a.contains(p, port), b.contains(p, port)
            low, high = protocol_range(p)
            if low <= port <= high:
                assert (a | b).contains(p, port) == (x or y)
            assert (a & b).contains(p, port) == (x and y)
            assert (a - b).contains(p, port) == (x and not y)
            compared += 1
        # canonical: equal sets have one form, whichever way they were made
        assert (a & b) == (b & a)
        assert (a | b) == (b | a)
    assert compared == 81 * len(_POINTS)


def test_a_port_out_of_range_matches_nothing_not_even_everything() -> None:
    """The network model asks about one flow as given; a port out of range must
    meet no rule, even one that allows every connection."""
    flow = ConnectionSet((("TCP", ((0, 0),)),))
    everything = ConnectionSet.all()
    assert (flow & everything).is_empty
    assert (everything & flow).is_empty
    assert flow - everything == flow
