"""docs/checks/ is generated from the checks; these tests fail when it is stale."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.docs import (
    REGENERATE,
    check_docs,
    doc_sections,
    main,
    render_check_doc,
    render_index,
)
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform

DOCS = Path(__file__).resolve().parents[2] / "docs" / "checks"
STALE = f"docs/checks is stale; regenerate it with `{REGENERATE}` and commit the result"


@pytest.mark.parametrize("name", sorted(check_docs()))
def test_committed_doc_is_current(name: str) -> None:
    path = DOCS / name
    assert path.exists(), f"{path} is missing. {STALE}"
    assert path.read_text(encoding="utf-8") == check_docs()[name], f"{path} differs. {STALE}"


def test_no_doc_for_a_check_that_does_not_exist() -> None:
    extra = sorted({p.name for p in DOCS.glob("*.md")} - set(check_docs()))
    assert extra == [], f"remove the pages of checks that no longer exist: {extra}"


class BareMetalCheck(Check):
    """
    ## What it does
    Finds things.

    ## Why is this bad?
    Because | pipes.

    ## Example
    ```yaml
    ## not a section: inside a code block
    kind: Thing
    ```

    ## Fix
    Remove them.

    ## References
    - Somewhere
    """

    id = "TST001"
    slug = "bare-metal"
    title = "Things | found"
    severity = Severity.LOW
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        return iter(())


def test_render_check_doc_writes_title_metadata_and_sections() -> None:
    assert render_check_doc(BareMetalCheck) == (
        f"<!-- generated from the check's code by `{REGENERATE}`; do not edit -->\n"
        "\n"
        "# TST001: Things | found\n"
        "\n"
        "| | |\n"
        "|---|---|\n"
        "| slug | `bare-metal` |\n"
        "| severity | low |\n"
        "| confidence | medium |\n"
        "| engine | core |\n"
        "\n"
        "## What it does\n"
        "\n"
        "Finds things.\n"
        "\n"
        "## Why is this bad?\n"
        "\n"
        "Because | pipes.\n"
        "\n"
        "## Example\n"
        "\n"
        "```yaml\n"
        "## not a section: inside a code block\n"
        "kind: Thing\n"
        "```\n"
        "\n"
        "## Fix\n"
        "\n"
        "Remove them.\n"
        "\n"
        "## References\n"
        "\n"
        "- Somewhere\n"
    )


def test_render_index_links_every_check_and_escapes_pipes() -> None:
    text = render_index([BareMetalCheck])
    assert text.splitlines()[-3:] == [
        "| id | title | severity | confidence | engine | slug |",
        "|---|---|---|---|---|---|",
        "| [TST001](TST001.md) | Things \\| found | low | medium | core | `bare-metal` |",
    ]


class MissingSectionCheck(BareMetalCheck):
    """
    ## What it does
    Finds things.

    ## Fix
    Remove them.
    """

    id = "TST002"


class EmptySectionCheck(BareMetalCheck):
    """
    ## What it does

    ## Why is this bad?
    x

    ## Example
    x

    ## Fix
    x

    ## References
    x
    """

    id = "TST003"


class PreambleCheck(BareMetalCheck):
    """Some summary line first.

    ## What it does
    x
    """

    id = "TST004"


@pytest.mark.parametrize(
    ("cls", "error"),
    [
        (
            MissingSectionCheck,
            "TST002: docstring sections are ['What it does', 'Fix'], expected "
            "['What it does', 'Why is this bad?', 'Example', 'Fix', 'References']",
        ),
        (EmptySectionCheck, "TST003: empty section(s) ['What it does']"),
        (PreambleCheck, "TST004: text before the first section: 'Some summary line first.'"),
    ],
    ids=["missing", "empty", "preamble"],
)
def test_doc_sections_rejects_malformed_docstrings(cls: type[Check], error: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        doc_sections(cls)
    assert str(excinfo.value) == error


def test_main_writes_every_page(tmp_path: Path) -> None:
    assert main([str(tmp_path / "out")]) == 0
    written = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "out").iterdir()}
    assert written == check_docs()
