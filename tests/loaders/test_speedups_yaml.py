"""The compiled simple reader (``_speedups.c``) answers as the Python one
(``simpleyaml.parse_simple_python``): the same values, the same lines in the
same order, and the same refusals. Both are held to libyaml's answers in
test_simpleyaml.py."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekstwin.loaders.simpleyaml import NotSimple, parse_simple_python
from ekstwin.loaders.yamldocs import (
    RESOLVED_STARTS,
    _Converter,
    _pieces,
    _plain_values,
    read_documents,
)
from tests.loaders.test_simpleyaml import MANIFEST, _documents

try:
    from ekstwin.loaders import _speedups
except ImportError:  # installed without a C compiler
    _speedups = None  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def _compiled_reader() -> None:
    if _speedups is None:
        if os.environ.get("EKSTWIN_REQUIRE_COMPILED") == "1":
            pytest.fail("the compiled reader (ekstwin.loaders._speedups) was not built")
        pytest.skip("the compiled reader was not built (no C compiler at install)")


def _read(text: str, *, compiled: bool) -> tuple[object, ...]:
    """What one reader makes of ``text``: its value, root line and lines in the
    order they were recorded, or its refusal."""
    cache: dict[str, object] = {}
    lines: dict[str, int] = {}
    try:
        if compiled:
            got = _speedups.parse_simple(
                text, cache, _plain_values(cache), lines, 7, RESOLVED_STARTS
            )
        else:
            got = parse_simple_python(text, cache, _plain_values(cache), lines=lines, first_line=7)
    except NotSimple:
        return ("refused",)
    return ("read", got, list(lines.items()))


_ODD = st.sampled_from(
    ["", " ", "  ", "\n", ":", ": ", "- ", "-", "#", " #", "'", "''", '"', "\\", "{", "}", "[",
     "]", ",", "<<", "~", "/", "é", "\u00a0", "\u3000", "日本", "0x1", "-x", "yes"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(_documents(), st.lists(st.tuples(st.integers(0, 400), _ODD), max_size=4))
def test_the_compiled_reader_answers_as_the_python_one(
    text: str, edits: list[tuple[int, str]]
) -> None:
    """On random documents, broken further with characters that mean something
    to either reader (quotes, brackets, non-ASCII blanks, a comment's ``#``)."""
    for at, piece in edits:
        at = min(at, len(text))
        text = text[:at] + piece + text[at:]
    for body in (text, "---\n" + text, "--- # c\n" + text):
        assert _read(body, compiled=True) == _read(body, compiled=False)


def test_a_manifest_reads_the_same_with_its_lines() -> None:
    text = MANIFEST + "---\n" + MANIFEST.replace("\n", "   \n")
    pieces = [p.text for p in _pieces(text)]
    answers = [_read(p, compiled=True) for p in pieces]
    read = [a for a in answers if a[0] == "read" and a[1] is not None]
    assert len(read) == 2  # the two manifests (the other pieces hold comments only)
    assert answers == [_read(p, compiled=False) for p in pieces]


def test_corners_read_the_same() -> None:
    """Each case is one rule of simpleyaml.py: taken, or refused, by both."""
    cases = {
        "a: 'it''s'\n": "read",
        'a: "x\\"y"\n': "refused",  # an escape
        "a: [b, [c, {d: e}]]\n": "read",
        "a: [b,]\n": "refused",
        "a: {b: c,}\n": "refused",
        "a: [b\n": "refused",
        "a: {<<: b}\n": "refused",
        "a: [-b, - c]\n": "refused",
        "a: [\u00a0b]\n": "refused",  # \s in a flow scalar's first character
        "a: [b\u00a0]\n": "read",
        "é: ü\n": "read",
        "k" * 1001 + ": v\n": "refused",
        "é" * 1000 + ": v\n": "read",  # 1,000 characters (2,000 bytes)
        "- - a\n  - b\n- c: d\n  e: f\n": "read",
        "a:\n- b\n- c\n": "read",
        "a:\n  -\n  - b\n": "read",
        "a: b #c\n": "read",
        "a: b#c\n": "read",
        "a: b: c\n": "refused",
        "a: 1\na: 2\n": "refused",
        "1: a\ntrue: b\n": "refused",  # 1 == True as dict keys
        "a/b~c: 1\n": "read",
        "~: 1\n": "read",
        "---x\na: 1\n": "refused",
        "a: b\x7f\n": "refused",  # characters outside simpleyaml's _UNUSUAL complement
        "a: \x85b\n": "refused",
        "a: b\u2028\n": "refused",
        "\ufeffa: 1\n": "refused",
        "a:\tb\n": "refused",
        "a: b\x01\n": "refused",
        "a: \ud800\n": "refused",  # a lone surrogate (UTF-8 cannot hold it)
        "a: \U0001f600 \ufffd \uff00 \ue000 \u202a\n": "read",
        "a: " + "[" * 150 + "]" * 150 + "\n": "read",
    }
    for text, want in cases.items():
        got = _read(text, compiled=True)
        assert got[0] == want, text
        assert got == _read(text, compiled=False), text


def test_deeper_than_200_levels_is_left_to_libyaml() -> None:
    """The Python reader stops where Python's recursion limit does (which
    depends on the caller's stack); the compiled one at 200 levels, block or flow.
    Either way libyaml reads the document (test_simpleyaml holds the result to it)."""
    flow = "a: " + "[" * 201 + "]" * 201 + "\n"
    block = "".join(" " * i + "a:\n" for i in range(201))
    for text in (flow, block):
        assert _read(text, compiled=True) == ("refused",)
    assert _read("a: " + "[" * 199 + "]" * 199 + "\n", compiled=True)[0] == "read"


def test_a_plain_text_starting_outside_resolved_starts_is_itself() -> None:
    """The compiled reader takes such a text without asking resolve: it must be
    what resolve gives for it (YAML 1.1 gives a type only to texts starting with
    one of RESOLVED_STARTS)."""
    convert = _Converter(0)
    tails = ["", "1", "0", ".5", "es", "rue", "ull", "x:y", " a", "~", "e3", "_1"]
    for code in range(32, 127):
        c = chr(code)
        if c in RESOLVED_STARTS:
            continue
        for tail in tails:
            assert convert.resolve("?", c + tail) == c + tail, c + tail
    assert {"y", "n", "t", "f", "o", "~", "-", "+", ".", "0", "9"} <= set(RESOLVED_STARTS)


def test_the_documents_of_a_file_share_their_pointer_texts() -> None:
    """Pointers repeat over the documents of a kind: the compiled reader keeps
    one text for each (what the lines say is unchanged: see the tests above)."""
    doc = "kind: Role\nrules:\n- verbs: [get]\n  resources: [pods]\n"
    docs, _ = read_documents(doc + "---\n" + doc, "f.yaml", line_kinds=frozenset({"Role"}))
    first, second = ({k: k for k in d.lines} for d in docs)
    assert first.keys() == second.keys() and first
    assert all(first[k] is second[k] for k in first)
    assert docs[0].lines["/rules/0/verbs/0"] == 3 and docs[1].lines["/rules/0/verbs/0"] == 8
