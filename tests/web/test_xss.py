"""Hostile names in manifests never become markup: in the file, and in a browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ekstwin.loaders import load
from ekstwin.web.page import script_json
from ekstwin.web.report import report_html

EVIL_POD = "<img src=x onerror=window.__pwned=1>"
EVIL_NS = "evil</script><script>window.__pwned=2</script>"
EVIL_HOST = '"><svg onload=window.__pwned=3>.example.com'

HOSTILE = f"""\
apiVersion: v1
kind: Namespace
metadata:
  name: '{EVIL_NS}'
  labels: {{team: '<b>bold</b>'}}
---
apiVersion: v1
kind: Pod
metadata:
  name: '{EVIL_POD}'
  namespace: '{EVIL_NS}'
  labels: {{app: web}}
spec:
  containers: [{{name: web, image: 'nginx:<script>'}}]
status: {{podIP: 198.18.0.20}}
---
apiVersion: v1
kind: Pod
metadata: {{name: peer, namespace: '{EVIL_NS}', labels: {{app: peer}}}}
spec:
  containers: [{{name: peer, image: nginx:1.27}}]
status: {{podIP: 198.18.0.21}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: '<iframe src=javascript:window.__pwned=4>'
  namespace: '{EVIL_NS}'
spec:
  podSelector: {{matchLabels: {{app: peer}}}}
  policyTypes: [Ingress]
  ingress:
  - from: [{{podSelector: {{}}}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: '<u>ing<u>'  # a name may not hold '/' (the API server refuses it)
  namespace: '{EVIL_NS}'
  annotations: {{alb.ingress.kubernetes.io/group.name: '<i>g</i>'}}
spec:
  ingressClassName: alb
  rules:
  - host: '{EVIL_HOST}'
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}
"""


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    (root / "platform").mkdir()
    (root / "platform" / "all.yaml").write_text(HOSTILE, encoding="utf-8")
    result = load([str(root / "platform")])
    out = root / "report.html"
    out.write_text(report_html(result, inputs=["<script>in-title</script>"]), encoding="utf-8")
    return out


def test_script_json_cannot_close_the_element() -> None:
    assert script_json({"a": "</script><!--\u2028&"}) == (
        '{"a":"\\u003c/script\\u003e\\u003c!--\\u2028\\u0026"}'
    )


def test_hostile_names_are_not_markup_in_the_file(hostile_report: Path) -> None:
    text = hostile_report.read_text(encoding="utf-8")
    data_start = text.index('<script id="ekstwin-data"')
    head, data = text[:data_start], text[data_start:]
    data = data[: data.index("</script>")]
    for needle in ("<img", "<svg onload", "<iframe", "</script><script>", "<b>bold", "<u>ing"):
        assert needle not in data
    assert "<title>ekstwin: &lt;script&gt;in-title&lt;/script&gt;</title>" in head
    assert "\\u003cimg src=x onerror=window.__pwned=1\\u003e" in data
    assert text.count("<script") == 2  # the data element and the bundle, nothing more


@pytest.mark.slow
def test_hostile_names_are_text_in_the_browser(page: Any, hostile_report: Path) -> None:
    dialogs: list[str] = []

    def on_dialog(d: Any) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto(hostile_report.as_uri())
    page.wait_for_function("window.ekstwin && window.ekstwin.ready === true")
    for tab in ("summary", "findings", "network", "identity", "ingress", "ipam", "storage"):
        page.click(f"button[data-tab={tab}]")
    page.click("button[data-tab=network]")
    page.select_option("#granularity", "workload")
    page.wait_for_function("window.ekstwin.graphReady === 'workload'")
    workload = f"{EVIL_NS}/{EVIL_POD}"
    page.select_option("#endpoint-select", workload)
    panel = page.locator("[data-testid=node-panel] h3")
    assert panel.inner_text() == workload
    assert page.evaluate("window.__pwned === undefined") is True
    assert page.evaluate("document.querySelectorAll('#app img, #app iframe, #app u').length") == 0
    assert page.evaluate("document.querySelectorAll('script').length") == 2
    page.click("button[data-tab=ingress]")
    assert EVIL_HOST in page.locator("#pane-ingress").inner_text()
    assert dialogs == []
    assert page.ekstwin_errors == []
