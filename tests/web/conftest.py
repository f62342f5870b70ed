"""Fixtures for the web tests: the demo platform loaded once, a running server,
and a headless Chromium driven by Playwright.

Browser tests skip with the reason when Debian's chromium or the playwright
package is missing; with ``EKSTWIN_REQUIRE_ROOT_TESTS=1`` (CI) that is a
failure instead. Playwright never downloads a browser here: it launches
/usr/bin/chromium (or EKSTWIN_CHROMIUM).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ekstwin.loaders import LoadResult, load
from ekstwin.web.server import ServeOptions, WebServer

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo-platform"
ARTIFACTS = REPO / "artifacts" / "web"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def demo() -> LoadResult:
    return load([str(DEMO)])


class RunningServer:
    def __init__(self, server: WebServer) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


def start_server(paths: list[str], **kwargs: Any) -> RunningServer:
    options = ServeOptions(tuple(paths), kwargs.pop("host", "127.0.0.1"), 0, **kwargs)
    return RunningServer(WebServer(options))


@pytest.fixture(scope="session")
def demo_server() -> Iterator[RunningServer]:
    running = start_server([str(DEMO)])
    yield running
    running.stop()


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("EKSTWIN_REQUIRE_ROOT_TESTS") == "1":
        pytest.fail(f"EKSTWIN_REQUIRE_ROOT_TESTS=1 but {reason}")
    pytest.skip(reason)


def chromium_path() -> str | None:
    env = os.environ.get("EKSTWIN_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ModuleNotFoundError:
        _skip_or_fail("playwright is not installed (pip install playwright)")
    exe = chromium_path()
    if exe is None:
        _skip_or_fail("chromium is not installed (Debian: apt-get install chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=exe,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 950},
            # Playwright evaluates test probes as strings; the page CSP forbids eval.
            bypass_csp=True,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    pg = browser.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.ekstwin_errors = errors
    try:
        yield pg
    finally:
        pg.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
