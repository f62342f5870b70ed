"""Bounded diagnostics: the first of each code in each file are kept in full, the
rest counted, and every output format says how many (issue: a million trivially
invalid documents held every Diagnostic in memory)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ekstwin.cli.main import main
from ekstwin.findings import (
    DIAGNOSTICS_KEPT_PER_GROUP,
    Diagnostic,
    DiagnosticCollector,
    DiagnosticGroup,
    DiagnosticLevel,
    diagnostic_totals,
)
from ekstwin.model.source import Source
from ekstwin.reporters.interface import counted_message

SCHEMAS = Path(__file__).resolve().parents[1] / "src" / "ekstwin" / "schemas"
SCHEMA = SCHEMAS / "report.schema.json"
ERROR, WARNING = DiagnosticLevel.ERROR, DiagnosticLevel.WARNING


def _d(file: str | None, line: int, code: str, level: DiagnosticLevel = ERROR) -> Diagnostic:
    return Diagnostic(Source(file, line) if file else None, f"m{line}", level=level, code=code)


def test_the_collector_keeps_the_first_of_each_code_and_file_and_counts_the_rest() -> None:
    col = DiagnosticCollector(per_group=2, limit=5)
    col.extend(_d("a.yaml", i, "yaml-syntax") for i in range(1, 5))
    col.append(_d("a.yaml", 9, "duplicate", WARNING))
    col.extend(_d("b.yaml", i, "yaml-syntax") for i in range(1, 4))
    col.append(_d(None, 0, "internal"))
    col.append(_d("a.yaml", 10, "yaml-syntax", WARNING))
    assert [(d.source.file if d.source else None, d.source.line if d.source else 0, d.code)
            for d in col] == [
        ("a.yaml", 1, "yaml-syntax"),
        ("a.yaml", 2, "yaml-syntax"),
        ("a.yaml", 9, "duplicate"),
        ("b.yaml", 1, "yaml-syntax"),
        ("b.yaml", 2, "yaml-syntax"),
    ]  # fmt: skip
    # the limit of 5 in all is reached: the one without a place is counted under "-"
    assert col.counted == (
        DiagnosticGroup(ERROR, "internal", "-", 1),
        DiagnosticGroup(ERROR, "yaml-syntax", "a.yaml", 2),
        DiagnosticGroup(WARNING, "yaml-syntax", "a.yaml", 1),
        DiagnosticGroup(ERROR, "yaml-syntax", "b.yaml", 1),
    )
    assert diagnostic_totals(col, col.counted) == {ERROR: 8, WARNING: 2}


def test_extending_with_a_collector_keeps_its_counts() -> None:
    inner = DiagnosticCollector(per_group=1)
    inner.extend(_d("a.yaml", i, "not-an-object") for i in range(1, 4))
    outer = DiagnosticCollector([_d("z.yaml", 1, "io")])
    outer.count([DiagnosticGroup(WARNING, "duplicate", "s.json", 7)])
    outer.extend(inner)
    assert [d.source for d in outer] == [Source("z.yaml", 1), Source("a.yaml", 1)]
    assert outer.counted == (
        DiagnosticGroup(ERROR, "not-an-object", "a.yaml", 2),
        DiagnosticGroup(WARNING, "duplicate", "s.json", 7),
    )
    only_counted = DiagnosticCollector(limit=0)
    only_counted.append(_d("a.yaml", 1, "io"))
    assert len(only_counted) == 0 and bool(only_counted)


N = DIAGNOSTICS_KEPT_PER_GROUP + 150


@pytest.fixture
def flood(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """N documents without apiVersion in one file, one valid object, and two lists."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "p"
    root.mkdir()
    valid = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
    (root / "a.yaml").write_text(valid + "---\nkind: ConfigMap\n" * N, encoding="utf-8")
    (root / "b.yaml").write_text("- x\n---\n- y\n", encoding="utf-8")
    return root


def _run(fmt: str, out: Path, *inputs: str) -> int:
    return main(["analyze", *inputs, "--format", fmt, "-o", str(out), "-q"])


def test_every_format_counts_what_is_not_listed(
    flood: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("json", Path("r.json"), "p") == 2  # input errors: exit code unchanged
    doc: dict[str, Any] = json.loads(Path("r.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, json.loads(SCHEMA.read_text(encoding="utf-8")))
    listed = [(d["location"]["file"], d["location"]["line"], d["code"]) for d in doc["diagnostics"]]
    assert listed == [
        ("p/a.yaml", 5 + 2 * i, "not-an-object") for i in range(DIAGNOSTICS_KEPT_PER_GROUP)
    ] + [("p/b.yaml", 1, "not-an-object"), ("p/b.yaml", 3, "not-an-object")]
    assert doc["counted_diagnostics"] == [
        {"level": "error", "code": "not-an-object", "file": "p/a.yaml", "count": 150}
    ]
    assert doc["summary"]["diagnostics"] == {"error": N + 2, "warning": 0}
    assert doc["summary"]["input_errors"] is True
    # stderr: five of a code in a file in full, the rest counted (those not kept too)
    hint = "add apiVersion and kind, or remove the document"
    assert capsys.readouterr().err.splitlines() == [
        *(f"error: document has no apiVersion (p/a.yaml:{n}) - {hint}" for n in (5, 7, 9, 11, 13)),
        *(
            f"error: document is a list, not a Kubernetes object (p/b.yaml:{n}) - each YAML "
            "document must be a mapping with apiVersion, kind and metadata"
            for n in (1, 3)
        ),
        "error: 245 more not-an-object problems (p/a.yaml) - "
        "--format json lists the first 100 and counts the rest",
    ]

    assert _run("sarif", Path("r.sarif"), "p") == 2
    run = json.loads(Path("r.sarif").read_text(encoding="utf-8"))["runs"][0]
    notifications = run["invocations"][0]["toolExecutionNotifications"]
    assert len(notifications) == DIAGNOSTICS_KEPT_PER_GROUP + 2 + 1
    assert notifications[-1] == {
        "level": "error",
        "message": {"text": "150 more not-an-object problems in this file, counted, not listed"},
        "descriptor": {"id": "not-an-object"},
        "properties": {"count": 150},
        "locations": [
            {"physicalLocation": {"artifactLocation": {"uri": "p/a.yaml", "uriBaseId": "SRCROOT"}}}
        ],
    }
    assert run["invocations"][0]["executionSuccessful"] is False

    assert _run("junit", Path("r.xml"), "p") == 2
    suite = ET.parse("r.xml").getroot().find("testsuite[@name='input']")
    assert suite is not None
    assert (suite.get("tests"), suite.get("errors")) == (str(N + 2 - 149), str(N + 2 - 149))
    last = suite.findall("testcase")[-1]
    error = last.find("error")
    assert error is not None
    assert (last.get("name"), error.get("type"), error.get("message")) == (
        "p/a.yaml",
        "not-an-object",
        "150 more not-an-object problems in this file, counted, not listed",
    )

    assert _run("table", Path("r.txt"), "p") == 2
    table = Path("r.txt").read_text(encoding="utf-8")
    assert "    245 more not-an-object problems (--format json lists the first 100 and" in table
    assert table.rstrip().endswith(f"input problems: {N + 2} errors, 0 warnings")

    assert _run("prometheus", Path("r.prom"), "p") == 2
    assert f"ekstwin_input_errors {N + 2}\n" in Path("r.prom").read_text(encoding="utf-8")


def test_a_snapshot_keeps_the_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Problems met while reading (YAML errors) are stored in the snapshot, counted
    ones as counts; documents that are read but are no objects are stored as
    documents and found again when the snapshot is read."""
    monkeypatch.chdir(tmp_path)
    Path("p").mkdir()
    Path("p/c.yaml").write_text("x: [\n---\n" * N + "kind: ConfigMap\n", encoding="utf-8")
    assert main(["snapshot", "p", "-o", "twin.json", "-q"]) == 2
    snapshot = json.loads(Path("twin.json").read_text(encoding="utf-8"))
    schema = json.loads((SCHEMAS / "snapshot.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(snapshot, schema)
    assert len(snapshot["diagnostics"]) == DIAGNOSTICS_KEPT_PER_GROUP
    assert snapshot["counted_diagnostics"] == [
        {"level": "error", "code": "yaml-syntax", "file": "p/c.yaml", "count": 150}
    ]
    assert _run("json", Path("r.json"), "twin.json") == 2
    doc = json.loads(Path("r.json").read_text(encoding="utf-8"))
    assert [(d["code"], d["location"]["line"]) for d in doc["diagnostics"]][-2:] == [
        ("yaml-syntax", 2 * DIAGNOSTICS_KEPT_PER_GROUP),
        ("not-an-object", 2 * N + 1),
    ]
    assert doc["counted_diagnostics"] == snapshot["counted_diagnostics"]
    assert doc["summary"]["diagnostics"] == {"error": N + 1, "warning": 0}


def test_the_counted_message_says_how_many_and_where() -> None:
    assert [
        counted_message(DiagnosticGroup(ERROR, "internal", "-", 1)),
        counted_message(DiagnosticGroup(WARNING, "duplicate", "a.yaml", 2)),
    ] == [
        "1 more internal problem without a place, counted, not listed",
        "2 more duplicate problems in this file, counted, not listed",
    ]
