"""Reading YAML/JSON text into documents with lines, and refusing bad ones."""

from __future__ import annotations

import gc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekstwin.findings import Diagnostic
from ekstwin.loaders.simpleyaml import COMPILED
from ekstwin.loaders.yamldocs import _SEPARATOR, Document, ReadMemo, _markers, read_documents
from ekstwin.model.source import Source

F = "m.yaml"


def _data(docs: list[Document]) -> list[tuple[object, int]]:
    return [(d.data, d.source.line) for d in docs]


def test_multi_document_keeps_each_documents_start_line() -> None:
    text = (
        "a: 1\n"  # 1
        "---\n"  # 2
        "# a comment\n"  # 3
        "b: 2\n"  # 4
        "--- # trailing comment on the separator\n"  # 5
        "\n"  # 6
        "c:\n"  # 7
        "  - 3\n"  # 8
        "...\n"  # 9
    )
    docs, diags = read_documents(text, F)
    assert diags == []
    assert _data(docs) == [({"a": 1}, 1), ({"b": 2}, 4), ({"c": [3]}, 7)]
    assert all(d.source.file == F and d.lines == {} for d in docs)


def test_helm_template_output_skips_empty_documents() -> None:
    text = (
        "---\n"
        "# Source: shop/templates/empty.yaml\n"
        "---\n"
        "# Source: shop/templates/service.yaml\n"
        "apiVersion: v1\n"  # 5
        "kind: Service\n"
        "metadata:\n"
        "  name: web\n"
        "---\n"
        "\n"
        "---\n"
        "# Source: shop/templates/sa.yaml\n"
        "apiVersion: v1\n"  # 13
        "kind: ServiceAccount\n"
        "metadata: {name: web}\n"
    )
    docs, diags = read_documents(text, F)
    assert diags == []
    assert _data(docs) == [
        ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}, 5),
        ({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web"}}, 13),
    ]


def test_list_is_split_into_items_with_their_own_lines() -> None:
    text = (
        "apiVersion: v1\n"
        "kind: List\n"
        "items:\n"
        "- apiVersion: v1\n"  # 4
        "  kind: ConfigMap\n"
        "  metadata: {name: a}\n"
        "- apiVersion: v1\n"  # 7
        "  kind: Secret\n"
        "  metadata: {name: b}\n"
    )
    docs, diags = read_documents(text, F)
    assert diags == []
    assert _data(docs) == [
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}, 4),
        ({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}}, 7),
    ]


def test_line_kinds_get_a_line_for_every_part() -> None:
    text = (
        "kind: Other\n"
        "x: 1\n"
        "---\n"
        "kind: NetworkPolicy\n"  # 4
        "spec:\n"  # 5
        "  ingress:\n"  # 6
        "    - from: []\n"  # 7
        "    - ports:\n"  # 8
        "        - port: 80\n"  # 9
    )
    docs, _ = read_documents(text, F, line_kinds=frozenset({"NetworkPolicy"}))
    assert docs[0].lines == {}
    assert docs[1].lines == {
        "": 4,
        "/kind": 4,
        "/spec": 6,
        "/spec/ingress": 7,
        "/spec/ingress/0": 7,
        "/spec/ingress/0/from": 7,
        "/spec/ingress/1": 8,
        "/spec/ingress/1/ports": 9,
        "/spec/ingress/1/ports/0": 9,
        "/spec/ingress/1/ports/0/port": 9,
    }


def test_broken_document_is_a_diagnostic_and_the_others_load() -> None:
    text = (
        "a: 1\n"
        "---\n"
        "b: [1, 2\n"  # 3: unclosed flow sequence
        "c: 3\n"
        "---\n"
        "d: 4\n"  # 6
    )
    docs, diags = read_documents(text, F)
    assert _data(docs) == [({"a": 1}, 1), ({"d": 4}, 6)]
    assert len(diags) == 1
    d = diags[0]
    assert d.code == "yaml-syntax"
    assert d.source is not None and d.source.file == F
    assert d.source.line == 4  # where libyaml found the problem
    assert d.message.startswith("YAML syntax error: ")


def test_syntax_error_line_is_counted_from_the_file_start() -> None:
    text = "a: 1\n---\nb: 2\n---\nkey: value\n  bad: indent\n"
    docs, diags = read_documents(text, F)
    assert _data(docs) == [({"a": 1}, 1), ({"b": 2}, 3)]
    assert [(d.source, d.code) for d in diags] == [(Source(F, 6), "yaml-syntax")]
    assert "column" in diags[0].message


def test_alias_bomb_is_refused_before_expansion() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcd", "bcde", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    text = "ok: 1\n---\n" + "\n".join(lines) + "\n"
    docs, diags = read_documents(text, F)
    assert _data(docs) == [({"ok": 1}, 1)]
    assert [(d.source, d.code) for d in diags] == [(Source(F, 3), "yaml-alias-bomb")]
    assert "refused" in diags[0].message


def test_modest_aliases_are_expanded() -> None:
    text = "base: &b {app: web}\ncopy: *b\n"
    docs, diags = read_documents(text, F)
    assert diags == []
    assert _data(docs) == [({"base": {"app": "web"}, "copy": {"app": "web"}}, 1)]


def test_timestamps_stay_text_as_kubernetes_reads_them() -> None:
    docs, _ = read_documents("created: 2024-01-02T03:04:05Z\nday: 2024-01-02\n", F)
    assert _data(docs) == [({"created": "2024-01-02T03:04:05Z", "day": "2024-01-02"}, 1)]


def test_json_text_reads_as_yaml() -> None:
    docs, diags = read_documents('{"kind": "ConfigMap", "data": {"k": "v"}}', F)
    assert diags == []
    assert _data(docs) == [({"kind": "ConfigMap", "data": {"k": "v"}}, 1)]


def test_non_mapping_documents_are_kept_for_the_caller_to_judge() -> None:
    docs, diags = read_documents("- a\n- b\n---\njust text\n", F)
    assert diags == []
    assert _data(docs) == [(["a", "b"], 1), ("just text", 4)]


def test_error_at_the_end_of_a_document_points_at_what_was_left_open() -> None:
    text = (
        "a: 1\n"
        "---\n"
        "kind: ConfigMap\n"  # 3
        "data:\n"
        "  key: [unclosed\n"  # 5
        "---\n"  # 6: libyaml gives up here, past the document
        "b: 2\n"
    )
    docs, diags = read_documents(text, F)
    assert _data(docs) == [({"a": 1}, 1), ({"b": 2}, 7)]
    assert [(d.source, d.message) for d in diags] == [
        (Source(F, 5), "YAML syntax error: did not find expected ',' or ']' (column 8)")
    ]


# The fast conversion (documents without aliases) must give exactly what the
# full converter gives, lines included.

_TRICKY = [
    "yes", "No", "on", "OFF", "y", "~", "null", "Null", "", "0", "012", "0o12", "0x1F",
    "0b101", "1_000", "1e3", "1.5", ".inf", "-.Inf", ".NaN", "2024-01-02", "12:30:00",
    "+12", "-0", "a/b", "~x", "x~/y", "'quoted'", '"5"', "!!str 5", "!!int 7", "<<: {m: 1}",
    "plain text", "true", "False",
]  # fmt: skip


def _both_ways(text: str) -> list[tuple[object, dict[str, int], object, dict[str, int]]]:
    import yaml

    from ekstwin.loaders import yamldocs

    out: list[tuple[object, dict[str, int], object, dict[str, int]]] = []
    for piece in yamldocs._pieces(text):
        if not piece.text.strip():
            continue
        loader = yamldocs._Loader(piece.text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
        if node is None:
            continue
        full_lines: dict[str, int] = {}
        full = yamldocs._Converter(piece.first_line).value(node, "", full_lines)
        fast_lines: dict[str, int] = {}
        try:
            fast = yamldocs._fast_value(node, piece.first_line, fast_lines, {})
            plain = yamldocs._fast_value(node, piece.first_line, None, {})
        except yamldocs._Fallback:
            continue
        assert plain == fast
        out.append((full, full_lines, fast, fast_lines))
        assert isinstance(node, yaml.Node)
    return out


def test_fast_conversion_equals_the_full_one_on_every_yaml_file_in_the_repository() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    files = [
        p for base in ("examples", "tests/fixtures") for p in sorted((root / base).rglob("*.y*ml"))
    ]
    assert len(files) > 50
    compared = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        if "*" in text:
            continue  # aliases take the full converter anyway
        try:
            pairs = _both_ways(text)
        except Exception:  # broken on purpose (robustness fixtures): not this test's matter
            continue
        for full, full_lines, fast, fast_lines in pairs:
            assert repr(fast) == repr(full), path
            assert fast_lines == full_lines, path
            compared += 1
    assert compared > 200


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.sampled_from(_TRICKY),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=4),
            st.dictionaries(st.sampled_from(_TRICKY[:-4]), inner, min_size=1, max_size=4),
        ),
        max_leaves=12,
    )
)
def test_fast_conversion_equals_the_full_one_on_plain_scalars(tree: object) -> None:
    def render(x: object, indent: int) -> list[str]:
        pad = " " * indent
        if isinstance(x, str):
            return [pad + x]
        if isinstance(x, list):
            lines = []
            for item in x:
                sub = render(item, indent + 2)
                lines.append(pad + "- " + sub[0].lstrip())
                lines.extend(sub[1:])
            return lines
        assert isinstance(x, dict)
        lines = []
        for k, v in x.items():
            key = k if k.strip() and not k.startswith(("'", '"', "!", "<")) else "k" + k
            sub = render(v, indent + 2)
            if isinstance(v, str):
                lines.append(f"{pad}{key}: {v}")
            else:
                lines.append(f"{pad}{key}:")
                lines.extend(sub)
        return lines

    text = "\n".join(render(tree, 0)) + "\n"
    try:
        pairs = _both_ways(text)
    except Exception:
        return  # not valid YAML as rendered (a plain scalar that needs quoting)
    for full, full_lines, fast, fast_lines in pairs:
        assert repr(fast) == repr(full)
        assert fast_lines == full_lines


def test_crlf_line_ends_read_as_line_breaks_with_the_same_lines() -> None:
    lf = (
        "apiVersion: v1\n"
        "kind: Namespace\n"
        "metadata: {name: a}\n"
        "---\n"
        "apiVersion: v1\n"  # 5
        "kind: ConfigMap\n"
        "metadata: {name: b, namespace: a}\n"
        "data:\n"
        "  text: |\n"
        "    one\n"
        "    two\n"
        "...\n"
        "apiVersion: v1\n"  # 13
        "kind: Namespace\n"
        "metadata: {name: c}\n"
    )
    expected: tuple[list[tuple[object, int]], list[Diagnostic]] = (
        [
            ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}, 1),
            (
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "b", "namespace": "a"},
                    "data": {"text": "one\ntwo\n"},
                },
                5,
            ),
            ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "c"}}, 13),
        ],
        [],
    )
    for text in (lf, lf.replace("\n", "\r\n"), lf.replace("\n", "\r")):
        docs, diags = read_documents(text, F)
        assert (_data(docs), diags) == expected


def test_a_document_on_the_separator_line_is_read() -> None:
    text = (
        "--- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n"
        "--- # a comment, then the document\n"
        "apiVersion: v1\n"
        "kind: Namespace\n"
        "metadata: {name: b}\n"
        "--- |\n"  # 6: a block scalar as the document: not an object, kept for the caller
        "  text\n"
        "---\n"
        "---   \n"
    )
    docs, diags = read_documents(text, F)
    assert diags == []
    assert _data(docs) == [
        ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}, 1),
        ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}, 3),
        ("text\n", 6),
    ]


def test_aliases_after_a_byte_order_mark_are_measured_too() -> None:
    # No regex decides whether a document has aliases: what the parser
    # composed is measured, so a BOM (or any other prefix) hides nothing.
    # libyaml skips a BOM at the start of a line, so each "\n\ufeff*aN" is an alias.
    rows = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 7):
        rows.append(f"a{i}: &a{i} [" + ",".join([f"\n\ufeff*a{i - 1}"] * 10) + "]")
    text = "ok: 1\n---\n" + "\n".join(rows) + "\n"
    docs, diags = read_documents(text, F)
    assert _data(docs) == [({"ok": 1}, 1)]
    assert [(d.source, d.code) for d in diags] == [(Source(F, 3), "yaml-alias-bomb")]


def _small_bomb() -> str:
    # 19 written nodes that expand to 1,229: under every per-document limit.
    return (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    )


def test_many_small_alias_bombs_in_one_file_are_bounded_per_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ekstwin.loaders import yamldocs

    monkeypatch.setattr(yamldocs, "MAX_FILE_ALIAS_NODES", 5_000)
    text = "---\n".join([_small_bomb()] * 8)
    docs, diags = read_documents(text, F)
    # Each document adds 1,210 nodes through aliases: four fit, the rest are refused.
    assert len(docs) == 4
    assert [(d.source.line if d.source else None, d.code) for d in diags] == [
        (line, "yaml-alias-bomb") for line in (17, 21, 25, 29)
    ]
    assert "in this file" in diags[0].message


def test_alias_expansion_is_bounded_over_every_file_of_a_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ekstwin.loaders import yamldocs

    budget = yamldocs.AliasBudget(remaining=3_000)
    got = [read_documents(_small_bomb(), f"f{i}.yaml", budget=budget) for i in range(4)]
    assert [(len(docs), [d.code for d in diags]) for docs, diags in got] == [
        (1, []),
        (1, []),
        (0, ["yaml-alias-bomb"]),
        (0, ["yaml-alias-bomb"]),
    ]
    assert "left for this run" in got[2][1][0].message


def test_a_deeply_nested_document_drops_only_itself() -> None:
    deep = "a: " + "[" * 600 + "]" * 600 + "\n"
    text = "ok: 1\n---\n" + "x: 1\n" + deep + "---\nok: 2\n"
    docs, diags = read_documents(text, F)
    assert _data(docs) == [({"ok": 1}, 1), ({"ok": 2}, 6)]
    assert [(d.source, d.code, d.message) for d in diags] == [
        (Source(F, 3), "yaml-syntax", "document nested too deeply to read")
    ]


def test_integers_past_pythons_text_limit_are_input_errors_with_their_line() -> None:
    text = (
        "ok: 1\n"
        "---\n"
        "a: 1\n"
        "b: " + "9" * 5000 + "\n"  # 4: decimal, past the int-string limit
        "---\n"
        "c: 0x" + "f" * 5000 + "\n"  # 6: hex converts, but cannot be written as text
        "---\n"
        "d: 9223372036854775807\n"  # 8: int64 is fine
    )
    docs, diags = read_documents(text, F)
    assert _data(docs) == [({"ok": 1}, 1), ({"d": 9223372036854775807}, 8)]
    assert [(d.source, d.code) for d in diags] == [
        (Source(F, 4), "yaml-syntax"),
        (Source(F, 6), "yaml-syntax"),
    ]
    assert all("too large" in d.message for d in diags)


def test_a_duplicate_mapping_key_drops_its_document_as_kubectl_would() -> None:
    text = (
        "apiVersion: v1\n"
        "kind: ConfigMap\n"
        "metadata: {name: a}\n"
        "apiVersion: v1\n"  # 4: the second document, its '---' forgotten
        "kind: ConfigMap\n"
        "metadata: {name: b}\n"
        "---\n"
        "ok: 1\n"  # 8
        "---\n"
        "kind: NetworkPolicy\n"  # 10: the converter that records lines sees it too
        "spec: {a: 1, a: 2}\n"
    )
    docs, diags = read_documents(text, F, line_kinds=frozenset({"NetworkPolicy"}))
    assert _data(docs) == [({"ok": 1}, 8)]
    hint = "remove one of the two keys; a missing '---' between two documents looks like this"
    assert [(d.source, d.code, d.message, d.hint) for d in diags] == [
        (
            Source(F, 4),
            "yaml-duplicate-key",
            "YAML error: mapping key 'apiVersion' already defined at line 1",
            hint,
        ),
        (
            Source(F, 11),
            "yaml-duplicate-key",
            "YAML error: mapping key 'a' already defined at line 11",
            hint,
        ),
    ]
    # With aliases the full converter runs; it refuses the same.
    docs, diags = read_documents("x: &x 1\ny: *x\nx: 2\n", F)
    assert (docs, [(d.source, d.code) for d in diags]) == (
        [],
        [(Source(F, 3), "yaml-duplicate-key")],
    )


def test_directives_stay_with_the_document_they_precede() -> None:
    text = "%YAML 1.1\n---\na: 1\n...\n%YAML 1.1\n# a comment\n---\nb: yes\n"
    docs, diags = read_documents(text, F)
    assert (_data(docs), diags) == ([({"a": 1}, 3), ({"b": True}, 8)], [])


def test_reading_leaves_no_garbage_for_the_cyclic_collector() -> None:
    """Loading pauses the cyclic collector: a reference cycle per document (the
    converter's recursive helpers once made one) would stay until the end of the
    load, gigabytes for a million documents."""
    text = "---\n".join(
        f"kind: ConfigMap\nmetadata: {{name: c{i}}}\ndata: [a, b]\n" for i in range(50)
    )
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for line_kinds in (frozenset(), frozenset({"ConfigMap"})):
            docs, diags = read_documents(text, F, line_kinds=line_kinds)
            assert (len(docs), diags) == (50, [])
            del docs
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


_LINE_STARTS = st.sampled_from(
    ["---", "--- ", "---\t", "---x", "----", "...", "... # end", "....", " ---", "a: 1", "# c",
     "%YAML 1.1", "", "- ---", "kind: Role"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINE_STARTS, max_size=12), st.booleans())
def test_document_markers_are_found_where_the_separator_pattern_finds_them(
    lines: list[str], final_newline: bool
) -> None:
    text = "\n".join(lines) + ("\n" if final_newline else "")
    want = [(m.start(), m.group(1) == "---") for m in _SEPARATOR.finditer(text)]
    assert _markers(text) == want


def test_texts_read_with_one_memo_read_as_alone_and_share_their_texts() -> None:
    a = "kind: Role\nmetadata: {name: r, namespace: team-1}\nrules:\n- verbs: [get]\n"
    b = "kind: Role\nmetadata: {name: s, namespace: team-1}\nrules:\n- verbs: [list, 017]\n"
    kinds = frozenset({"Role"})
    memo = ReadMemo()
    shared = [
        read_documents(t, f"{i}.yaml", line_kinds=kinds, memo=memo) for i, t in enumerate((a, b))
    ]
    alone = [read_documents(t, f"{i}.yaml", line_kinds=kinds) for i, t in enumerate((a, b))]
    assert shared == alone
    first, second = (docs[0].data for docs, _ in shared)
    assert isinstance(first, dict) and isinstance(second, dict)
    assert first["metadata"]["namespace"] is second["metadata"]["namespace"]
    assert memo.plain["017"] == 15
    if COMPILED:  # (the Python reader makes its pointers per document)
        assert memo.pointers["/rules/0/verbs/0"] == "/rules/0/verbs/0"
