"""Suppressions: ekstwin.io/ignore annotations (object and namespace) and baseline files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.analysis import analyze
from ekstwin.engines.secrets.checks.plaintext_secret import PlaintextSecret
from ekstwin.errors import ConfigError
from ekstwin.findings import Diagnostic, DiagnosticLevel, Report
from ekstwin.loaders import load
from ekstwin.model.source import ObjectRef, Source
from ekstwin.suppressions import Baseline, baseline_json, read_baseline

STDIN = "<stdin>"


def _secret(name: str, annotations: str = "") -> str:
    return (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: shop\n"
        f"{annotations}stringData: {{password: v}}\n"
    )


def _namespace(annotations: str = "") -> str:
    return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n{annotations}"


def _analyze(text: str, baseline: Baseline | None = None) -> Report:
    return analyze(
        load(["-"], stdin_text=lambda: text), checks=[PlaintextSecret], baseline=baseline
    )


def _summary(report: Report) -> tuple[list[str], list[tuple[str, str, str]]]:
    return (
        [str(f.subject) for f in report.findings],
        [(str(s.finding.subject), s.kind, s.justification) for s in report.suppressed],
    )


def test_annotation_on_the_object_suppresses_with_its_reason() -> None:
    ann = (
        "  annotations:\n    ekstwin.io/ignore: 'ECR001, sec001'\n"
        "    ekstwin.io/ignore-reason: test credentials only\n"
    )
    report = _analyze(_secret("a", ann) + "---\n" + _secret("b"))
    assert _summary(report) == (
        ["Secret/shop/b"],
        [("Secret/shop/a", "annotation", "Secret/shop/a: test credentials only")],
    )
    assert report.diagnostics == ()


def test_annotation_on_the_namespace_suppresses_its_objects() -> None:
    ann = (
        "  annotations:\n    ekstwin.io/ignore: SEC001\n"
        "    ekstwin.io/ignore-reason: sandbox namespace\n"
    )
    report = _analyze(_namespace(ann) + "---\n" + _secret("a"))
    assert _summary(report) == (
        [],
        [("Secret/shop/a", "annotation", "Namespace/shop: sandbox namespace")],
    )


def test_annotation_for_another_check_suppresses_nothing() -> None:
    ann = "  annotations:\n    ekstwin.io/ignore: ECR001\n    ekstwin.io/ignore-reason: x\n"
    report = _analyze(_secret("a", ann))
    assert _summary(report) == (["Secret/shop/a"], [])


def test_ignore_without_reason_warns_and_suppresses_nothing() -> None:
    report = _analyze(
        _namespace("  annotations:\n    ekstwin.io/ignore: SEC001\n")
        + "---\n"
        + _secret(
            "a",
            "  annotations:\n    ekstwin.io/ignore: SEC001\n    ekstwin.io/ignore-reason: ' '\n",
        )
    )
    assert _summary(report) == (["Secret/shop/a"], [])
    assert report.diagnostics == (
        Diagnostic(
            Source(STDIN, 1),
            "Namespace/shop: annotation ekstwin.io/ignore has no ekstwin.io/ignore-reason; "
            "nothing is suppressed",
            "add ekstwin.io/ignore-reason saying why the finding is accepted",
            level=DiagnosticLevel.WARNING,
            code="suppression",
        ),
        Diagnostic(
            Source(STDIN, 8),
            "Secret/shop/a: annotation ekstwin.io/ignore has no ekstwin.io/ignore-reason; "
            "nothing is suppressed",
            "add ekstwin.io/ignore-reason saying why the finding is accepted",
            level=DiagnosticLevel.WARNING,
            code="suppression",
        ),
    )
    assert not report.input_errors


def test_baseline_suppresses_listed_fingerprints_only(tmp_path: Path) -> None:
    text = _secret("a") + "---\n" + _secret("b")
    first = _analyze(text)
    accepted = [f for f in first.findings if f.subject == ObjectRef("Secret", "a", "shop")]
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(baseline_json(accepted)))
    baseline = read_baseline(str(path))
    assert baseline == Baseline(frozenset(f.fingerprint for f in accepted), str(path))
    report = _analyze(text, baseline)
    assert _summary(report) == (
        ["Secret/shop/b"],
        [("Secret/shop/a", "baseline", f"accepted in baseline {path}")],
    )


def test_baseline_survives_line_changes(tmp_path: Path) -> None:
    before = _analyze(_secret("a"))
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(baseline_json(before.findings)))
    after = _analyze(
        "# a new comment\n# moves every line\n" + _secret("a"), read_baseline(str(path))
    )
    assert _summary(after)[0] == []
    assert after.suppressed[0].finding.source == Source(STDIN, 3)


def test_baseline_json_shape() -> None:
    report = _analyze(_secret("b") + "---\n" + _secret("a"))
    assert baseline_json(report.findings) == {
        "format": "ekstwin-baseline",
        "version": 1,
        "findings": [
            {"fingerprint": f.fingerprint, "id": "SEC001", "subject": str(f.subject)}
            for f in sorted(report.findings, key=lambda f: str(f.subject))
        ],
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "baseline {p} is not JSON: Expecting value (line 1)"),
        ('{"format": "x"}', "{p} is not an ekstwin baseline (format 'ekstwin-baseline')"),
        ('{"format": "ekstwin-baseline", "version": 2}', "baseline {p} has version 2; expected 1"),
        ('{"format": "ekstwin-baseline", "version": 1}', "baseline {p} has no findings list"),
        (
            "[" * 5000 + "]" * 5000,
            "baseline {p} is nested too deeply to read (line 1) - "
            "write it again with 'ekstwin baseline write'",
        ),
        (
            '{"format": "ekstwin-baseline", "version": ' + "1" * 5000 + "}",
            "baseline {p} cannot be read (line 1): ValueError - "
            "write it again with 'ekstwin baseline write'",
        ),
    ],
)
def test_bad_baseline_files_raise_config_error(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "b.json"
    p.write_text(text)
    with pytest.raises(ConfigError) as info:
        read_baseline(str(p))
    assert str(info.value) == message.format(p=p)


def test_missing_baseline_raises_config_error(tmp_path: Path) -> None:
    p = tmp_path / "none.json"
    with pytest.raises(ConfigError) as info:
        read_baseline(str(p))
    assert str(info.value) == f"cannot read baseline {p}: No such file or directory"
