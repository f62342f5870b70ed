"""Read YAML (and JSON) text into documents that remember their lines.

The text is cut at document separators first, so one broken document does
not hide the ones after it; each piece is parsed into nodes by libyaml's C
parser when it is present. A document whose aliases would expand past a
limit (a "billion laughs" bomb) is refused before anything walks it.

Nodes become Python values in one pass that also records lines. Plain
scalars resolve as YAML 1.1 does in PyYAML's safe loader (null, booleans
such as ``yes``/``off``, integers, floats) with one deliberate difference:
timestamps stay strings, as they do when Kubernetes converts YAML to JSON.
Merge keys (``<<``) are honoured.

Documents in the plain block style most manifests use are read by the simple
reader (``simpleyaml``) instead, which gives the same values and the same
lines without building nodes; everything else, and every error, is libyaml's.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import yaml

from ekstwin.errors import EkstwinError
from ekstwin.findings import Diagnostic
from ekstwin.loaders.simpleyaml import NotSimple, parse_simple
from ekstwin.model.source import Source

_PLAIN = "?"  # the tag our resolver gives plain scalars without an explicit tag


class _Resolver:
    """Tags only what the text says: plain untagged scalars get ``?``, resolved later.

    PyYAML's resolvers run a regex per scalar while parsing; deferring it to
    the converter halves the cost, and keeps explicit tags (``!!str 5``) apart
    from plain values (``5``).
    """

    # The parser calls these two around every collection node; path resolvers
    # are not used, so they do nothing, through C builtins of the same arity
    # (a Python-level call for each node costs more than the parse of it).
    descend_resolver = staticmethod(operator.is_)
    ascend_resolver = staticmethod(tuple)

    def resolve(
        self,
        kind: type,
        value: object,
        implicit: tuple[bool, bool],
        _scalar: type = yaml.ScalarNode,
        _sequence: type = yaml.SequenceNode,
    ) -> str:
        if kind is _scalar:
            return _PLAIN if implicit[0] else "tag:yaml.org,2002:str"
        if kind is _sequence:
            return "tag:yaml.org,2002:seq"
        return "tag:yaml.org,2002:map"


try:
    from yaml._yaml import CParser

    class _Loader(CParser, _Resolver):
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)

except ImportError:  # pragma: no cover - PyYAML without libyaml

    class _Loader(  # type: ignore[no-redef]
        yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer,
        _Resolver,
    ):  # fmt: skip
        def __init__(self, text: str) -> None:
            yaml.reader.Reader.__init__(self, text)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)


#: A document marker at the start of a line: ``---`` (which may carry the
#: document's content on the same line: ``--- {kind: Namespace}``) or ``...``.
#: (What :func:`_markers` finds; the regex is its definition, for the tests.)
_SEPARATOR = re.compile(r"^(---|\.\.\.)(?=[ \t]|$)", re.MULTILINE)


def _marker_offsets(text: str, marker: str) -> Iterator[int]:
    at = 0 if text.startswith(marker) else text.find("\n" + marker) + 1 or -1
    while at >= 0:
        if text[at + 3 : at + 4] in ("", " ", "\t", "\n"):
            yield at
        at = text.find("\n" + marker, at) + 1 or -1


def _markers(text: str) -> list[tuple[int, bool]]:
    """(offset, is it ``---``) of each document marker line, in order: what
    ``_SEPARATOR`` finds, by ``str.find`` (a regex anchored at every line start
    tries each character of the text)."""
    return sorted(
        [(at, True) for at in _marker_offsets(text, "---")]
        + [(at, False) for at in _marker_offsets(text, "...")]
    )


#: An expanded document may hold at most this many nodes (aliases counted
#: each time they are used) ...
MAX_EXPANDED_NODES = 2_000_000
#: ... and aliases may at most multiply the written nodes this many times.
MAX_ALIAS_RATIO = 100
#: The nodes that aliases add (expanded minus written) over every document of
#: one file, and of one run: many small bombs add up.
MAX_FILE_ALIAS_NODES = 2_000_000
MAX_RUN_ALIAS_NODES = 8_000_000
#: Integers Python cannot turn into text (CPython refuses over 4,300 digits)
#: are input errors, whatever base they were written in.
MAX_INT_BITS = 14_000


@dataclass(slots=True)
class AliasBudget:
    """How many nodes aliases may still add in this run (shared by every file)."""

    remaining: int = MAX_RUN_ALIAS_NODES


@dataclass(slots=True)
class ReadMemo:
    """What the documents read in one run share: one object for each plain
    scalar's text and value (values are immutable), and for each pointer text of
    their lines. Less memory, and each text resolved once per run."""

    plain: dict[str, object] = field(default_factory=dict)
    pointers: dict[str, str] = field(default_factory=dict)


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR read as LF, as YAML and JSON treat them: line breaks."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True, slots=True)
class Document:
    """One parsed document: its data, where it starts, and the lines of its parts.

    ``lines`` maps JSON Pointers (``/spec/ingress/0``) to 1-based lines; it is
    filled only when the reader was asked for it.
    """

    data: object
    source: Source
    lines: dict[str, int] = field(default_factory=dict)


class _Piece(NamedTuple):
    text: str
    first_line: int  # 0-based line of the piece's first line in the file


def _pieces(text: str) -> Iterator[_Piece]:
    """The text cut before each ``---`` line (kept: it may carry content) and
    after each ``...`` line."""
    start = 0
    start_line = 0
    for at, dashes in _markers(text):
        if dashes:
            if at > start and (
                text.find("%", start, at) < 0 or not _only_directives(text[start:at])
            ):
                yield _Piece(text[start:at], start_line)
                start_line += text.count("\n", start, at)
                start = at
        else:
            end = text.find("\n", at + 3)
            end = len(text) if end < 0 else end + 1
            yield _Piece(text[start:at], start_line)
            start_line += text.count("\n", start, end)
            start = end
    yield _Piece(text[start:], start_line)


def _only_directives(text: str) -> bool:
    """Whether ``text`` holds directives (``%YAML 1.2``) and nothing but comments:
    they belong to the document the next ``---`` starts."""
    if "%" not in text:
        return False
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return bool(lines) and all(line.startswith("%") for line in lines)


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
    text: str,
    file: str,
    *,
    line_kinds: frozenset[str] = frozenset(),
    budget: AliasBudget | None = None,
    simple: bool = True,
    memo: ReadMemo | None = None,
) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every document of a YAML/JSON text; bad ones become diagnostics.

    A ``kind: List`` document is split into one document per item, each with
    its own line. Documents whose ``kind`` is in ``line_kinds`` get ``lines``
    (pointer -> line) filled: it costs a walk of the node tree, so callers ask
    only for the kinds whose parts findings point at. ``budget`` bounds what
    aliases may add over several files (one run); without it, this text alone.
    ``simple=False`` reads every document with libyaml (the simple reader gives
    the same documents, faster; tests compare the two). ``memo`` is shared by
    the texts of one run (without it, this text alone has one).
    """
    text = normalize_newlines(text)
    docs: list[Document] = []
    diags: list[Diagnostic] = []
    run_budget = budget if budget is not None else AliasBudget()
    file_alias_nodes = 0
    memo = ReadMemo() if memo is None else memo
    plain_cache = memo.plain
    resolve = _plain_values(plain_cache)
    entries: dict[str, tuple[object, object, str]] = {}  # the Python reader's, per text
    pointers = memo.pointers
    for piece in _pieces(text):
        if not piece.text or piece.text.isspace():
            continue
        if simple:
            try:
                simple_doc = _simple_document(
                    piece,
                    file,
                    line_kinds,
                    cache=plain_cache,
                    resolve=resolve,
                    entries=entries,
                    pointers=pointers,
                )
            except NotSimple:
                pass
            else:
                if simple_doc is not None:
                    docs.append(simple_doc)
                continue
        loader = _Loader(piece.text)
        node: yaml.Node | None = None
        try:
            node = loader.get_single_node()
            if node is None or _is_empty(node):
                continue
            has_aliases = "*" in piece.text
            if has_aliases:
                # The composed nodes share what aliases point at; measure what
                # expanding them would build before anything does.
                unique, expanded = _expanded_size(node)
                added = expanded - unique
                refused = ""
                if expanded > MAX_EXPANDED_NODES or (
                    expanded > 10_000 and expanded > unique * MAX_ALIAS_RATIO
                ):
                    refused = f"its aliases expand {unique} written nodes into {expanded}"
                elif file_alias_nodes + added > MAX_FILE_ALIAS_NODES:
                    refused = (
                        f"its aliases would bring what aliases add in this file to "
                        f"{file_alias_nodes + added} nodes (at most {MAX_FILE_ALIAS_NODES})"
                    )
                elif added > run_budget.remaining:
                    refused = (
                        f"its aliases would add {added} nodes, more than the "
                        f"{max(run_budget.remaining, 0)} left for this run "
                        f"(at most {MAX_RUN_ALIAS_NODES} over every input)"
                    )
                if refused:
                    diags.append(
                        Diagnostic(
                            Source(file, node.start_mark.line + piece.first_line + 1),
                            f"document refused: {refused}",
                            "remove the YAML anchors/aliases that repeat content "
                            "(an alias-expansion bomb), or write the content out",
                            code="yaml-alias-bomb",
                        )
                    )
                    continue
                file_alias_nodes += added
                run_budget.remaining -= added
            lines: dict[str, int] | None = {} if _kind_of(node) in line_kinds else None
            data = _UNSET
            if not has_aliases:
                try:
                    data = _fast_value(node, piece.first_line, lines, plain_cache)
                except _Fallback:
                    lines = None if lines is None else {}
            if data is _UNSET:
                data = _Converter(piece.first_line).value(node, "", lines)
        except RecursionError:
            line = piece.first_line + (node.start_mark.line + 1 if node is not None else 1)
            diags.append(
                Diagnostic(
                    Source(file, line),
                    "document nested too deeply to read",
                    "flatten the document; the other documents of the file were still read",
                    code="yaml-syntax",
                )
            )
            continue
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            if (
                mark is exc.problem_mark
                and exc.context_mark is not None
                and mark is not None
                and mark.line >= piece.text.rstrip().count("\n") + 1
            ):
                # libyaml gave up at the end of the document (an unclosed
                # bracket or quote): point at where the open construct began.
                mark = exc.context_mark
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
        except _ConvertError as exc:
            diags.append(
                Diagnostic(Source(file, exc.line), f"YAML error: {exc}", exc.hint, code=exc.code)
            )
            continue
        finally:
            loader.dispose()
        docs.extend(
            _documents(
                node, data, lines, file=file, first_line=piece.first_line, line_kinds=line_kinds
            )
        )
    return docs, diags


def _plain_values(cache: dict[str, object]) -> Callable[[str], object]:
    """Resolves a plain scalar's text into ``cache`` (the values are immutable, so
    each text is resolved once per cache); an integer too large is left to
    libyaml's path, which says where it is."""
    converter = _Converter(0)

    def resolve(text: str) -> object:
        try:
            got = cache[text] = converter.resolve(_PLAIN, text)
        except _IntegerTooLarge as exc:
            raise NotSimple("integer too large") from exc
        return got

    return resolve


#: A document's ``kind`` as most documents write it: at the start of a line.
_KIND_LINE = re.compile(r"kind: *([A-Za-z]+) *$", re.MULTILINE)


def _kind_guess(text: str) -> str | None:
    """The kind on the first line that starts with ``kind:``, if it is written
    plainly there (a guess: the caller checks it against what is read)."""
    at = 0 if text.startswith("kind:") else text.find("\nkind:") + 1
    if at == 0 and not text.startswith("kind:"):
        return None
    m = _KIND_LINE.match(text, at)
    return m.group(1) if m is not None else None


def _simple_document(
    piece: _Piece,
    file: str,
    line_kinds: frozenset[str],
    *,
    cache: dict[str, object],
    resolve: Callable[[str], object],
    entries: dict[str, tuple[object, object, str]],
    pointers: dict[str, str],
) -> Document | None:
    """The document of ``piece`` as the simple reader reads it, or None when it
    has no content. Raises ``NotSimple`` for what the simple reader does not take,
    and for a ``List`` (split into items by the full path)."""
    want = _kind_guess(piece.text) in line_kinds
    while True:
        lines: dict[str, int] | None = {} if want else None
        parsed = parse_simple(
            piece.text,
            cache,
            resolve,
            lines=lines,
            first_line=piece.first_line,
            entries=entries,
            starts=RESOLVED_STARTS,
            pointers=pointers,
        )
        if parsed is None:
            return None
        data, root_line = parsed
        kind = data.get("kind") if isinstance(data, dict) else None
        if isinstance(kind, str) and kind.endswith("List"):
            raise NotSimple("a List is split into its items")
        if want == (isinstance(kind, str) and kind in line_kinds):
            return Document(data, Source(file, piece.first_line + root_line + 1), lines or {})
        want = not want  # the guess was wrong: read it again


_STR = "tag:yaml.org,2002:str"
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_WANTED_TAGS = frozenset(
    {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
     "tag:yaml.org,2002:null"}
)  # fmt: skip
#: The first characters of the plain scalars that may read as a null, boolean or
#: number (``_Converter.resolve``); a plain scalar starting otherwise is text.
RESOLVED_STARTS = "".join(
    sorted(c for c, rs in _IMPLICIT.items() if c and any(t in _WANTED_TAGS for t, _ in rs))
)


class _ConvertError(EkstwinError):
    def __init__(self, message: str, line: int, code: str = "yaml-syntax", hint: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.code = code
        self.hint = hint or "fix the document; the other documents of the file were still read"


def _duplicate_key(node: yaml.Node, first_line: int) -> _ConvertError:
    """The error for the first key of a mapping node that repeats an earlier one:
    the API server (and kubectl) refuse such a document."""
    seen: dict[object, int] = {}
    for k, _ in node.value:
        name = (k.tag, k.value) if isinstance(k, yaml.ScalarNode) else id(k)
        line = k.start_mark.line + first_line + 1
        if name in seen:
            shown = k.value if isinstance(k, yaml.ScalarNode) else "(a collection)"
            return _ConvertError(
                f"mapping key {shown!r} already defined at line {seen[name]}",
                line,
                code="yaml-duplicate-key",
                hint="remove one of the two keys; a missing '---' between two documents "
                "looks like this",
            )
        seen[name] = line
    return _ConvertError("mapping key defined twice", node.start_mark.line + first_line + 1)


class _IntegerTooLarge(EkstwinError):
    """An integer too large to read (the converter adds the line)."""


class _Converter:
    """Nodes to Python values, recording the line of each part when asked."""

    def __init__(self, first_line: int) -> None:
        self.first_line = first_line
        self.constructor = yaml.constructor.SafeConstructor()
        self.active: set[int] = set()

    def scalar(self, node: yaml.ScalarNode) -> object:
        try:
            return self.resolve(node.tag, node.value)
        except _IntegerTooLarge as exc:
            raise _ConvertError(str(exc), node.start_mark.line + self.first_line + 1) from exc

    def resolve(self, tag: str, value: str) -> object:
        """The value of a scalar with this tag (``?`` for a plain one) and text;
        raises ``_IntegerTooLarge`` for an integer past what is read."""
        if tag == _PLAIN:
            if not value:
                return None
            for implicit_tag, regexp in _IMPLICIT.get(value[0], ()):
                if implicit_tag in _WANTED_TAGS and regexp.match(value):
                    tag = implicit_tag
                    break
            else:
                return value
        elif tag in (_STR, "!"):
            return value
        if tag == "tag:yaml.org,2002:int" and value.isdigit() and value[0] != "0":
            if len(value) < 4000:
                return int(value)
            raise _IntegerTooLarge(self._too_large(value))
        if tag in _WANTED_TAGS:
            node = yaml.ScalarNode(tag, value)
            try:
                got = self.constructor.construct_object(node, deep=True)
            except ValueError as exc:  # an integer past CPython's int-string limit
                raise _IntegerTooLarge(self._too_large(value)) from exc
            if isinstance(got, int) and got.bit_length() > MAX_INT_BITS:
                raise _IntegerTooLarge(self._too_large(value))
            return got
        return value  # timestamps, binary and unknown tags stay text

    @staticmethod
    def _too_large(value: str) -> str:
        return (
            f"integer {value[:12]}... ({len(value)} characters) is too large "
            "(Kubernetes integers are 64-bit)"
        )

    def value(self, node: yaml.Node, pointer: str, lines: dict[str, int] | None) -> object:
        if lines is not None:
            lines[pointer] = node.start_mark.line + self.first_line + 1
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        key = id(node)
        if key in self.active:
            raise _ConvertError("recursive alias", node.start_mark.line + self.first_line + 1)
        self.active.add(key)
        try:
            if isinstance(node, yaml.SequenceNode):
                if lines is None:
                    return [self.value(v, "", None) for v in node.value]
                return [self.value(v, f"{pointer}/{i}", lines) for i, v in enumerate(node.value)]
            return self.mapping(node, pointer, lines)
        finally:
            self.active.discard(key)

    def mapping(
        self, node: yaml.Node, pointer: str, lines: dict[str, int] | None
    ) -> dict[object, object]:
        out: dict[object, object] = {}
        merged: list[dict[object, object]] = []
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "<<" and k.tag == _PLAIN:
                sources = v.value if isinstance(v, yaml.SequenceNode) else [v]
                for src in sources:
                    got = self.value(src, pointer, None)
                    if not isinstance(got, dict):
                        raise _ConvertError(
                            "a merge key (<<) needs a mapping",
                            src.start_mark.line + self.first_line + 1,
                        )
                    merged.append(got)
                continue
            if not isinstance(k, yaml.ScalarNode):
                raise _ConvertError(
                    "a mapping key must be a plain value, not a collection",
                    k.start_mark.line + self.first_line + 1,
                )
            name = self.scalar(k)
            if name in out:
                raise _duplicate_key(node, self.first_line)
            if lines is None:
                out[name] = self.value(v, "", None)
            else:
                escaped = str(name).replace("~", "~0").replace("/", "~1")
                out[name] = self.value(v, f"{pointer}/{escaped}", lines)
        if merged:
            base: dict[object, object] = {}
            for m in reversed(merged):
                base.update(m)
            base.update(out)
            return base
        return out


_UNSET: object = object()


class _Fallback(EkstwinError):
    """The fast conversion met what only the full converter handles (a merge key,
    a collection as a key)."""


def _fast_value(
    node: yaml.Node, first_line: int, lines: dict[str, int] | None, cache: dict[str, object]
) -> object:
    """What ``_Converter.value`` gives for a document without aliases, faster.

    Without aliases no node is shared, so no recursion guard is needed; a plain
    scalar's value depends on its text alone, so each distinct text is resolved
    once per file (the values are immutable). Anything unusual raises
    ``_Fallback`` and the document goes through the full converter.
    """
    scalar_node = yaml.ScalarNode
    sequence_node = yaml.SequenceNode
    slow = _Converter(first_line)

    def scalar(n: yaml.Node) -> object:
        tag = n.tag
        if tag == _STR:
            return n.value
        if tag != _PLAIN:
            return slow.scalar(n)  # type: ignore[arg-type]
        text: str = n.value
        got = cache.get(text, _UNSET)
        if got is _UNSET:
            got = cache[text] = slow.scalar(n)  # type: ignore[arg-type]
        return got

    def key_of(k: yaml.Node) -> object:
        if k.__class__ is not scalar_node or (k.value == "<<" and k.tag == _PLAIN):
            raise _Fallback
        return scalar(k)

    def value(n: yaml.Node) -> object:
        cls = n.__class__
        if cls is scalar_node:
            return scalar(n)
        if cls is sequence_node:
            return [value(v) for v in n.value]
        out = {key_of(k): value(v) for k, v in n.value}
        if len(out) != len(n.value):
            raise _duplicate_key(n, first_line)
        return out

    found: dict[str, int] = lines if lines is not None else {}

    def value_lines(n: yaml.Node, pointer: str) -> object:
        found[pointer] = n.start_mark.line + first_line + 1
        cls = n.__class__
        if cls is scalar_node:
            return scalar(n)
        if cls is sequence_node:
            return [value_lines(v, f"{pointer}/{i}") for i, v in enumerate(n.value)]
        out: dict[object, object] = {}
        for k, v in n.value:
            name = key_of(k)
            text = str(name)
            if "~" in text or "/" in text:
                text = text.replace("~", "~0").replace("/", "~1")
            out[name] = value_lines(v, f"{pointer}/{text}")
        if len(out) != len(n.value):
            raise _duplicate_key(n, first_line)
        return out

    def forget() -> None:
        # value and value_lines call themselves, so each holds itself through its
        # closure: a cycle per document that only the cyclic collector frees, and
        # loading pauses it (a million documents kept gigabytes of such garbage).
        # Emptying the two cells breaks the cycles; the rest goes by reference count.
        nonlocal value, value_lines
        del value, value_lines

    try:
        return value(node) if lines is None else value_lines(node, "")
    finally:
        forget()


def typed_list_item(list_doc: dict[object, object], item: object) -> object:
    """An item of a typed list (``kind: PodList``, as the API server returns one):
    its items carry no apiVersion and kind, which the list's type gives, as
    kubectl decodes them. Items of ``kind: List`` and items that say their own
    type are unchanged."""
    kind = list_doc.get("kind")
    if (
        not isinstance(item, dict)
        or not isinstance(kind, str)
        or kind == "List"
        or ("kind" in item and "apiVersion" in item)
    ):
        return item
    typed: dict[object, object] = {"apiVersion": list_doc.get("apiVersion"), "kind": kind[:-4]}
    typed.update(item)
    return typed


def _is_empty(node: yaml.Node) -> bool:
    """A document with no content (``---`` and comments only)."""
    return isinstance(node, yaml.ScalarNode) and node.tag == _PLAIN and node.value == ""


def _kind_of(node: yaml.Node) -> str | None:
    kind = _scalar_value(node, "kind")
    return kind.value if isinstance(kind, yaml.ScalarNode) else None


def _scalar_value(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                found: yaml.Node = v
                return found
    return None


def _documents(
    node: yaml.Node,
    data: object,
    lines: dict[str, int] | None,
    *,
    file: str,
    first_line: int,
    line_kinds: frozenset[str],
) -> Iterator[Document]:
    line = node.start_mark.line + first_line + 1
    kind_name = _kind_of(node)
    items = _scalar_value(node, "items")
    if (
        isinstance(kind_name, str)
        and kind_name.endswith("List")
        and isinstance(data, dict)
        and isinstance(items, yaml.SequenceNode)
        and isinstance(data.get("items"), list)
    ):
        for item_node, item in zip(items.value, data["items"], strict=True):
            item = typed_list_item(data, item)
            item_kind = item.get("kind") if isinstance(item, dict) else None
            item_lines = node_lines(item_node, first_line) if item_kind in line_kinds else None
            yield from _documents(
                item_node, item, item_lines, file=file, first_line=first_line, line_kinds=line_kinds
            )
        return
    yield Document(data, Source(file, line), lines or {})
