"""Differential test of the AWS layer: the kernel's verdict on the rendered
security groups, network ACLs, routes and NAT == the engines' verdict.

Each hypothesis example is a random case of ``aws_platforms`` (its own lab:
the AWS topology differs between cases); every pod probes every other pod
(TCP 80, UDP 53, ICMP echo), every AWS service on its port and the internet
host, and every probe the engines judge must agree with the kernel. The
default run takes a handful of fixed examples (``EKSTWIN_LAB_AWS_EXAMPLES``,
default 4, derandomized); ``EKSTWIN_LAB_AWS_EXAMPLES=200
EKSTWIN_LAB_AWS_RANDOM=1`` explores. A disagreement is printed as the case's
JSON; keep it as ``tests/lab/regressions/aws-<name>.json``
(``EKSTWIN_LAB_RECORD=1`` writes it), where ``test_aws_regressions_agree``
replays it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from ekstwin.engines.ipam.addresses import pod_addressing
from ekstwin.lab import bring_down, bring_up, build_plan, plan_probes, run_probes
from tests.lab.aws_platforms import PROBE_PORTS, aws_specs, build_platform
from tests.lab.conftest import new_prefix, root_state

pytestmark = pytest.mark.root

REGRESSIONS = Path(__file__).parent / "regressions"
EXAMPLES = int(os.environ.get("EKSTWIN_LAB_AWS_EXAMPLES", "4"))
RANDOM = os.environ.get("EKSTWIN_LAB_AWS_RANDOM") == "1"
#: Totals over the run (the report of a long run quotes them).
COUNTS = {"cases": 0, "probes": 0, "compared": 0}


def _check(spec: dict[str, Any], state_dir: str) -> None:
    before = root_state()
    platform = build_platform(spec)
    prefix = new_prefix()
    plan = build_plan(platform, prefix)
    assert plan.aws
    bring_up(platform, plan, pod_addressing(platform).pod_ips, state_dir=state_dir)
    try:
        report = run_probes(platform, plan, plan_probes(plan, ports=PROBE_PORTS), timeout=0.3)
    finally:
        bring_down(prefix, state_dir=state_dir)
    assert root_state() == before
    COUNTS["cases"] += 1
    COUNTS["probes"] += len(report.results)
    COUNTS["compared"] += sum(1 for r in report.results if r.engine_allowed is not None)
    bad = [r.to_json() for r in report.disagreements] + [
        r.to_json() for r in report.source_mismatches
    ]
    text = json.dumps(spec, indent=1, sort_keys=True)
    if bad and os.environ.get("EKSTWIN_LAB_RECORD") == "1":
        name = hashlib.sha256(text.encode()).hexdigest()[:12]
        (REGRESSIONS / f"aws-found-{name}.json").write_text(text + "\n", encoding="utf-8")
    assert bad == [], f"kernel and engines disagree on this case:\n{text}"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(spec=aws_specs(modes=("strict", "standard")))
def test_kernel_agrees_with_engines_on_the_aws_layer(
    spec: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    _check(spec, str(tmp_path_factory.mktemp("labstate")))


@pytest.mark.parametrize("case", sorted(p.name for p in REGRESSIONS.glob("aws-*.json")) or ["none"])
def test_aws_regressions_agree(case: str, tmp_path: Path) -> None:
    if case == "none":
        pytest.skip("no AWS regression case recorded yet")
    spec = json.loads((REGRESSIONS / case).read_text(encoding="utf-8"))
    known = spec.pop("known_disagreement", None)
    if known is None:
        _check(spec, str(tmp_path))
        return
    # a disagreement reported and not fixed yet: it must still disagree (strict xfail),
    # so that the fix shows here and the note goes
    with pytest.raises(AssertionError, match="disagree"):
        _check(spec, str(tmp_path))
    pytest.xfail(known)


def teardown_module() -> None:
    print(f"\naws differential: {COUNTS}")
