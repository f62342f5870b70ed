"""docs/web.md's JSON examples are generated from fixtures (tests/web/doc_examples.py);
these tests fail when one is stale or names no generator."""

from __future__ import annotations

import pytest

from tests.web.conftest import REPO
from tests.web.doc_examples import EXAMPLES, REGENERATE, render

DOC = REPO / "docs" / "web.md"


def test_every_example_of_docs_web_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert render(text) == text, f"docs/web.md's examples are stale; run `{REGENERATE}`"


def test_every_generator_has_its_place_in_docs_web() -> None:
    text = DOC.read_text(encoding="utf-8")
    placed = [name for name in EXAMPLES if f"<!-- example {name}: " in text]
    assert placed == list(EXAMPLES)


def test_an_example_without_a_generator_is_refused() -> None:
    with pytest.raises(SystemExit, match="no generator makes: \\['nonesuch'\\]"):
        render("<!-- example nonesuch: x -->\n```json\n{}\n```\n<!-- /example nonesuch -->\n")


def test_a_stale_example_is_rewritten() -> None:
    stale = (
        '<!-- example path-answer: x -->\n```json\n{"pairs": 99}\n```\n'
        "<!-- /example path-answer -->"
    )
    fresh = render(stale)
    assert '"pairs": 99' not in fresh and '"pairs": 1,' in fresh
    assert fresh.startswith("<!-- example path-answer: x -->\n```json\n{\n")
    assert fresh.endswith("```\n<!-- /example path-answer -->")
