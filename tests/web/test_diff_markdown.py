"""The pull-request comment of ``ekstwin diff --format markdown`` rendered the way
GitHub renders comments (CommonMark with tables and raw HTML), shown in Chromium:
every change is one table row, sections fold, hostile names stay text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from ekstwin.engines.review import Area, Change, ChangeKind, PlatformDiff, diff_platforms
from ekstwin.loaders import load
from ekstwin.reporters.diff import diff_markdown
from tests.fixtures.review.head import BASE, write_head

HOSTILE = "contractors|<img src=x onerror=alert(1)>*bold* </details>"


def _html(markdown: str) -> str:
    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    return f"<!doctype html><html><body>{body}</body></html>"


def _diff(tmp_path: Path) -> PlatformDiff:
    head = write_head(tmp_path / "head")
    real = diff_platforms(load([str(BASE)]).platform, load([str(head)]).platform)
    hostile = Change(
        Area.KUBERNETES_ACCESS,
        ChangeKind.GAINED,
        f"group {HOSTILE}",
        f"group {HOSTILE} gained exec-pods in namespace payments",
        (f"Group {HOSTILE} -> RoleBinding payments/x",),
        "payments",
        protected=True,
    )
    return PlatformDiff((*real.changes, hostile), notes=real.notes)


def test_comment_renders_one_row_per_change(page: Any, tmp_path: Path) -> None:
    diff = _diff(tmp_path)
    page.set_content(_html(diff_markdown(diff)))
    areas = {c.area for c in diff.changes}
    assert page.locator("details").count() == len(areas)
    assert page.locator("tbody tr").count() == len(diff.changes)
    assert page.locator("img").count() == 0  # the name stayed text
    page.locator("summary").first.click()
    text = page.locator("body").inner_text()
    assert "|---" not in text and "<details" not in text
    assert HOSTILE in text  # shown as written: no emphasis, no tag, no cell split
    # the protected change is listed before the sections, where a reviewer reads first
    assert page.locator("ul li").first.inner_text().startswith(f"group {HOSTILE}"[:18])
    assert not page.ekstwin_errors


@pytest.mark.parametrize("limit", [2_000, 6_000])
def test_a_long_comment_is_cut_with_a_note(page: Any, tmp_path: Path, limit: int) -> None:
    diff = _diff(tmp_path)
    many = PlatformDiff(diff.changes * 40, notes=diff.notes)
    text = diff_markdown(many, limit=limit)
    assert len(text) <= limit + 400  # the cut note and the notes follow the limit
    assert "not shown to keep this comment short" in text
    page.set_content(_html(text))
    shown = page.locator("tbody tr").count()
    assert 0 < shown < len(many.changes)
    cut = int(text.split("\n_")[1].split(" ")[0])
    assert shown + cut == len(many.changes)
