"""Calico corners: tiers, Pass, order ties, Deny before a Kubernetes allow,
notNets, notSelector from outside, serviceAccountSelector, global(), network sets."""

from __future__ import annotations

from collections.abc import Callable

from ekstwin.engines.net import NetModel, Reason, Verdict, can

Model = Callable[[str], NetModel]

BASE = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops, labels: {team: ops}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: shop, labels: {role: frontend}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  serviceAccountName: api
  containers: [{name: c, image: nginx:1, ports: [{containerPort: 8080, name: http}]}]
status: {podIP: 198.18.0.10}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: postgres:16, ports: [{containerPort: 5432, name: pg}]}]}
status: {podIP: 198.18.0.11}
---
apiVersion: v1
kind: Pod
metadata: {name: tool, namespace: ops, labels: {app: tool}}
spec: {containers: [{name: c, image: busybox:1}]}
status: {podIP: 198.18.1.10}
"""


def _v(model: NetModel, src: str, dst: str, port: int, proto: str = "TCP") -> Verdict:
    got = can(model, src, dst, port, proto)
    assert isinstance(got, Verdict)
    return got


def test_pass_skips_to_the_next_tier_and_the_profile_allows(model_of: Model) -> None:
    m = model_of(
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
metadata: {name: security.pass-all}
spec:
  tier: security
  order: 10
  selector: all()
  ingress: [{action: Pass}]
"""
    )
    v = _v(m, "ops/tool", "shop/db", 5432)
    assert v.allowed
    assert v.ingress.reason is Reason.PASSED
    assert v.ingress.passed_tiers == ("security",)


def test_pass_then_kubernetes_policy_in_default_tier_decides(model_of: Model) -> None:
    m = model_of(
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
metadata: {name: security.pass-all}
spec: {tier: security, order: 10, selector: all(), ingress: [{action: Pass}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: pg}]}]
"""
    )
    assert _v(m, "shop/web", "shop/db", 5432).allowed
    denied = _v(m, "ops/tool", "shop/db", 5432)
    assert not denied.allowed
    assert denied.ingress.reason is Reason.END_OF_TIER
    assert denied.ingress.tier == "default"
    assert denied.ingress.message.endswith("denied at the end of tier default")


def test_calico_deny_before_kubernetes_allow(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-open, namespace: shop}
spec: {podSelector: {matchLabels: {app: db}}, ingress: [{}]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: no-ops, namespace: shop}
spec:
  order: 500
  selector: app == 'db'
  ingress: [{action: Deny, source: {namespaceSelector: team == 'ops'}}]
"""
    )
    v = _v(m, "ops/tool", "shop/db", 5432)
    assert not v.allowed
    assert v.ingress.policy is not None and v.ingress.policy.name == "no-ops"
    assert v.ingress.rule_index == 0
    assert v.ingress.source is not None and v.ingress.source.line > 0
    w = _v(m, "shop/web", "shop/db", 5432)
    assert w.allowed and w.ingress.policy is not None and w.ingress.policy.name == "db-open"


def test_calico_policy_after_kubernetes_order_loses(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-open, namespace: shop}
spec: {podSelector: {matchLabels: {app: db}}, ingress: [{}]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: no-ops, namespace: shop}
spec:
  order: 2000
  selector: app == 'db'
  ingress: [{action: Deny}]
"""
    )
    assert _v(m, "ops/tool", "shop/db", 5432).allowed


def test_order_ties_are_broken_by_name(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: b-allow, namespace: shop}
spec: {order: 10, selector: app == 'db', ingress: [{action: Allow}]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a-deny, namespace: shop}
spec: {order: 10, selector: app == 'db', ingress: [{action: Deny}]}
"""
    )
    v = _v(m, "shop/web", "shop/db", 5432)
    assert not v.allowed
    assert v.ingress.policy is not None and v.ingress.policy.name == "a-deny"


def test_policy_without_order_comes_last(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a-deny, namespace: shop}
spec: {selector: app == 'db', ingress: [{action: Deny}]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: z-allow, namespace: shop}
spec: {order: 999999, selector: app == 'db', ingress: [{action: Allow}]}
"""
    )
    assert _v(m, "shop/web", "shop/db", 5432).allowed


def test_log_continues_to_the_next_rule(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: log-then-allow, namespace: shop}
spec: {order: 1, selector: app == 'db', ingress: [{action: Log}, {action: Allow, protocol: TCP}]}
"""
    )
    v = _v(m, "shop/web", "shop/db", 5432)
    assert v.allowed and v.ingress.rule_index == 1
    assert v.ingress.logged_by == (
        "projectcalico.org/NetworkPolicy shop/log-then-allow (tier default) ingress rule 0",
    )
    assert not _v(m, "shop/web", "shop/db", 53, "UDP").allowed


def test_not_nets_in_egress(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-out, namespace: shop}
spec:
  order: 1
  selector: app == 'web'
  types: [Egress]
  egress: [{action: Allow, destination: {notNets: [198.18.0.0/24]}}]
"""
    )
    assert not _v(m, "shop/web", "shop/db", 5432).allowed
    assert _v(m, "shop/web", "ops/tool", 80).allowed
    assert _v(m, "shop/web", "internet", 443).allowed


def test_not_selector_matches_outside_traffic_in_a_global_policy(model_of: Model) -> None:
    gnp = """
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: web-in}
spec:
  order: 1
  selector: app == 'web'
  ingress: [{action: Allow, source: {%s}}]
"""
    m_not = model_of(BASE + gnp % "notSelector: app == 'tool'")
    assert _v(m_not, "203.0.113.7", "shop/web", 8080).allowed
    assert not _v(m_not, "ops/tool", "shop/web", 8080).allowed
    assert _v(m_not, "shop/db", "shop/web", 8080).allowed
    m_sel = model_of(BASE + gnp % "selector: app != 'tool'")
    assert not _v(m_sel, "203.0.113.7", "shop/web", 8080).allowed
    assert _v(m_sel, "shop/db", "shop/web", 8080).allowed


def test_not_selector_in_a_namespaced_policy_is_scoped_to_its_namespace(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-in, namespace: shop}
spec:
  order: 1
  selector: app == 'web'
  ingress: [{action: Allow, source: {notSelector: app == 'x'}}]
"""
    )
    assert _v(m, "shop/db", "shop/web", 8080).allowed
    assert not _v(m, "ops/tool", "shop/web", 8080).allowed
    assert not _v(m, "203.0.113.7", "shop/web", 8080).allowed


def test_service_account_selector_on_the_policy_and_in_rules(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: db-from-frontends}
spec:
  order: 1
  selector: app == 'db'
  ingress:
    - action: Allow
      source: {serviceAccounts: {selector: role == 'frontend'}}
      destination: {ports: [pg]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: frontend-egress}
spec:
  order: 2
  serviceAccountSelector: role == 'frontend'
  selector: all()
  types: [Egress]
  egress: [{action: Deny, protocol: UDP}, {action: Allow}]
"""
    )
    assert _v(m, "shop/web", "shop/db", 5432).allowed
    assert not _v(m, "shop/web", "shop/db", 5433).allowed
    assert not _v(m, "ops/tool", "shop/db", 5432).allowed
    assert not _v(m, "shop/web", "ops/tool", 53, "UDP").allowed
    assert _v(m, "shop/db", "ops/tool", 53, "UDP").allowed


def test_global_namespace_selector_reaches_global_network_sets_only(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: partners, labels: {kind: partner}}
spec: {nets: [203.0.113.0/25]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-out, namespace: shop}
spec:
  order: 1
  selector: app == 'web'
  types: [Egress]
  egress: [{action: Allow, destination: {namespaceSelector: global(), selector: kind == 'partner'}}]
"""
    )
    assert _v(m, "shop/web", "203.0.113.5", 443).allowed
    assert not _v(m, "shop/web", "203.0.113.200", 443).allowed
    assert not _v(m, "shop/web", "shop/db", 5432).allowed


def test_icmp_type_and_not_protocol(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: db-in, namespace: shop}
spec:
  order: 1
  selector: app == 'db'
  ingress:
    - {action: Allow, protocol: ICMP, icmp: {type: 8}}
    - {action: Allow, notProtocol: TCP}
"""
    )
    assert _v(m, "shop/web", "shop/db", 8 * 256, "ICMP").allowed
    assert _v(m, "shop/web", "shop/db", 53, "UDP").allowed
    assert not _v(m, "shop/web", "shop/db", 5432).allowed


def test_tier_default_action_pass(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: platform}
spec: {order: 10, defaultAction: Pass}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: platform.deny-tool}
spec:
  tier: platform
  order: 1
  selector: app == 'db'
  ingress: [{action: Deny, source: {selector: app == 'tool'}}]
"""
    )
    assert not _v(m, "ops/tool", "shop/db", 5432).allowed
    v = _v(m, "shop/web", "shop/db", 5432)
    assert v.allowed and v.ingress.passed_tiers == ("platform",)


def test_service_is_judged_per_backing_pod_at_its_target_port(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {selector: {app: db}, clusterIP: 10.100.0.5, ports: [{port: 5432, targetPort: pg}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
    - {from: [{ipBlock: {cidr: 10.100.0.5/32}}]}
    - {from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}
"""
    )
    got = can(m, "shop/web", "shop/svc/db", 5432)
    assert got.to_json()["allowed"] is True
    assert [b.destination for b in got.backends] == ["shop/db"]  # type: ignore[union-attr]
    assert not can(m, "ops/tool", "shop/svc/db", 5432).allowed


def test_loopback_is_always_allowed(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
"""
    )
    v = _v(m, "shop/db", "shop/db", 5432)
    assert v.allowed and v.egress.reason is Reason.LOOPBACK and v.ingress.reason is Reason.LOOPBACK
    assert not _v(m, "shop/web", "shop/db", 5432).allowed


def test_host_network_pod_is_judged_by_its_node_address(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 198.18.100.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: ops, labels: {app: tool}}
spec: {hostNetwork: true, nodeName: n1, containers: [{name: c, image: busybox:1}]}
status: {podIP: 198.18.100.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{ipBlock: {cidr: 198.18.100.0/24}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: ops}
spec: {podSelector: {}, policyTypes: [Egress]}
"""
    )
    v = _v(m, "ops/agent", "shop/db", 5432)
    assert v.allowed
    assert v.egress.reason is Reason.NOT_ENFORCED
    assert not _v(m, "ops/tool", "shop/db", 5432).allowed
