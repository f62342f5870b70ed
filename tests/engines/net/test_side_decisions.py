"""NetModel.side_decisions: the deciding rule of every (peer class, connection), by
lookup; each region must be what ``decide`` says for every pod and port in it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ekstwin.engines.net import ConnectionSet, NetModel
from ekstwin.engines.net.policies import Direction
from ekstwin.loaders import load
from tests.engines.net.test_calico import BASE

Model = Callable[[str], NetModel]

CORNERS = (
    BASE
    + """
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.ops-in}
spec:
  tier: security
  order: 1
  selector: all()
  ingress:
  - {action: Log, source: {namespaceSelector: team == 'ops'}}
  - {action: Deny, protocol: TCP, source: {namespaceSelector: team == 'ops'},
     destination: {ports: ["5000:5500"]}}
  - {action: Pass}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: pg}, {port: 9000, endPort: 9100, protocol: UDP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-out, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {}}]
    ports: [{port: pg}]
"""
)


def _check(model: NetModel) -> int:
    """Every region against ``decide`` at both ends of each interval, for every class
    of the block; the regions of a block partition all connections. Returns the
    number of regions checked."""
    checked = 0
    n = len(model.class_reps)
    for ci in range(n):
        for direction in Direction:
            covered = 0
            for bits, regions in model.side_decisions(direction, ci):
                assert bits and not covered & bits
                covered |= bits
                union = ConnectionSet.none()
                for conns, decision in regions:
                    assert not (union & conns)
                    union = union | conns
                    for peer in range(n):
                        if not bits >> peer & 1:
                            continue
                        src, dst = (ci, peer) if direction is Direction.EGRESS else (peer, ci)
                        a, b = model.class_reps[src], model.class_reps[dst]
                        for proto, ivs in conns:
                            for lo, hi in ivs:
                                for port in {lo, hi}:
                                    assert model.decide(direction, a, b, proto, port) == decision
                    checked += 1
                assert union.is_all
            assert covered == model.all_bits
    return checked


def test_regions_are_the_decisions_of_tiers_pass_log_named_ports_and_ranges(
    model_of: Model,
) -> None:
    model = model_of(CORNERS)
    assert _check(model) > 10
    # the ingress of shop/db: web on the named port pg (5432) is allowed by rule 0
    db = model.class_of["shop/db"]
    web = model.class_of["shop/web"]
    tool = model.class_of["ops/tool"]
    table = model.side_decisions(Direction.INGRESS, db)
    (from_web,) = [regions for bits, regions in table if bits >> web & 1]
    (pg,) = [d for c, d in from_web if c.contains("TCP", 5432)]
    assert pg.message == "allowed by NetworkPolicy shop/db-in (tier default) ingress rule 0"
    (udp,) = [d for c, d in from_web if c.contains("UDP", 9050)]
    assert udp.allowed and udp.passed_tiers == ("security",)
    (from_tool,) = [regions for bits, regions in table if bits >> tool & 1]
    (deny,) = [d for c, d in from_tool if c.contains("TCP", 5432)]
    assert not deny.allowed and deny.rule_index == 1 and deny.logged_by
    (other,) = [d for c, d in from_tool if c.contains("TCP", 80)]
    assert other.reason.value == "end-of-tier" and other.logged_by


@pytest.mark.slow
def test_regions_of_the_demo_platform() -> None:
    from tests.web.conftest import DEMO

    assert _check(NetModel(load([str(DEMO)]).platform)) > 100
