"""The conformance runners share the engine tests' platform builder (YAML text ->
Platform); the case counts are printed by the root conftest."""

from __future__ import annotations

from tests.engines.conftest import build

__all__ = ["build"]
