"""Helpers for the engine tests: build platforms from YAML text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ekstwin.loaders import load
from ekstwin.model.platform import Platform

Builder = Callable[[str], Platform]


def _builder(tmp_path: Path, *, implied: bool) -> Builder:
    counter = iter(range(1_000_000))

    def make(text: str) -> Platform:
        d = tmp_path / f"p{next(counter)}"
        d.mkdir()
        (d / "objects.yaml").write_text(text, encoding="utf-8")
        result = load([str(d)], implied=implied)
        errors = [str(x) for x in result.diagnostics if x.level.value == "error"]
        assert not errors, errors
        return result.platform

    return make


@pytest.fixture
def build(tmp_path: Path) -> Builder:
    """Load YAML text as a platform (with the cluster's implied objects, as the CLI
    does); an input error fails the test."""
    return _builder(tmp_path, implied=True)


@pytest.fixture
def build_as_written(tmp_path: Path) -> Builder:
    """Load YAML text as written: nothing implied (``--no-implied``)."""
    return _builder(tmp_path, implied=False)
