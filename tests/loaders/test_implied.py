"""What ekstwin assumes when the input lacks it: the cluster's own objects and the
workloads operators make (``ekstwin.loaders.implied``, ``ekstwin.loaders.operators``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.checks import CheckContext, run_checks
from ekstwin.engines.net.checks.policy_selects_no_pod import PolicySelectsNoPod
from ekstwin.loaders import load
from ekstwin.model.k8s import NAMESPACE_NAME_LABEL, Workload

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"
MONITORING = FIXTURES / "kube-prometheus-like"

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.25"}]
"""


def test_an_application_repo_gets_the_cluster_namespaces_and_coredns() -> None:
    p = load(["-"], stdin_text=lambda: APP).platform
    k8s = "<implied: created by Kubernetes in every cluster>"
    assert [(ns.name, ns.labels, ns.meta.source.file) for ns in p.namespaces] == [
        (name, {NAMESPACE_NAME_LABEL: name}, k8s if name != "shop" else "<stdin>")
        for name in ("default", "kube-node-lease", "kube-public", "kube-system", "shop")
    ]
    assert [str(r) for r in p.implied()] == [
        "Namespace/default",
        "Namespace/kube-node-lease",
        "Namespace/kube-public",
        "Namespace/kube-system",
        "Deployment/kube-system/coredns",
        "Service/kube-system/kube-dns",
        "ServiceAccount/kube-system/coredns",
    ]
    dns = [x for x in p.pods if x.namespace == "kube-system"]
    ports = [(53, "UDP", "dns"), (53, "TCP", "dns-tcp"), (9153, "TCP", "metrics")]
    assert [
        (
            x.labels["k8s-app"],
            [(c.container_port, c.protocol.value, c.name) for c in x.spec.all_ports],
        )
        for x in dns
    ] == [("kube-dns", ports)] * 2
    svc = p.service("kube-system", "kube-dns")
    assert svc is not None and svc.selector == {"k8s-app": "kube-dns"}
    # what the input holds is counted as read; the implied objects are not
    assert p.kind_counts() == {"Deployment": 1}


def test_declared_objects_are_not_implied_again() -> None:
    text = (
        APP
        + "---\napiVersion: v1\nkind: Namespace\n"
        + "metadata: {name: kube-system, labels: {team: platform}}\n"
        + "---\napiVersion: apps/v1\nkind: DaemonSet\n"
        + "metadata: {name: node-local-dns, namespace: kube-system}\n"
        + "spec:\n  selector: {matchLabels: {k8s-app: kube-dns}}\n  template:\n"
        + "    metadata: {labels: {k8s-app: kube-dns}}\n"
        + "    spec: {containers: [{name: dns, image: 'coredns/coredns:1.11.1'}]}\n"
    )
    p = load(["-"], stdin_text=lambda: text).platform
    ks = p.namespace("kube-system")
    assert ks is not None and ks.labels == {"team": "platform", NAMESPACE_NAME_LABEL: "kube-system"}
    assert [str(r) for r in p.implied()] == [
        "Namespace/default",
        "Namespace/kube-node-lease",
        "Namespace/kube-public",
    ]


def test_no_implied_assumes_nothing() -> None:
    p = load(["-"], stdin_text=lambda: APP, implied=False).platform
    assert p.implied() == ()
    assert [ns.name for ns in p.namespaces] == ["shop"]


def _rest(w: Workload) -> tuple[dict[str, str], dict[str, str]]:
    return w.spec.node_selector, w.template_labels


def test_prometheus_operator_resources_become_statefulsets_with_the_operators_labels() -> None:
    p = load([str(MONITORING)]).platform
    made = [
        (w.meta.name, w.kind.value, w.replicas, w.spec.service_account, *_rest(w))
        for w in p.workloads
    ]
    assert made == [
        (
            "prometheus-k8s", "StatefulSet", 2, "prometheus-k8s", {"kubernetes.io/os": "linux"},
            {
                "app.kubernetes.io/component": "prometheus",
                "app.kubernetes.io/part-of": "kube-prometheus",
                "app.kubernetes.io/name": "prometheus",
                "app.kubernetes.io/managed-by": "prometheus-operator",
                "app.kubernetes.io/instance": "k8s",
                "prometheus": "k8s",
                "operator.prometheus.io/name": "k8s",
                "operator.prometheus.io/shard": "0",
            },
        ),
        (
            "alertmanager-main", "StatefulSet", 3, "default", {},
            {
                "app.kubernetes.io/component": "alert-router",
                "app.kubernetes.io/name": "alertmanager",
                "app.kubernetes.io/managed-by": "prometheus-operator",
                "app.kubernetes.io/instance": "main",
                "alertmanager": "main",
            },
        ),
        (
            "thanos-ruler-rules", "StatefulSet", 1, "default", {},
            {
                "app.kubernetes.io/name": "thanos-ruler",
                "app.kubernetes.io/managed-by": "prometheus-operator",
                "app.kubernetes.io/instance": "rules",
                "thanos-ruler": "rules",
            },
        ),
        (
            "coredns", "Deployment", 2, "coredns", {},
            {"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"},
        ),
    ]  # fmt: skip
    sts = p.workloads[0]
    assert sts.meta.source.file == (
        "<implied: made by prometheus-operator from Prometheus monitoring/k8s "
        f"({MONITORING / 'monitoring.yaml'}:7)>"
    )
    assert [x.name for x in p.pods if x.workload == sts.ref] == [
        "prometheus-k8s-0",
        "prometheus-k8s-1",
    ]


def test_sharded_prometheus_makes_one_statefulset_per_shard() -> None:
    text = (
        "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\n"
        "metadata: {name: big, namespace: mon}\nspec: {shards: 3}\n"
    )
    p = load(["-"], stdin_text=lambda: text).platform
    assert [
        (w.meta.name, w.template_labels["operator.prometheus.io/shard"])
        for w in p.workloads
        if w.kind.value == "StatefulSet"
    ] == [("prometheus-big", "0"), ("prometheus-big-shard-1", "1"), ("prometheus-big-shard-2", "2")]


def test_kube_prometheus_policies_select_the_operators_pods() -> None:
    """NET001 told users to delete prometheus-k8s and alertmanager-main: the pods they
    select are made by the operator, not written in the input."""
    implied = load([str(MONITORING)]).platform
    assert run_checks(implied, CheckContext(), [PolicySelectsNoPod]).findings == ()
    closed = load([str(MONITORING)], implied=False).platform
    found = run_checks(closed, CheckContext(), [PolicySelectsNoPod]).findings
    assert [str(f.subject) for f in found] == [
        "NetworkPolicy/monitoring/alertmanager-main",
        "NetworkPolicy/monitoring/prometheus-k8s",
    ]


def test_analyze_marks_implied_objects_and_no_implied_turns_them_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.yaml").write_text(APP, encoding="utf-8")
    assert main(["analyze", str(tmp_path), "-f", "json", "-q"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]["platform"]
    assert (summary["namespaces"], summary["implied"], summary["kinds"]) == (
        ["shop"],
        [
            "Namespace/default",
            "Namespace/kube-node-lease",
            "Namespace/kube-public",
            "Namespace/kube-system",
            "Deployment/kube-system/coredns",
            "Service/kube-system/kube-dns",
            "ServiceAccount/kube-system/coredns",
        ],
        {"Deployment": 1},
    )
    assert main(["analyze", str(tmp_path), "-f", "json", "-q", "--no-implied"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]["platform"]
    assert summary["implied"] == []
    assert main(["analyze", str(tmp_path), "-q"]) == 0
    table = capsys.readouterr().out
    assert "implied      7: Namespace/default" in table


def test_every_command_that_reads_a_platform_takes_no_implied() -> None:
    import argparse

    from ekstwin.cli.common import PLATFORM_DESTS
    from ekstwin.cli.main import build_parser

    missing: list[str] = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, f"{path} {name}")
        dests = {a.dest for a in parser._actions}
        if dests & PLATFORM_DESTS and "no_implied" not in dests:
            missing.append(path)

    walk(build_parser(), "ekstwin")
    assert missing == []
