"""Find the official SARIF 2.1.0 JSON Schema (microsoft/sarif-sdk) on this machine.

It comes from the npm package ``@microsoft/sarif-multitool-linux`` (the SARIF
SDK's multitool, which ships ``sarif-2.1.0.json`` next to its binary); it is
not vendored here. Install it once, outside git, with::

    npm install --prefix .venv/npm --no-save --ignore-scripts \\
        @microsoft/sarif-multitool-linux@5.7.0

or point ``EKSTWIN_SARIF_SCHEMA`` at a copy of the file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "@microsoft/sarif-multitool-linux"
VERSION = "5.7.0"
# sha256 of sarif-2.1.0.json in @microsoft/sarif-multitool-*@5.7.0.
SHA256 = "1c49a0f2b60444c71bb14878e21e0d882198eff4c539861b133093ad89ed798c"
INSTALL = (
    f"npm install --prefix .venv/npm --no-save --ignore-scripts {PACKAGE}@{VERSION}"
    " (or set EKSTWIN_SARIF_SCHEMA to the file)"
)

_CANDIDATES = tuple(
    base / "node_modules" / "@microsoft" / f"sarif-multitool-{system}" / "sarif-2.1.0.json"
    for base in (ROOT / ".venv" / "npm", ROOT)
    for system in ("linux", "darwin", "win32")
)


def locate() -> Path | None:
    override = os.environ.get("EKSTWIN_SARIF_SCHEMA")
    if override:
        return Path(override)
    return next((path for path in _CANDIDATES if path.is_file()), None)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the SARIF multitool's GitHub ingestion rules ------------------------------

#: The multitool's rules for what GitHub code scanning accepts (GH1001-GH2012 in
#: microsoft/sarif-sdk src/Sarif.Multitool.Library/Rules). They are off by default
#: and their rule kind is ``Ghas``; ``gh-rules.config.xml`` beside this file turns
#: every one of them on at level error.
GH_CONFIG = Path(__file__).with_name("gh-rules.config.xml")


def locate_multitool() -> Path | None:
    """The multitool binary shipped in the same npm package as the schema."""
    for path in _CANDIDATES:
        binary = path.with_name("Sarif.Multitool")
        if binary.is_file():
            return binary
    return None
