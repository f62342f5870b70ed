"""Reporter tests; their reviewed outputs are under ``expected/``."""

from __future__ import annotations

from pathlib import Path

#: The reviewed outputs the reporter tests compare with (tests/snapshots.py).
EXPECTED = Path(__file__).parent / "expected"
