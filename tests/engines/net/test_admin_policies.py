"""AdminNetworkPolicy and BaselineAdminNetworkPolicy in the net engine: their tiers,
priority order, Pass, the baseline behind NetworkPolicy, ports, peers, and the
enforcers that implement them (or not)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.net import Granularity, NetModel, Verdict, can, matrix
from ekstwin.engines.net.naive import naive_side
from ekstwin.engines.net.policies import Direction
from tests.engines.conftest import Builder
from tests.engines.net.test_enforcement import CALICO_NODE, aws_node

CLUSTER = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {tenant: shop}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops, labels: {tenant: ops}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: nginx:1, ports: [{containerPort: 8080, name: http}]}]}
status: {podIP: 198.18.0.10}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec:
  containers:
    - name: c
      image: postgres:16
      ports: [{containerPort: 5432, name: sql}, {containerPort: 9187, name: metrics}]
status: {podIP: 198.18.0.11}
---
apiVersion: v1
kind: Pod
metadata: {name: probe, namespace: ops, labels: {app: probe}}
spec: {containers: [{name: c, image: busybox:1}]}
status: {podIP: 198.18.1.10}
"""


def anp(name: str, priority: int, ingress: str, subject: str = "{namespaces: {}}") -> str:
    return f"""
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {{name: {name}}}
spec:
  priority: {priority}
  subject: {subject}
  ingress: {ingress}
"""


def banp(ingress: str, subject: str = "{namespaces: {}}") -> str:
    return f"""
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {{name: default}}
spec:
  subject: {subject}
  ingress: {ingress}
"""


FROM_OPS = "{namespaces: {matchLabels: {tenant: ops}}}"
DB = (
    "{pods: {namespaceSelector: {matchLabels: {tenant: shop}}, "
    "podSelector: {matchLabels: {app: db}}}}"
)
NP_DB_FROM_WEB = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
"""


def _v(model: NetModel, src: str, dst: str, port: int, protocol: str = "TCP") -> Verdict:
    got = can(model, src, dst, port, protocol)
    assert isinstance(got, Verdict)
    return got


def _ingress(model: NetModel, src: str, dst: str, port: int) -> tuple[bool, str]:
    d = _v(model, src, dst, port).ingress
    return d.allowed, d.message


def _agrees_with_matrix(model: NetModel, src: str, dst: str, port: int) -> None:
    """The explained walk, the class matrix and the naive oracle give one answer."""
    flows = matrix(model, Granularity.POD).lookup()
    conns = flows.get((src, dst))
    walked = _v(model, src, dst, port).allowed
    assert (conns is not None and conns.contains("TCP", port)) == walked
    s, d = model.endpoints[src], model.endpoints[dst]
    naive = naive_side(model, Direction.INGRESS, s, d, protocol="TCP", port=port)
    assert naive == _v(model, src, dst, port).ingress.allowed


def test_lower_priority_number_decides_first(build: Builder) -> None:
    text = (
        CLUSTER
        + anp("deny-ops", 20, f"[{{name: no-ops, action: Deny, from: [{FROM_OPS}]}}]")
        + anp("allow-ops", 10, f"\n  - {{name: ops-ok, action: Allow, from: [{FROM_OPS}]}}")
    )
    model = NetModel(build(text))
    v = _v(model, "ops/probe", "shop/db", 5432)
    assert v.ingress.to_json() == {
        "allowed": True,
        "reason": "rule",
        "message": "allowed by AdminNetworkPolicy allow-ops (tier adminnetworkpolicy) "
        "ingress rule 0 (ops-ok)",
        "tier": "adminnetworkpolicy",
        "policy": {"kind": "AdminNetworkPolicy", "namespace": None, "name": "allow-ops"},
        "rule": 0,
        "action": "Allow",
        "file": v.ingress.source.file if v.ingress.source else None,
        "line": 49,
        "passed_tiers": [],
        "logged_by": [],
    }
    _agrees_with_matrix(model, "ops/probe", "shop/db", 5432)


def test_an_admin_deny_beats_a_networkpolicy_allow(build: Builder) -> None:
    text = (
        CLUSTER
        + NP_DB_FROM_WEB
        + anp("deny-web", 5, "[{action: Deny, from: [{namespaces: {}}]}]", DB)
    )
    model = NetModel(build(text))
    assert _ingress(model, "shop/web", "shop/db", 5432) == (
        False,
        "denied by AdminNetworkPolicy deny-web (tier adminnetworkpolicy) ingress rule 0",
    )
    _agrees_with_matrix(model, "shop/web", "shop/db", 5432)


def test_equal_priorities_follow_calicos_name_order(build: Builder) -> None:
    """Upstream leaves the winner among equal priorities to the implementation;
    Calico orders policies of one order by name, so ``a-allow`` decides."""
    text = (
        CLUSTER
        + anp("b-deny", 10, f"[{{action: Deny, from: [{FROM_OPS}]}}]")
        + anp("a-allow", 10, f"[{{action: Allow, from: [{FROM_OPS}]}}]")
    )
    model = NetModel(build(text))
    assert _ingress(model, "ops/probe", "shop/db", 5432) == (
        True,
        "allowed by AdminNetworkPolicy a-allow (tier adminnetworkpolicy) ingress rule 0",
    )


def test_pass_skips_the_remaining_admin_policies_and_goes_to_networkpolicy(
    build: Builder,
) -> None:
    text = (
        CLUSTER
        + NP_DB_FROM_WEB
        + anp("pass-shop", 1, "[{action: Pass, from: [{namespaces: {}}]}]", DB)
        + anp("deny-all", 2, "[{action: Deny, from: [{namespaces: {}}]}]", DB)
    )
    model = NetModel(build(text))
    web = _v(model, "shop/web", "shop/db", 5432).ingress
    assert (web.allowed, web.message, web.passed_tiers) == (
        True,
        "allowed by NetworkPolicy shop/db-from-web (tier default) ingress rule 0",
        ("adminnetworkpolicy",),
    )
    # NetworkPolicy isolates db: what it does not allow is denied, the baseline is not reached
    assert _ingress(model, "ops/probe", "shop/db", 5432) == (
        False,
        "selected by NetworkPolicy shop/db-from-web but no rule matched: denied at the end "
        "of tier default",
    )
    _agrees_with_matrix(model, "ops/probe", "shop/db", 5432)


def test_the_baseline_decides_only_when_no_networkpolicy_selects_the_pod(build: Builder) -> None:
    text = CLUSTER + NP_DB_FROM_WEB + banp(f"[{{name: no-ops, action: Deny, from: [{FROM_OPS}]}}]")
    model = NetModel(build(text))
    # web is selected by no NetworkPolicy: the baseline denies
    assert _ingress(model, "ops/probe", "shop/web", 8080) == (
        False,
        "denied by BaselineAdminNetworkPolicy default (tier baselineadminnetworkpolicy) "
        "ingress rule 0 (no-ops)",
    )
    # db is selected by a NetworkPolicy: its end-of-tier deny, not the baseline, decides
    assert _ingress(model, "shop/web", "shop/db", 5432)[0] is True
    assert _ingress(model, "ops/probe", "shop/db", 5432)[1].endswith("end of tier default")
    # nothing matches in the baseline: allowed, as with no policy
    assert _ingress(model, "shop/db", "shop/web", 8080) == (
        True,
        "passed by tier(s) baselineadminnetworkpolicy: the namespace profile allows",
    )
    _agrees_with_matrix(model, "ops/probe", "shop/web", 8080)


def test_named_ports_resolve_on_the_destination_pod(build: Builder) -> None:
    rule = (
        f"[{{action: Allow, from: [{FROM_OPS}], ports: [{{namedPort: metrics}}]}}, "
        f"{{action: Deny, from: [{FROM_OPS}]}}]"
    )
    model = NetModel(build(CLUSTER + anp("metrics-only", 1, rule, DB)))
    assert _ingress(model, "ops/probe", "shop/db", 9187)[0] is True
    assert _ingress(model, "ops/probe", "shop/db", 5432)[0] is False
    _agrees_with_matrix(model, "ops/probe", "shop/db", 9187)
    _agrees_with_matrix(model, "ops/probe", "shop/db", 5432)


def test_port_ranges_and_protocols(build: Builder) -> None:
    rule = (
        f"[{{action: Deny, from: [{FROM_OPS}], ports: [{{portRange: {{start: 5000, end: 6000}}}},"
        f" {{portNumber: {{protocol: UDP, port: 53}}}}]}}]"
    )
    model = NetModel(build(CLUSTER + anp("ranges", 1, rule, DB)))
    assert _v(model, "ops/probe", "shop/db", 5432).allowed is False
    assert _v(model, "ops/probe", "shop/db", 9187).allowed is True
    assert _v(model, "ops/probe", "shop/db", 53, "UDP").allowed is False
    assert _v(model, "ops/probe", "shop/db", 53, "TCP").allowed is True


def test_egress_to_networks_matches_pod_addresses_too(build: Builder) -> None:
    text = (
        CLUSTER
        + """
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-ops-net}
spec:
  priority: 1
  subject: {namespaces: {matchLabels: {tenant: shop}}}
  egress: [{action: Deny, to: [{networks: [198.18.1.0/24]}]}]
"""
    )
    model = NetModel(build(text))
    assert _v(model, "shop/web", "ops/probe", 80).egress.message == (
        "denied by AdminNetworkPolicy no-ops-net (tier adminnetworkpolicy) egress rule 0"
    )
    assert _v(model, "shop/web", "shop/db", 5432).allowed is True
    flows = matrix(model, Granularity.POD).lookup()
    assert ("shop/web", "ops/probe") not in flows
    assert ("shop/web", "shop/db") in flows


def test_egress_to_nodes_matches_node_addresses(build: Builder) -> None:
    text = (
        CLUSTER
        + """
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {role: infra}}
status: {addresses: [{type: InternalIP, address: 198.18.9.1}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-infra-nodes}
spec:
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{nodes: {matchLabels: {role: infra}}}]}]
"""
    )
    model = NetModel(build(text))
    node = model.address_endpoint("198.18.9.1")
    v = model.verdict(model.endpoints["shop/web"], node, "TCP", 10250)
    assert (v.allowed, v.egress.policy and v.egress.policy.name) == (False, "no-infra-nodes")
    assert _v(model, "shop/web", "shop/db", 5432).allowed is True


def test_a_user_tier_ordered_before_1000_goes_before_the_admin_tier(build: Builder) -> None:
    text = (
        CLUSTER
        + anp("deny-ops", 1, f"[{{action: Deny, from: [{FROM_OPS}]}}]")
        + """
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.allow-ops}
spec:
  tier: security
  order: 1
  selector: all()
  ingress: [{action: Allow, source: {namespaceSelector: tenant == 'ops'}}]
"""
    )
    model = NetModel(build(text))
    assert [t.name for t in model.tiers if t.policies] == ["security", "adminnetworkpolicy"]
    assert _v(model, "ops/probe", "shop/db", 5432).ingress.tier == "security"


# -- who implements them ---------------------------------------------------------

DENY_OPS = anp("deny-ops", 1, f"[{{action: Deny, from: [{FROM_OPS}]}}]") + banp(
    "[{action: Deny, from: [{namespaces: {}}]}]"
)


def _calico(tag: str) -> str:
    return CALICO_NODE.replace("v3.32.1", tag)


@pytest.mark.parametrize(
    ("agents", "decided", "admin"),
    [
        (
            "",
            "deny-ops",
            {
                "admin": True,
                "baseline": True,
                "assumed": True,
                "note": "AdminNetworkPolicy and BaselineAdminNetworkPolicy judged as written: "
                "an enforcer that implements them (as Calico v3.30+) is assumed",
            },
        ),
        (
            _calico("v3.30.2"),
            "deny-ops",
            {
                "admin": True,
                "baseline": True,
                "assumed": False,
                "note": "Calico v3.30.2 implements AdminNetworkPolicy and "
                "BaselineAdminNetworkPolicy",
            },
        ),
        (
            _calico("v3.29.4"),
            "deny-ops",
            {
                "admin": True,
                "baseline": False,
                "assumed": False,
                "note": "Calico v3.29.4 implements AdminNetworkPolicy; "
                "BaselineAdminNetworkPolicy has no effect before v3.30",
            },
        ),
        (
            _calico("v3.28.2"),
            None,
            {
                "admin": False,
                "baseline": False,
                "assumed": False,
                "note": "AdminNetworkPolicy and BaselineAdminNetworkPolicy have no effect: "
                "Calico v3.28.2 implements them from v3.29 and v3.30",
            },
        ),
        (
            aws_node("true"),
            None,
            {
                "admin": False,
                "baseline": False,
                "assumed": False,
                "note": "AdminNetworkPolicy and BaselineAdminNetworkPolicy have no effect: "
                "the VPC CNI network policy agent implements Kubernetes NetworkPolicy only",
            },
        ),
    ],
)
def test_admin_policies_apply_only_where_the_enforcer_implements_them(
    build: Builder, agents: str, decided: str | None, admin: dict[str, object]
) -> None:
    model = NetModel(build(CLUSTER + DENY_OPS + agents))
    v = _v(model, "ops/probe", "shop/db", 5432)
    enforcer = v.to_json()["enforcer"]
    assert isinstance(enforcer, dict)
    assert enforcer["admin_network_policies"] == admin
    assert (v.ingress.policy.name if v.ingress.policy else None) == decided
    # the baseline decides web <- db only where the baseline is implemented
    baseline = _v(model, "shop/db", "shop/web", 8080).ingress
    assert (baseline.tier == "baselineadminnetworkpolicy") == admin["baseline"]
    _agrees_with_matrix(model, "ops/probe", "shop/db", 5432)


def test_calico_version_flag_decides_support(build: Builder) -> None:
    platform = build(CLUSTER + DENY_OPS + CALICO_NODE)
    assert _v(NetModel(platform), "ops/probe", "shop/db", 5432).allowed is False
    old = NetModel(platform, calico_version="3.28")
    assert _v(old, "ops/probe", "shop/db", 5432).allowed is True


def test_no_admin_policies_leaves_the_enforcer_json_as_it_was(build: Builder) -> None:
    v = _v(NetModel(build(CLUSTER)), "ops/probe", "shop/db", 5432)
    enforcer = v.to_json()["enforcer"]
    assert isinstance(enforcer, dict)
    assert "admin_network_policies" not in enforcer


def test_net_can_prints_what_was_assumed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.yaml").write_text(CLUSTER + DENY_OPS + aws_node("true"), encoding="utf-8")
    argv = ["net", "can", str(tmp_path), "--from", "ops/probe", "--to", "shop/db", "--port", "5432"]
    assert main([*argv, "--no-mesh", "-q"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "ops/probe -> shop/db TCP/5432: ALLOWED"
    assert out[-1].endswith(
        "; AdminNetworkPolicy and BaselineAdminNetworkPolicy have no effect: the VPC CNI "
        "network policy agent implements Kubernetes NetworkPolicy only"
    )
