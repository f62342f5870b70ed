"""Reporters: render a :class:`ekstwin.findings.Report` as table, JSON, SARIF or JUnit."""

from __future__ import annotations

from ekstwin.reporters.interface import Reporter, ReporterError, ReportFormat, reporter_for

__all__ = ["ReportFormat", "Reporter", "ReporterError", "reporter_for"]
