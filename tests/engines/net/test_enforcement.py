"""Who enforces the policies: Calico, the VPC CNI agent, nobody, or unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.net import Granularity, NetModel, Reason, Verdict, can, matrix
from ekstwin.engines.net.enforcement import Enforcement, Enforcer, platform_enforcement
from tests.engines.conftest import Builder

PODS = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: nginx:1, ports: [{containerPort: 8080}]}]}
status: {podIP: 198.18.0.10}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: postgres:16, ports: [{containerPort: 5432}]}]}
status: {podIP: 198.18.0.11}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-web-to-db}
spec:
  order: 10
  selector: app == 'db'
  ingress: [{action: Deny, source: {selector: app == 'web'}}]
"""


def aws_node(flag: str, mode: str = "standard") -> str:
    return f"""
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: aws-node, namespace: kube-system}}
spec:
  selector: {{matchLabels: {{k8s-app: aws-node}}}}
  template:
    metadata: {{labels: {{k8s-app: aws-node}}}}
    spec:
      hostNetwork: true
      containers:
        - name: aws-node
          image: amazon-k8s-cni:v1.20.4
          env: [{{name: NETWORK_POLICY_ENFORCING_MODE, value: {mode}}}]
        - name: aws-network-policy-agent
          image: aws-network-policy-agent:v1.2.5
          args: [--enable-network-policy={flag}]
"""


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
      containers: [{name: calico-node, image: "quay.io/calico/node:v3.32.1"}]
"""


def _v(model: NetModel, src: str, dst: str, port: int) -> Verdict:
    got = can(model, src, dst, port)
    assert isinstance(got, Verdict)
    return got


def test_without_node_agents_in_the_input_the_enforcer_is_assumed(build: Builder) -> None:
    model = NetModel(build(PODS))
    assert model.enforcement == Enforcement(Enforcer.UNKNOWN)
    v = _v(model, "shop/web", "shop/db", 5432)
    assert (v.allowed, str(v.ingress.policy)) == (
        False, "projectcalico.org/GlobalNetworkPolicy deny-web-to-db"
    )  # fmt: skip
    assert v.to_json()["enforcer"] == {
        "name": "unknown", "assumed": True, "mode": None, "evidence": [], "vpc_cni_too": False,
    }  # fmt: skip


def test_aws_node_without_the_agent_enabled_means_no_enforcer(build: Builder) -> None:
    model = NetModel(build(PODS + aws_node("false")))
    assert model.enforcement.enforcer is Enforcer.NONE
    v = _v(model, "shop/web", "shop/db", 5432)
    assert v.allowed and v.ingress.reason is Reason.NO_ENFORCER
    assert v.ingress.message == (
        "allowed: no enforcer, policies have no effect (none: no node agent enforces network "
        "policy (DaemonSet kube-system/aws-node; DaemonSet kube-system/aws-node: "
        "aws-network-policy-agent without --enable-network-policy=true))"
    )
    flows = matrix(model, Granularity.POD).lookup()
    assert flows[("shop/web", "shop/db")].contains("TCP", 5432)


def test_the_vpc_cni_agent_ignores_calico_resources(build: Builder) -> None:
    model = NetModel(build(PODS + aws_node("true")))
    assert (model.enforcement.enforcer, model.enforcement.mode) == (Enforcer.VPC_CNI, "standard")
    v = _v(model, "shop/web", "shop/db", 5432)
    assert (v.allowed, str(v.ingress.policy)) == (True, "NetworkPolicy shop/db-from-web")
    # The Kubernetes policy is enforced: db accepts web only.
    other = _v(model, "203.0.113.1", "shop/db", 5432)
    assert (other.allowed, other.ingress.reason) == (False, Reason.END_OF_TIER)
    # A pod no policy selects is open in standard mode.
    assert _v(model, "shop/db", "shop/web", 8080).allowed


def test_strict_mode_denies_pods_that_no_policy_selects(build: Builder) -> None:
    model = NetModel(build(PODS + aws_node("true", "strict")))
    assert model.enforcement.strict
    v = _v(model, "shop/db", "shop/web", 8080)
    assert (v.allowed, v.egress.reason, v.ingress.reason) == (
        False, Reason.STRICT_MODE, Reason.STRICT_MODE,
    )  # fmt: skip
    flows = matrix(model, Granularity.POD).lookup()
    assert ("shop/db", "shop/web") not in flows
    assert ("shop/web", "shop/db") not in flows  # web's own egress is default-deny too


def test_calico_wins_and_notes_a_second_enforcer(build: Builder) -> None:
    enf = platform_enforcement(build(PODS + aws_node("true") + CALICO_NODE))
    assert (enf.enforcer, enf.vpc_cni_too, enf.evidence) == (
        Enforcer.CALICO, True, ("DaemonSet calico-system/calico-node",)
    )  # fmt: skip


@pytest.mark.parametrize(
    ("value", "enforcer"), [("true", Enforcer.VPC_CNI), ("false", Enforcer.NONE)]
)
def test_the_amazon_vpc_cni_config_map_says_whether_the_controller_runs(
    build: Builder, value: str, enforcer: Enforcer
) -> None:
    cm = f"""
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: amazon-vpc-cni, namespace: kube-system}}
data: {{enable-network-policy-controller: "{value}"}}
"""
    assert platform_enforcement(build(PODS + cm)).enforcer is enforcer


def test_net_can_names_the_enforcer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.yaml").write_text(PODS + aws_node("false"), encoding="utf-8")
    argv = ["net", "can", str(tmp_path), "--from", "shop/web", "--to", "shop/db", "--port", "5432"]
    assert main([*argv, "--no-mesh", "-q"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "shop/web -> shop/db TCP/5432: ALLOWED"
    assert out[-1].startswith("  enforcer: none: no node agent enforces network policy")
