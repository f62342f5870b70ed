"""The evaluate case suite: every file's whole output must equal its ``expected``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.iam import evaluate, parse_case

CASES = sorted((Path(__file__).parents[2] / "fixtures" / "iam" / "cases").glob("*.json"))


def test_the_suite_has_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case_decides_as_expected(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    request, policies = parse_case(data)
    assert evaluate(request, policies).to_json() == data["expected"]


def test_evaluate_command_prints_the_case_output_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = next(p for p in CASES if "boundary-caps-identity" in p.name)
    assert main(["iam", "evaluate", str(path), "--format", "json"]) == 0
    expected = json.loads(path.read_text(encoding="utf-8"))["expected"]
    assert json.loads(capsys.readouterr().out) == expected


def test_evaluate_command_prints_text(capsys: pytest.CaptureFixture[str]) -> None:
    path = next(p for p in CASES if "explicit-deny-wins" in p.name)
    assert main(["iam", "evaluate", str(path)]) == 0
    assert capsys.readouterr().out == (
        "Deny (explicit): explicitly denied by identity[0] (NoDelete)\n"
        "  Deny  identity[0] Statement[1] Sid NoDelete\n"
    )
