"""Generate ``docs/checks/``: one Markdown page per check, and an index.

A check's docstring is its documentation. It holds the sections below as
``## `` headings, in this order; the page adds the check's metadata. The pages
are written, with the rest of the generated documentation, by::

    python -m ekstwin.docgen

A test compares the committed pages with what this module renders, so a
page never drifts from its check.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ekstwin.engines.checks import Check, discover_checks

__all__ = [
    "REGENERATE",
    "SECTIONS",
    "check_docs",
    "doc_sections",
    "render_check_doc",
    "render_index",
    "write_check_docs",
]

#: The docstring sections every check has, in this order.
SECTIONS = ("What it does", "Why is this bad?", "Example", "Fix", "References")

#: The command that regenerates the pages (said by the page header and the test).
REGENERATE = "python -m ekstwin.docgen"

_HEADER = f"<!-- generated from the check's code by `{REGENERATE}`; do not edit -->"


def doc_sections(cls: type[Check]) -> dict[str, str]:
    """The ``## `` sections of a check's docstring, title to body, in order.

    Headings inside fenced code blocks are text, not sections. Raises
    ValueError when the docstring does not have exactly :data:`SECTIONS`, in
    order, each with a body.
    """
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    fenced = False
    for line in cls.doc().splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            title = line[3:].strip()
            if title in sections:
                raise ValueError(f"{cls.id}: section {title!r} appears twice")
            current = sections[title] = []
            continue
        if current is None:
            if line.strip():
                raise ValueError(f"{cls.id}: text before the first section: {line.strip()!r}")
            continue
        current.append(line)
    if tuple(sections) != SECTIONS:
        raise ValueError(
            f"{cls.id}: docstring sections are {list(sections)}, expected {list(SECTIONS)}"
        )
    out = {title: "\n".join(body).strip() for title, body in sections.items()}
    empty = [title for title, body in out.items() if not body]
    if empty:
        raise ValueError(f"{cls.id}: empty section(s) {empty}")
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_check_doc(cls: type[Check]) -> str:
    """The Markdown page of one check: title, metadata table, docstring sections."""
    lines = [
        _HEADER,
        "",
        f"# {cls.id}: {cls.title}",
        "",
        "| | |",
        "|---|---|",
        f"| slug | `{cls.slug}` |",
        f"| severity | {cls.severity.value} |",
        f"| confidence | {cls.confidence.value} |",
        f"| engine | {cls.engine()} |",
    ]
    for title, body in doc_sections(cls).items():
        lines += ["", f"## {title}", "", body]
    return "\n".join(lines) + "\n"


def render_index(checks: Sequence[type[Check]]) -> str:
    """``README.md`` of the docs directory: one row per check, linking its page."""
    lines = [
        _HEADER,
        "",
        "# Checks",
        "",
        "Every check ekstwin runs, by id. Each page says what the check finds, why it",
        "matters, an example, the fix and references.",
        "",
        "| id | title | severity | confidence | engine | slug |",
        "|---|---|---|---|---|---|",
    ]
    for cls in sorted(checks, key=lambda c: c.id):
        lines.append(
            f"| [{cls.id}]({cls.id}.md) | {_cell(cls.title)} | {cls.severity.value} "
            f"| {cls.confidence.value} | {cls.engine()} | `{cls.slug}` |"
        )
    return "\n".join(lines) + "\n"


def check_docs(checks: Sequence[type[Check]] | None = None) -> dict[str, str]:
    """File name to content of every page (all registered checks by default)."""
    chosen = tuple(checks) if checks is not None else discover_checks()
    pages = {f"{cls.id}.md": render_check_doc(cls) for cls in chosen}
    pages["README.md"] = render_index(chosen)
    return dict(sorted(pages.items()))


def write_check_docs(
    directory: str | Path, checks: Sequence[type[Check]] | None = None
) -> tuple[Path, ...]:
    """Write every page into ``directory`` (created if needed); return the paths.

    Pages of checks that no longer exist are left alone: the docs test names
    them so they are removed on purpose.
    """
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, text in check_docs(checks).items():
        path = root / name
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return tuple(written)
