"""Reviewed snapshots: whole outputs compared with files committed next to the tests.

A test renders its whole result as text (JSON through :func:`json_text`) and
calls :func:`assert_snapshot` with the committed file. When snapshots are being
updated the file is written instead of compared::

    python -m pytest tests/reporters --update-snapshots
    EKSTWIN_UPDATE_SNAPSHOTS=1 python -m pytest tests/reporters   # the same

Read the diff of every file written before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["UPDATE_ENV", "UPDATE_OPTION", "assert_snapshot", "json_text", "updating"]

#: The environment variable that turns comparing into writing (``1``).
UPDATE_ENV = "EKSTWIN_UPDATE_SNAPSHOTS"
#: The pytest option that sets it for the run (tests/conftest.py).
UPDATE_OPTION = "--update-snapshots"


def updating() -> bool:
    """True when snapshots are written rather than compared."""
    return os.environ.get(UPDATE_ENV) == "1"


def json_text(data: object) -> str:
    """The text a JSON snapshot holds: two-space indent, UTF-8, a final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def assert_snapshot(path: Path, actual: str) -> None:
    """``actual`` equals the committed ``path`` byte for byte (or is written to it)."""
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
        return
    assert path.exists(), f"no snapshot {path}; run with {UPDATE_OPTION} and review it"
    assert actual == path.read_bytes().decode("utf-8"), f"{path} differs ({UPDATE_OPTION})"
