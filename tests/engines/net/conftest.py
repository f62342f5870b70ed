"""Helpers for the net engine tests (``build`` comes from tests/engines/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ekstwin.engines.net import NetModel
from tests.engines.conftest import Builder


@pytest.fixture
def model_of(build: Builder) -> Callable[[str], NetModel]:
    return lambda text: NetModel(build(text))
