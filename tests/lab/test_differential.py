"""Differential test: the kernel's verdict on the rendered rules == the engine's verdict.

One lab (12 pod slots on 3 nodes) is built once; each hypothesis example is a
random platform whose pods take slots, and only its policy is rendered and
loaded again. Every probe (each ordered pod pair on TCP 80, TCP 81 and UDP 53,
and each pod to the internet host) must agree. A disagreement is printed as
the platform's manifests; keep it as ``tests/lab/regressions/<name>.yaml``
(``EKSTWIN_LAB_RECORD=1`` writes it there), where
``test_regression_cases_agree`` replays it for ever.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from ekstwin.engines.ipam.addresses import pod_addressing
from ekstwin.lab import (
    LabPlan,
    apply_policy,
    bring_down,
    bring_up,
    build_plan,
    plan_probes,
    run_probes,
)
from ekstwin.loaders import load
from tests.lab.conftest import new_prefix, root_state
from tests.lab.platforms import PORTS, PROBE_PORTS, base_manifests, dump, platforms

pytestmark = pytest.mark.root

REGRESSIONS = Path(__file__).parent / "regressions"
EXAMPLES = int(os.environ.get("EKSTWIN_LAB_EXAMPLES", "200"))


@pytest.fixture(scope="module")
def shared_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabPlan]:
    before = root_state()
    prefix = new_prefix()
    state_dir = str(tmp_path_factory.mktemp("labstate"))
    text = dump(base_manifests())
    platform = load(["-"], stdin_text=lambda: text).platform
    plan = build_plan(platform, prefix)
    bring_up(platform, plan, pod_addressing(platform).pod_ips, state_dir=state_dir)
    try:
        yield plan
    finally:
        bring_down(prefix, state_dir=state_dir)
        assert root_state() == before


def _check(text: str, base: LabPlan) -> None:
    result = load(["-"], stdin_text=lambda: text)
    errors = [str(d) for d in result.diagnostics if d.level.value == "error"]
    assert errors == [], text
    platform = result.platform
    pod_ips = pod_addressing(platform).pod_ips
    slots = {p.ip: p for p in base.pods}
    pods = tuple(
        dataclasses.replace(slots[ip], key=key, ports=PORTS) for key, ip in sorted(pod_ips.items())
    )
    plan = dataclasses.replace(base, pods=pods)
    apply_policy(platform, plan, pod_ips)
    report = run_probes(platform, plan, plan_probes(plan, ports=PROBE_PORTS), timeout=0.3)
    bad = [r.to_json() for r in report.disagreements] + [
        r.to_json() for r in report.source_mismatches
    ]
    if bad and os.environ.get("EKSTWIN_LAB_RECORD") == "1":
        name = hashlib.sha256(text.encode()).hexdigest()[:12]
        (REGRESSIONS / f"found-{name}.yaml").write_text(text, encoding="utf-8")
    assert bad == [], f"kernel and engine disagree on this platform:\n{text}"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=platforms())
def test_kernel_agrees_with_engine(shared_lab: LabPlan, text: str) -> None:
    _check(text, shared_lab)


@pytest.mark.parametrize("case", sorted(p.name for p in REGRESSIONS.glob("*.yaml")) or ["none"])
def test_regression_cases_agree(shared_lab: LabPlan, case: str) -> None:
    if case == "none":
        pytest.skip("no regression case recorded yet")
    text = (REGRESSIONS / case).read_text(encoding="utf-8")
    assert list(yaml.safe_load_all(text))
    _check(text, shared_lab)
