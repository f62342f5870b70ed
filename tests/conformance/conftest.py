"""Print the case count of every conformance suite at the end of a run that
collected them, so drift in the suites is visible in the test output."""

from __future__ import annotations

import pytest

from tests.conformance.suites import count_lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line("conformance suites:")
    for engine in ("net", "mesh"):
        for line in count_lines(engine):
            terminalreporter.write_line(line)


# The engine tests' platform builder (YAML text -> Platform), shared here.
from tests.engines.conftest import build  # noqa: E402

__all__ = ["build"]
