"""Reading YAML/JSON text into documents with lines, and refusing bad ones."""

from __future__ import annotations

from ekstwin.loaders.yamldocs import Document, read_documents
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
