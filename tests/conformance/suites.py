"""Conformance suites: upstream test tables transcribed as data.

A suite is one YAML file: ``suite`` (its name), ``engine``, and ``cases``. Every
case cites where its expectation comes from (``repo@commit path Test/case``, or
for rules only documented, the ``https://docs.aws.amazon.com/`` page)
and holds the input and the expected answer in a shape the suite's runner
reads. A case the twin answers differently on purpose carries
``disagrees: <why, with the citation for the twin's answer>``: the runner then
checks that the twin still gives its own answer, so a change of either side is
seen and reviewed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parent
#: Where a case may cite a documentation page instead of a test (IAM's rules
#: live in the AWS documentation, not in a public test table).
_DOCS = "https://docs.aws.amazon.com/"


@dataclass(frozen=True)
class Case:
    suite: str
    index: int
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.suite}[{self.index}]"

    @property
    def disagrees(self) -> str | None:
        why = self.data.get("disagrees")
        return None if why is None else str(why)


def load_suites(engine: str) -> dict[str, list[Case]]:
    """Every suite of ``engine`` (tests/conformance/<engine>/*.yaml), by name."""
    out: dict[str, list[Case]] = {}
    for path in sorted((ROOT / engine).glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc["engine"] == engine, path
        name = str(doc["suite"])
        assert name not in out, f"two suites named {name}"
        cases = [Case(name, i, dict(c)) for i, c in enumerate(doc["cases"])]
        for c in cases:
            cite = str(c.data.get("cite", ""))
            assert cite.startswith(_DOCS) or ("@" in cite and len(cite.split()) >= 3), (
                f"{c.id}: cite repo@commit path test, or the documentation page"
            )
        out[name] = cases
    return out


def load_suite_field(engine: str, suite: str, key: str) -> Any:
    """A suite-level value shared by its cases (e.g. the cluster they run on)."""
    for path in sorted((ROOT / engine).glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if doc["suite"] == suite:
            return doc[key]
    raise KeyError(suite)


def all_cases(engine: str) -> list[Case]:
    return [c for cases in load_suites(engine).values() for c in cases]


def count_lines(engine: str) -> list[str]:
    suites = load_suites(engine)
    lines = []
    for name, cases in suites.items():
        disagreeing = sum(1 for c in cases if c.disagrees)
        extra = f" ({disagreeing} marked disagrees)" if disagreeing else ""
        lines.append(f"  {engine}/{name}: {len(cases)} cases{extra}")
    total = sum(len(c) for c in suites.values())
    lines.append(f"  {engine}: {total} cases in {len(suites)} suites")
    return lines


def expect(case: Case, got: object, want: object) -> None:
    """``got`` must equal ``want``; on a case marked disagrees, it must differ."""
    if case.disagrees:
        assert got != want, f"{case.id} is marked disagrees but now agrees with upstream"
    else:
        assert got == want, f"{case.id}: got {got!r}, upstream says {want!r}"


@functools.cache
def _suites(engine: str) -> dict[str, list[Case]]:
    return load_suites(engine)


def params(engine: str, suite: str) -> list[Any]:
    """The cases of one suite as pytest parameters, each with a readable id (its
    ``name`` or ``instance_type`` when it has one)."""
    import pytest

    out = []
    for c in _suites(engine)[suite]:
        label = c.data.get("name") or c.data.get("instance_type")
        out.append(pytest.param(c, id=f"{suite}/{label}" if label else c.id))
    return out


def expected(case: Case) -> Any:
    """What the twin must answer: upstream's ``expect``, or, on a case marked
    ``disagrees: {why, ekstwin}``, the twin's own answer recorded there."""
    disagrees = case.data.get("disagrees")
    if isinstance(disagrees, dict):
        return disagrees["ekstwin"]
    return case.data["expect"]


def expected_or(case: Case, key: str) -> Any:
    """Like :func:`expected` for a case whose upstream answer is under ``key``."""
    disagrees = case.data.get("disagrees")
    if isinstance(disagrees, dict):
        return disagrees["ekstwin"]
    return case.data[key]
