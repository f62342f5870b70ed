"""``ekstwin report``: every view of a platform as one self-contained HTML file."""

from __future__ import annotations

from ekstwin.loaders import LoadResult
from ekstwin.suppressions import Baseline
from ekstwin.web.page import load_assets, render_page
from ekstwin.web.views import build_views

__all__ = ["report_html"]


def report_html(
    result: LoadResult,
    *,
    inputs: list[str],
    compare: LoadResult | None = None,
    compare_inputs: list[str] | None = None,
    baseline: Baseline | None = None,
) -> str:
    """The HTML report: inline script, style and data; no network access at all."""
    views = build_views(
        result, inputs=inputs, compare=compare, compare_inputs=compare_inputs, baseline=baseline
    )
    return render_page(load_assets(), str(views["title"]), views, live=False)
