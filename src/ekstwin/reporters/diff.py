"""``ekstwin diff`` as text: a terminal table and a pull-request comment in Markdown.

Both render a :class:`ekstwin.engines.review.PlatformDiff` and compute nothing.
Names come from the input, so the terminal text has its control characters
escaped and the Markdown has HTML and table syntax escaped.
"""

from __future__ import annotations

import html

from ekstwin.engines.review import WIDENING, Area, Change, PlatformDiff
from ekstwin.reporters._text import printable

#: What each area is called in a report.
AREA_TITLES = {
    Area.REACHABILITY: "Reachability (network policy, between workloads)",
    Area.MESH: "Service mesh (Istio refusals between workloads)",
    Area.KUBERNETES_ACCESS: "Kubernetes access (sensitive abilities)",
    Area.AWS_ACCESS: "AWS access (roles of workloads)",
    Area.ALB: "ALB rules (AWS Load Balancer Controller)",
    Area.DNS: "Route 53 records (ExternalDNS)",
    Area.CAPACITY: "IP capacity (VPC CNI, subnets)",
    Area.STORAGE: "Storage (volumes across zones)",
    Area.FINDINGS: "Findings",
}

#: GitHub refuses comments over 65,536 characters; keep room for the cut note.
MARKDOWN_LIMIT = 60_000


def _counts_line(diff: PlatformDiff) -> str:
    parts = []
    for area, kinds in diff.counts().items():
        inner = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
        parts.append(f"{area}: {inner}")
    return "; ".join(parts)


def diff_table(diff: PlatformDiff) -> str:
    """The terminal text: one block per area, each change with its reasons."""
    if diff.is_empty:
        return "no semantic change\n"
    out = [printable(f"{len(diff.changes)} changes: {_counts_line(diff)}")]
    for area in Area:
        changes = diff.in_area(area)
        if not changes:
            continue
        out.append("")
        out.append(f"== {AREA_TITLES[area]}: {len(changes)}")
        for c in changes:
            mark = " [protected]" if c.protected else ""
            out.append(printable(f"{c.kind.value:9} {c.summary}{mark}"))
            out.extend(printable(f"          {b}") for b in c.because)
    for note in diff.notes:
        out.append(f"note: {note}")
    return "\n".join(out) + "\n"


#: Markdown punctuation that would turn a name into emphasis, code or a link.
_MARKDOWN_PUNCTUATION = str.maketrans({c: "\\" + c for c in "\\`*_[]~|#!"})


def _cell(text: str) -> str:
    """Text shown as itself inside a Markdown table cell: HTML and Markdown
    punctuation escaped, on one line."""
    escaped = html.escape(printable(text), quote=False).translate(_MARKDOWN_PUNCTUATION)
    return escaped.replace("\n", "<br>")


def _row(c: Change) -> str:
    because = "<br>".join(_cell(b) for b in c.because)
    mark = " **(protected)**" if c.protected and c.kind in WIDENING else ""
    return f"| {c.kind.value}{mark} | {_cell(c.summary)} | {because} |"


def diff_markdown(diff: PlatformDiff, *, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: the summary first, each area in a collapsed section,
    at most ``limit`` characters (a note says how many changes were left out)."""
    head = ["### ekstwin: what this change does to the platform", ""]
    if diff.is_empty:
        head.append("No semantic change.")
        return "\n".join(head) + "\n"
    head.append(_cell(f"{len(diff.changes)} changes: {_counts_line(diff)}"))
    protected = [c for c in diff.changes if c.protected and c.kind in WIDENING]
    if protected:
        head += ["", f"**{len(protected)} change(s) open access into protected namespaces:**"]
        head += [f"- {_cell(c.summary)}" for c in protected[:10]]
        if len(protected) > 10:
            head.append(f"- ... and {len(protected) - 10} more")
    new = diff.new_findings
    head += ["", f"Findings: {len(new)} new, {len(diff.fixed_findings)} fixed, "
             f"{diff.unchanged_findings} unchanged."]  # fmt: skip
    text = "\n".join(head) + "\n"
    left_out = 0
    for area in Area:
        changes = diff.in_area(area)
        if not changes:
            continue
        section = [
            "",
            f"<details><summary>{html.escape(AREA_TITLES[area])}: {len(changes)}</summary>",
            "",
            "| change | what | because |",
            "|---|---|---|",
        ]
        body = "\n".join(section) + "\n"
        shown = 0
        for c in changes:
            row = _row(c) + "\n"
            if len(text) + len(body) + len(row) + 40 > limit:
                break
            body += row
            shown += 1
        left_out += len(changes) - shown
        if shown == 0:
            continue
        body += "\n</details>\n"
        if len(text) + len(body) > limit:
            left_out += shown
            continue
        text += body
    if left_out:
        text += (
            f"\n_{left_out} change(s) not shown to keep this comment short; "
            "the JSON output (`--format json`) has all of them._\n"
        )
    if diff.notes:
        text += "\n" + "\n".join(f"<sub>{_cell(n)}</sub><br>" for n in diff.notes) + "\n"
    return text
