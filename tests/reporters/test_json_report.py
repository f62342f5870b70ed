from __future__ import annotations

import json
from importlib.resources import files

import jsonschema

from ekstwin.findings import Report
from ekstwin.reporters.json_report import JsonReporter
from tests.reporters import EXPECTED
from tests.snapshots import assert_snapshot


def _schema() -> dict[str, object]:
    text = files("ekstwin.schemas").joinpath("report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema


def test_json_matches_snapshot(report: Report) -> None:
    assert_snapshot(EXPECTED / "report.json", JsonReporter().render(report))


def test_json_validates_against_the_report_schema(report: Report, hostile_report: Report) -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    validator.check_schema(_schema())
    for each in (report, hostile_report):
        errors = [e.message for e in validator.iter_errors(json.loads(JsonReporter().render(each)))]
        assert errors == []


def test_report_schema_rejects_an_unknown_finding_field(report: Report) -> None:
    doc = json.loads(JsonReporter().render(report))
    doc["findings"][0]["value"] = "s3cr3t"
    validator = jsonschema.Draft202012Validator(_schema())
    assert [e.message for e in validator.iter_errors(doc)] == [
        "Unevaluated properties are not allowed ('value' was unexpected)"
    ]


def test_json_key_order_is_the_documented_one(report: Report) -> None:
    doc = json.loads(JsonReporter().render(report))
    assert list(doc) == [
        "schema",
        "version",
        "tool",
        "inputs",
        "summary",
        "findings",
        "suppressed",
        "diagnostics",
        "counted_diagnostics",
        "checks",
    ]
    assert list(doc["suppressed"][0]) == [
        "id",
        "title",
        "severity",
        "confidence",
        "subject",
        "message",
        "location",
        "evidence",
        "fix",
        "fingerprint",
        "doc",
        "suppression",
    ]


def test_json_keeps_hostile_text_exact(hostile_report: Report) -> None:
    doc = json.loads(JsonReporter().render(hostile_report))
    assert doc["findings"][0]["message"] == hostile_report.findings[0].message
