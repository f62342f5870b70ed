"""Scale benchmark of the web report: a generated platform, the report file, and
the page in headless Chromium.

    .venv/bin/python benchmarks/web_scale.py [--pods 10000] [--keep DIR]

The platform is net_scale.py's generator (pods/20 namespaces of five
Deployments, 0.3 policies per pod: 3,000 at 10,000 pods, Kubernetes and Calico).
Prints, next to the targets of the web issue:

- ``ekstwin report``: wall time and peak RSS of the command (a fresh process),
  and the size of the file;
- in Chromium (Debian's /usr/bin/chromium or EKSTWIN_CHROMIUM, through
  Playwright, opened from file://): the first useful paint (navigation start to
  the summary's cards on screen), each view switch (click to the view drawn:
  every tab, Connectivity at workload granularity, scoped to one namespace, a
  path query answered with its deciding rules, a flow's explanation opened),
  and the page's JS heap (used size after each step, the largest printed);
- ``ekstwin serve`` in process: start-up, /api/views plain and gzip, and the
  latency of /api/path.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from net_scale import generate

TARGETS = {"size_mb": 25.0, "write_s": 30.0, "paint_s": 3.0, "switch_s": 2.0, "heap_mb": 500.0}


def write_platform(root: Path, pods: int) -> Path:
    path = root / "platform"
    path.mkdir()
    text = yaml.safe_dump_all(generate(pods), sort_keys=False)
    (path / "cluster.yaml").write_text(text, encoding="utf-8")
    return path


def write_report(platform: Path, out: Path) -> tuple[float, float, float]:
    """Wall time, CPU time (user + system) and peak RSS of ``ekstwin report``."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ekstwin", "report", str(platform), "-o", str(out)],
        check=True,
        env=env,
        capture_output=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss * 1024


def _heap(cdp: Any) -> float:
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    used = next(m["value"] for m in metrics if m["name"] == "JSHeapUsedSize")
    return float(used)


def browse(report: Path, namespace: str, source: str, target: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    exe = os.environ.get("EKSTWIN_CHROMIUM", "/usr/bin/chromium")
    out: dict[str, float] = {}
    heaps: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=exe,
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 950}, bypass_csp=True)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        t0 = time.perf_counter()
        page.goto(report.as_uri(), wait_until="commit")
        page.locator("#pane-summary .cards").wait_for(timeout=120_000)
        out["paint"] = time.perf_counter() - t0
        heaps.append(_heap(cdp))

        def timed(name: str, action: Any, done: str) -> None:
            t = time.perf_counter()
            action()
            page.wait_for_function(done, timeout=300_000)
            page.evaluate("() => new Promise((r) => requestAnimationFrame(() => r(null)))")
            out[name] = time.perf_counter() - t
            heaps.append(_heap(cdp))

        for tab in ("findings", "identity", "ingress", "ipam", "storage", "summary"):
            timed(
                f"tab {tab}",
                lambda tab=tab: page.click(f"button[data-tab={tab}]"),
                f"window.ekstwin.shown === '{tab}'",
            )
        timed(
            "tab network (namespaces)",
            lambda: page.click("button[data-tab=network]"),
            "window.ekstwin.graphReady === 'namespace'",
        )
        timed(
            "network: workloads",
            lambda: page.select_option("#granularity", "workload"),
            "window.ekstwin.graphReady === 'workload'",
        )

        def scope() -> None:
            page.evaluate("() => { window.ekstwin.graphReady = null; }")
            page.fill("#scope", namespace)
            page.dispatch_event("#scope", "change")

        timed("network: scope one namespace", scope, "window.ekstwin.graphReady === 'workload'")

        def path() -> None:
            page.fill("#path-from", source)
            page.fill("#path-to", target)
            page.dispatch_event("#path-to", "change")
            page.click("#q-path button[type=submit]")

        timed("path query", path, "!!document.querySelector('[data-testid=path-verdict]')")

        def open_flow() -> None:
            page.locator("[data-testid=flow-row] details").first.evaluate(
                "(d) => { d.open = true; }"
            )

        timed(
            "explain one flow",
            open_flow,
            "!!document.querySelector('[data-testid=flow-row] details[open] .why')",
        )
        browser.close()
    if errors:
        raise SystemExit(f"page errors: {errors}")
    out["heap"] = max(heaps)
    return out


def serve_figures(platform: Path) -> dict[str, float]:
    """``ekstwin serve`` in this process: start-up (load and views), the size of
    /api/views gzip-compressed and not, and the latency of /api/path (the first
    one compiles the network model)."""
    import http.client
    import threading

    from ekstwin.web.server import ServeOptions, WebServer

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    server = WebServer(ServeOptions((str(platform),), "127.0.0.1", 0))
    out["start"] = time.perf_counter() - t0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for name, headers in (("views", {}), ("views_gzip", {"Accept-Encoding": "gzip"})):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
            conn.request("GET", "/api/views", headers=headers)
            out[name] = len(conn.getresponse().read())
            conn.close()
        for k, query in enumerate(
            (
                "from=ns001/app1&to=ns002/app2&port=8080&protocol=TCP",
                "from=ns001/app1&to=ns002/app2&port=8080&protocol=TCP",
                "from=ns010&to=kube-system/coredns-0&port=53&protocol=UDP",
            )
        ):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
            t0 = time.perf_counter()
            conn.request("GET", "/api/path?" + query)
            res = conn.getresponse()
            res.read()
            out[f"path{k}"] = time.perf_counter() - t0
            conn.close()
            assert res.status == 200
    finally:
        server.shutdown()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--keep", type=Path, help="write the platform and report here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        platform = write_platform(root, args.pods)
        report = root / "report.html"
        wall, cpu, rss = write_report(platform, report)
        size = report.stat().st_size
        policies = int(args.pods * 0.3)
        print(f"platform: {args.pods} pods, {args.pods // 20} namespaces, ~{policies} policies")
        t = TARGETS
        load = os.getloadavg()[0]
        print(
            f"report written in {wall:6.2f} s   (target <= {t['write_s']:.0f} s); CPU "
            f"{cpu:.2f} s, load average {load:.1f} on {os.cpu_count()} cores"
        )
        print(f"report file       {size / 2**20:6.2f} MB  (target <= {t['size_mb']:.0f} MB)")
        print(f"report peak RSS   {rss / 2**20:6.0f} MB")
        figures = browse(report, "ns001", "ns001/app1", "ns002/app2")
        print(f"first useful paint {figures.pop('paint'):6.2f} s (target <= {t['paint_s']:.0f} s)")
        heap = figures.pop("heap")
        worst = max(figures.values())
        for name, secs in figures.items():
            print(f"  switch {name:32s} {secs:6.2f} s")
        print(f"slowest view switch {worst:6.2f} s (target <= {t['switch_s']:.0f} s)")
        print(f"JS heap (largest)  {heap / 2**20:6.0f} MB (target <= {t['heap_mb']:.0f} MB)")
        srv = serve_figures(platform)
        print(
            f"serve: started in {srv['start']:.2f} s; /api/views {srv['views'] / 2**20:.2f} MB, "
            f"{srv['views_gzip'] / 2**20:.2f} MB gzip (no decision tables); /api/path "
            f"{srv['path0']:.2f} s first (compiles the model), then {srv['path1']:.2f} s, "
            f"a namespace to a pod {srv['path2']:.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
