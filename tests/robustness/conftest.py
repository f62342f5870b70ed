"""Helpers for the robustness tests: run the CLI in-process, capture everything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from ekstwin.cli.main import main


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def ekstwin(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Call ``ekstwin ARGS...``; argparse's SystemExit becomes the exit code."""

    def run(*argv: str) -> Run:
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
