"""Reviewed expected outputs under tests/reporters/expected/.

Tests compare whole outputs with these files. They are rewritten only when
``EKSTWIN_UPDATE_SNAPSHOTS=1`` is set; review the diff before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

EXPECTED = Path(__file__).parent / "expected"


def assert_snapshot(name: str, actual: str) -> None:
    path = EXPECTED / name
    if os.environ.get("EKSTWIN_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
        return
    assert path.exists(), f"no snapshot {path}; run with EKSTWIN_UPDATE_SNAPSHOTS=1 and review it"
    assert actual == path.read_bytes().decode("utf-8")
