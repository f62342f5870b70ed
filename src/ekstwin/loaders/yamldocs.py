"""Read YAML (and JSON) text into documents that remember their lines.

The text is cut at document separators first, so one broken document does
not hide the ones after it; each piece is parsed with libyaml's C loader when
it is present. A document whose aliases would expand past a limit (a
"billion laughs" bomb) is refused before anything walks it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from ekstwin.findings import Diagnostic
from ekstwin.model.source import Source

try:
    _Base: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Base = yaml.SafeLoader


class _Loader(_Base):  # type: ignore[misc]
    """Safe loading, with timestamps kept as the text written.

    Kubernetes reads ``2024-01-01T00:00:00Z`` as a string; a ``datetime``
    would also not survive a JSON snapshot.
    """


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Base.construct_scalar)

_SEPARATOR = re.compile(r"^(---|\.\.\.)(?:[ \t].*)?$", re.MULTILINE)
_HAS_ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\]}]")

#: An expanded document may hold at most this many nodes (aliases counted
#: each time they are used) ...
MAX_EXPANDED_NODES = 2_000_000
#: ... and aliases may at most multiply the written nodes this many times.
MAX_ALIAS_RATIO = 100


@dataclass(frozen=True, slots=True)
class Document:
    """One parsed document: its data, where it starts, and the lines of its parts.

    ``lines`` maps JSON Pointers (``/spec/ingress/0``) to 1-based lines; it is
    filled only when the reader was asked for it.
    """

    data: object
    source: Source
    lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    first_line: int  # 0-based line of the piece's first line in the file


def _pieces(text: str) -> Iterator[_Piece]:
    start = 0
    start_line = 0
    for m in _SEPARATOR.finditer(text):
        yield _Piece(text[start : m.start()], start_line)
        start_line += text.count("\n", start, m.end()) + 1
        start = m.end() + 1
    yield _Piece(text[start:], start_line)


def _expanded_size(node: yaml.Node) -> tuple[int, int]:
    """(nodes as written, nodes once every alias is expanded)."""
    memo: dict[int, int] = {}
    unique = 0
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        n, done = stack.pop()
        if id(n) in memo and not done:
            continue
        children: list[yaml.Node] = []
        if isinstance(n, yaml.SequenceNode):
            children = list(n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                children.extend((k, v))
        if done:
            memo[id(n)] = 1 + sum(memo.get(id(c), 1) for c in children)
            continue
        unique += 1
        memo[id(n)] = 1  # placeholder: guards against recursive aliases
        stack.append((n, True))
        stack.extend((c, False) for c in children if id(c) not in memo)
    return unique, memo[id(node)]


def node_lines(node: yaml.Node, first_line: int) -> dict[str, int]:
    """JSON Pointer -> 1-based line for every mapping and sequence item under ``node``."""
    out: dict[str, int] = {}
    stack: list[tuple[yaml.Node, str]] = [(node, "")]
    while stack:
        n, ptr = stack.pop()
        out[ptr] = n.start_mark.line + first_line + 1
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode):
                    key = str(k.value).replace("~", "~0").replace("/", "~1")
                    stack.append((v, f"{ptr}/{key}"))
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                stack.append((v, f"{ptr}/{i}"))
    return out


def read_documents(
    text: str, file: str, *, line_kinds: frozenset[str] = frozenset()
) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every document of a YAML/JSON text; bad ones become diagnostics.

    A ``kind: List`` document is split into one document per item, each with
    its own line. Documents whose ``kind`` is in ``line_kinds`` get ``lines``
    (pointer -> line) filled: it costs a walk of the node tree, so callers ask
    only for the kinds whose parts findings point at.
    """
    docs: list[Document] = []
    diags: list[Diagnostic] = []
    check_aliases = _HAS_ALIAS.search(text) is not None
    for piece in _pieces(text):
        if not piece.text.strip():
            continue
        loader = _Loader(piece.text)
        try:
            node = loader.get_single_node()
            if node is None:
                continue
            if check_aliases:
                unique, expanded = _expanded_size(node)
                if expanded > MAX_EXPANDED_NODES or (
                    expanded > 10_000 and expanded > unique * MAX_ALIAS_RATIO
                ):
                    diags.append(
                        Diagnostic(
                            Source(file, node.start_mark.line + piece.first_line + 1),
                            f"document refused: its aliases expand {unique} written nodes "
                            f"into {expanded}",
                            "remove the YAML anchors/aliases that repeat content "
                            "(an alias-expansion bomb), or write the content out",
                            code="yaml-alias-bomb",
                        )
                    )
                    continue
            data = loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = piece.first_line + (mark.line + 1 if mark else 1)
            column = mark.column + 1 if mark else 0
            what = exc.problem or exc.context or "invalid YAML"
            diags.append(
                Diagnostic(
                    Source(file, line),
                    f"YAML syntax error: {what} (column {column})",
                    "fix the document's syntax; the other documents of the file were still read",
                    code="yaml-syntax",
                )
            )
            continue
        except yaml.YAMLError as exc:
            diags.append(
                Diagnostic(
                    Source(file, piece.first_line + 1),
                    f"YAML error: {exc}",
                    "fix the document; the other documents of the file were still read",
                    code="yaml-syntax",
                )
            )
            continue
        finally:
            loader.dispose()
        docs.extend(_documents(node, data, file, piece.first_line, line_kinds))
    return docs, diags


def _scalar_value(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                found: yaml.Node = v
                return found
    return None


def _documents(
    node: yaml.Node, data: object, file: str, first_line: int, line_kinds: frozenset[str]
) -> Iterator[Document]:
    line = node.start_mark.line + first_line + 1
    kind = _scalar_value(node, "kind")
    kind_name = kind.value if isinstance(kind, yaml.ScalarNode) else None
    items = _scalar_value(node, "items")
    if (
        isinstance(kind_name, str)
        and kind_name.endswith("List")
        and isinstance(data, dict)
        and isinstance(items, yaml.SequenceNode)
        and isinstance(data.get("items"), list)
    ):
        for item_node, item in zip(items.value, data["items"], strict=True):
            yield from _documents(item_node, item, file, first_line, line_kinds)
        return
    lines = node_lines(node, first_line) if kind_name in line_kinds else {}
    yield Document(data, Source(file, line), lines)
