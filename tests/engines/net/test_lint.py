"""The NET checks: the demo's network mistakes, the CLI, and the corners of each check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.checks import Check, CheckContext, discover_checks, run_checks
from ekstwin.engines.net.checks import redundant_policy
from ekstwin.engines.net.checks.calico_rule_shadowed import CalicoRuleShadowed
from ekstwin.engines.net.checks.dns_blocked import DnsBlocked
from ekstwin.engines.net.checks.namespace_without_default_deny import (
    NamespaceWithoutDefaultDeny,
)
from ekstwin.engines.net.checks.redundant_policy import RedundantPolicy
from ekstwin.engines.net.checks.rule_peer_selects_nothing import RulePeerSelectsNothing
from ekstwin.engines.net.endpoints import EndpointKind
from ekstwin.engines.net.lint import LintModel
from ekstwin.findings import DiagnosticLevel
from ekstwin.loaders import load
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import parse_calico_selector
from tests.engines.conftest import Builder

DEMO = str(Path(__file__).resolve().parents[3] / "examples" / "demo-platform")

NS = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: web:1}]}
status: {podIP: 198.18.0.10}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: db:1}]}
status: {podIP: 198.18.0.11}
"""

COREDNS = """
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec: {containers: [{name: c, image: coredns:1}]}
status: {podIP: 198.18.2.10}
"""


def _net_checks() -> list[type[Check]]:
    return [c for c in discover_checks() if c.id.startswith("NET")]


def _found(platform: Platform, *checks: type[Check]) -> list[tuple[str, str, str, str]]:
    run = run_checks(platform, CheckContext(), list(checks))
    assert run.diagnostics == ()
    return [(f.check_id, str(f.subject), f.key, f.message) for f in run.findings]


# --------------------------------------------------------------------------- the demo


def test_demo_platform_network_mistakes_are_found() -> None:
    platform = load([DEMO]).platform
    run = run_checks(platform, CheckContext(), _net_checks())
    assert run.diagnostics == () and run.crashed == ()
    got = sorted((f.check_id, str(f.subject), f.key) for f in run.findings)
    assert got == [
        # README mistake 22: dev's egress default deny forgets DNS, on both protocols.
        ("NET001", "GlobalNetworkPolicy/security.quarantine", ""),
        ("NET003", "Namespace/argocd", ""),
        ("NET003", "Namespace/calico-system", ""),
        ("NET003", "Namespace/databases", ""),
        ("NET003", "Namespace/dev", ""),
        ("NET003", "Namespace/istio-system", ""),
        ("NET003", "Namespace/monitoring", ""),
        ("NET003", "Namespace/payments", ""),
        ("NET003", "Namespace/shop-frontend", ""),
        ("NET004", "Namespace/dev", ""),
        # security.block-threat-feed ends with a Pass that matches everything: the
        # later policies of the security tier never see a packet (Calico's Pass
        # skips the rest of the tier), and payments-external-egress's final Pass
        # skips the Kubernetes policies of the default tier for payments-api.
        ("NET005", "GlobalNetworkPolicy/security.deny-imds", "egress/0"),
        ("NET005", "GlobalNetworkPolicy/security.deny-imds", "egress/1"),
        ("NET005", "GlobalNetworkPolicy/security.isolate-dev", "egress/0"),
        ("NET005", "GlobalNetworkPolicy/security.isolate-dev", "egress/1"),
        ("NET006", "GlobalNetworkPolicy/security.deny-imds", "defence-in-depth"),
        ("NET006", "GlobalNetworkPolicy/security.isolate-dev", "defence-in-depth"),
        ("NET006", "NetworkPolicy/payments/payments-egress", ""),
    ]
    dns = next(f for f in run.findings if f.check_id == "NET004")
    assert dns.message == (
        "2 of 2 pod(s) in namespace dev cannot reach CoreDNS on UDP/53 and TCP/53: "
        "names do not resolve"
    )
    assert str(dns.source).endswith("demo-platform/k8s/dev/network-policies.yaml:4")


def test_net_lint_command_runs_the_net_checks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["net", "lint", DEMO, "-q", "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    ids = sorted({f["id"] for f in doc["findings"]})
    assert ids == ["NET001", "NET003", "NET004", "NET005", "NET006"]
    assert [c["id"] for c in doc["checks"] if c["id"].startswith("NET")] == [
        "NET001",
        "NET002",
        "NET003",
        "NET004",
        "NET005",
        "NET006",
        "NET007",
    ]


# --------------------------------------------------------------------------- NET002


def test_global_scope_without_global_network_sets_selects_nothing(build: Builder) -> None:
    platform = build(
        NS
        + """
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  selector: all()
  types: [Egress]
  egress:
    - action: Deny
      destination:
        namespaceSelector: global()
"""
    )
    assert _found(platform, RulePeerSelectsNothing) == [
        (
            "NET002",
            "NetworkPolicy/shop/out",
            "egress/0",
            "projectcalico.org/NetworkPolicy shop/out (tier default) egress rule 0 (Deny) "
            "destination selects nothing: its namespaceSelector global() matches no "
            "GlobalNetworkSet",
        )
    ]


def test_selector_matching_a_global_network_set_is_something(build: Builder) -> None:
    platform = build(
        NS
        + """
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: feed, labels: {feed: blocked}}
spec: {nets: [203.0.113.200/29]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: block}
spec:
  selector: all()
  types: [Egress]
  egress:
    - action: Deny
      destination:
        selector: feed == 'blocked'
    - action: Deny
      destination:
        selector: feed == 'blocked'
        namespaceSelector: global()
    - action: Deny
      destination:
        selector: feed == 'blocked'
        namespaceSelector: projectcalico.org/name == 'shop'
"""
    )
    assert [(k, key) for k, _, key, _ in _found(platform, RulePeerSelectsNothing)] == [
        ("NET002", "egress/2")  # a namespaced scope leaves the global set out
    ]


# --------------------------------------------------------------------------- NET003


def test_tier_that_passes_by_default_is_no_default_deny(build: Builder) -> None:
    platform = build(
        NS
        + """
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: platform}
spec: {order: 100, defaultAction: Pass}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: platform.scrape}
spec:
  tier: platform
  selector: all()
  types: [Ingress, Egress]
  ingress:
    - action: Allow
      protocol: TCP
      destination: {ports: [9090]}
"""
    )
    found = _found(platform, NamespaceWithoutDefaultDeny)
    assert [m for *_, m in found] == [
        "namespace shop has no default deny for ingress and egress: traffic no policy "
        "names is allowed"
    ]
    run = run_checks(platform, CheckContext(), [NamespaceWithoutDefaultDeny])
    assert run.findings[0].evidence == (
        "ingress: 2 of 2 pod(s) open, passed by tier(s) platform to the namespace profile: "
        "shop/db, shop/web",
        "egress: 2 of 2 pod(s) open, passed by tier(s) platform to the namespace profile: "
        "shop/db, shop/web",
    )


def test_per_workload_policies_covering_every_pod_count_as_default_deny(
    build: Builder,
) -> None:
    platform = build(
        NS
        + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
  egress:
    - to: [{ipBlock: {cidr: 0.0.0.0/1}}]
"""
    )
    assert _found(platform, NamespaceWithoutDefaultDeny) == []


def test_ipblock_everything_allow_is_not_a_default_deny(build: Builder) -> None:
    platform = build(
        NS
        + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  egress:
    - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
"""
    )
    run = run_checks(platform, CheckContext(), [NamespaceWithoutDefaultDeny])
    assert [f.evidence for f in run.findings] == [
        (
            "egress: 2 of 2 pod(s) open, NetworkPolicy shop/all (tier default) egress rule 0 "
            "(Allow) allows everything: shop/db, shop/web",
        )
    ]


# --------------------------------------------------------------------------- NET004


def test_dns_block_on_the_coredns_side_is_reported_with_its_direction(build: Builder) -> None:
    platform = build(
        NS
        + COREDNS
        + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns-from-shop-only-udp, namespace: kube-system}
spec:
  podSelector: {matchLabels: {k8s-app: kube-dns}}
  policyTypes: [Ingress]
  ingress:
    - ports: [{protocol: UDP, port: 53}]
"""
    )
    run = run_checks(platform, CheckContext(), [DnsBlocked])
    assert [(str(f.subject), f.severity.value, f.message) for f in run.findings] == [
        (
            "Namespace/shop",
            "medium",
            "2 of 2 pod(s) in namespace shop cannot reach CoreDNS on TCP/53: names do not "
            "resolve when an answer needs TCP",
        )
    ]
    assert run.findings[0].evidence[1] == (
        "TCP/53 shop/db -> kube-system/coredns: ingress denied: selected by NetworkPolicy "
        "kube-system/dns-from-shop-only-udp but no rule matched: denied at the end of tier "
        f"default ({run.findings[0].source})"
    )


APP_REPO_DENY = (
    NS
    + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Egress]}
"""
)


def test_dns_check_without_coredns_says_it_could_not_judge(build_as_written: Builder) -> None:
    platform = build_as_written(APP_REPO_DENY)
    run = run_checks(platform, CheckContext(), [DnsBlocked])
    assert run.findings == ()
    assert [(d.level, d.code, d.message) for d in run.diagnostics] == [
        (
            DiagnosticLevel.WARNING,
            "check-incomplete",
            "check NET004 is incomplete: the input has no CoreDNS pod (k8s-app=kube-dns in "
            "kube-system), so whether pods can resolve names was not judged",
        )
    ]


def test_dns_check_judges_an_application_repo_against_the_implied_coredns(
    build: Builder,
) -> None:
    """An application repository holds no kube-system: the EKS CoreDNS add-on is implied."""
    assert _found(build(APP_REPO_DENY), DnsBlocked) == [
        (
            "NET004",
            "Namespace/shop",
            "",
            "2 of 2 pod(s) in namespace shop cannot reach CoreDNS on UDP/53 and TCP/53: "
            "names do not resolve",
        )
    ]


# --------------------------------------------------------------------------- NET005


def test_pass_in_an_earlier_policy_shadows_the_rest_of_the_tier(build: Builder) -> None:
    platform = build(
        NS
        + """
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: first}
spec:
  order: 10
  selector: all()
  types: [Egress]
  egress:
    - action: Pass
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: second}
spec:
  order: 20
  selector: all()
  types: [Egress]
  egress:
    - action: Deny
      destination: {nets: [169.254.169.254/32]}
"""
    )
    assert [(s, k) for _, s, k, _ in _found(platform, CalicoRuleShadowed)] == [
        ("GlobalNetworkPolicy/second", "egress/0")
    ]


def test_rules_judged_beyond_layer_4_never_shadow(build: Builder) -> None:
    platform = build(
        NS
        + """
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  selector: app == 'db'
  types: [Ingress]
  ingress:
    - action: Allow
      http: {methods: [GET]}
    - action: Deny
      protocol: TCP
"""
    )
    assert _found(platform, CalicoRuleShadowed) == []


def test_partly_decided_rule_is_not_shadowed(build: Builder) -> None:
    platform = build(
        NS
        + """
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  selector: app == 'db'
  types: [Ingress]
  ingress:
    - action: Deny
      protocol: TCP
      destination: {ports: ["1:1023"]}
    - action: Allow
      protocol: TCP
      destination: {ports: ["1000:2000"]}
"""
    )
    assert _found(platform, CalicoRuleShadowed) == []


# --------------------------------------------------------------------------- NET006


def test_redundant_policy_check_says_where_it_stopped_when_its_budget_is_spent(
    build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its budget NET006 stops; the report says so (a warning), so the absence
    of NET006 findings is not taken for a pass."""
    platform = build(load_fixture("NET006", "fail_covered_allow"))
    monkeypatch.setattr(redundant_policy, "MAX_PAIR_WORK", 0)
    run = run_checks(platform, CheckContext(), [RedundantPolicy])
    assert run.findings == ()
    (diag,) = run.diagnostics
    assert diag.level is DiagnosticLevel.WARNING
    assert diag.code == "check-incomplete"
    assert diag.message.startswith("check NET006 is incomplete: stopped at ")
    assert "the budget of flow comparisons and walks is spent" in diag.message
    monkeypatch.setattr(redundant_policy, "MAX_PAIR_WORK", 20_000_000)
    monkeypatch.setattr(redundant_policy, "MAX_WALKS", 0)
    run = run_checks(platform, CheckContext(), [RedundantPolicy])
    assert run.findings == ()
    assert [d.code for d in run.diagnostics] == ["check-incomplete"]
    monkeypatch.setattr(redundant_policy, "MAX_WALKS", 60_000)
    run = run_checks(platform, CheckContext(), [RedundantPolicy])
    assert run.diagnostics == ()
    assert [f.check_id for f in run.findings] == ["NET006"]


def test_default_deny_is_never_redundant(build: Builder) -> None:
    platform = build(
        NS
        + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""
    )
    assert _found(platform, RedundantPolicy) == []


# --------------------------------------------------------------------------- helpers


def test_address_classes_cover_named_cidrs_without_pod_addresses(
    build_as_written: Builder,
) -> None:
    platform = build_as_written(
        NS
        + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to: [{ipBlock: {cidr: 198.18.0.10/31, except: [198.18.0.11/32]}}]
"""
    )
    lm = LintModel(platform)
    spans = [(c.describe(), c.rep.name) for c in lm.address_classes()]
    # 198.18.0.10 and .11 are pods: their stretches have no address of their own.
    assert spans == [
        ("0.0.0.0-198.18.0.9", "0.0.0.0"),
        ("198.18.0.12-255.255.255.255", "198.18.0.12"),
    ]
    assert sorted(c.rep.kind for c in lm.classes if c.span is None) == [
        EndpointKind.POD,
        EndpointKind.POD,
    ]


def load_fixture(check_id: str, case: str) -> str:
    root = Path(__file__).resolve().parents[2] / "fixtures" / "checks" / check_id / case
    return (root / "objects.yaml").read_text(encoding="utf-8")


def test_system_namespaces_are_chosen_by_a_selector(build: Builder) -> None:
    """kube-system (defined or not) is skipped by default; --system-namespaces
    names the platform's own too (here by a label), and only those."""
    platform = build(
        NS
        + COREDNS
        + """
---
apiVersion: v1
kind: Namespace
metadata: {name: monitoring, labels: {owner: platform-team}}
---
apiVersion: v1
kind: Pod
metadata: {name: prom, namespace: monitoring, labels: {app: prom}}
spec: {containers: [{name: c, image: prom:1}]}
status: {podIP: 198.18.0.20}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
"""
    )

    def flagged(ctx: CheckContext) -> list[str]:
        return [
            str(f.subject)
            for f in run_checks(platform, ctx, [NamespaceWithoutDefaultDeny]).findings
        ]

    assert flagged(CheckContext()) == ["Namespace/monitoring"]
    own = parse_calico_selector(
        "owner == 'platform-team' || kubernetes.io/metadata.name == 'kube-system'"
    )
    assert flagged(CheckContext(system_namespaces=own)) == []
    nothing = parse_calico_selector("!all()")
    assert flagged(CheckContext(system_namespaces=nothing)) == [
        "Namespace/kube-system",
        "Namespace/monitoring",
    ]


def test_analyze_rejects_a_bad_system_namespaces_selector(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["analyze", str(DEMO), "--system-namespaces", "owner ==", "-q"]) == 2
    assert "--system-namespaces:" in capsys.readouterr().err


# ------------------------------------------------------- partial platforms (issue 18)

DNS_ALLOW = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-dns, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
          podSelector: {matchLabels: {k8s-app: LABEL}}
      ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
"""


def test_a_dns_allow_to_a_kube_system_the_input_lacks_is_not_advised_away(
    build_as_written: Builder,
) -> None:
    """An application repository with --no-implied: the peer is unknown, not empty,
    and NET006 does not call the DNS allow redundant."""
    platform = build_as_written(NS + DNS_ALLOW.replace("LABEL", "kube-dns"))
    run = run_checks(platform, CheckContext(), [RulePeerSelectsNothing, RedundantPolicy])
    assert [(f.check_id, f.severity.value, f.message, f.fix) for f in run.findings] == [
        (
            "NET002",
            "info",
            "NetworkPolicy shop/allow-dns egress rule 0 peer 0 cannot be judged: it names "
            "namespace kube-system, which the input does not hold",
            "nothing to change if namespace kube-system exists in the cluster; add its "
            "manifests to the input to judge the peer",
        )
    ]


def test_a_dns_allow_is_judged_against_the_implied_coredns(build: Builder) -> None:
    assert _found(build(NS + DNS_ALLOW.replace("LABEL", "kube-dns")), RulePeerSelectsNothing) == []
    wrong = build(NS + DNS_ALLOW.replace("LABEL", "coredns"))
    run = run_checks(wrong, CheckContext(), [RulePeerSelectsNothing])
    assert [(f.message, f.fix) for f in run.findings] == [
        (
            "NetworkPolicy shop/allow-dns egress rule 0 peer 0 selects no pod: its podSelector "
            "k8s-app=coredns matches no pod in namespace(s) kube-system",
            "correct the selector or the namespace labels; do not remove the peer: this rule "
            "is how the pods reach DNS",
        )
    ]


ARGO_SERVER = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-network-policy, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress: [{}]
"""

GUARD_RAIL = """
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.deny-imds}
spec:
  tier: security
  order: 10
  selector: all()
  types: [Egress]
  egress:
    - action: Deny
      destination: {nets: [169.254.169.254/32]}
    - action: Pass
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: default.shop-egress, namespace: shop}
spec:
  tier: default
  selector: all()
  types: [Egress]
  egress:
    - action: Deny
      destination: {nets: [169.254.169.254/32]}
    - action: Allow
"""


def test_an_allow_all_kept_for_a_future_default_deny_is_defence_in_depth(build: Builder) -> None:
    """Argo CD ships an allow-all ingress policy for argocd-server: it changes nothing
    while no other policy selects the pod, and must not be advised away."""
    run = run_checks(build(NS + ARGO_SERVER), CheckContext(), [RedundantPolicy])
    assert [(f.severity.value, f.key, f.message, f.fix) for f in run.findings] == [
        (
            "info",
            "defence-in-depth",
            "NetworkPolicy shop/web-network-policy (tier default) allows all ingress traffic "
            "of the 1 pod(s) it selects, which no other policy selects: it changes nothing "
            "today but keeps them open if a default deny is added (defence in depth, not a "
            "redundant allow)",
            "keep it if these pods must stay open under a future default deny; narrow its "
            "rules to the peers and ports they need",
        )
    ]


def test_a_guard_rail_deny_that_a_lower_tier_repeats_is_defence_in_depth(build: Builder) -> None:
    """The IMDS deny of the security tier still guards the (implied) kube-system pods; the
    namespace's own copy changes nothing today and is reported as defence in depth."""
    run = run_checks(build(NS + GUARD_RAIL), CheckContext(), [RedundantPolicy])
    assert [(str(f.subject), f.severity.value, f.fix) for f in run.findings] == [
        (
            "NetworkPolicy/shop/default.shop-egress",
            "info",
            "keep it if it is a guard rail meant to hold whatever the other policies become; "
            "otherwise make one of the two the single place of this deny",
        )
    ]
