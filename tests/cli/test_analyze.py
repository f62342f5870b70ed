"""The ekstwin command: analyze, checks, baseline, version; formats and exit codes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from ekstwin import __version__
from ekstwin.cli.main import main
from ekstwin.engines.checks import discover_checks
from ekstwin.engines.secrets.checks.plaintext_secret import PlaintextSecret
from ekstwin.findings import Finding
from ekstwin.model.platform import Platform

ROOT = Path(__file__).parent.parent.parent
MANIFESTS = ROOT / "tests" / "fixtures" / "manifests"
BROKEN = MANIFESTS / "broken"
FULL = MANIFESTS / "full"
#: The checks whose findings the tests assert exactly (others come and go).
CHOSEN = "SEC001,ECR001,ECR002"

SECRET_VALUES = (
    "ZnVsbC1maXh0dXJlLXZhbHVlLTAx",
    "full-fixture-value-02",
    "broken-fixture-value-03",
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _ids(report: dict[str, object]) -> list[tuple[str, str]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return [(f["id"], "{kind}/{namespace}/{name}".format(**f["subject"])) for f in findings]


# -- formats -------------------------------------------------------------------


def test_analyze_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "analyze", str(FULL), "--format", "json", "--check", CHOSEN)
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert _ids(report) == [("SEC001", "Secret/shop/db-credentials")]
    assert report["inputs"] == [str(FULL)]
    assert [c["id"] for c in report["checks"]] == ["ECR001", "ECR002", "SEC001"]
    assert report["suppressed"] == []
    assert report["summary"]["input_errors"] is False


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "junit"])
def test_no_secret_value_in_any_output_format(
    fmt: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "analyze", str(FULL), str(BROKEN), "--format", fmt)
    assert code == 2
    assert "SEC001" in out
    for value in SECRET_VALUES:
        assert value not in out and value not in err


def test_sarif_and_junit_are_well_formed(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "analyze", str(FULL), "--format", "sarif")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert "SEC001" in {r["ruleId"] for r in results}
    _, out, _ = run(capsys, "analyze", str(FULL), "--format", "junit")
    root = ET.fromstring(out)
    assert root.tag in ("testsuites", "testsuite")
    assert "SEC001" in out


def test_table_lists_the_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "analyze", str(FULL))
    assert code == 0
    assert "SEC001" in out and "Secret/shop/db-credentials" in out


def test_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    code, out, err = run(capsys, "analyze", str(FULL), "-f", "json", "--output", str(target))
    assert (code, out, err) == (0, "", "")
    assert _ids(json.loads(target.read_text()))[0] == ("SEC001", "Secret/shop/db-credentials")


def test_unwritable_output_is_an_input_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, "analyze", str(FULL), "--output", str(tmp_path / "no" / "such" / "r.txt")
    )
    assert code == 2
    assert err.startswith("error: cannot write ") and err.count("\n") == 1


# -- exit codes ------------------------------------------------------------------


@pytest.mark.parametrize(("fail_on", "expected"), [("high", 1), ("medium", 1), ("critical", 0)])
def test_fail_on_threshold(fail_on: str, expected: int, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "analyze", str(FULL), "--fail-on", fail_on, "-f", "json")
    assert code == expected  # SEC001 is high


def test_broken_input_still_analyses_the_good_documents(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "analyze", str(BROKEN), "-f", "json", "--check", CHOSEN)
    assert code == 2
    assert "Traceback" not in err
    error_lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert error_lines == [
        "error: YAML syntax error: did not find expected ',' or ']' (column 8) "
        f"({BROKEN / 'mixed.yaml'}:14) - fix the document's syntax; the other documents "
        "of the file were still read"
    ]
    report = json.loads(out)
    assert report["diagnostics"] == [
        {
            "level": "error",
            "code": "yaml-syntax",
            "message": "YAML syntax error: did not find expected ',' or ']' (column 8)",
            "hint": "fix the document's syntax; the other documents of the file were still read",
            "location": {"file": str(BROKEN / "mixed.yaml"), "line": 14},
        }
    ]
    assert _ids(report) == [
        ("SEC001", "Secret/shop/db"),
        ("ECR002", "Deployment/shop/web"),
    ]
    assert report["summary"]["platform"]["kinds"] == {
        "ConfigMap": 1,
        "Deployment": 1,
        "Namespace": 1,
        "Secret": 1,
    }


def test_missing_path_exits_2_with_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "analyze", "/nonexistent/platform", "-q")
    assert code == 2
    assert err.splitlines() == [
        "error: no such file or directory (/nonexistent/platform) - give a directory of "
        "manifests, a file, a snapshot or '-' for stdin"
    ]


def test_crashing_check_exits_3_and_the_others_still_report(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(self: PlaintextSecret, platform: Platform, ctx: object) -> Iterator[Finding]:
        raise KeyError("boom")

    monkeypatch.setattr(PlaintextSecret, "run", crash)
    code, out, err = run(capsys, "analyze", str(BROKEN), "-f", "json", "--check", CHOSEN)
    assert code == 3
    assert "Traceback" not in err
    assert any(
        line.startswith("error: check SEC001 crashed: KeyError: 'boom'")
        for line in err.splitlines()
    )
    report = json.loads(out)
    assert _ids(report) == [("ECR002", "Deployment/shop/web")]
    assert [d["code"] for d in report["diagnostics"]] == ["yaml-syntax", "internal"]


def test_quiet_hides_warnings_but_not_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\n"
    (tmp_path / "dup.yaml").write_text(cm + "---\n" + cm)
    code, _, err = run(capsys, "analyze", str(tmp_path), "-f", "json")
    assert code == 0
    assert [line.split(":")[0] for line in err.splitlines()] == ["warning"]
    code, _, err = run(capsys, "analyze", str(tmp_path), "-f", "json", "--quiet")
    assert (code, err) == (0, "")
    (tmp_path / "bad.yaml").write_text("- not an object\n")
    code, _, err = run(capsys, "analyze", str(tmp_path), "-f", "json", "--quiet")
    assert code == 2
    assert [line.split(":")[0] for line in err.splitlines()] == ["error"]


def test_check_option_runs_only_those_checks(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "analyze", str(BROKEN), "-f", "json", "--check", "sec001", "-q")
    assert code == 2
    report = json.loads(out)
    assert [c["id"] for c in report["checks"]] == ["SEC001"]
    assert _ids(report) == [("SEC001", "Secret/shop/db")]


def test_unknown_check_id_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "analyze", str(FULL), "--check", "SEC001,NOPE42")
    assert (code, out) == (2, "")
    assert err == "error: unknown check id(s): NOPE42 (see 'ekstwin checks')\n"


def test_stdin_through_the_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (BROKEN / "good.yaml").read_text()
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    code, out, _ = run(capsys, "analyze", "-", "-f", "json", "--check", CHOSEN)
    assert code == 0
    report = json.loads(out)
    assert _ids(report) == [("SEC001", "Secret/shop/db")]
    assert report["findings"][0]["location"] == {"file": "<stdin>", "line": 6}


# -- other commands -------------------------------------------------------------


@pytest.mark.real_registry
def test_checks_lists_every_check(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "checks", "--format", "json")
    assert code == 0
    assert json.loads(out) == [c.info().to_json() for c in discover_checks()]
    code, out, _ = run(capsys, "checks")
    assert code == 0
    for c in discover_checks():
        assert c.id in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "version") == (0, f"ekstwin {__version__}\n", "")


def test_python_dash_m_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ekstwin", "version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, f"ekstwin {__version__}\n", "")


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert (code, out) == (2, "")
    assert "usage: ekstwin" in err


def test_baseline_write_then_analyze_suppresses(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    platform = tmp_path / "p"
    shutil.copytree(FULL, platform)
    baseline = tmp_path / "baseline.json"
    code, _, err = run(capsys, "baseline", "write", str(platform), "-o", str(baseline))
    assert code == 0
    assert err.startswith("wrote ") and err.endswith(f" fingerprints to {baseline}\n")
    written = json.loads(baseline.read_text())
    assert (written["format"], written["version"]) == ("ekstwin-baseline", 1)

    _, out, _ = run(capsys, "analyze", str(platform), "-f", "json")
    before = json.loads(out)
    assert before["findings"]
    assert sorted(e["fingerprint"] for e in written["findings"]) == sorted(
        f["fingerprint"] for f in before["findings"]
    )
    assert {
        "id": "SEC001",
        "subject": "Secret/shop/db-credentials",
        "fingerprint": next(f["fingerprint"] for f in before["findings"] if f["id"] == "SEC001"),
    } in written["findings"]

    code, out, _ = run(
        capsys,
        "analyze",
        str(platform),
        "-f",
        "json",
        "--baseline",
        str(baseline),
        "--fail-on",
        "low",
    )
    after = json.loads(out)
    assert code == 0
    assert after["findings"] == []
    assert [s["fingerprint"] for s in after["suppressed"]] == [
        f["fingerprint"] for f in before["findings"]
    ]
    assert {s["suppression"]["kind"] for s in after["suppressed"]} == {"baseline"}

    # a new finding is not in the baseline
    (platform / "new.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: new, namespace: shop}\n"
        "stringData: {api_key: fresh-value}\n"
    )
    code, out, _ = run(
        capsys,
        *("analyze", str(platform), "-f", "json", "--check", CHOSEN),
        *("--baseline", str(baseline), "--fail-on", "high"),
    )
    assert code == 1
    assert _ids(json.loads(out)) == [("SEC001", "Secret/shop/new")]


def test_bad_baseline_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "b.json"
    bad.write_text('{"format": "something-else"}')
    code, out, err = run(capsys, "analyze", str(FULL), "--baseline", str(bad))
    assert (code, out) == (2, "")
    assert err == f"error: {bad} is not an ekstwin baseline (format 'ekstwin-baseline')\n"


def test_an_empty_directory_exits_2_with_nothing_to_analyse(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "analyze", str(tmp_path), "-f", "json")
    assert code == 2
    assert err == (
        f"error: nothing to analyse: no Kubernetes manifest, aws.json, Keycloak realm export or "
        f"snapshot was found ({tmp_path}) - point ekstwin at the directory or files of the "
        "platform (YAML or JSON)\n"
    )


def test_namespace_flag_places_objects_without_one(capsys: pytest.CaptureFixture[str]) -> None:
    helm = str(MANIFESTS / "helm-template.yaml")
    code, out, err = run(capsys, "analyze", helm, "-n", "shop", "-f", "json", "--check", CHOSEN)
    assert (code, err) == (0, "")
    assert json.loads(out)["summary"]["platform"]["namespaces"] == ["shop"]
    code, out, err = run(capsys, "analyze", helm, "-f", "json", "--check", CHOSEN)
    assert code == 0
    assert json.loads(out)["summary"]["platform"]["namespaces"] == ["default"]
    assert err == (
        "warning: 3 namespaced objects without metadata.namespace were put in namespace "
        f"'default' (the first here) ({helm}:6) - pass --namespace NS for the namespace they "
        "are applied to (as kubectl apply -n NS), or set metadata.namespace\n"
    )
