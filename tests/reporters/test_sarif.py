from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema.validators
import pytest

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
from tests.reporters import EXPECTED
from tests.reporters import sarif_schema as official
from tests.snapshots import assert_snapshot


def _errors(schema: dict[str, object], doc: Any) -> list[str]:
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_sarif_matches_snapshot(report: Report) -> None:
    assert_snapshot(EXPECTED / "report.sarif.json", SarifReporter().render(report))


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


def test_absolute_paths_become_relative_to_their_root_and_line_0_reads_as_line_1() -> None:
    run: Any = sarif_document(_one(FINDING), cwd="/srv")["runs"]
    result = run[0]["results"][0]
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "platform/my%20nodes.yaml", "uriBaseId": "SRCROOT"},
        "region": {"startLine": 1},  # GitHub needs a region: a whole file is its first line
    }
    assert run[0]["originalUriBaseIds"] == {"SRCROOT": {"uri": "file:///srv/"}}
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


# -- GitHub code scanning ingestion (the SARIF multitool's GH rules) ------------


@pytest.fixture(scope="session")
def multitool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SARIF multitool; fails (does not skip) when it is missing."""
    binary = official.locate_multitool()
    if binary is None:
        pytest.fail(f"the SARIF multitool is not installed: {official.INSTALL}")
    if not os.access(binary, os.X_OK):
        copy = tmp_path_factory.mktemp("multitool") / binary.name
        shutil.copy2(binary, copy)
        copy.chmod(0o755)
        binary = copy
    return binary


def _github_problems(multitool: Path, tmp_path: Path, log: object) -> list[str]:
    """What the multitool's GitHub ingestion rules (and its SARIF rules) say of ``log``."""
    given = tmp_path / "given.sarif"
    given.write_text(json.dumps(log), encoding="utf-8")
    out = tmp_path / "validation.sarif"
    subprocess.run(
        [
            str(multitool), "validate", "--quiet", "true", "--rule-kind", "Ghas;Sarif",
            "--config", str(official.GH_CONFIG), "--log", "ForceOverwrite",
            "--output", str(out), str(given),
        ],
        check=True, capture_output=True, timeout=300,
        env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"},
    )  # fmt: skip
    validation = json.loads(out.read_text(encoding="utf-8"))
    return [
        f"{r['ruleId']}: {', '.join(r['message'].get('arguments', []))}"
        for r in validation["runs"][0].get("results", [])
    ]


def _placed(check_id: str, subject: ObjectRef, source: Source | None) -> Finding:
    return Finding(
        check_id=check_id,
        title="t",
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        subject=subject,
        message=f"{subject} is wrong",
        source=source,
    )


#: Findings from every kind of origin: a relative file, an absolute one outside the
#: working directory, an object ekstwin implied, one collected live, AWS, and none.
ORIGINS = (
    _placed("NET001", ObjectRef("NetworkPolicy", "p", "shop"), Source("k8s/shop.yaml", 12)),
    _placed("NET002", ObjectRef("NetworkPolicy", "q", "shop"), Source("/srv/repo/k8s/q.yaml", 3)),
    _placed(
        "NET004",
        ObjectRef("Namespace", "kube-system"),
        Source.implied_by("created by Kubernetes in every cluster"),
    ),
    _placed("SEC001", ObjectRef("Secret", "s", "shop"), Source("k8s:/api/v1/secrets")),
    _placed("IAM002", ObjectRef("Role", "r"), Source("<aws>")),
    _placed("EKS001", ObjectRef("Cluster", "prod"), None),
)


def _report_of(findings: tuple[Finding, ...]) -> Report:
    return Report(
        tool_version="0.1.0",
        inputs=("k8s",),
        summary=PlatformSummary((), (), (), (), 0),
        checks=(),
        findings=findings,
        suppressed=tuple(
            Suppressed(f, kind="baseline", justification="known") for f in findings[2:3]
        ),
    )


def test_every_result_has_a_file_github_accepts(
    multitool: Path, tmp_path: Path, report: Report, hostile_report: Report
) -> None:
    for each in (report, hostile_report, _report_of(ORIGINS)):
        assert _github_problems(multitool, tmp_path, sarif_document(each, cwd="/work")) == []


def test_objects_from_no_file_get_a_documented_placeholder() -> None:
    run = sarif_document(_report_of(ORIGINS), cwd="/work")["runs"][0]  # type: ignore[index]
    places = [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"],
            r["locations"][0]["physicalLocation"].get("region"),
            r["locations"][0].get("message", {}).get("text"),
        )
        for r in run["results"]
    ]
    implied = "Namespace/kube-system (<implied: created by Kubernetes in every cluster>)"
    assert places == [
        (_at("_ekstwin/Cluster/_cluster/prod"), {"startLine": 1}, "Cluster/prod (no input file)"),
        (_at("_ekstwin/Role/_cluster/r"), {"startLine": 1}, "Role/r (<aws>)"),
        (_at("k8s/shop.yaml"), {"startLine": 12}, None),
        (_at("q.yaml", "INPUTROOT"), {"startLine": 3}, None),
        (_at("_ekstwin/Namespace/_cluster/kube-system"), {"startLine": 1}, implied),
        (_at("_ekstwin/Secret/shop/s"), {"startLine": 1}, "Secret/shop/s (k8s:/api/v1/secrets)"),
        (_at("_ekstwin/Namespace/_cluster/kube-system"), {"startLine": 1}, implied),  # suppressed
    ]
    assert run["originalUriBaseIds"] == {
        "INPUTROOT": {"uri": "file:///srv/repo/k8s/"},
        "SRCROOT": {"uri": "file:///work/"},
    }


def _at(uri: str, base: str = "SRCROOT") -> dict[str, str]:
    return {"uri": uri, "uriBaseId": base}


def test_the_github_rules_catch_a_result_without_a_file(multitool: Path, tmp_path: Path) -> None:
    log = sarif_document(_report_of(ORIGINS[:3]), cwd="/work")
    result = log["runs"][0]["results"][0]  # type: ignore[index]
    del result["locations"][0]["physicalLocation"]
    assert _github_problems(multitool, tmp_path, log) == [
        "GH1001: runs[0].results[0].locations[0], physicalLocation"
    ]


def test_absolute_paths_outside_the_working_directory_share_their_common_root() -> None:
    run = sarif_document(_report_of(ORIGINS[1:3]), cwd="/work")["runs"][0]  # type: ignore[index]
    assert run["originalUriBaseIds"] == {"SRCROOT": {"uri": "file:///srv/repo/k8s/"}}
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"] == _at(
        "q.yaml"
    )


def test_fingerprints_do_not_move_with_lines() -> None:
    moved = (_placed("NET001", ORIGINS[0].subject, Source("k8s/shop.yaml", 40)),)

    def prints(findings: tuple[Finding, ...]) -> list[object]:
        run = sarif_document(_report_of(findings + ORIGINS[1:3]))["runs"][0]  # type: ignore[index]
        return [r["partialFingerprints"] for r in run["results"]]

    assert prints(ORIGINS[:1]) == prints(moved)


def test_an_application_repo_s_log_passes_the_github_rules(multitool: Path, tmp_path: Path) -> None:
    """End to end: findings about implied objects (the default namespace, NET003) and
    about the input's files, from a relative input path, as CI runs it."""
    from ekstwin.analysis import analyze
    from ekstwin.loaders import load

    app = tmp_path / "repo" / "k8s"
    app.mkdir(parents=True)
    (app / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: web, image: nginx}]}\n"
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: web}\nspec:\n  podSelector: {matchLabels: {app: web}}\n"
        "  policyTypes: [Ingress]\n  ingress: [{}]\n",
        encoding="utf-8",
    )
    cwd = os.getcwd()
    os.chdir(tmp_path / "repo")
    try:
        report = analyze(load(["k8s"]))
        log = sarif_document(report)
    finally:
        os.chdir(cwd)
    places = sorted(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]  # type: ignore[index]
    )
    assert places == ["_ekstwin/Namespace/_cluster/default", "k8s/app.yaml", "k8s/app.yaml"]
    assert _github_problems(multitool, tmp_path, log) == []


def test_diff_sarif_of_new_findings_passes_the_github_rules(
    multitool: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`ekstwin diff --git REV --format sarif` (the Action's upload on a pull request)
    holds only the new findings and is accepted by code scanning."""
    from ekstwin.cli.main import main
    from tests.fixtures.review.head import BASE

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "platform").mkdir(parents=True)
    shutil.copy(BASE / "platform.yaml", repo / "platform" / "platform.yaml")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], cwd=repo, check=True)
    with (repo / "platform" / "platform.yaml").open("a", encoding="utf-8") as f:
        f.write(
            "---\napiVersion: apps/v1\nkind: Deployment\n"
            "metadata: {name: worker, namespace: shop}\n"
            "spec:\n  selector: {matchLabels: {app: worker}}\n  template:\n"
            "    metadata: {labels: {app: worker}}\n"
            "    spec: {containers: [{name: w, "
            "image: 111122223333.dkr.ecr.eu-west-1.amazonaws.com/w}]}\n"
        )
    monkeypatch.chdir(repo)
    main(["diff", "--git", "HEAD", "platform", "--format", "sarif", "-q"])
    log = json.loads(capsys.readouterr().out)
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["ECR002"]
    assert _github_problems(multitool, tmp_path, log) == []
