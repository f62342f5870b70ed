"""The committed bundle (src/ekstwin/web/static) is built from the current web/ sources.

web/build.mjs writes BUILD_INPUTS, a SHA-256 over the lock file, the build
script and every file of web/src; this test recomputes it, so editing the
front end without rebuilding fails here. Rebuild: cd web && npm ci && node build.mjs.
When node and web/node_modules are present, the bundle is also rebuilt into a
temporary directory and compared byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.web.conftest import REPO

WEB = REPO / "web"
STATIC = REPO / "src" / "ekstwin" / "web" / "static"
REBUILD = "cd web && npm ci && node build.mjs"


def inputs_digest() -> str:
    files = ["package-lock.json", "build.mjs"] + [
        "src/" + p.name for p in sorted(WEB.joinpath("src").iterdir(), key=lambda p: p.name)
    ]
    h = hashlib.sha256()
    for f in files:
        h.update(f.encode() + b"\0")
        h.update(WEB.joinpath(f).read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def test_committed_bundle_matches_the_sources() -> None:
    stamp = STATIC.joinpath("BUILD_INPUTS").read_text(encoding="utf-8").strip()
    assert stamp == inputs_digest(), f"the web bundle is stale - rebuild it: {REBUILD}"


def test_bundle_rebuilds_byte_for_byte(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not WEB.joinpath("node_modules", "esbuild").is_dir():
        pytest.skip(f"node or web/node_modules missing (run {REBUILD})")
    env = {**os.environ, "EKSTWIN_WEB_OUT": str(tmp_path)}
    subprocess.run([node, "build.mjs"], cwd=WEB, env=env, check=True, timeout=120)
    for name in ("app.js", "app.css", "BUILD_INPUTS"):
        assert tmp_path.joinpath(name).read_bytes() == STATIC.joinpath(name).read_bytes(), name


def test_bundle_has_no_network_references_it_would_load() -> None:
    script = STATIC.joinpath("app.js").read_text(encoding="utf-8")
    for needle in ("</script", "<!--", "importScripts(", "new WebSocket(", "XMLHttpRequest"):
        assert needle not in script
