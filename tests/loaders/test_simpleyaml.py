"""The simple YAML reader gives what libyaml's path gives: the same values, the
same lines, and, for whatever it does not take, libyaml's own result. Each test
runs with the compiled reader and with the Python one; the two are also held to
the same answers, refusals included."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekstwin.findings import Diagnostic
from ekstwin.loaders import load, simpleyaml
from ekstwin.loaders.simpleyaml import NotSimple, parse_simple
from ekstwin.loaders.yamldocs import (
    Document,
    read_documents,
)
from ekstwin.model.source import Source

F = "m.yaml"
KINDS = frozenset({"Role", "NetworkPolicy", "Thing"})

try:
    from ekstwin.loaders import _speedups
except ImportError:  # installed without a C compiler
    _speedups = None  # type: ignore[assignment]


@pytest.fixture(autouse=True, params=["compiled", "python"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every test reads with the compiled reader, then with the Python one."""
    if request.param == "compiled":
        if _speedups is None:
            if os.environ.get("EKSTWIN_REQUIRE_COMPILED") == "1":
                pytest.fail("the compiled reader (ekstwin.loaders._speedups) was not built")
            pytest.skip("the compiled reader was not built (no C compiler at install)")
    else:
        monkeypatch.setattr(simpleyaml, "_compiled", None)
    yield request.param


def _both(text: str) -> tuple[list[Document], list[Diagnostic]]:
    """The result of the simple path, after checking libyaml's path gives the same."""
    fast = read_documents(text, F, line_kinds=KINDS)
    full = read_documents(text, F, line_kinds=KINDS, simple=False)
    assert fast == full
    assert [list(d.lines.items()) for d in fast[0]] == [list(d.lines.items()) for d in full[0]]
    return fast


def _simple(text: str) -> object:
    cache: dict[str, object] = {}

    def resolve(value: str) -> object:
        cache[value] = value
        return value

    got = parse_simple(text, cache, resolve)
    assert got is not None
    return got[0]


MANIFEST = """\
# leading comment
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web   # trailing comment
  namespace: shop
  labels: {app: web, 'quoted key': "quoted value", n: 5, t: yes, z: ~}
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: a}}
      podSelector:
        matchExpressions:
        - {key: tier, operator: In, values: [frontend, backend]}
    -
    ports:
    - protocol: TCP
      port: 8080
    - port: http
  - {}
  egress:
  -   to:
      - ipBlock: {cidr: 198.18.0.0/15, except: [198.18.1.0/24]}
  empty:
  nulls: [~, null, Null]
  numbers: [0x1F, 0o17, 017, 1_000, -3, +4, .5, 1e3, .inf, -.Inf, .nan]
  bools: [y, n, on, off, True, FALSE]
  texts: ['it''s', "a # b", a-b, 'x: y', 2026-01-01, "0777", '']
  "quoted": 'single'
  url: https://example.com/a?b=c#d
  nested:
  - - a
    - b
  - - c
  spaces key  : value
  80: number key
  true: bool key
  ~: null key
  a/b~c: escaped pointer
"""


def test_a_manifest_in_block_style_is_read_by_the_simple_reader() -> None:
    body = MANIFEST.split("---\n", 1)[1]
    value = _simple(body)
    assert isinstance(value, dict) and value["kind"] == "NetworkPolicy"
    docs, diags = _both(MANIFEST)
    assert diags == []
    assert docs[0].source.line == 3
    assert docs[0].lines["/spec/ingress/0/from/1"] == 20  # an empty item: the line of its '-'
    assert docs[0].lines["/spec/empty"] == 29  # an empty value: the line of its key
    assert docs[0].lines["/spec/egress/0/to/0/ipBlock/except/0"] == 28
    assert docs[0].lines["/spec/a~1b~0c"] == 44


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchors and aliases
        "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n",  # merge keys
        "a: !!str 5\nb: !custom x\n",  # tags
        "a: |\n  line\n  line\nb: >-\n  folded\n  text\n",  # block scalars
        "a: plain\n  continued\nb: 1\n",  # a multi-line plain scalar
        "a: 'quoted\n  on two lines'\n",
        'a: "escape \\t \\u00e9"\n',
        "a: [1,\n  2]\n",  # a multi-line flow collection
        "a: {b: c,}\n",
        "? complex\n: key\n",
        "[a, b]: c\n",
        "a:\tb\n",  # a tab
        "--- {kind: Thing}\n",
        "%YAML 1.1\n---\na: 1\n",
        "a: 1\na: 2\n",  # a duplicate key
        "a: {x: 1, x: 2}\n",
        "1: a\n01: b\n",  # equal once resolved
        "a: 1\n b: 2\n",  # bad indentation
        "a:\n  - 1\n  b: 2\n",
        "- a\nb: 1\n",
        "a: b: c\n",
        "a: b:\n",
        "a: - b\n",
        "a: 'x' y\n",
        'a: "x"#y\n',
        "a: @x\n",
        "a: `x`\n",
        "a: [b, c] d\n",
        "a: {b}\n",
        "a: [b: c]\n",
        "a: {b: }\n",
        "a: [- b]\n",
        "a: [x#y]\n",
        "a: [http://x]\n",
        "a: 99999999999999999999999999999999999999999999999999999999999999999999999\n",
        "a: " + "9" * 5000 + "\n",
        "plain scalar document\n",
        "- a\n- b\n",
        "kind: List\napiVersion: v1\nitems:\n- kind: Role\n  apiVersion: v1\n",
        "kind: Role\nrules:\n- verbs: [get]\n  x:\n- y\n",
        "a:\n-\nb: c\n",
        "k" * 1100 + ": v\n",
        "a: \x85b\n",
        "a: \u2028b\n",
        "\ufeffa: 1\n",
        "a: b\x07\n",
        "a: 1\n...\nb: 2\n",
        "a: [1, [2, {b: [3]}]]\n",
        "a:    \n  b: 1   \n",
        "a:\n- a:\n  a: \n",  # trailing blanks are not indentation
        "a:\n  b: \n  c: 1\n",
        "-1: a\n",
        "a: -1\nb: -x\nc: -\n",
        "a: ?x\nb: :x\n",
        "'a''b': 1\n\"c\": 2\n'd':3\n",
        "a: '\n",
        "a: [\n",
        "a: {b: 'c}\n",
        "a: " + "[" * 600 + "]" * 600 + "\n",  # nested too deeply
        "".join(" " * i + "a:\n" for i in range(1200)),
        "a: {<<: b}\n",
        "a: {<< : {b: c}}\n",
    ],
)
def test_what_the_simple_reader_refuses_or_takes_reads_as_libyaml_reads_it(text: str) -> None:
    _both(text)
    _both("kind: Thing\n" + text if not text.startswith(("-", "%", "[", "?")) else text)
    _both(text.replace("\n", "\r\n"))


def test_the_simple_reader_refuses_what_it_does_not_take() -> None:
    for text in ("a: &x 1\n", "a: *x\n", "a: |\n  b\n", "<<: {a: 1}\n", "a: 1\na: 2\n"):
        with pytest.raises(NotSimple):
            _simple(text)


def test_multi_document_and_crlf_files_keep_their_lines() -> None:
    text = "kind: Role\nrules:\n- verbs: [get]\n---\n\nkind: Role\nrules: []\n--- # c\n"
    docs, _ = _both(text.replace("\n", "\r\n"))
    assert [(d.source.line, d.lines["/rules"]) for d in docs] == [(1, 3), (6, 7)]


def test_an_error_deep_in_a_document_points_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "np.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n---\n"
        "apiVersion: networking.k8s.io/v1\n"
        "kind: NetworkPolicy\n"
        "metadata: {name: np, namespace: a}\n"
        "spec:\n"
        "  podSelector: {}\n"
        "  ingress:\n"
        "  - ports:\n"
        "    - {port: 80}\n"
        "    - {port: 70000}\n"  # line 13
    )
    result = load([str(tmp_path)])
    [diag] = [d for d in result.diagnostics if "70000" in d.message]
    assert diag.source == Source(str(tmp_path / "np.yaml"), 13)


def test_a_duplicate_key_is_libyamls_error_with_both_lines() -> None:
    docs, diags = _both("kind: Role\nrules: []\nmetadata:\n  name: a\n  name: b\n")
    assert docs == []
    assert [(d.source, d.code) for d in diags] == [(Source(F, 5), "yaml-duplicate-key")]
    assert "already defined at line 4" in diags[0].message


# Random documents: structures written in random styles, then randomly broken.

_SCALARS = st.sampled_from(
    ["a", "web-1", "8080", "0x10", "yes", "~", "", "null", "1.5", "-1", "a b", "x:y", "a#b",
     "'q'", '"d"', "'it''s'", "[]", "{}", "*", "&", "!", "|", ">", "- a", "? a", ": a", "#c",
     "k: v", "2026-01-01", "'", '"', "[a, b]", "{a: b}", "{a: [1, {b: c}]}", "a ", " a"]
)  # fmt: skip
_KEYS = st.sampled_from(["a", "b", "kind", "spec", "'q k'", '"d"', "1", "yes", "a/b", "~", "<<"])


@st.composite
def _documents(draw: st.DrawFn, depth: int = 0) -> str:
    lines: list[str] = []

    def block(indent: int, level: int) -> None:
        for _ in range(draw(st.integers(1, 3))):
            pad = " " * indent
            style = draw(st.integers(0, 5 if level < 3 else 1))
            key = draw(_KEYS)
            if style <= 1:
                lines.append(f"{pad}{key}: {draw(_SCALARS)}".rstrip())
            elif style == 2:
                lines.append(f"{pad}{key}:")
                block(indent + draw(st.sampled_from([1, 2, 4])), level + 1)
            elif style == 3:
                lines.append(f"{pad}{key}:")
                item_pad = pad + " " * draw(st.sampled_from([0, 2]))
                for _ in range(draw(st.integers(1, 3))):
                    if draw(st.booleans()):
                        lines.append(f"{item_pad}- {draw(_SCALARS)}".rstrip())
                    else:
                        lines.append(f"{item_pad}- {draw(_KEYS)}: {draw(_SCALARS)}".rstrip())
                        if draw(st.booleans()):
                            lines.append(f"{item_pad}  {draw(_KEYS)}: {draw(_SCALARS)}")
            elif style == 4:
                lines.append(f"{pad}# a comment")
            else:
                lines.append(f"{pad}{key}: {{{draw(_KEYS)}: {draw(_SCALARS)}}}")

    block(draw(st.sampled_from([0, 0, 2])), 0)
    trailing = draw(st.lists(st.sampled_from(["", "", " ", "  "]), min_size=len(lines)))
    text = "".join(f"{line}{blank}\n" for line, blank in zip(lines, trailing, strict=False))
    for _ in range(draw(st.integers(0, 2))):  # break it a little, sometimes
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at]
            + draw(st.sampled_from(["", " ", "\n", ":", "- ", "#", "'", "{", "]"]))
            + (text[at + draw(st.integers(0, 2)) :])
        )
    if draw(st.booleans()):
        text = "kind: Thing\n" + text
    return text


@settings(max_examples=400, deadline=None)
@given(_documents(), st.booleans())
def test_random_documents_read_as_libyaml_reads_them(text: str, crlf: bool) -> None:
    if crlf:
        text = text.replace("\n", "\r\n")
    _both(text + "---\n" + text)
