"""The generated documentation: docs/checks/ from the checks, and the examples of
command output in docs/*.md from the commands; these tests fail when it is stale."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ekstwin.docgen import ExampleError, example_pages, main, render_examples, select
from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.docs import (
    REGENERATE,
    check_docs,
    doc_sections,
    render_check_doc,
    render_index,
)
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "checks"
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
    assert main(["--root", str(tmp_path)]) == 0
    pages = tmp_path / "docs" / "checks"
    written = {p.name: p.read_text(encoding="utf-8") for p in pages.iterdir()}
    assert written == check_docs()


@pytest.mark.parametrize("page", example_pages(ROOT), ids=lambda p: p.name)
def test_committed_examples_are_what_the_commands_print(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert render_examples(text, ROOT) == text, (
        f"the examples in {page.name} differ from the commands' output; "
        f"regenerate them with `{REGENERATE}` and review the diff"
    )


def test_the_pages_that_show_output_have_examples() -> None:
    assert [p.name for p in example_pages(ROOT)] == [
        "diff.md",
        "drift.md",
        "ipam.md",
        "mesh.md",
        "net.md",
        "report-json.md",
    ]


def test_an_example_block_is_replaced_by_the_output_and_the_rest_kept(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "ns.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n", encoding="utf-8"
    )
    text = (
        "intro\n"
        "<!-- example: ekstwin analyze p --format json --no-implied | .summary.platform.kinds -->\n"
        "````json\nstale\n```\nstill stale\n````\n"
        "<!-- example: ekstwin analyze p --format json --no-implied | .inputs[0] -->\n"
        "```\n```\n"
        "<!-- example: $ ekstwin ipam max-pods t3.nano -->\n"
        "```\n```\n"
        "outro\n"
    )
    assert render_examples(text, tmp_path) == (
        "intro\n"
        "<!-- example: ekstwin analyze p --format json --no-implied | .summary.platform.kinds -->\n"
        '````json\n{\n  "Namespace": 1\n}\n````\n'
        "<!-- example: ekstwin analyze p --format json --no-implied | .inputs[0] -->\n"
        '```\n"p"\n```\n'
        "<!-- example: $ ekstwin ipam max-pods t3.nano -->\n"
        "```\n$ ekstwin ipam max-pods t3.nano\n"
        "instance type    t3.nano\n"
        "ENIs for pods    2\n"
        "IPv4 per ENI     2\n"
        "mode             secondary-ip\n"
        "max pods (CNI)   4\n"
        "max pods capped  4  (EKS AMI calculator, secondary-ip; 110 up to 30 vCPUs, 250 above)\n"
        "```\n"
        "outro\n"
    )


@pytest.mark.parametrize(
    ("selector", "picked"),
    [
        (".a", [{"id": "X", "v": 1}, {"id": "Y", "v": 2}]),
        (".a[1].v", 2),
        (".a[id=Y]", {"id": "Y", "v": 2}),
        (".b.c-d", None),
        ("", {"a": [{"id": "X", "v": 1}, {"id": "Y", "v": 2}], "b": {"c-d": None}}),
    ],
)
def test_select_walks_keys_indexes_and_matches(selector: str, picked: object) -> None:
    data = {"a": [{"id": "X", "v": 1}, {"id": "Y", "v": 2}], "b": {"c-d": None}}
    assert select(data, selector) == picked


@pytest.mark.parametrize(
    ("selector", "error"),
    [
        (".z", "selector '.z': '.z' picks nothing"),
        (".a[2]", "selector '.a[2]': '[2]' picks nothing"),
        (".a[id=Z]", "selector '.a[id=Z]': no item with id=Z"),
        (".a/0", "selector '.a/0': cannot read '/0'"),
    ],
)
def test_a_selector_that_picks_nothing_is_an_error(selector: str, error: str) -> None:
    with pytest.raises(ExampleError) as info:
        select({"a": [{"id": "X"}]}, selector)
    assert str(info.value) == error


def test_an_example_must_run_ekstwin(tmp_path: Path) -> None:
    with pytest.raises(ExampleError, match="must start with 'ekstwin'"):
        render_examples("<!-- example: ls -l -->\n```\n```\n", tmp_path)
