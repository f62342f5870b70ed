"""The UI in a real browser: headless Chromium (Debian's package) through Playwright.

Screenshots land in artifacts/web/ for a person to look at.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ekstwin.engines.net import can
from ekstwin.errors import ConfigError
from ekstwin.loaders import LoadResult
from ekstwin.web.report import report_html
from tests.web.conftest import DEMO, REPO, RunningServer

pytestmark = pytest.mark.slow

CART = "shop-api/cart-api"
PAYMENTS = "payments/payments-api"
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
DECIDING = "allowed by NetworkPolicy payments/payments-api-ingress (tier default) ingress rule 0"


def _open_workload_graph(page: Any) -> None:
    page.click("button[data-tab=network]")
    page.wait_for_function("window.ekstwin && window.ekstwin.graphReady === 'namespace'")
    page.select_option("#granularity", "workload")
    page.wait_for_function("window.ekstwin.graphReady === 'workload'")


def _click_node(page: Any, node_id: str) -> None:
    """Click the node where cytoscape drew it on the canvas, as a person would."""
    pos = page.evaluate(
        """(id) => { const cy = window.ekstwin.graph.cy; const n = cy.getElementById(id);
                     cy.center(n); const p = n.renderedPosition();
                     const r = cy.container().getBoundingClientRect();
                     return {x: r.left + p.x, y: r.top + p.y}; }""",
        node_id,
    )
    page.mouse.click(pos["x"], pos["y"])


def _flow_text(page: Any, list_id: str, other: str) -> str:
    """Open the flow (its explanation is looked up then) and read it."""
    item = page.locator(f"[data-testid={list_id}] details.flow[data-node='{other}']")
    item.locator("summary").click()
    item.locator(".why").wait_for()
    return str(item.inner_text())


def test_serve_click_workload_shows_flows_and_deciding_rule(
    page: Any, demo_server: RunningServer, artifacts: Path
) -> None:
    page.goto(demo_server.url)
    page.wait_for_function("window.ekstwin && window.ekstwin.ready === true")
    _open_workload_graph(page)
    _click_node(page, PAYMENTS)
    panel = page.locator("[data-testid=node-panel]")
    panel.wait_for()
    assert panel.locator("h3").inner_text() == PAYMENTS
    incoming = _flow_text(page, "reached-by", CART)
    assert DECIDING in incoming
    assert "examples/demo-platform/k8s/payments/network-policies.yaml:63" in incoming
    assert page.locator("#endpoint-select").input_value() == PAYMENTS
    # what it cannot reach is drawn apart: dashed edges to every other endpoint it misses
    drawn = page.evaluate(
        """(id) => { const cy = window.ekstwin.graph.cy;
             return { denied: cy.edges('.denied').map((e) => e.target().id()).sort(),
                      out: cy.getElementById(id).outgoers('edge').not('.denied')
                             .targets().map((n) => n.id()),
                      all: cy.nodes("[kind = 'endpoint']").map((n) => n.id()) }; }""",
        PAYMENTS,
    )
    assert drawn["denied"] == sorted(
        n for n in drawn["all"] if n != PAYMENTS and n not in drawn["out"]
    )
    assert drawn["denied"] and "databases/postgres-orders" in drawn["denied"]
    page.screenshot(path=str(artifacts / "serve-workload-graph.png"), full_page=False)
    assert page.ekstwin_errors == []


def test_serve_can_query_in_the_ui(
    page: Any, demo_server: RunningServer, demo: LoadResult, artifacts: Path
) -> None:
    src = next(p.key for p in demo.platform.pods if p.workload_key == CART)
    dst = next(p.key for p in demo.platform.pods if p.workload_key == PAYMENTS)
    expected = can(demo.platform, src, dst, 8080, "TCP").to_json()
    page.goto(demo_server.url)
    page.wait_for_function("window.ekstwin && window.ekstwin.ready === true")
    page.click("button[data-tab=query]")
    page.fill("#q-can input[name=from]", src)
    page.fill("#q-can input[name=to]", dst)
    page.fill("#q-can input[name=port]", "8080")
    page.click("#q-can button[type=submit]")
    verdict = page.locator("[data-testid=can-verdict]")
    verdict.wait_for()
    word = "ALLOWED" if expected["allowed"] else "DENIED"
    assert verdict.inner_text() == f"{src} \u2192 {dst} TCP/8080: {word}"
    result = page.locator("[data-testid=query-result]")
    assert str(expected["ingress"]["message"]) in result.inner_text()  # type: ignore[index]
    shown = json.loads(result.locator("pre").text_content())
    assert shown == expected
    page.screenshot(path=str(artifacts / "serve-can-query.png"), full_page=False)

    page.fill("#q-can input[name=from]", "nowhere/nothing")
    page.click("#q-can button[type=submit]")
    page.locator("[data-testid=query-error]").wait_for()
    error = page.locator("[data-testid=query-error]").inner_text()
    assert "no pod and no workload nowhere/nothing" in error
    assert page.ekstwin_errors == []


def test_report_opens_from_disk_without_network_and_shows_graph(
    page: Any, demo: LoadResult, tmp_path: Path, artifacts: Path
) -> None:
    out = tmp_path / "report.html"
    out.write_text(report_html(demo, inputs=[str(DEMO)], compare=demo), encoding="utf-8")
    attempted: list[str] = []

    def block(route: Any) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            attempted.append(url)
            route.abort()

    page.route("**/*", block)
    page.goto(out.as_uri())
    page.wait_for_function("window.ekstwin && window.ekstwin.ready === true")
    _open_workload_graph(page)
    nodes = page.evaluate("window.ekstwin.graph.cy.nodes(\"[kind = 'endpoint']\").length")
    assert nodes == len({p.workload_key for p in demo.platform.pods})
    _click_node(page, PAYMENTS)
    assert DECIDING in _flow_text(page, "reached-by", CART)
    page.screenshot(path=str(artifacts / "report-workload-graph.png"), full_page=False)
    page.click("button[data-tab=ipam]")
    page.locator("[data-testid=ip-chart] svg.ipchart rect").first.wait_for()
    page.screenshot(path=str(artifacts / "report-ip-capacity.png"), full_page=False)
    page.click("button[data-tab=findings]")
    page.screenshot(path=str(artifacts / "report-findings.png"), full_page=False)
    assert page.locator("[data-testid=unavailable]").count() == 0
    assert attempted == []
    assert page.ekstwin_errors == []


def test_serve_shows_a_failed_poll_with_the_error_and_recovers_on_retry(
    page: Any, tmp_path: Path
) -> None:
    """The page polls /api/state; a poll that fails shows a banner with the error
    and a retry button instead of being swallowed, and a reload the server could
    not do (/api/state's error) is shown too."""
    from ekstwin.loaders import load
    from ekstwin.web.server import ServeOptions, WebServer
    from tests.web.test_server import SMALL

    platform = tmp_path / "platform"
    platform.mkdir()
    pods = platform / "pods.yaml"
    pods.write_text(SMALL, encoding="utf-8")
    loads: list[str] = []

    def loader(paths: list[str]) -> LoadResult:
        loads.append("load")
        if len(loads) > 1:
            raise ConfigError("pods.yaml:3: the platform cannot be read - fix the file")
        return load(paths)

    server = WebServer(ServeOptions((str(platform),), port=0, poll_seconds=0.1), loader=loader)
    running = RunningServer(server)
    banner = page.locator("[data-testid=poll-status]")
    try:
        page.goto(running.url)
        page.wait_for_function("window.ekstwin && window.ekstwin.ready === true")
        page.wait_for_function("window.ekstwin.pollStatus !== undefined")
        assert banner.is_hidden()

        # the server does not answer: the banner names the request and the cause
        page.route("**/api/state", lambda route: route.abort())
        page.locator("[data-testid=poll-error]").wait_for()
        assert banner.is_visible()
        assert (
            page.locator("[data-testid=poll-error]")
            .inner_text()
            .startswith("/api/state: the server did not answer (")
        )
        assert page.locator("#pane-summary .cards").is_visible()  # what it had stays
        if AXE.is_file():
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(
                """async () => { const r = await axe.run('#poll-status');
                     return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
                       .map((v) => v.id); }"""
            )
            assert violations == []

        # an error answer: the server's own reason
        page.unroute("**/api/state")
        page.route(
            "**/api/state",
            lambda route: route.fulfill(
                status=503,
                content_type="application/json",
                body=json.dumps({"error": "the state database is gone"}),
            ),
        )
        page.wait_for_function(
            "document.querySelector('[data-testid=poll-error]')"
            ".textContent === 'the state database is gone'"
        )

        # back: "retry now" polls at once and the banner goes
        page.unroute("**/api/state")
        page.evaluate("window.ekstwin.pollStatus = null")
        page.click("[data-testid=poll-retry]")
        page.wait_for_function("window.ekstwin.pollStatus && !window.ekstwin.pollStatus.error")
        assert banner.is_hidden()

        # the platform's files change and the reload fails on the server
        pods.write_text(SMALL + "\n# changed\n", encoding="utf-8")
        reload_error = page.locator("[data-testid=reload-error]")
        reload_error.wait_for(timeout=10_000)
        assert reload_error.inner_text() == (
            "reload failed: ConfigError: pods.yaml:3: the platform cannot be read - fix the file"
        )
        assert page.locator("[data-testid=poll-retry]").count() == 0
        assert page.ekstwin_errors == []
    finally:
        running.stop()


def test_report_diff_lists_changes_beyond_the_why_limit_without_explanation_and_counts_the_rest(
    page: Any, tmp_path: Path
) -> None:
    from ekstwin.web.page import load_assets, render_page
    from ekstwin.web.views import build_views
    from tests.web.test_views import _namespaces

    old = _namespaces(tmp_path / "old", 4, deny=False)
    new = _namespaces(tmp_path / "new", 4, deny=True)
    views = build_views(
        new, inputs=["new"], compare=old, compare_inputs=["old"], why_limit=5, change_limit=18
    )
    out = tmp_path / "report.html"
    out.write_text(render_page(load_assets(), "diff", views, live=False), encoding="utf-8")
    page.goto(out.as_uri())
    page.wait_for_function("window.ekstwin && window.ekstwin.ready === true")
    page.click("button[data-tab=diff]")
    diff = page.locator("[data-testid=diff]")
    diff.wait_for()
    assert diff.locator("p").first.inner_text() == "compared with old: 20 connectivity change(s)"
    assert diff.locator("[data-testid=changes-more]").inner_text() == (
        "the first 18 are listed; 2 more are not "
        "(ekstwin net diff --format json lists every change)"
    )
    assert diff.locator("[data-testid=why-more]").inner_text() == (
        "the first 5 changes are explained; 13 more are listed without their explanation"
    )
    rows = diff.locator("details.finding")
    assert rows.count() == 18
    # the first five explain the flow before and after; the others say why they do not
    assert [rows.nth(i).locator(".why").count() for i in range(18)] == [2] * 5 + [0] * 13
    assert rows.nth(5).locator("[data-testid=why-omitted]").text_content() == (
        "explanation not sent: only the first 5 changes carry one "
        "(ekstwin net diff --format json explains every change)"
    )
    assert diff.locator("[data-testid=why-omitted]").count() == 13
    assert page.ekstwin_errors == []
