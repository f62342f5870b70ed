"""The JSON examples of docs/web.md, generated from fixtures.

Each example sits in docs/web.md between ``<!-- example NAME: ... -->`` and
``<!-- /example NAME -->``; tests/web/test_doc_examples.py fails when one is
stale. Regenerate them (from the repository's root)::

    python -m tests.web.doc_examples docs/web.md
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ekstwin.loaders import LoadResult, load
from ekstwin.web.views import WebQueries, build_views

REPO = Path(__file__).resolve().parents[2]
REGENERATE = "python -m tests.web.doc_examples docs/web.md"
SMALL = "tests/fixtures/web/small"
SMALL_OLD = "tests/fixtures/web/small-old"
DEMO = "examples/demo-platform"
WIDTH = 100

_BLOCK = re.compile(
    r"(?P<head><!-- example (?P<name>[a-z-]+): (?P<what>[^\n]*?) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<tail><!-- /example (?P=name) -->)",
    re.S,
)


def compact(value: Any, indent: int = 0, column: int = 0) -> str:
    """JSON with each value on one line when it fits in ``WIDTH`` columns."""
    one = json.dumps(value, ensure_ascii=False)
    if column + len(one) <= WIDTH or not isinstance(value, dict | list) or not value:
        return one
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            head = f"{pad}{json.dumps(key)}: "
            items.append(head + compact(item, indent + 2, len(head) + 1))
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    rows = [pad + compact(item, indent + 2, indent + 3) for item in value]
    return "[\n" + ",\n".join(rows) + "\n" + " " * indent + "]"


def _load(path: str) -> LoadResult:
    return load([str(REPO / path)])


def _plain(value: object) -> Any:
    """``value`` as JSON data with file names relative to the repository."""
    return json.loads(json.dumps(value).replace(f"{REPO}/", ""))


def _json(value: object) -> str:
    return f"```json\n{compact(_plain(value))}\n```\n"


def _views(path: str, **kwargs: Any) -> dict[str, Any]:
    views: dict[str, Any] = _plain(build_views(_load(path), inputs=[path], **kwargs))
    return views


def views_top() -> str:
    """The demo's document with each section's data left out."""
    views = _views(DEMO)
    for sec in views["sections"].values():
        if sec["available"]:
            sec["data"] = "..."
    return _json(views)


def network_small() -> str:
    """serve's form (no decision tables; the report's are shown apart)."""
    return _json(_views(SMALL, explain=False)["sections"]["network"]["data"])


def explain_small() -> str:
    """The report's decision tables, each decision on one line."""
    explain = _plain(_views(SMALL)["sections"]["network"]["data"]["explain"])
    decisions = ",\n".join("    " + json.dumps(d) for d in explain["decisions"])
    text = _json({**explain, "decisions": "DECISIONS"})
    return text.replace('"decisions": "DECISIONS"', f'"decisions": [\n{decisions}\n  ]')


def path_answer() -> str:
    queries = WebQueries(_load(SMALL))
    return _json(queries.path("shop/web", "db/svc/pg", "5432", "TCP"))


def diff_small() -> str:
    """The diff of the small platform against itself without the policy, with a
    ``why_limit`` of 1, showing only its last change (sent without explanation)."""
    views = _views(SMALL, compare=_load(SMALL_OLD), compare_inputs=[SMALL_OLD], why_limit=1)
    diff = views["sections"]["diff"]
    diff["data"]["changes"] = diff["data"]["changes"][-1:]
    return _json(diff)


EXAMPLES: dict[str, Callable[[], str]] = {
    "views-top": views_top,
    "network-small": network_small,
    "explain-small": explain_small,
    "path-answer": path_answer,
    "diff-small": diff_small,
}


def render(text: str) -> str:
    """``text`` (docs/web.md) with every example regenerated."""
    unknown = [m["name"] for m in _BLOCK.finditer(text) if m["name"] not in EXAMPLES]
    if unknown:
        raise SystemExit(f"docs/web.md names examples that no generator makes: {unknown}")
    return _BLOCK.sub(lambda m: m["head"] + EXAMPLES[m["name"]]() + m["tail"], text)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print(f"usage: {REGENERATE}", file=sys.stderr)
        return 2
    path = Path(args[0])
    text = path.read_text(encoding="utf-8")
    path.write_text(render(text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
