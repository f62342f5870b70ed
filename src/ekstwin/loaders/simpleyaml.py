"""A fast reader for the plain block style most manifests are written in.

libyaml builds a node (and two position marks) for every scalar before the
converter turns it into a Python value; for a directory of manifests that is
most of the load. Most manifests use a small part of YAML: block mappings and
sequences, one-line plain or quoted scalars, one-line flow collections
(``{app: web}``, ``[get, list]``) and comments. This module reads that part
straight into Python values, line by line, and keeps no positions: the lines of
a document's parts are found by libyaml again, only when asked for
(``yamldocs.LazyLines``).

It refuses (:class:`NotSimple`) everything else, and everything it is unsure
of, so the caller reads that document with libyaml as before: anchors,
aliases, tags, block scalars (``|``, ``>``), multi-line scalars and flow
collections, escapes in double-quoted scalars, merge keys, duplicate keys,
complex keys, tabs, and any text libyaml would reject. So a document it takes
gives exactly the value libyaml gives, and every error is still libyaml's, with
its line.

The same reader is compiled (``_speedups.c``, built when the package is
installed on a machine with a C compiler): it follows these rules, and the tests
hold the two to the same answers, each other's and libyaml's. Without the
compiled module this one reads.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from ekstwin.errors import EkstwinError

__all__ = ["COMPILED", "NotSimple", "parse_simple", "parse_simple_python", "plain_text_only"]


class NotSimple(EkstwinError):
    """The text uses YAML this reader does not take: read it with libyaml."""


try:
    from ekstwin.loaders import _speedups as _compiled
except ImportError:  # pragma: no cover - installed without a C compiler
    _compiled = None  # type: ignore[assignment]
else:
    _compiled.configure(NotSimple)

#: Whether the compiled reader is there (it is used when it is).
COMPILED = _compiled is not None


#: Characters that may not start a plain scalar (YAML 1.1 indicators); ``-``
#: may when a non-blank follows, and is handled apart.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")

#: A plain scalar inside a flow collection, as far as this reader takes it:
#: no ``:`` or ``#`` anywhere (those have rules of their own there).
_FLOW_PLAIN = re.compile(r"(?:[^\s\-?:,\[\]{}#&*!|>'\"%@`]|-[^\s,\[\]{}:#])[^,\[\]{}:#]*")

#: A flow sequence's plain item and what follows it (``,`` or ``]``) ...
_FLOW_ITEM = re.compile(r"([^\s\-?:,\[\]{}#&*!|>'\"%@`][^,\[\]{}:#]*?) *([,\]])")
#: ... and a flow mapping's plain key and plain value (not ``<<``), as the
#: general path reads them, in one match.
_FLOW_PAIR = re.compile(
    r"([^\s\-?:,\[\]{}#&*!|>'\"%@`<][^,\[\]{}:#]{0,999}?) {0,16}: +"
    r"([^\s\-?:,\[\]{}#&*!|>'\"%@`][^,\[\]{}:#]*?) *([,}])"
)

#: Anything but the characters this reader takes: printable text (as YAML
#: defines it) without tabs, byte order marks or the line breaks other than
#: ``\n`` that YAML knows (NEL, LS, PS).
_UNUSUAL = "[^\n\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"


@functools.cache
def _unusual() -> re.Pattern[str]:
    # compiled on first use (5 ms, the ranges): the compiled reader checks itself
    return re.compile(_UNUSUAL)


def plain_text_only(text: str) -> bool:
    """Whether ``text`` holds only characters this reader takes (see ``_UNUSUAL``)."""
    return _unusual().search(text) is None


def _seq_item(content: str) -> bool:
    return content[0] == "-" and (len(content) == 1 or content[1] == " ")


def _tail_is_blank(s: str, at: int) -> bool:
    """Nothing but blanks, or blanks then a comment, from ``at`` on."""
    rest = s[at:]
    stripped = rest.lstrip(" ")
    return not stripped or (stripped[0] == "#" and len(stripped) < len(rest))


def _double_quoted(s: str, at: int) -> tuple[str, int]:
    end = s.find('"', at + 1)
    if end < 0 or "\\" in s[at + 1 : end]:
        raise NotSimple("escape or line break in a double-quoted scalar")
    return s[at + 1 : end], end + 1


def _single_quoted(s: str, at: int) -> tuple[str, int]:
    end = s.find("'", at + 1)
    while end >= 0 and s[end + 1 : end + 2] == "'":
        end = s.find("'", end + 2)
    if end < 0:
        raise NotSimple("line break in a single-quoted scalar")
    return s[at + 1 : end].replace("''", "'"), end + 1


def _quoted(s: str, at: int) -> tuple[str, int]:
    return _double_quoted(s, at) if s[at] == '"' else _single_quoted(s, at)


def parse_simple(
    text: str,
    cache: dict[str, object],
    resolve: Callable[[str], object],
    *,
    lines: dict[str, int] | None = None,
    first_line: int = 0,
    entries: dict[str, tuple[object, object, str]] | None = None,
    starts: str | None = None,
    pointers: dict[str, str] | None = None,
) -> tuple[object, int] | None:
    """:func:`parse_simple_python`'s answer, from the compiled reader when there
    is one (which needs no ``entries``). ``starts``, when given, holds every
    first character (ASCII) of the plain texts ``resolve`` may read as something
    other than the text itself; the compiled reader takes any other text as it
    is, without asking. ``pointers``, kept over the documents read together, lets the
    compiled reader give ``lines`` one object for each pointer text."""
    if _compiled is not None:
        return _compiled.parse_simple(
            text,
            cache,
            resolve,
            lines,
            first_line,
            _ALL_ASCII if starts is None else starts,
            pointers,
        )
    return parse_simple_python(
        text, cache, resolve, lines=lines, first_line=first_line, entries=entries
    )


def parse_simple_python(
    text: str,
    cache: dict[str, object],
    resolve: Callable[[str], object],
    *,
    lines: dict[str, int] | None = None,
    first_line: int = 0,
    entries: dict[str, tuple[object, object, str]] | None = None,
) -> tuple[object, int] | None:
    """The value of one YAML document and the 0-based line its root starts on;
    None when the document has no content. A plain scalar's value is
    ``cache[text]``, else ``resolve(text)`` (YAML 1.1 resolution; the caller
    fills the cache). Raises :class:`NotSimple` for what this reader does not
    take, among it a character :func:`plain_text_only` does not accept. ``text``
    holds one document (``---`` at most on its first line).

    With ``lines``, each part's JSON Pointer gets the 1-based line (counted from
    ``first_line``) libyaml gives its node: the line of its first token, and for
    an empty value the line of its key or ``-``.

    ``entries`` remembers what a mapping entry's line (a plain scalar value, or
    none) reads as, for the next documents of the file: most such lines repeat
    (``apiVersion: v1``, ``spec:``)."""
    if not plain_text_only(text):
        raise NotSimple("a character this reader does not take")
    rows: list[tuple[int, str, int]] = []
    append = rows.append
    for number, line in enumerate(text.split("\n"), first_line + 1):
        content = line.lstrip(" ")
        if content and content[0] != "#":
            indent = len(line) - len(content)
            if content[-1] == " ":  # trailing blanks are no part of the content
                content = content.rstrip(" ")
            append((indent, content, number))
    if rows and rows[0][1].startswith("---"):
        marker = rows[0][1]
        if rows[0][0] != 0 or (len(marker) > 3 and not _tail_is_blank(marker, 3)):
            raise NotSimple("content on the document marker line")
        del rows[0]
    if not rows:
        return None
    reader = _Reader(rows, cache, resolve, lines, {} if entries is None else entries)
    try:
        value, end = reader.node(0, rows[0][0], "")
    except IndexError as exc:  # a flow collection or quote not closed on its line
        raise NotSimple("unclosed") from exc
    except RecursionError as exc:  # libyaml's path says where
        raise NotSimple("nested too deeply") from exc
    if end != len(rows):
        raise NotSimple("content after the root node")
    return value, rows[0][2] - first_line - 1


#: Every ASCII character: ask ``resolve`` about every text.
_ALL_ASCII = "".join(map(chr, range(128)))

_MISSING: object = object()
#: An entry with nothing after its ``:``: its value is the block below, or null.
_NESTED: object = object()


def _escape(key: object) -> str:
    text = str(key)
    if "~" in text or "/" in text:
        text = text.replace("~", "~0").replace("/", "~1")
    return text


class _Reader:
    """The content lines of one document, (indent, text without indent, line),
    read into values; a ``-`` entry whose content is a collection is replaced by
    that content at its column, so it is read as a line of its own."""

    __slots__ = ("cache", "entries", "lines", "n", "resolve", "rows")

    def __init__(
        self,
        rows: list[tuple[int, str, int]],
        cache: dict[str, object],
        resolve: Callable[[str], object],
        lines: dict[str, int] | None,
        entries: dict[str, tuple[object, object, str]],
    ) -> None:
        self.rows = rows
        self.n = len(rows)
        self.cache = cache
        self.resolve = resolve
        self.lines = lines
        self.entries = entries

    def plain(self, text: str) -> object:
        got = self.cache.get(text, _MISSING)
        return self.resolve(text) if got is _MISSING else got

    def node(self, i: int, indent: int, ptr: str) -> tuple[object, int]:
        if _seq_item(self.rows[i][1]):
            return self.seq(i, indent, ptr)
        return self.mapping(i, indent, ptr)

    def nested(self, i: int, indent: int, ptr: str, *, compact_seq: bool) -> tuple[object, int]:
        """The block value of an entry with nothing after its ``:`` or ``-``
        (at row ``i - 1``)."""
        if i < self.n:
            nind, ncontent, _ = self.rows[i]
            if nind > indent:
                return self.node(i, nind, ptr)
            if compact_seq and nind == indent and _seq_item(ncontent):
                return self.seq(i, indent, ptr)
        if self.lines is not None:
            self.lines[ptr] = self.rows[i - 1][2]
        return None, i

    def mapping(self, i: int, indent: int, ptr: str) -> tuple[object, int]:
        rows = self.rows
        n = self.n
        cache = self.cache
        entries = self.entries
        lines = self.lines
        if lines is not None:
            lines[ptr] = rows[i][2]
        out: dict[object, object] = {}
        key: object
        while i < n:
            ind, content, number = rows[i]
            if ind != indent:
                if ind < indent:
                    break
                raise NotSimple("indentation")
            seen = entries.get(content)
            if seen is not None:  # a line read before: its key, value and pointer part
                key, value, text = seen
                if key in out:
                    raise NotSimple("duplicate key")
                child = "" if lines is None else f"{ptr}/{text}"
                if value is _NESTED:
                    out[key], i = self.nested(i + 1, indent, child, compact_seq=True)
                    continue
                out[key] = value
                if lines is not None:
                    lines[child] = number
                i += 1
                continue
            c0 = content[0]
            if c0 in _QUOTES:
                key, end = _quoted(content, 0)
                if content[end : end + 1] != ":" or end > _MAX_KEY:
                    raise NotSimple("quoted key")
                rest = content[end + 1 :]
                if rest and rest[0] != " ":
                    raise NotSimple("quoted key")
                rest = rest.lstrip(" ")
            elif c0 in _INDICATORS:
                raise NotSimple("indicator")
            else:
                colon = content.find(": ")
                if colon < 0:
                    if content[-1] != ":":
                        raise NotSimple("not a mapping entry")
                    colon = len(content) - 1
                key_text = content[:colon].rstrip(" ")
                if key_text == "<<" or " #" in key_text or colon > _MAX_KEY:
                    raise NotSimple("merge key, comment or long key")
                key = cache.get(key_text, _MISSING)
                if key is _MISSING:
                    key = self.resolve(key_text)
                rest = content[colon + 2 :].lstrip(" ")
            if key in out:
                raise NotSimple("duplicate key")
            text = _escape(key)
            child = "" if lines is None else f"{ptr}/{text}"
            if not rest or rest[0] == "#":
                entries[content] = (key, _NESTED, text)
                out[key], i = self.nested(i + 1, indent, child, compact_seq=True)
                continue
            if rest[0] in _NOT_PLAIN:
                out[key] = self.inline(rest, child, number)
            else:  # a plain scalar (inline's last case, inlined: the most common value)
                if " #" in rest:
                    rest = rest[: rest.index(" #")].rstrip(" ")
                if ": " in rest or rest[-1] == ":":
                    raise NotSimple("mapping value in a plain scalar")
                value = cache.get(rest, _MISSING)
                if value is _MISSING:
                    value = self.resolve(rest)
                out[key] = value
                entries[content] = (key, value, text)
                if lines is not None:
                    lines[child] = number
            i += 1
        return out, i

    def seq(self, i: int, indent: int, ptr: str) -> tuple[object, int]:
        rows = self.rows
        n = self.n
        lines = self.lines
        if lines is not None:
            lines[ptr] = rows[i][2]
        out: list[object] = []
        while i < n:
            ind, content, number = rows[i]
            if ind != indent:
                if ind < indent:
                    break
                raise NotSimple("indentation")
            if not _seq_item(content):
                break
            rest = content[1:].lstrip(" ")
            child = "" if lines is None else f"{ptr}/{len(out)}"
            value: object
            if not rest or rest[0] == "#":
                value, i = self.nested(i + 1, indent, child, compact_seq=False)
            elif _seq_item(rest) or _is_key_line(rest):
                column = indent + len(content) - len(rest)
                rows[i] = (column, rest, number)
                value, i = self.node(i, column, child)
            else:
                value = self.inline(rest, child, number)
                i += 1
            out.append(value)
        return out, i

    def inline(self, s: str, ptr: str, number: int) -> object:
        """A value written on the line (``number``) of its key or its ``-``."""
        c0 = s[0]
        if c0 in _FLOW_STARTS:
            value, end = self.flow_node(s, 0, ptr, number)
            if not _tail_is_blank(s, end):
                raise NotSimple("text after a quoted scalar or flow collection")
            return value
        if c0 in _INDICATORS and (c0 != "-" or len(s) == 1 or s[1] == " "):
            raise NotSimple("indicator")
        if self.lines is not None:
            self.lines[ptr] = number
        cut = s.find(" #")
        if cut >= 0:
            s = s[:cut].rstrip(" ")
        if ": " in s or s[-1] == ":":
            raise NotSimple("mapping value in a plain scalar")
        return self.plain(s)

    def flow_node(self, s: str, at: int, ptr: str, number: int) -> tuple[object, int]:
        c = s[at]
        if c in _BRACKETS:
            return self.flow(s, at, ptr, number)
        if self.lines is not None:
            self.lines[ptr] = number
        if c in _QUOTES:
            return _quoted(s, at)
        m = _FLOW_PLAIN.match(s, at)
        if m is None:
            raise NotSimple("flow scalar")
        return self.plain(m.group().rstrip(" ")), m.end()

    def flow(self, s: str, at: int, ptr: str, number: int) -> tuple[object, int]:
        """A flow collection that ends on its line."""
        lines = self.lines
        if lines is not None:
            lines[ptr] = number
        cache = self.cache
        if s[at] == "[":
            items: list[object] = []
            at = _skip(s, at + 1)
            if s[at] == "]":
                return items, at + 1
            while True:
                m = _FLOW_ITEM.match(s, at)
                if m is not None:  # a plain item: the common case, in one match
                    text, end = m.groups()
                    value = cache.get(text, _MISSING)
                    items.append(self.resolve(text) if value is _MISSING else value)
                    if lines is not None:
                        lines[f"{ptr}/{len(items) - 1}"] = number
                    if end == "]":
                        return items, m.end()
                    at = _skip(s, m.end())
                    if s[at] == "]":
                        raise NotSimple("trailing comma")
                    continue
                child = "" if lines is None else f"{ptr}/{len(items)}"
                value, at = self.flow_node(s, at, child, number)
                items.append(value)
                at = _skip(s, at)
                c = s[at]
                if c == "]":
                    return items, at + 1
                if c != ",":
                    raise NotSimple("flow sequence")
                at = _skip(s, at + 1)
                if s[at] == "]":
                    raise NotSimple("trailing comma")
        out: dict[object, object] = {}
        at = _skip(s, at + 1)
        if s[at] == "}":
            return out, at + 1
        key: object
        while True:
            m = _FLOW_PAIR.match(s, at)
            if m is not None:  # plain key and value: the common case, in one match
                key_text, text, end = m.groups()
                key = cache.get(key_text, _MISSING)
                if key is _MISSING:
                    key = self.resolve(key_text)
                if key in out:
                    raise NotSimple("duplicate key")
                value = cache.get(text, _MISSING)
                out[key] = self.resolve(text) if value is _MISSING else value
                if lines is not None:
                    lines[f"{ptr}/{_escape(key)}"] = number
                if end == "}":
                    return out, m.end()
                at = _skip(s, m.end())
                if s[at] == "}":
                    raise NotSimple("trailing comma")
                continue
            start = at
            if s[at] in _QUOTES:
                key, at = _quoted(s, at)
            else:
                m = _FLOW_PLAIN.match(s, at)
                if m is None or m.group().startswith("<<"):
                    raise NotSimple("flow key")
                key, at = self.plain(m.group().rstrip(" ")), m.end()
            if s[at] != ":" or s[at + 1] != " " or at - start > _MAX_KEY:
                raise NotSimple("flow mapping entry")
            if key in out:
                raise NotSimple("duplicate key")
            child = "" if lines is None else f"{ptr}/{_escape(key)}"
            out[key], at = self.flow_node(s, _skip(s, at + 1), child, number)
            at = _skip(s, at)
            c = s[at]
            if c == "}":
                return out, at + 1
            if c != ",":
                raise NotSimple("flow mapping")
            at = _skip(s, at + 1)
            if s[at] == "}":
                raise NotSimple("trailing comma")


_QUOTES = frozenset("'\"")
_BRACKETS = frozenset("[{")
_FLOW_STARTS = _QUOTES | _BRACKETS
#: What a value that is not a plain scalar (or is one only sometimes) starts with.
_NOT_PLAIN = _INDICATORS | _FLOW_STARTS
#: libyaml takes keys of at most 1,024 characters; this reader, fewer.
_MAX_KEY = 1000


def _skip(s: str, at: int) -> int:
    while s[at] == " ":
        at += 1
    return at


def _is_key_line(content: str) -> bool:
    """Whether the content after a ``-`` starts a mapping."""
    c0 = content[0]
    if c0 in _QUOTES:
        end = _quoted(content, 0)[1]
        return content[end : end + 1] == ":"
    if c0 in _BRACKETS:
        return False
    return ": " in content or content[-1] == ":"
