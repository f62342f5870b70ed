"""The demo platform: a flow the network allows and the mesh refuses, routes, checks, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.checks import CheckContext, discover_checks, run_checks
from ekstwin.engines.mesh import MeshModel, effective_mtls, explain, mesh_verdict, routes
from ekstwin.engines.mesh.checks.plaintext_caller_to_strict import (
    MAX_CALLERS_SHOWN,
    PlaintextCallerToStrict,
)
from ekstwin.engines.mesh.combined import CombinedServiceVerdict, CombinedVerdict, Layer
from ekstwin.loaders import load
from ekstwin.model.platform import Platform

DEMO = Path(__file__).resolve().parents[3] / "examples" / "demo-platform"


@pytest.fixture(scope="module")
def demo() -> Platform:
    return load([str(DEMO)]).platform


def _pod(platform: Platform, prefix: str) -> str:
    return sorted(p.key for p in platform.pods if p.key.startswith(prefix))[0]


def test_blackbox_to_payments_api_network_allows_mesh_refuses(demo: Platform) -> None:
    src = _pod(demo, "monitoring/blackbox-exporter-")
    dst = _pod(demo, "payments/payments-api-")
    v = explain(MeshModel(demo), src, dst, 8080)
    assert isinstance(v, CombinedVerdict)
    assert v.network.allowed is True
    assert v.network.ingress.message.startswith(
        "allowed by NetworkPolicy payments/payments-api-ingress (tier default) ingress rule 1"
    )
    assert (v.allowed, v.status, v.decided_by) == (False, "refused", Layer.MESH)
    out = v.to_json()
    mesh = out["mesh"]
    assert isinstance(mesh, dict)
    assert (mesh["reason"], mesh["file"], mesh["line"]) == (
        "plaintext-to-strict",
        str(DEMO / "k8s" / "istio-system" / "mesh-policy.yaml"),
        11,
    )
    assert mesh["mtls"] == {
        "mode": "STRICT",
        "scope": "mesh",
        "policy": "istio-system/default",
        "file": str(DEMO / "k8s" / "istio-system" / "mesh-policy.yaml"),
        "line": 11,
        "ignored": [],
    }


def test_through_the_service_every_backend_is_refused_by_the_mesh(demo: Platform) -> None:
    src = _pod(demo, "monitoring/blackbox-exporter-")
    v = explain(demo, src, "payments/svc/payments-api", 80)
    assert isinstance(v, CombinedServiceVerdict)
    assert v.allowed is False
    assert {(b.network.allowed, b.mesh.reason.value) for b in v.backends} == {
        (True, "plaintext-to-strict")
    }
    assert len(v.backends) == 3


def test_alb_target_port_accepts_plaintext(demo: Platform) -> None:
    """storefront is an ALB target: port 8080 is PERMISSIVE by a port-level exception."""
    model = MeshModel(demo)
    dst = _pod(demo, "shop-frontend/storefront-")
    pod = next(p for p in demo.pods if p.key == dst)
    src = _pod(demo, "monitoring/blackbox-exporter-")
    assert effective_mtls(demo, pod, 8080).policy == "shop-frontend/alb-targets"
    assert effective_mtls(demo, pod, 8080).scope.value == "port"
    assert mesh_verdict(model, src, dst, 8080).status.value == "allowed"


def test_payments_api_authorization_on_the_demo(demo: Platform) -> None:
    model = MeshModel(demo)
    dst = _pod(demo, "payments/payments-api-")
    cart = _pod(demo, "shop-api/cart-api-")
    store = _pod(demo, "shop-frontend/storefront-")
    cases = [
        (cart, "GET", "/v1/charges", "allowed", "allow-matched"),
        (cart, "GET", "/admin/users", "refused", "deny-matched"),
        (store, "GET", "/v1/charges", "refused", "no-allow-matched"),
    ]
    got = [
        (s, m, p, v.status.value, v.reason.value)
        for s, m, p, _, _ in cases
        for v in [mesh_verdict(model, s, dst, 8080, method=m, path=p)]
    ]
    assert got == cases


def test_routes_to_a_subset_that_does_not_exist(demo: Platform) -> None:
    t = routes(demo, "catalog-api.shop-api")
    assert [
        (r.index, r.name, [(x.subset, x.share, x.problem is None) for x in r.targets])
        for r in t.routes
    ] == [
        (0, "grpc-clients", [("stable", 1.0, False)]),
        (1, "default", [("v5", 1.0, True)]),
    ]


def test_demo_mesh_checks(demo: Platform) -> None:
    checks = [c for c in discover_checks() if c.id.startswith("MSH")]
    run = run_checks(demo, CheckContext(), checks)
    found = {(f.check_id, str(f.subject)) for f in run.findings}
    assert {
        ("MSH001", "Deployment/payments/payments-api"),
        ("MSH002", "PeerAuthentication/orders/default"),
        ("MSH005", "CronJob/orders/invoice-exporter"),
        ("MSH005", "Job/orders/orders-db-migrate-2-21-0"),
        ("MSH005", "Deployment/dev/toolbox"),
        ("MSH006", "VirtualService/shop-api/catalog-api"),
    } <= found
    assert not [f for f in run.findings if f.check_id in ("MSH003", "MSH004")]
    assert run.crashed == ()


def test_cli_mesh_can_shows_both_layers(demo: Platform, capsys: pytest.CaptureFixture[str]) -> None:
    src = _pod(demo, "monitoring/blackbox-exporter-")
    dst = _pod(demo, "payments/payments-api-")
    code = main(["mesh", "can", str(DEMO), "--from", src, "--to", dst, "--port", "8080", "-q"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == f"{src} -> {dst} TCP/8080: REFUSED by the mesh"
    assert out[2].startswith(
        "  network ingress allow allowed by NetworkPolicy payments/payments-api-ingress"
    )
    assert out[3].startswith("  mesh    refused     plaintext-to-strict: plaintext to STRICT")


def test_cli_mesh_can_json_and_routes_and_coverage(
    demo: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    cart = _pod(demo, "shop-api/cart-api-")
    args = ["mesh", "can", str(DEMO), "--from", cart, "--to", "payments/svc/payments-api"]
    assert (
        main([*args, "--port", "80", "--method", "GET", "--path", "/v1/x", "-f", "json", "-q"]) == 0
    )
    got = json.loads(capsys.readouterr().out)
    assert got["allowed"] is True
    assert {b["mesh"]["reason"] for b in got["backends"]} == {"allow-matched"}
    assert main(["mesh", "routes", str(DEMO), "storefront.shop-frontend", "-q"]) == 0
    text = capsys.readouterr().out
    assert "90.0% storefront.shop-frontend.svc.cluster.local subset v1" in text
    assert main(["mesh", "coverage", str(DEMO), "-f", "json", "-q"]) == 0
    cov = json.loads(capsys.readouterr().out)
    assert cov["summary"]["workloads"] == 43
    assert main(["mesh", "routes", str(DEMO), "-q"]) == 2


BOOKINFO_LIKE = """\
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
    - route:
        - destination: {host: reviews, subset: v1}
"""


@pytest.mark.parametrize("host", ["reviews", "default/reviews", "reviews.default"])
def test_routes_of_a_bare_name_are_those_of_the_service_in_default(host: str) -> None:
    """As in the bookinfo tutorial, whose VirtualServices and Services live in default."""
    platform = load(["-"], stdin_text=lambda: BOOKINFO_LIKE).platform
    table = routes(platform, host)
    assert table.host == "reviews.default.svc.cluster.local"
    assert [r.virtual_service for r in table.routes] == ["default/reviews"]


def test_a_strict_port_reached_by_many_plaintext_callers_names_the_first_twenty(
    tmp_path: Path,
) -> None:
    """MSH001 names at most MAX_CALLERS_SHOWN callers in its evidence and counts
    the rest (thousands of callers in each of thousands of findings made a
    report of gigabytes); its message counts them all."""
    fixture = (
        Path(__file__).resolve().parents[2]
        / "fixtures/checks/MSH001/fail_plaintext_caller_to_strict/platform.yaml"
    )
    callers = [
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: old-{i:02d}, namespace: legacy}}\n"
        f"spec:\n  containers: [{{name: c, image: 'curl:8'}}]\n"
        f"status: {{podIP: 198.18.1.{i + 1}}}\n"
        for i in range(25)
    ]
    (tmp_path / "p.yaml").write_text(fixture.read_text() + "---\n" + "---\n".join(callers))
    platform = load([str(tmp_path)]).platform
    [finding] = PlaintextCallerToStrict().run(platform, CheckContext())
    assert "lets 26 workload(s) without a sidecar reach it" in finding.message
    named = [e for e in finding.evidence if e.startswith("allowed by the network, plaintext: ")]
    assert len(named) == MAX_CALLERS_SHOWN
    assert named[0].endswith("Pod/legacy/old") and named[-1].endswith("Pod/legacy/old-18")
    assert finding.evidence[-1] == "and 6 more workload(s) without a sidecar"
