"""The report of a generated 1,000-pod platform (benchmarks/net_scale.py's generator,
the one web_scale.py drives at 10,000 pods) in headless Chromium: compact, too
large to draw whole, drawn per scope, and the answers still the engine's.

No timing is asserted here (benchmarks/web_scale.py measures it); sizes are.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml

from ekstwin.engines.net import Verdict, can
from ekstwin.loaders import LoadResult, load
from ekstwin.web.report import report_html
from tests.web.conftest import REPO

pytestmark = pytest.mark.slow

PODS = 1000


def _generate(pods: int) -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("net_scale", REPO / "benchmarks" / "net_scale.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    docs: list[dict[str, Any]] = module.generate(pods)
    return docs


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadResult, Path]:
    root = tmp_path_factory.mktemp("scale")
    platform = root / "platform.yaml"
    platform.write_text(yaml.safe_dump_all(_generate(PODS), sort_keys=False), encoding="utf-8")
    result = load([str(platform)])
    out = root / "report.html"
    out.write_text(report_html(result, inputs=["generated"]), encoding="utf-8")
    return result, out


def test_generated_report_is_compact_and_answers_as_the_engine(
    page: Any, generated: tuple[LoadResult, Path], artifacts: Path
) -> None:
    result, report = generated
    # the 10,000-pod target is 25 MB: a tenth of it for a tenth of the pods
    assert report.stat().st_size <= 2.5 * 2**20
    page.goto(report.as_uri())
    page.wait_for_function("window.ekstwin && window.ekstwin.ready === true")
    page.click("button[data-tab=network]")
    page.select_option("#granularity", "workload")
    page.wait_for_function("window.ekstwin.graphReady === 'workload'")
    # 250 workloads with thousands of flows: not drawn whole, the scope is asked for
    assert "too many to draw" in page.locator("[data-testid=graph-note]").inner_text()
    page.fill("#scope", "ns003")
    page.dispatch_event("#scope", "change")
    page.wait_for_function("window.ekstwin.graphReady === 'workload' && !!window.ekstwin.graph")
    drawn = page.evaluate("window.ekstwin.graph.cy.nodes(\"[kind = 'endpoint']\").length")
    assert 5 <= drawn <= 5 + 120
    assert page.locator("[data-testid=flow-row]").count() == 100  # one page of rows

    platform = result.platform
    for source, target, port in (
        ("ns003/app1", "ns003/app2", 8080),
        ("ns003/app1", "ns007/app2", 5432),
        ("ns010/app0", "kube-system/coredns-0", 53),
    ):
        page.fill("#path-from", source)
        page.fill("#path-to", target)
        page.fill("#path-port", str(port))
        page.select_option("#path-protocol", "UDP" if port == 53 else "TCP")
        page.evaluate("document.querySelector('[data-testid=path-result]').textContent = ''")
        page.click("#q-path button[type=submit]")
        page.locator("[data-testid=path-verdict]").wait_for()
        src = min(p.key for p in platform.pods if p.workload_key == source)
        dst = min(p.key for p in platform.pods if p.key == target or p.workload_key == target)
        want = can(platform, src, dst, port, "UDP" if port == 53 else "TCP")
        assert isinstance(want, Verdict)
        text = page.locator("[data-testid=path-result]").inner_text()
        word = "DENIED" if not want.allowed else "ALLOWED"
        assert f": {word}" in page.locator("[data-testid=path-verdict]").inner_text()
        assert want.egress.message in text and want.ingress.message in text
    heap = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize : 0")
    assert heap < 500 * 2**20
    page.screenshot(path=str(artifacts / "scale-1000-scoped.png"), full_page=False)
    assert page.ekstwin_errors == []
