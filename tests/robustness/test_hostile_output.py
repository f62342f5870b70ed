"""Output that attacks the reader: names and file names with terminal control
sequences, spreadsheet formulas and Graphviz quotes, through every text output."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.robustness.conftest import Run

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-platform"

#: Retitle the terminal (OSC ... BEL), clear it (CSI 2J), and the one-byte C1 CSI.
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b31m"
FORMULA = "=cmd|' -C calc'!A0"

#: Every character a terminal may act on: C0 (but the newline), DEL, C1.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _hostile_documents() -> list[dict[str, object]]:
    e = HOSTILE
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "evil" + e}},
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p" + e, "namespace": "evil" + e, "labels": {"app": "x" + e}},
            "spec": {"containers": [{"name": "c", "image": "img" + e + ":1"}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": FORMULA, "namespace": "shop", "labels": {"app": "f"}},
            "spec": {"containers": [{"name": "c", "image": "img:1"}]},
        },
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": FORMULA}},
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "f", "namespace": FORMULA, "labels": {"app": "f"}},
            "spec": {"containers": [{"name": "c", "image": "img:1"}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": 'q" -> "x', "namespace": "shop", "labels": {"app": "q"}},
            "spec": {"containers": [{"name": "c", "image": "img:1"}]},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {
                "name": "ing[bold]" + e,
                "namespace": "shop",
                "annotations": {
                    "alb.ingress.kubernetes.io/group.name": "grp" + e,
                    "external-dns.alpha.kubernetes.io/hostname": "h" + e + ".example.com",
                },
            },
            "spec": {
                "ingressClassName": "alb",
                "rules": [
                    {
                        "host": "a" + e + ".example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/x[/]" + e,
                                    "pathType": "Prefix",
                                    "backend": {
                                        "service": {"name": "s" + e, "port": {"number": 80}}
                                    },
                                }
                            ]
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "crb" + e},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [
                {"kind": "Group", "name": "g" + e, "apiGroup": "rbac.authorization.k8s.io"}
            ],
        },
        # an invalid object: its diagnostic names it, and the file
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "bad" + e, "namespace": "shop"},
            "spec": {"ports": "nope" + e},
        },
    ]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("hostile") / "platform"
    shutil.copytree(DEMO, root)
    name = "evil" + HOSTILE.replace("/", "") + ".json"
    (root / "k8s" / name).write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": _hostile_documents()}),
        encoding="utf-8",
    )
    realm = root / "keycloak" / "realm-export.json"
    text = realm.read_text(encoding="utf-8")
    realm.write_text(
        text.replace("alice-okafor", "alice-okafor\\u001b]0;x\\u0007"), encoding="utf-8"
    )
    return str(root)


COMMANDS = [
    ("net", "matrix"),
    ("net", "matrix", "--format", "csv"),
    ("net", "matrix", "--format", "dot"),
    ("ingress", "alb"),
    ("dns", "plan"),
    ("mesh", "coverage"),
    ("access", "who-can", "{p}", "get", "pods"),
    ("access", "user", "{p}", "alice-okafor" + "\x1b]0;x\x07"),
    ("analyze",),
    ("net", "lint"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:4]).replace("{p}", "P"))
def test_no_control_character_reaches_the_reader(
    hostile: str, command: tuple[str, ...], ekstwin: Callable[..., Run]
) -> None:
    argv = [hostile if w == "{p}" else w for w in command]
    if "{p}" not in command:
        argv.append(hostile)
    run = ekstwin(*argv)
    assert run.code in (0, 1, 2), run.err
    assert "Traceback" not in run.err
    assert CONTROL.findall(run.out) == []
    assert CONTROL.findall(run.err) == []
    # the hostile text is still shown, escaped
    assert "\\x1b]0;" in run.out + run.err


def test_csv_cells_cannot_start_a_formula(hostile: str, ekstwin: Callable[..., Run]) -> None:
    run = ekstwin("net", "matrix", "--format", "csv", "--by", "namespace", hostile)
    rows = list(csv.reader(io.StringIO(run.out)))
    assert rows[0] == ["from", "to", "allow"]
    cells = [c for row in rows for c in row]
    assert "'" + FORMULA in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert run.out.splitlines()[0] == '"from","to","allow"'


def test_csv_cell_and_dot_string_helpers() -> None:
    from ekstwin.reporters._text import csv_cell, dot_string

    assert [csv_cell(v) for v in ("=1+1", "+x", "-x", "@x", "\tx", "\rx", "a=b", "")] == [
        "'=1+1",
        "'+x",
        "'-x",
        "'@x",
        "'\tx",
        "'\rx",
        "a=b",
        "",
    ]
    assert dot_string('a" -> "b') == '"a\\" -> \\"b"'
    assert dot_string("a\\") == '"a\\\\"'


def test_dot_names_cannot_close_their_string(hostile: str, ekstwin: Callable[..., Run]) -> None:
    run = ekstwin("net", "matrix", "--format", "dot", hostile)
    assert '"shop/q\\" -> \\"x";' in run.out
    assert '"shop/q" -> "x"' not in run.out


def test_json_reports_carry_no_raw_control_character(
    hostile: str, ekstwin: Callable[..., Run]
) -> None:
    for fmt in ("json", "sarif"):
        run = ekstwin("analyze", "--format", fmt, hostile)
        assert CONTROL.findall(run.out) == []
        doc = json.loads(run.out)  # still JSON, with the same data
        assert any(HOSTILE in s for s in _strings(doc))


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def test_debug_log_lines_are_escaped() -> None:
    """Log lines (--debug) carry names and paths: the log handler escapes them."""
    import subprocess
    import sys

    code = (
        "import logging, sys\n"
        "from ekstwin.cli import main as m\n"
        "sys.argv = ['ekstwin', '--debug', 'version']\n"
        "m.main(['--debug', 'version'])\n"
        "logging.getLogger('ekstwin.x').warning('name %s', 'a\\x1b[2Jb')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "name a\\x1b[2Jb" in run.stderr
    assert "\x1b" not in run.stderr
