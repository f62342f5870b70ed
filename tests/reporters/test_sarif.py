from __future__ import annotations

import json

import jsonschema
import jsonschema.validators

from ekstwin.findings import (
    Confidence,
    Diagnostic,
    DiagnosticLevel,
    Finding,
    ObjectRef,
    PlatformSummary,
    Report,
    Severity,
    Suppressed,
)
from ekstwin.model.source import Source
from ekstwin.reporters.sarif import SarifReporter, sarif_document
from tests.reporters.snapshots import assert_snapshot


def _errors(schema: dict[str, object], doc: object) -> list[str]:
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_sarif_matches_snapshot(report: Report) -> None:
    assert_snapshot("report.sarif.json", SarifReporter().render(report))


def test_sarif_validates_against_the_official_schema(
    report: Report, hostile_report: Report, sarif_schema: dict[str, object]
) -> None:
    for each in (report, hostile_report):
        assert _errors(sarif_schema, json.loads(SarifReporter().render(each))) == []


def test_official_schema_catches_a_broken_log(sarif_schema: dict[str, object]) -> None:
    broken = {"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": []}]}
    assert _errors(sarif_schema, broken) == [
        "['runs', 0, 'tool', 'driver']: 'name' is a required property"
    ]


def _one(finding: Finding, **kwargs: object) -> Report:
    return Report(
        tool_version="0.1.0",
        inputs=(),
        summary=PlatformSummary((), (), (), (), 0),
        checks=(),
        findings=(finding,),
        **kwargs,  # type: ignore[arg-type]
    )


FINDING = Finding(
    check_id="X001",
    title="t",
    severity=Severity.INFO,
    confidence=Confidence.LOW,
    subject=ObjectRef(kind="Node", name="n1"),
    message="m",
    source=Source("/srv/platform/my nodes.yaml", 0),
)


def test_absolute_paths_become_file_uris_without_a_base_and_line_0_has_no_region() -> None:
    run = sarif_document(_one(FINDING))["runs"]  # type: ignore[index]
    result = run[0]["results"][0]
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "file:///srv/platform/my%20nodes.yaml"}
    }
    assert "ruleIndex" not in result  # X001 is not among the report's checks
    assert result["level"] == "note"


def test_baseline_suppressions_are_external_and_warnings_keep_the_run_successful() -> None:
    report = _one(
        FINDING,
        suppressed=(Suppressed(FINDING, kind="baseline", justification=""),),
        diagnostics=(
            Diagnostic(source=None, message="w", level=DiagnosticLevel.WARNING, code="c"),
        ),
    )
    run = sarif_document(report)["runs"][0]  # type: ignore[index]
    assert run["results"][1]["suppressions"] == [{"kind": "external"}]
    assert run["invocations"] == [
        {
            "executionSuccessful": True,
            "toolExecutionNotifications": [
                {"level": "warning", "message": {"text": "w"}, "descriptor": {"id": "c"}}
            ],
        }
    ]
