"""Fixtures shared by every test package."""

from __future__ import annotations

import os

import pytest

from tests.snapshots import UPDATE_ENV, UPDATE_OPTION


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        UPDATE_OPTION,
        action="store_true",
        help="write the reviewed snapshots instead of comparing with them (tests/snapshots.py)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Through the environment, so that xdist's workers and helpers outside a
    # fixture see it too.
    if config.getoption(UPDATE_OPTION):
        os.environ[UPDATE_ENV] = "1"


@pytest.fixture(scope="session")
def sarif_schema() -> dict[str, object]:
    """The official SARIF 2.1.0 schema; fails (does not skip) when it is missing."""
    import json

    from tests.reporters import sarif_schema as official

    path = official.locate()
    if path is None or not path.is_file():
        pytest.fail(f"the official SARIF 2.1.0 schema is not installed: {official.INSTALL}")
    if not os.environ.get("EKSTWIN_SARIF_SCHEMA"):
        assert official.digest(path) == official.SHA256, f"unexpected schema at {path}"
    schema: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the case count of every conformance suite when the run collected
    them (also under xdist, where only this root conftest reaches the report)."""
    from tests.conformance.suites import ROOT, count_lines

    ran = terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
    if not any("tests/conformance/" in getattr(r, "nodeid", "") for r in ran):
        return
    terminalreporter.write_line("conformance suites:")
    engines = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and any(p.glob("*.yaml")))
    for engine in engines:
        for line in count_lines(engine):
            terminalreporter.write_line(line)
