"""ekstwin collect k8s against a local HTTP server answering like a Kubernetes API server.

The server (http.server on 127.0.0.1) serves recorded discovery documents
(/api, /apis, /apis/GROUP/VERSION) and list responses with
metadata.resourceVersion; it honours ``limit`` and hands out ``continue``
tokens the way the API server does, and answers 403 for Secrets (RBAC).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from ekstwin.cli.main import main
from ekstwin.collect.k8s import kubectl_command
from ekstwin.collect.policy import KUBE_RESOURCES, cluster_role, render_cluster_role
from ekstwin.loaders import load

pytest.importorskip("kubernetes")

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "collect"

GROUPS = {
    "apps": "v1",
    "batch": "v1",
    "networking.k8s.io": "v1",
    "rbac.authorization.k8s.io": "v1",
    "storage.k8s.io": "v1",
    "projectcalico.org": "v3",
    "crd.projectcalico.org": "v1",
    "security.istio.io": "v1",
    "networking.istio.io": "v1",
}


def _meta(name: str, namespace: str | None = None, **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "uid": f"uid-{name}", "resourceVersion": "4711"}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    meta["managedFields"] = [{"manager": "kubectl", "operation": "Apply"}]
    return meta


def _pod(name: str, namespace: str) -> dict[str, Any]:
    return {
        "metadata": _meta(name, namespace, app=name.rsplit("-", 1)[0]),
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]},
        "status": {"phase": "Running", "podIP": "198.18.1.10"},
    }


#: list path -> items as the API server returns them (no apiVersion/kind per item)
ITEMS: dict[str, list[dict[str, Any]]] = {
    "/api/v1/namespaces": [{"metadata": _meta("shop")}, {"metadata": _meta("payments")}],
    "/api/v1/pods": [_pod(f"web-{i}", "shop") for i in range(5)],
    "/api/v1/serviceaccounts": [{"metadata": _meta("web", "shop")}],
    "/apis/networking.k8s.io/v1/networkpolicies": [
        {
            "metadata": _meta("default-deny", "payments"),
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        }
    ],
    "/apis/projectcalico.org/v3/globalnetworkpolicies": [
        {
            "metadata": _meta("deny-egress"),
            "spec": {"order": 100, "selector": "all()", "types": ["Egress"], "egress": []},
        }
    ],
    "/apis/security.istio.io/v1/peerauthentications": [
        {"metadata": _meta("default", "istio-system"), "spec": {"mtls": {"mode": "STRICT"}}}
    ],
}
FORBIDDEN = {"/api/v1/secrets"}


def _resource_list(group: str, version: str) -> dict[str, Any]:
    gv = version if not group else f"{group}/{version}"
    return {
        "kind": "APIResourceList",
        "groupVersion": gv,
        "resources": [
            {
                "name": r.resource,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
            }
            for r in KUBE_RESOURCES
            if r.group == group
        ]
        + [{"name": "pods/log", "namespaced": True, "kind": "Pod", "verbs": ["get"]}],
    }


class _ApiServer(BaseHTTPRequestHandler):
    requests: list[tuple[str, str, dict[str, list[str]]]]
    #: list path -> what goes wrong there: "html" (a proxy's page, status 200),
    #: "loop" (the same continue token every time), "shape" (items not a list)
    faults: dict[str, str] = {}

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        self.requests.append(("GET", url.path, query))
        path = url.path
        if path == "/api":
            return self._send(200, {"kind": "APIVersions", "versions": ["v1"]})
        if path == "/apis":
            return self._send(
                200,
                {
                    "kind": "APIGroupList",
                    "apiVersion": "v1",
                    "groups": [
                        {
                            "name": g,
                            "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
                            "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v},
                        }
                        for g, v in GROUPS.items()
                    ],
                },
            )
        if path == "/api/v1":
            return self._send(200, _resource_list("", "v1"))
        parts = path.strip("/").split("/")
        if parts[0] == "apis" and len(parts) == 3:
            return self._send(200, _resource_list(parts[1], parts[2]))
        if path in FORBIDDEN:
            resource = path.rsplit("/", 1)[-1]
            return self._send(
                403,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "status": "Failure",
                    "message": f'{resource} is forbidden: User "ekstwin" cannot list '
                    f'resource "{resource}" in API group "" at the cluster scope',
                    "reason": "Forbidden",
                    "code": 403,
                },
            )
        fault = self.faults.get(path)
        if fault == "html":
            data = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None
        if fault == "loop":
            meta = {"resourceVersion": "4711", "continue": "c2FtZQ=="}
            return self._send(200, {"kind": "List", "metadata": meta, "items": [_pod("x", "a")]})
        if fault == "shape":
            return self._send(200, {"kind": "List", "metadata": [], "items": "nope"})
        items = ITEMS.get(path, [])
        limit = int(query.get("limit", ["500"])[0])
        start = 0
        if "continue" in query:
            start = int(base64.b64decode(query["continue"][0]).decode())
        page = items[start : start + limit]
        metadata: dict[str, Any] = {"resourceVersion": "4711"}
        if start + limit < len(items):
            metadata["continue"] = base64.b64encode(str(start + limit).encode()).decode()
            metadata["remainingItemCount"] = len(items) - start - limit
        kind = next(r.kind for r in KUBE_RESOURCES if path.endswith("/" + r.resource))
        return self._send(
            200, {"kind": f"{kind}List", "apiVersion": "v1", "metadata": metadata, "items": page}
        )


@pytest.fixture
def faults() -> dict[str, str]:
    return {}


@pytest.fixture
def api_server(
    tmp_path: Path, faults: dict[str, str]
) -> Iterator[tuple[Path, list[tuple[str, str, dict[str, list[str]]]]]]:
    requests: list[tuple[str, str, dict[str, list[str]]]] = []
    handler = type("Handler", (_ApiServer,), {"requests": requests, "faults": faults})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "twin",
                        "cluster": {"server": f"http://127.0.0.1:{server.server_port}"},
                    }
                ],
                "users": [{"name": "ekstwin", "user": {"token": "recorded"}}],
                "contexts": [{"name": "twin", "context": {"cluster": "twin", "user": "ekstwin"}}],
                "current-context": "other",
            }
        )
    )
    try:
        yield kubeconfig, requests
    finally:
        server.shutdown()
        server.server_close()


def test_collect_k8s_lists_every_kind_paginated_and_loads(
    api_server: tuple[Path, list[tuple[str, str, dict[str, list[str]]]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kubeconfig, requests = api_server
    out = tmp_path / "cluster"
    code = main(
        [
            "collect", "k8s", "--kubeconfig", str(kubeconfig), "--context", "twin",
            "--page-size", "2", "-o", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        "warning: cannot list secrets: 403 Forbidden (k8s:/api/v1/secrets) - bind the "
        "ClusterRole in docs/collect-clusterrole.yaml to the collecting user"
    )

    # only GETs: discovery, then one list per kind; Calico through its API server
    # group only; pods in three pages of 2 with the continue tokens handed out
    assert {m for m, _, _ in requests} == {"GET"}
    lists = [(p, q) for _, p, q in requests if "limit" in q]
    assert [p for p, _ in lists if "crd.projectcalico.org" in p] == []
    assert [(p, q) for p, q in lists if p == "/api/v1/pods"] == [
        ("/api/v1/pods", {"limit": ["2"]}),
        ("/api/v1/pods", {"limit": ["2"], "continue": ["Mg=="]}),
        ("/api/v1/pods", {"limit": ["2"], "continue": ["NA=="]}),
    ]
    assert len(lists) == len(KUBE_RESOURCES) - 5 + 2  # no crd.projectcalico.org; pods x3

    pods = json.loads((out / "core_pods.json").read_text())
    assert pods["kind"] == "List" and pods["metadata"] == {"resourceVersion": "4711"}
    assert [(p["apiVersion"], p["kind"], p["metadata"]["name"]) for p in pods["items"]] == [
        ("v1", "Pod", f"web-{i}") for i in range(5)
    ]
    assert all("managedFields" not in p["metadata"] for p in pods["items"])
    assert not (out / "core_secrets.json").exists()

    result = load([str(out)], implied=False)
    assert not result.input_errors
    platform = result.platform
    # istio-system is implied by the PeerAuthentication in it
    assert sorted(n.name for n in platform.namespaces) == ["istio-system", "payments", "shop"]
    assert len(platform.pods) == 5
    assert [p.meta.name for p in platform.calico_policies] == ["deny-egress"]
    assert [p.meta.name for p in platform.peer_authentications] == ["default"]
    assert [p.meta.name for p in platform.network_policies] == ["default-deny"]


def test_collect_k8s_reports_a_missing_kubeconfig_context(
    api_server: tuple[Path, list[Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kubeconfig, _ = api_server
    code = main(["collect", "k8s", "--kubeconfig", str(kubeconfig), "-o", str(tmp_path / "x")])
    assert code == 2
    assert capsys.readouterr().err.startswith("error: cannot load the kubeconfig:")


def test_shipped_cluster_role_only_gets_and_lists_every_collected_kind() -> None:
    role = cluster_role()
    rules = role["rules"]
    assert isinstance(rules, list)
    assert {v for rule in rules for v in rule["verbs"]} == {"get", "list"}
    granted = {(g, r) for rule in rules for g in rule["apiGroups"] for r in rule["resources"]}
    assert granted == {(r.group, r.resource) for r in KUBE_RESOURCES}
    assert not any("*" in g or "*" in r for g, r in granted)
    shipped = (ROOT / "docs" / "collect-clusterrole.yaml").read_text(encoding="utf-8")
    assert shipped == render_cluster_role()
    assert yaml.safe_load(shipped) == role


def test_documented_kubectl_command_lists_the_same_kinds() -> None:
    command = kubectl_command()
    assert command in (ROOT / "docs" / "collect.md").read_text(encoding="utf-8")
    kinds = command.split()[2].split(",")
    assert len(kinds) == len(KUBE_RESOURCES) - 5  # Calico's CRD group is not listed twice


def test_a_recorded_kubectl_get_list_file_loads() -> None:
    # recorded from 'kubectl get ... -A -o yaml': one List, items with apiVersion and
    # kind, Calico and Istio objects among them, a Secret whose values are dropped
    result = load([str(FIXTURES / "kubectl-get.yaml")], implied=False)
    assert not result.input_errors
    kube = result.platform
    assert [(n.name) for n in kube.namespaces] == ["shop"]
    assert [p.meta.name for p in kube.pods] == ["web-0"]
    assert [p.meta.name for p in kube.calico_policies] == ["allow-dns"]
    assert [p.meta.name for p in kube.authorization_policies] == ["web"]
    assert [(s.meta.name, s.keys) for s in kube.secrets] == [("web-db", ("password",))]


def test_collect_k8s_uses_the_pods_service_account_without_a_kubeconfig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a CronJob there is no kubeconfig: the client is configured from the pod's
    service account, as kubectl does in a pod; with a kubeconfig it is never used."""
    import kubernetes.config

    from ekstwin.collect.k8s import K8sCollectOptions, _api_client

    calls: list[object] = []

    def fake_incluster(client_configuration: Any = None, **_: Any) -> None:
        calls.append(client_configuration)
        client_configuration.host = "https://10.100.0.1:443"

    monkeypatch.setattr(kubernetes.config, "load_incluster_config", fake_incluster)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.100.0.1")
    client = _api_client(K8sCollectOptions())
    assert client.configuration.host == "https://10.100.0.1:443"
    assert len(calls) == 1
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST")
    with pytest.raises(Exception, match="kubeconfig"):
        _api_client(K8sCollectOptions())
    assert len(calls) == 1


def test_collect_k8s_reports_answers_that_are_not_lists_and_stops_a_repeated_token(
    api_server: tuple[Path, list[tuple[str, str, dict[str, list[str]]]]],
    faults: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kubeconfig, requests = api_server
    faults.update(
        {
            "/api/v1/pods": "html",
            "/api/v1/services": "loop",
            "/api/v1/namespaces": "shape",
        }
    )
    out = tmp_path / "cluster"
    code = main(
        ["collect", "k8s", "--kubeconfig", str(kubeconfig), "--context", "twin", "-o", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 0, err  # warnings: the other kinds were collected
    assert "Traceback" not in err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: cannot list namespaces: the answer is not a list (no 'items' list) "
        "(k8s:/api/v1/namespaces) - run the collector again; the other kinds were collected",
        "warning: cannot list pods: 200 the answer is not JSON ('<html><body><h1>502 Bad "
        "Gateway</h1></body></html>'); a proxy may have answered (k8s:/api/v1/pods) - run "
        "the collector again; the other kinds were collected",
        "warning: cannot list secrets: 403 Forbidden (k8s:/api/v1/secrets) - bind the "
        "ClusterRole in docs/collect-clusterrole.yaml to the collecting user",
        "warning: cannot list services: the server repeated a continue token; the list was "
        "stopped (k8s:/api/v1/services) - run the collector again; the other kinds were "
        "collected",
    ]
    # the repeated token was followed once, then the list stopped
    assert [q.get("continue") for _, p, q in requests if p == "/api/v1/services"] == [
        None,
        ["c2FtZQ=="],
    ]
    assert not (out / "core_pods.json").exists()
    assert (out / "apps_deployments.json").exists()
