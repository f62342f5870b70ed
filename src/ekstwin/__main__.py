"""``python -m ekstwin``."""

from __future__ import annotations

from ekstwin.cli.main import run

run()
