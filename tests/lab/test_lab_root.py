"""The lab on this machine: up, probe, down; crash clean-up; the demo platform."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.ipam.addresses import pod_addressing
from ekstwin.lab import (
    EngineAnswer,
    bring_down,
    bring_up,
    build_plan,
    plan_probes,
    run_probes,
)
from ekstwin.loaders import load

FIXTURES = Path(__file__).parent / "fixtures"
DEMO = Path(__file__).parents[2] / "examples" / "demo-platform"

pytestmark = pytest.mark.root


def _netns(prefix: str) -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return sorted(n for n in out.stdout.split() if n.startswith(prefix))


def test_up_probe_down_small_platform(prefix: str, state_dir: str, root_guard: object) -> None:
    platform = load([str(FIXTURES / "small.yaml")], implied=False).platform
    plan = build_plan(platform, prefix)
    bring_up(platform, plan, pod_addressing(platform).pod_ips, state_dir=state_dir)
    try:
        assert _netns(prefix) == sorted(plan.namespaces())
        report = run_probes(platform, plan, plan_probes(plan))
    finally:
        down = bring_down(prefix, state_dir=state_dir)
    assert sorted(down.namespaces) == sorted(plan.namespaces())
    assert down.listener_stopped
    rows = sorted(
        (r.target.source, r.target.destination, r.target.port, r.target.protocol, r.kernel,
         r.seen_source, r.engine_allowed)
        for r in report.results
    )  # fmt: skip
    node_a, node_b = (n.ip for n in plan.nodes)
    ip = {p.key: p.ip for p in plan.pods}
    web, db, cli = ip["shop/web"], ip["shop/db"], ip["other/cli"]
    assert rows == sorted(
        [
            ("other/cli", "shop/db", 5432, "TCP", "blocked", None, False),
            ("other/cli", "shop/web", 80, "TCP", "allowed", cli, True),
            ("other/cli", "shop/web", 53, "UDP", "allowed", cli, True),
            ("other/cli", "internet", 80, "TCP", "blocked", None, False),
            ("other/cli", "internet", 53, "UDP", "blocked", None, False),
            ("shop/db", "other/cli", 8080, "TCP", "allowed", db, True),
            ("shop/db", "shop/web", 80, "TCP", "allowed", db, True),
            ("shop/db", "shop/web", 53, "UDP", "allowed", db, True),
            ("shop/db", "internet", 80, "TCP", "allowed", node_b, True),
            ("shop/db", "internet", 53, "UDP", "allowed", node_b, True),
            ("shop/web", "other/cli", 8080, "TCP", "allowed", web, True),
            ("shop/web", "shop/db", 5432, "TCP", "allowed", web, True),
            ("shop/web", "internet", 80, "TCP", "allowed", node_a, True),
            ("shop/web", "internet", 53, "UDP", "allowed", node_a, True),
        ]
    )
    assert report.disagreements == ()
    assert report.source_mismatches == ()


def test_probe_reports_disagreement_with_a_stub_engine(
    prefix: str, state_dir: str, root_guard: object
) -> None:
    platform = load([str(FIXTURES / "small.yaml")], implied=False).platform
    plan = build_plan(platform, prefix)
    bring_up(platform, plan, pod_addressing(platform).pod_ips, state_dir=state_dir)
    try:

        def oracle(_platform: object) -> object:
            return lambda s, d, port, proto: EngineAnswer(True, f"stub allows {s}->{d}")

        targets = [t for t in plan_probes(plan) if t.source == "other/cli" and t.port == 5432]
        report = run_probes(platform, plan, targets, oracle=oracle, recheck_timeout=0.5)  # type: ignore[arg-type]
    finally:
        bring_down(prefix, state_dir=state_dir)
    assert [(r.target.destination, r.kernel, r.explanation) for r in report.disagreements] == [
        ("shop/db", "blocked", "stub allows other/cli->shop/db")
    ]


def test_cli_up_probe_down(
    prefix: str, state_dir: str, root_guard: object, capsys: pytest.CaptureFixture[str]
) -> None:
    small = str(FIXTURES / "small.yaml")
    common = ["--prefix", prefix, "--state-dir", state_dir]
    try:
        # the small platform as written (probe loads it again the same way)
        assert main(["lab", "up", small, "--no-implied", *common]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"lab {prefix} up: 2 node(s), 3 pod(s), vpc 198.18.0.0/16")
        assert main(["lab", "up", small, "--no-implied", *common]) == 2
        assert "already up" in capsys.readouterr().err
        assert main(["lab", "probe", "--format", "json", *common]) == 0
        import json

        got = json.loads(capsys.readouterr().out)
        assert (got["probes"], got["agreements"], got["disagreements"]) == (14, 14, [])
        from tests.json_schemas import errors

        assert errors("lab-probe", got) == []
        assert main(["lab", "probe", "--sample", "3", "--ports", "80", *common]) == 0
        assert "3 probes" in capsys.readouterr().out
    finally:
        assert main(["lab", "down", *common]) == 0
    assert (
        capsys.readouterr().out == f"lab {prefix} down: 7 namespace(s) removed, listener stopped\n"
    )
    assert main(["lab", "probe", *common]) == 2


def test_down_after_up_killed_with_sigkill(prefix: str, state_dir: str, root_guard: object) -> None:
    demo = str(DEMO)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ekstwin", "lab", "up", demo, "--prefix", prefix,
         "--state-dir", state_dir],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    # kill it while it builds: after the namespaces exist, before it finished
    for line in proc.stderr:
        if "namespaces" in line:
            break
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _netns(prefix) != []
    report = bring_down(prefix, state_dir=state_dir)
    assert report.namespaces != ()
    assert _netns(prefix) == []
    assert list(Path(state_dir).iterdir()) == []


def test_down_after_listener_started_and_up_killed(
    prefix: str, state_dir: str, root_guard: object
) -> None:
    small = str(FIXTURES / "small.yaml")
    assert main(["lab", "up", small, "--prefix", prefix, "--state-dir", state_dir]) == 0
    pid = int((Path(state_dir) / f"{prefix}listener.pid").read_text())
    assert main(["lab", "down", "--prefix", prefix, "--state-dir", state_dir]) == 0
    assert (
        not Path(f"/proc/{pid}").exists()
        or b"agent.py" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    )


@pytest.mark.slow
def test_demo_platform_end_to_end(prefix: str, state_dir: str, root_guard: object) -> None:
    platform = load([str(DEMO)]).platform
    plan = build_plan(platform, prefix)
    bring_up(platform, plan, pod_addressing(platform).pod_ips, state_dir=state_dir)
    try:
        report = run_probes(platform, plan, plan_probes(plan))
    finally:
        bring_down(prefix, state_dir=state_dir)
    assert len(report.results) > 10_000
    assert [r.to_json() for r in report.disagreements] == []
    assert [r.to_json() for r in report.source_mismatches] == []
    assert {r.kernel for r in report.results} == {"allowed", "blocked"}


def test_icmp_echo_probes_agree_with_the_engine(
    prefix: str, state_dir: str, root_guard: object
) -> None:
    """Echo requests from raw sockets: a NetworkPolicy with ports admits no ICMP, a
    Calico rule admits type 8 from one source only, replies ride on conntrack."""
    from ekstwin.lab.probe import ICMP_ECHO

    platform = load([str(FIXTURES / "icmp.yaml")], implied=False).platform
    plan = build_plan(platform, prefix)
    bring_up(platform, plan, pod_addressing(platform).pod_ips, state_dir=state_dir)
    try:
        report = run_probes(platform, plan, plan_probes(plan, ports=(ICMP_ECHO,)))
    finally:
        bring_down(prefix, state_dir=state_dir)
    got = sorted(
        (r.target.source, r.target.destination, r.kernel, r.engine_allowed) for r in report.results
    )
    assert got == sorted(
        [
            ("ping/a", "ping/b", "blocked", False),  # b's policy admits TCP 80 only
            ("ping/a", "ping/c", "allowed", True),  # echo from a is allowed
            ("ping/b", "ping/a", "allowed", True),  # a is selected by nothing
            ("ping/b", "ping/c", "blocked", False),  # end of tier: only a's echo
            ("ping/c", "ping/a", "allowed", True),
            ("ping/c", "ping/b", "blocked", False),
            ("ping/a", "internet", "allowed", True),
            ("ping/b", "internet", "allowed", True),
            ("ping/c", "internet", "allowed", True),
        ]
    )
    assert report.disagreements == ()
