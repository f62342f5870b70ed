"""The checks framework: registry, metadata, crash isolation, ordering, fingerprints."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ekstwin.analysis import analyze
from ekstwin.engines.checks import Check, CheckContext, discover_checks, run_checks
from ekstwin.engines.docs import SECTIONS, doc_sections
from ekstwin.engines.secrets.checks.plaintext_secret import PlaintextSecret
from ekstwin.findings import (
    Confidence,
    Diagnostic,
    DiagnosticLevel,
    Finding,
    Severity,
)
from ekstwin.loaders import load
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef, Source
from tests.engines.test_check_fixtures import FIXTURES

ENGINES = Path(__file__).resolve().parents[2] / "src" / "ekstwin" / "engines"
_ID = re.compile(r'^    id = "([A-Z]{3}[0-9]{3})"$', re.MULTILINE)


def _declared() -> dict[str, str]:
    """check id -> engine, read from the check files as text (not through the registry)."""
    out: dict[str, str] = {}
    for path in sorted(ENGINES.glob("*/checks/*.py")):
        for check_id in _ID.findall(path.read_text()):
            out[check_id] = path.parent.parent.name
    return out


DECLARED = _declared()
EXPECTED_IDS = tuple(sorted(DECLARED))
#: The foundation's checks, which later tests in this file run on their own.
FOUNDATION = ("ECR001", "ECR002", "EKS001", "EKS002", "KMS001", "SEC001")

CHECKS = discover_checks()


def test_registry_finds_every_check_file_sorted_by_id() -> None:
    assert set(FOUNDATION) <= set(EXPECTED_IDS)
    assert tuple(cls.id for cls in CHECKS) == EXPECTED_IDS


def test_registry_maps_each_check_to_its_engine_package() -> None:
    assert {cls.id: cls.engine() for cls in CHECKS} == DECLARED
    assert {i: DECLARED[i] for i in FOUNDATION} == {
        "ECR001": "ecr",
        "ECR002": "ecr",
        "EKS001": "cluster",
        "EKS002": "cluster",
        "KMS001": "kms",
        "SEC001": "secrets",
    }


def test_ids_are_unique_and_well_formed() -> None:
    ids = [cls.id for cls in CHECKS]
    assert len(set(ids)) == len(ids)
    assert [i for i in ids if not re.fullmatch(r"[A-Z]{3}[0-9]{3}", i)] == []


def test_slugs_are_unique_kebab_case() -> None:
    slugs = [cls.slug for cls in CHECKS]
    assert len(set(slugs)) == len(slugs)
    assert [s for s in slugs if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s)] == []


def test_titles_are_short_single_lines() -> None:
    too_long = [(cls.id, cls.title) for cls in CHECKS if len(cls.title) > 70]
    assert too_long == []
    assert [cls.id for cls in CHECKS if not cls.title.strip() or "\n" in cls.title] == []


def test_severity_and_confidence_are_enum_members() -> None:
    assert [cls.id for cls in CHECKS if not isinstance(cls.severity, Severity)] == []
    assert [cls.id for cls in CHECKS if not isinstance(cls.confidence, Confidence)] == []


@pytest.mark.parametrize("cls", CHECKS, ids=lambda c: c.id)
def test_docstring_has_the_documentation_sections_in_order(cls: type[Check]) -> None:
    assert tuple(doc_sections(cls)) == SECTIONS


@pytest.mark.parametrize("cls", CHECKS, ids=lambda c: c.id)
def test_check_info_carries_the_metadata(cls: type[Check]) -> None:
    info = cls.info()
    assert (info.id, info.slug, info.title, info.severity, info.confidence) == (
        cls.id,
        cls.slug,
        cls.title,
        cls.severity,
        cls.confidence,
    )
    assert info.doc_path == f"docs/checks/{cls.id}.md"
    assert info.doc.startswith("## What it does\n")


def test_every_check_has_fail_and_pass_fixtures() -> None:
    kinds = {
        cls.id: sorted(
            {p.name.split("_", 1)[0] for p in (FIXTURES / cls.id).glob("*") if p.is_dir()}
        )
        for cls in CHECKS
    }
    assert kinds == {cls.id: ["fail", "pass"] for cls in CHECKS}


def test_fixture_directories_name_registered_checks() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()) == sorted(EXPECTED_IDS)


# -- crash isolation ---------------------------------------------------------


class CrashingCheck(Check):
    """A check with a bug."""

    id = "TST999"
    slug = "crashes"
    title = "Always crashes"
    severity = Severity.LOW

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        raise KeyError("missing")


_CRASH_LINE = CrashingCheck.run.__code__.co_firstlineno + 1

CRASH_DIAGNOSTIC = Diagnostic(
    None,
    f"check TST999 crashed: KeyError: 'missing' (test_checks_framework.py:{_CRASH_LINE})",
    "this is a bug in ekstwin; the other checks ran - please report it",
    level=DiagnosticLevel.ERROR,
    code="internal",
)


def test_crashing_check_becomes_an_internal_diagnostic_and_others_still_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(FIXTURES / "SEC001" / "fail_data")
    platform = load(["."]).platform
    run = run_checks(platform, CheckContext(), [CrashingCheck, PlaintextSecret])
    assert run.crashed == ("TST999",)
    assert run.diagnostics == (CRASH_DIAGNOSTIC,)
    assert [(f.check_id, str(f.subject)) for f in run.findings] == [
        ("SEC001", "Secret/shop/db-credentials")
    ]


def test_analyze_reports_a_crash_among_the_input_diagnostics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(FIXTURES / "SEC001" / "fail_data")
    report = analyze(load(["."]), checks=[PlaintextSecret, CrashingCheck], tool_version="0")
    assert report.diagnostics == (CRASH_DIAGNOSTIC,)
    assert [c.id for c in report.checks] == ["SEC001", "TST999"]
    assert [f.check_id for f in report.findings] == ["SEC001"]
    assert report.input_errors


class BoundedCheck(Check):
    """A check that reaches its cost bound after one finding."""

    id = "TST998"
    slug = "bounded"
    title = "Stops at its bound"
    severity = Severity.LOW

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        yield self.finding(ObjectRef("Namespace", "shop"), "first", None)
        self.incomplete("stopped after one", "look at a smaller platform")


def test_a_check_that_stops_at_its_bound_says_so_in_the_report_and_keeps_its_findings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(FIXTURES / "SEC001" / "fail_data")
    report = analyze(load(["."]), checks=[BoundedCheck, PlaintextSecret], tool_version="0")
    assert report.diagnostics == (
        Diagnostic(
            None,
            "check TST998 is incomplete: stopped after one",
            "look at a smaller platform",
            level=DiagnosticLevel.WARNING,
            code="check-incomplete",
        ),
    )
    assert [f.check_id for f in report.findings] == ["SEC001", "TST998"]
    assert not report.input_errors  # a warning: the exit code is not 2


# -- ordering ----------------------------------------------------------------

# Fixtures that load together without clashes: one platform with findings of
# several checks, severities and subjects.
MIXED = (
    "ECR001/fail_explicit_if_not_present",
    "ECR002/fail_no_tag",
    "KMS001/fail_aws_managed_key",
    "SEC001/fail_data",
    "SEC001/fail_string_data",
)


def test_findings_are_sorted_by_severity_then_check_then_subject_then_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(FIXTURES)
    result = load(list(MIXED))
    assert [str(d) for d in result.diagnostics] == []
    # Run the checks in an order unlike the result's, so the sort is what orders it.
    foundation = [cls for cls in CHECKS if cls.id in FOUNDATION]
    run = run_checks(result.platform, CheckContext(), tuple(reversed(foundation)))
    assert run.diagnostics == ()
    assert [(f.severity.value, f.check_id, str(f.subject), f.key) for f in run.findings] == [
        ("high", "EKS001", "EksCluster/arn:aws:eks:eu-west-1:111122223333:cluster/legacy", ""),
        ("high", "EKS001", "EksCluster/arn:aws:eks:eu-west-1:111122223333:cluster/prod", ""),
        ("high", "SEC001", "Secret/shop/api-token", ""),
        ("high", "SEC001", "Secret/shop/db-credentials", ""),
        ("medium", "ECR001", "CronJob/shop/cart-cleanup", "cleanup"),
        ("medium", "ECR001", "CronJob/shop/cart-cleanup", "migrate"),
        ("medium", "ECR002", "Deployment/shop/web", "web"),
        ("medium", "KMS001", "EksCluster/arn:aws:eks:eu-west-1:111122223333:cluster/legacy", ""),
        ("medium", "KMS001", "EksCluster/arn:aws:eks:eu-west-1:111122223333:cluster/prod", ""),
    ]


# -- fingerprints --------------------------------------------------------------


def test_fingerprints_survive_a_line_shift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = tmp_path / "case"
    shutil.copytree(FIXTURES / "ECR001" / "fail_explicit_if_not_present", case)
    monkeypatch.chdir(case)
    before = run_checks(load(["."]).platform, CheckContext(), CHECKS).findings

    manifest = case / "cart.yaml"
    manifest.write_text(
        "# moved down by three lines\n# by a comment\n---\n" + manifest.read_text(),
        encoding="utf-8",
    )
    after = run_checks(load(["."]).platform, CheckContext(), CHECKS).findings

    assert [f.fingerprint for f in after] == [f.fingerprint for f in before]
    moved = [(str(b.source), str(a.source)) for b, a in zip(before, after, strict=True)]
    assert moved == [("cart.yaml:19", "cart.yaml:22"), ("cart.yaml:15", "cart.yaml:18")]
    without_source = [dataclasses.replace(f, source=None) for f in after]
    assert without_source == [dataclasses.replace(f, source=None) for f in before]


def test_fingerprint_depends_on_check_subject_and_key_only() -> None:
    def make(check_id: str, name: str, key: str, message: str, line: int) -> Finding:
        return Finding(
            check_id=check_id,
            title="t",
            severity=Severity.LOW,
            confidence=Confidence.HIGH,
            subject=ObjectRef("Deployment", name, "shop"),
            message=message,
            source=Source("a.yaml", line),
            key=key,
        )

    base = make("ECR001", "cart", "app", "one", 3)
    assert make("ECR001", "cart", "app", "other words", 40).fingerprint == base.fingerprint
    assert make("ECR002", "cart", "app", "one", 3).fingerprint != base.fingerprint
    assert make("ECR001", "web", "app", "one", 3).fingerprint != base.fingerprint
    assert make("ECR001", "cart", "sidecar", "one", 3).fingerprint != base.fingerprint


def test_a_check_module_that_fails_to_import_is_reported_and_the_others_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    real = importlib.import_module

    def failing(name: str, package: str | None = None) -> object:
        if name == "ekstwin.engines.secrets.checks.plaintext_secret":
            raise ImportError("broken on purpose")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", failing)
    broken: list[str] = []
    checks = discover_checks(broken=broken)
    assert broken == [
        "ekstwin.engines.secrets.checks.plaintext_secret: ImportError: broken on purpose"
    ]
    assert "SEC001" not in {c.id for c in checks}
    assert {"ECR001", "KMS001"} <= {c.id for c in checks}
    with pytest.raises(ImportError):
        discover_checks()
