"""Reporters: render a :class:`ekstwin.findings.Report` as table, JSON, SARIF or JUnit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ekstwin.reporters.interface import Reporter, ReporterError, ReportFormat, reporter_for

__all__ = ["ReportFormat", "Reporter", "ReporterError", "reporter_for"]


def __getattr__(name: str) -> Any:
    """The names of :mod:`ekstwin.reporters.interface`, imported on first use: a
    command that only escapes text with :mod:`ekstwin.reporters._text` (every
    command does) does not pay for the reporters and the findings they read."""
    if name not in __all__:
        raise AttributeError(f"module 'ekstwin.reporters' has no attribute {name!r}")
    from ekstwin.reporters import interface

    return getattr(interface, name)
