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
