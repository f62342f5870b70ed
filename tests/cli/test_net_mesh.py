"""`net can` and `net matrix --mesh` carry the mesh layer: one verdict from L3 to L7."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.loaders import load

DEMO = str(Path(__file__).resolve().parents[2] / "examples" / "demo-platform")


def _pod(prefix: str) -> str:
    platform = load([DEMO]).platform
    return sorted(p.key for p in platform.pods if p.key.startswith(prefix))[0]


def _can(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, object]:
    src, dst = _pod("monitoring/blackbox-exporter-"), _pod("payments/payments-api-")
    argv = ["net", "can", DEMO, "--from", src, "--to", dst, "--port", "8080", "-q", "-f", "json"]
    assert main([*argv, *extra]) == 0
    doc: dict[str, object] = json.loads(capsys.readouterr().out)
    return doc


def test_net_can_refuses_a_plaintext_client_of_a_strict_workload_on_the_mesh_layer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = _can(capsys)
    assert (doc["allowed"], doc["network_allowed"], doc["status"], doc["decided_by"]) == (
        False, True, "refused", "mesh",
    )  # fmt: skip
    ingress = doc["ingress"]
    assert isinstance(ingress, dict)
    assert (ingress["policy"], ingress["rule"], ingress["line"]) == (
        {"kind": "NetworkPolicy", "namespace": "payments", "name": "payments-api-ingress"},
        1,
        83,
    )
    mesh = doc["mesh"]
    assert isinstance(mesh, dict)
    assert mesh["reason"] == "plaintext-to-strict"


def test_net_can_without_the_mesh_keeps_the_network_verdict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = _can(capsys, "--no-mesh")
    assert doc["allowed"] is True
    assert "mesh" not in doc


def test_net_matrix_mesh_lists_refused_ports_per_flow(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["net", "matrix", DEMO, "--mesh", "-f", "json", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    src, dst = _pod("monitoring/blackbox-exporter-"), _pod("payments/payments-api-")
    (flow,) = [f for f in doc["flows"] if (f["from"], f["to"]) == (src, dst)]
    assert [r["port"] for r in flow["mesh_refused"]] == [8080]
    assert all("mesh_refused" in f for f in doc["flows"])


def test_net_matrix_mesh_needs_pod_granularity_and_json() -> None:
    assert main(["net", "matrix", DEMO, "--mesh", "--by", "namespace", "-q"]) == 2


# -- workloads instead of generated pod names ------------------------------------

WORKLOADS = [
    ("monitoring/deployment/blackbox-exporter", "payments/payments-api"),
    ("monitoring/blackbox-exporter", "payments/deploy/payments-api"),
]


@pytest.mark.parametrize(("source", "destination"), WORKLOADS)
def test_net_can_answers_for_a_workload_s_pods(
    capsys: pytest.CaptureFixture[str], source: str, destination: str
) -> None:
    by_pod = _can(capsys)
    argv = ["net", "can", DEMO, "--from", source, "--to", destination, "--port", "8080"]
    assert main([*argv, "-q", "-f", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == by_pod
    src, dst = _pod("monitoring/blackbox-exporter-"), _pod("payments/payments-api-")
    assert err.splitlines() == [
        f"Deployment/monitoring/blackbox-exporter: answered for its pod {src} (1 pod(s))",
        f"Deployment/payments/payments-api: answered for its pod {dst} (3 pod(s))",
    ]


def test_mesh_can_and_iam_pod_take_a_workload(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["mesh", "can", DEMO, "--from", "monitoring/blackbox-exporter", "--port", "8080"]
    assert main([*argv, "--to", "payments/deployment/payments-api", "-q", "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["to"] == _pod("payments/payments-api-")
    assert main(["iam", "pod", DEMO, "payments/deployment/payments-api", "-f", "json", "-q"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["pod"] == _pod("payments/payments-api-")
    assert "Deployment/payments/payments-api: answered for its pod" in err


def test_an_unknown_or_ambiguous_workload_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["net", "can", DEMO, "--from", "payments/nope", "--to", "payments/payments-api"]
    assert main([*argv, "--port", "8080", "-q"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: no pod and no workload payments/nope in the platform (give NS/POD, "
        "NS/KIND/NAME such as shop/deployment/web, or NS/NAME of a workload)"
    )


def test_net_can_says_when_an_endpoint_is_implied(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
        "spec: {containers: [{name: web, image: 'nginx:1.27'}]}\n",
        encoding="utf-8",
    )
    argv = ["net", "can", str(tmp_path), "--from", "shop/web", "--to", "coredns"]
    assert main([*argv, "--port", "53", "--protocol", "UDP", "-q"]) == 0
    assert capsys.readouterr().err == (
        "kube-system/svc/kube-dns is not in the input: <implied: the EKS CoreDNS add-on>\n"
    )
