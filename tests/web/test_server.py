"""ekstwin serve: routes, read-only, token and bind rules, no file outside the platform,
queries equal to the engines' JSON, reload on change."""

from __future__ import annotations

import gzip
import http.client
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ekstwin.engines.access import AccessAnalyzer, ResourceRequest
from ekstwin.engines.ingress import route
from ekstwin.engines.net import can
from ekstwin.errors import ConfigError
from ekstwin.loaders import LoadResult
from ekstwin.web.server import ServeOptions, WebServer, is_loopback
from tests.web.conftest import RunningServer, start_server

SMALL = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  containers: [{name: web, image: nginx:1.27}]
status: {podIP: 198.18.0.10}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec:
  containers: [{name: db, image: postgres:16}]
status: {podIP: 198.18.0.11}
"""

DENY_DB = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-deny, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
"""


def raw_get(
    port: int, target: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, bytes]:
    """Send the request line exactly as written (no client-side path normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", (headers or {}).get("Host", f"127.0.0.1:{port}"))
    for k, v in (headers or {}).items():
        if k != "Host":
            conn.putheader(k, v)
    conn.endheaders()
    res = conn.getresponse()
    body = res.read()
    conn.close()
    return res.status, body


def get_json(port: int, target: str, headers: dict[str, str] | None = None) -> object:
    status, body = raw_get(port, target, headers)
    assert status == 200, body
    return json.loads(body)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    (tmp_path / "platform").mkdir()
    (tmp_path / "platform" / "pods.yaml").write_text(SMALL, encoding="utf-8")
    (tmp_path / "secret.txt").write_text("TOP-SECRET-OUTSIDE", encoding="utf-8")
    return tmp_path / "platform"


@pytest.fixture
def small_server(small: Path) -> Iterator[RunningServer]:
    running = start_server([str(small)], poll_seconds=0.1)
    yield running
    running.stop()


def test_binding_a_non_loopback_address_needs_a_token(small: Path) -> None:
    with pytest.raises(ConfigError, match=r"refusing to bind 0\.0\.0\.0.*--token"):
        WebServer(ServeOptions((str(small),), "0.0.0.0", 0))
    with pytest.raises(ConfigError, match=r"refusing to bind 198\.18\.0\.1"):
        WebServer(ServeOptions((str(small),), "198.18.0.1", 0))


def test_loopback_addresses() -> None:
    assert [is_loopback(h) for h in ("127.0.0.1", "127.9.9.9", "::1", "[::1]", "localhost")] == [
        True
    ] * 5
    assert [is_loopback(h) for h in ("0.0.0.0", "::", "example.com", "198.18.0.1")] == [False] * 4


def test_stdin_cannot_be_served() -> None:
    with pytest.raises(ConfigError, match="not stdin"):
        WebServer(ServeOptions(("-",), "127.0.0.1", 0))


def test_token_is_required_on_every_request(small: Path) -> None:
    running = start_server([str(small)], host="0.0.0.0", token="s3cret")
    port = running.server.port
    try:
        for target in ("/", "/api/state", "/api/views", "/api/can?from=a&to=b&port=1", "/x"):
            assert raw_get(port, target)[0] == 401
            assert raw_get(port, target, {"X-Ekstwin-Token": "wrong"})[0] == 401
            assert raw_get(port, target + ("&" if "?" in target else "?") + "token=nope")[0] == 401
        assert raw_get(port, "/", {"X-Ekstwin-Token": "s3cret"})[0] == 200
        assert raw_get(port, "/api/state?token=s3cret")[0] == 200
        # with a token the Host header may name the machine
        assert raw_get(port, "/api/state", {"X-Ekstwin-Token": "s3cret", "Host": "box:1"})[0] == 200
    finally:
        running.stop()


def test_without_token_only_loopback_host_headers_are_answered(
    small_server: RunningServer,
) -> None:
    port = small_server.server.port
    assert raw_get(port, "/api/state", {"Host": f"localhost:{port}"})[0] == 200
    assert raw_get(port, "/api/state", {"Host": f"[::1]:{port}"})[0] == 200
    status, body = raw_get(port, "/api/state", {"Host": "attacker.example:80"})
    assert (status, json.loads(body)) == (403, {"error": "Host is not a loopback address"})


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/../../../../etc/passwd",
        "/%2e%2e/secret.txt",
        "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/static/../../secret.txt",
        "/static/app.js",
        "/api/../../secret.txt",
        "//etc/passwd",
        "/pods.yaml",
        "/platform/pods.yaml",
        "/api/views/../../pods.yaml",
        "/..%5c..%5csecret.txt",
        "/etc/passwd%00",
        "http://127.0.0.1/../../etc/passwd",
    ],
)
def test_no_file_is_served_by_path(small_server: RunningServer, target: str) -> None:
    status, body = raw_get(small_server.server.port, target)
    assert (status, json.loads(body)) == (404, {"error": "not found"})


def test_writes_are_refused(small_server: RunningServer) -> None:
    port = small_server.server.port
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        status, body = raw_get(port, "/api/views", method=method)
        assert (status, json.loads(body)) == (405, {"error": "read-only: GET and HEAD only"})


def test_page_is_html_with_csp_and_no_embedded_data(small_server: RunningServer) -> None:
    status, body = raw_get(small_server.server.port, "/")
    text = body.decode()
    assert status == 200
    assert "connect-src 'self'" in text
    assert '<script id="ekstwin-data" type="application/json">null</script>' in text


def test_views_are_compressed_when_the_client_accepts_gzip(
    demo_server: RunningServer, demo: LoadResult
) -> None:
    port = demo_server.server.port
    status, plain = raw_get(port, "/api/views")
    assert status == 200
    for accept in ("gzip", "br, gzip;q=0.8", "GZIP"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/views", headers={"Accept-Encoding": accept})
        res = conn.getresponse()
        body = res.read()
        conn.close()
        assert (res.status, res.getheader("Content-Encoding")) == (200, "gzip"), accept
        assert int(res.getheader("Content-Length") or 0) == len(body) < len(plain) / 4
        assert gzip.decompress(body) == plain
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/api/views", headers={"Accept-Encoding": "gzip;q=0, br"})
    res = conn.getresponse()
    assert res.getheader("Content-Encoding") is None and res.read() == plain
    conn.close()
    views = json.loads(plain)
    assert views["sections"]["network"]["data"]["workloads"] == sorted(
        {p.workload_key for p in demo.platform.pods}
    )


def test_queries_answer_with_the_engines_json(demo_server: RunningServer, demo: LoadResult) -> None:
    port = demo_server.server.port
    src = next(p.key for p in demo.platform.pods if p.workload_key == "shop-api/cart-api")
    dst = "payments/svc/payments-api"
    got = get_json(port, f"/api/can?from={src}&to={dst}&port=80&protocol=TCP")
    assert got == can(demo.platform, src, dst, 80, "TCP").to_json()
    got = get_json(port, "/api/who-can?verb=create&resource=pods/exec&namespace=payments")
    want = AccessAnalyzer(demo.platform).who_can(
        ResourceRequest("create", "pods", "exec", "", "payments", "")
    )
    assert got == want.to_json()
    url = "https://api.shop.example.com/payments/webhooks"
    got = get_json(port, "/api/route?url=" + url)
    assert got == route(demo.platform, url).to_json()


def test_path_is_answered_per_request_by_the_engine(
    demo_server: RunningServer, demo: LoadResult
) -> None:
    from ekstwin.engines.net import NetModel
    from ekstwin.web.views import path_answer

    port = demo_server.server.port
    got = get_json(
        port, "/api/path?from=shop-api/cart-api&to=payments/svc/payments-api&port=80&protocol=TCP"
    )
    model = NetModel(demo.platform)
    assert got == path_answer(model, "shop-api/cart-api", "payments/svc/payments-api", 80, "TCP")
    assert isinstance(got, dict) and got["allowed"] and got["to_kind"] == "service"
    src = min(p.key for p in demo.platform.pods if p.workload_key == "shop-api/cart-api")
    want = can(demo.platform, src, "payments/svc/payments-api", 80, "TCP").to_json()
    assert got["example"] in want["backends"]  # type: ignore[operator]
    for target, error in (
        ("/api/path?from=nowhere&to=payments&port=80", "no workload, pod, namespace or Service"),
        ("/api/path?from=payments/svc/payments-api&to=payments&port=80", "cannot be the source"),
        ("/api/path?from=payments&to=payments&port=http", "is not a number"),
        ("/api/path?from=payments&to=payments&port=80&protocol=GRE", "unknown protocol"),
    ):
        status, body = raw_get(port, target)
        assert status == 400 and error in json.loads(body)["error"], body


def test_bad_queries_are_400_with_the_reason(small_server: RunningServer) -> None:
    port = small_server.server.port
    cases = {
        "/api/can?from=shop/web&to=shop/db&port=http": "port 'http' is not a number",
        "/api/can?from=shop/web&to=shop/db&port=70000": "port 70000 is outside 0-65535",
        "/api/can?from=shop/nope&to=shop/db&port=80": "no pod and no workload shop/nope in "
        "the platform (give NS/POD, NS/KIND/NAME such as shop/deployment/web, or NS/NAME of a "
        "workload)",
        "/api/who-can?verb=get": "who-can needs a verb and a resource (get pods, create pods/exec)",
        "/api/route?url=": "route needs a URL (https://host/path)",
    }
    for target, error in cases.items():
        status, body = raw_get(port, target)
        assert (status, json.loads(body)) == (400, {"error": error})


def _wait_generation(port: int, want: int) -> dict[str, object]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = get_json(port, "/api/state")
        assert isinstance(state, dict)
        if state["generation"] == want:
            return state
        time.sleep(0.05)
    raise AssertionError(f"generation never reached {want}")


def test_reloads_when_the_platform_files_change(small: Path, small_server: RunningServer) -> None:
    port = small_server.server.port
    q = "/api/can?from=shop/web&to=shop/db&port=5432"
    assert get_json(port, "/api/state") == {"generation": 0, "error": None}
    assert get_json(port, q)["allowed"] is True  # type: ignore[index]
    (small / "policy.yaml").write_text(DENY_DB, encoding="utf-8")
    assert _wait_generation(port, 1) == {"generation": 1, "error": None}
    verdict = get_json(port, q)
    assert verdict["allowed"] is False  # type: ignore[index]
    assert verdict["ingress"]["policy"]["name"] == "db-deny"  # type: ignore[index]
    (small / "policy.yaml").unlink()
    _wait_generation(port, 2)
    assert get_json(port, q)["allowed"] is True  # type: ignore[index]


def test_a_copy_of_the_demo_reloads(tmp_path: Path) -> None:
    """Touching one manifest of a directory tree is a change."""
    root = tmp_path / "demo"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples/demo-platform", root)
    from ekstwin.web.server import platform_stamp

    before = platform_stamp([str(root)])
    target = root / "k8s" / "payments" / "ingress.yaml"
    target.write_text(target.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert platform_stamp([str(root)]) != before


def test_an_idle_connection_is_closed_after_the_idle_timeout(small: Path) -> None:
    import socket

    running = start_server([str(small)], idle_timeout=0.3)
    try:
        with socket.create_connection(("127.0.0.1", running.server.port), timeout=5) as s:
            s.sendall(b"GET /api/state HTTP/1.1\r\n")  # and never the rest
            started = time.monotonic()
            assert s.recv(1024) == b""  # closed by the server, not by our 5 s timeout
            assert time.monotonic() - started < 4
        # a kept-alive connection that goes quiet is closed too
        with socket.create_connection(("127.0.0.1", running.server.port), timeout=5) as s:
            s.sendall(b"GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            reply = s.recv(65536)
            assert reply.startswith(b"HTTP/1.1 200")
            while True:
                more = s.recv(65536)
                if not more:
                    break
    finally:
        running.stop()


def test_the_log_never_holds_the_token_of_a_request(
    small: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import socket

    from ekstwin.web.server import log_safe

    running = start_server([str(small)], host="0.0.0.0", token="s3cret-tok")
    port = running.server.port
    try:
        with caplog.at_level(logging.DEBUG, logger="ekstwin.web.server"):
            assert raw_get(port, "/api/state?token=s3cret-tok")[0] == 200
            assert raw_get(port, "/api/state?a=1&%74oken=s3cret-tok")[0] == 200
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"GET /api/state?token=wrong\x1b[2J HTTP/1.1\r\nHost: h\r\n\r\n")
                assert s.recv(1024).startswith(b"HTTP/1.1 401")
    finally:
        running.stop()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "/api/state?token=<redacted>" in text
    assert "s3cret-tok" not in text
    assert "wrong" not in text and "\x1b" not in text
    assert log_safe('"GET /x?Token=a&tokens=b;token=c#f HTTP/1.1" 200 -') == (
        '"GET /x?Token=<redacted>&tokens=b;token=<redacted>#f HTTP/1.1" 200 -'
    )
