"""Calico corners where the twin once disagreed with Calico (each a reproduction):
host-endpoint-only policies, empty selector fields, empty types, order ties by
release, and global() outside a rule's namespaceSelector."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.checks import CheckContext, run_checks
from ekstwin.engines.net import NetModel, Verdict, can
from ekstwin.engines.net.checks.calico_rule_shadowed import CalicoRuleShadowed
from ekstwin.engines.net.platform_calico import CalicoVersionError
from ekstwin.loaders import load
from ekstwin.model.calico import TieBreak
from tests.engines.conftest import Builder
from tests.engines.net.test_calico import BASE

Model = Callable[[str], NetModel]


def _v(model: NetModel, src: str, dst: str, port: int = 5432) -> Verdict:
    got = can(model, src, dst, port)
    assert isinstance(got, Verdict)
    return got


def _decider(v: Verdict) -> tuple[bool, str | None]:
    return v.allowed, None if v.ingress.policy is None else str(v.ingress.policy)


@pytest.mark.parametrize("flag", ["doNotTrack", "preDNAT"])
def test_host_endpoint_only_policies_do_not_apply_to_pods(model_of: Model, flag: str) -> None:
    m = model_of(
        BASE
        + f"""
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {{name: untracked-deny}}
spec:
  selector: app == 'db'
  {flag}: true
  applyOnForward: true
  ingress: [{{action: Deny}}]
"""
    )
    v = _v(m, "ops/tool", "shop/db")
    assert _decider(v) == (True, None)
    assert v.ingress.message == "no policy selects shop/db: allowed"


def test_empty_rule_selector_means_absent_and_matches_outside_addresses(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: allow-any}
spec:
  selector: app == 'db'
  ingress: [{action: Allow, source: {selector: ""}}]
"""
    )
    assert _decider(_v(m, "203.0.113.1", "shop/db")) == (
        True, "projectcalico.org/GlobalNetworkPolicy allow-any",
    )  # fmt: skip
    assert _v(m, "ops/tool", "shop/db").allowed


def test_empty_not_selector_and_namespace_selector_mean_absent(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-any, namespace: shop}
spec:
  selector: app == 'db'
  ingress: [{action: Allow, source: {notSelector: "", namespaceSelector: ""}}]
"""
    )
    # Absent fields: the rule is not narrowed to the policy's namespace.
    assert _v(m, "203.0.113.1", "shop/db").allowed
    assert _v(m, "ops/tool", "shop/db").allowed


def test_empty_types_default_like_absent_types(model_of: Model) -> None:
    m = model_of(
        BASE
        + """
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-db}
spec:
  selector: app == 'db'
  types: []
  ingress: [{action: Deny}]
"""
    )
    assert _decider(_v(m, "ops/tool", "shop/db")) == (
        False, "projectcalico.org/GlobalNetworkPolicy deny-db",
    )  # fmt: skip


TIES = """
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {order: 1000, selector: app == 'db', ingress: [{action: Deny}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow, namespace: shop}
spec: {podSelector: {matchLabels: {app: db}}, ingress: [{}]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: t-deny-web}
spec: {order: 10, selector: app == 'web', ingress: [{action: Deny}]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: u-allow-web, namespace: shop}
spec: {order: 10, selector: app == 'web', ingress: [{action: Allow}]}
"""


def test_order_ties_follow_name_namespace_kind_by_default(model_of: Model) -> None:
    m = model_of(BASE + TIES)
    assert m.tie_break is TieBreak.NAME_NAMESPACE_KIND
    # "allow/shop/KubernetesNetworkPolicy" < "deny/shop/NetworkPolicy"
    assert _decider(_v(m, "ops/tool", "shop/db")) == (True, "NetworkPolicy shop/allow")
    # "t-deny-web//GlobalNetworkPolicy" < "u-allow-web/shop/NetworkPolicy"
    assert _decider(_v(m, "ops/tool", "shop/web", 8080)) == (
        False, "projectcalico.org/GlobalNetworkPolicy t-deny-web",
    )  # fmt: skip


def test_order_ties_follow_the_legacy_rule_for_calico_before_3_32(
    build: Builder,
) -> None:
    platform = build(BASE + TIES)
    m = NetModel(platform, calico_version="v3.31.2")
    assert m.tie_break is TieBreak.LEGACY_NAME
    # "shop/deny" < "shop/knp.default.allow"
    assert _decider(_v(m, "ops/tool", "shop/db")) == (
        False,
        "projectcalico.org/NetworkPolicy shop/deny",
    )
    # "shop/u-allow-web" < "t-deny-web"
    assert _decider(_v(m, "ops/tool", "shop/web", 8080)) == (
        True, "projectcalico.org/NetworkPolicy shop/u-allow-web",
    )  # fmt: skip


CALICO_NODE = """
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: calico-node, namespace: calico-system}
spec:
  selector: {matchLabels: {k8s-app: calico-node}}
  template:
    metadata: {labels: {k8s-app: calico-node}}
    spec:
      hostNetwork: true
      containers: [{name: calico-node, image: "quay.io/calico/node:%s"}]
"""


@pytest.mark.parametrize(
    ("tag", "rule"),
    [
        ("v3.31.7", TieBreak.LEGACY_NAME),
        ("v3.30.0", TieBreak.LEGACY_NAME),
        ("v3.32.0", TieBreak.NAME_NAMESPACE_KIND),
        ("v3.33.1", TieBreak.NAME_NAMESPACE_KIND),
        ("latest", TieBreak.NAME_NAMESPACE_KIND),
    ],
)
def test_the_calico_node_image_tag_picks_the_rule(
    model_of: Model, tag: str, rule: TieBreak
) -> None:
    assert model_of(BASE + TIES + CALICO_NODE % tag).tie_break is rule


def test_an_explicit_version_wins_over_the_image_tag(build: Builder) -> None:
    platform = build(BASE + TIES + CALICO_NODE % "v3.31.7")
    m = NetModel(platform, calico_version="3.32")
    assert m.tie_break is TieBreak.NAME_NAMESPACE_KIND


def test_a_version_that_does_not_parse_is_a_usage_error(build: Builder) -> None:
    platform = build(BASE)
    with pytest.raises(CalicoVersionError, match=r"give it as v3\.31\.2 or 3\.31"):
        NetModel(platform, calico_version="three")


def test_net_can_takes_calico_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.yaml").write_text(BASE + TIES, encoding="utf-8")
    argv = ["net", "can", str(tmp_path), "--from", "ops/tool", "--to", "shop/db", "--port", "5432"]
    assert main([*argv, "--no-mesh", "-q"]) == 0
    assert "ALLOWED" in capsys.readouterr().out
    assert main([*argv, "--no-mesh", "-q", "--calico-version", "v3.31.0"]) == 0
    assert "DENIED" in capsys.readouterr().out
    assert main([*argv, "--no-mesh", "-q", "--calico-version", "nope"]) == 2


GLOBAL_MISUSE = [
    ("GlobalNetworkPolicy", "selector: global()", "/spec/selector", "can only be used"),
    (
        "GlobalNetworkPolicy",
        "namespaceSelector: global()",
        "/spec/namespaceSelector",
        "can only be used",
    ),
    (
        "NetworkPolicy",
        "serviceAccountSelector: global()",
        "/spec/serviceAccountSelector",
        "can only be used",
    ),
    (
        "GlobalNetworkPolicy",
        "ingress: [{action: Allow, source: {selector: global()}}]",
        "/spec/ingress/0/source/selector",
        "can only be used",
    ),
    (
        "GlobalNetworkPolicy",
        "ingress: [{action: Allow, source: {namespaceSelector: global() || has(a)}}]",
        "/spec/ingress/0/source/namespaceSelector",
        "cannot be combined",
    ),
    (
        "NetworkPolicy",
        "egress: [{action: Allow, destination: {namespaceSelector: (global())}}]",
        "/spec/egress/0/destination/namespaceSelector",
        "cannot be combined",
    ),
]


@pytest.mark.parametrize(("kind", "field", "pointer", "words"), GLOBAL_MISUSE)
def test_global_outside_a_rule_namespace_selector_is_an_input_error(
    tmp_path: Path, kind: str, field: str, pointer: str, words: str
) -> None:
    ns = "\n  namespace: shop" if kind == "NetworkPolicy" else ""
    # The case's field may be the selector itself: a second selector key would
    # make the document one the API server refuses for another reason.
    selector = "" if field.startswith("selector:") else "selector: all()\n  "
    text = f"""apiVersion: projectcalico.org/v3
kind: {kind}
metadata:
  name: bad{ns}
spec:
  {selector}{field}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {{name: good}}
spec:
  selector: all()
  ingress: [{{action: Allow, source: {{namespaceSelector: " global( ) "}}}}]
"""
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    result = load([str(tmp_path)])
    errors = [d for d in result.diagnostics if d.level.value == "error"]
    assert len(errors) == 1
    source = errors[0].source
    line = 6 + bool(ns) + bool(selector)
    assert source is not None and (Path(source.file).name, source.line) == ("p.yaml", line)
    assert pointer in errors[0].message and words in errors[0].message
    assert (
        errors[0].hint == "use global() only as a rule's whole source/destination namespaceSelector"
    )
    assert [p.name for p in result.platform.calico_policies] == ["good"]


def test_global_misuse_makes_analyze_exit_2(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: bad}\n"
        "spec: {selector: global()}\n",
        encoding="utf-8",
    )
    assert main(["analyze", str(tmp_path), "-q"]) == 2


def test_the_lint_reads_policies_in_the_order_of_the_platforms_release(build: Builder) -> None:
    # The checks walk the tiers as the verdicts do: NET005 (a Calico rule never
    # reached) follows the release's tie-break rule. Before, the lint always used
    # the v3.32 rule, and under v3.31 it called the rule that decides unreachable.
    def shadowed(text: str) -> list[str]:
        run = run_checks(build(text), CheckContext(), [CalicoRuleShadowed])
        return sorted(f"{f.subject} {f.key}" for f in run.findings)

    assert shadowed(BASE + TIES) == [
        "NetworkPolicy/shop/deny ingress/0",
        "NetworkPolicy/shop/u-allow-web ingress/0",
    ]
    # "shop/deny" < "shop/knp.default.allow": the deny decides (NET005 judges Calico
    # rules only, so the Kubernetes policy it hides is not listed); "shop/u-allow-web"
    # < "t-deny-web": the allow decides.
    assert shadowed(BASE + TIES + CALICO_NODE % "v3.31.7") == [
        "GlobalNetworkPolicy/t-deny-web ingress/0",
    ]
