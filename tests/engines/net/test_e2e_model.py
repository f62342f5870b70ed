"""The upstream e2e netpol model as data: full truth tables per probe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ekstwin.engines.net import Granularity, NetModel, can, matrix
from tests.engines.conftest import Builder
from tests.engines.net.e2e_model import ALL, cluster_yaml, expected_table, render

CASES_FILE = Path(__file__).parents[2] / "fixtures" / "net" / "e2e" / "cases.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))


def test_the_e2e_model_has_at_least_40_cases_with_unique_names() -> None:
    names = [c["name"] for c in CASES]
    assert len(names) >= 40
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_e2e_truth_table(case: dict[str, Any], build: Builder) -> None:
    text = cluster_yaml(case.get("ns_labels"), case.get("pod_labels"))
    if case["policies"]:
        text += "---\n" + yaml.safe_dump_all(case["policies"], sort_keys=False)
    model = NetModel(build(text))
    flows = matrix(model, Granularity.POD).lookup()
    for probe in case["probes"]:
        proto, port = probe["protocol"], probe["port"]
        want = expected_table(probe["expect"])
        got_can = {}
        got_matrix = {}
        for s in ALL:
            for d in ALL:
                if s == d:
                    continue
                got_can[(s, d)] = can(model, s, d, port, proto).allowed
                conns = flows.get((s, d))
                got_matrix[(s, d)] = conns is not None and conns.contains(proto, port)
        assert render(got_can) == render(want), f"{proto}/{port} (can)"
        assert render(got_matrix) == render(want), f"{proto}/{port} (matrix)"
