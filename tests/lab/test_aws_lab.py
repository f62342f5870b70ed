"""The AWS layer in the kernel: security groups, network ACLs, routes, services.

``fixtures/aws-small.json`` (a case of ``aws_platforms``) with verdicts worked out
by hand from the AWS documentation, not from any engine:

* sg-node admits TCP 80 from sg-node only; sg-pa (a/p0's branch ENI, by the
  SecurityGroupPolicy sgp0) admits UDP 53 from the VPC; sg-data (RDS, EFS)
  admits 5432 from sg-pa; sg-vpce admits 443 from prefix list pl-1
  (198.18.2.0/24, 203.0.113.0/25); sg-cluster (cache) is open.
* subnet-d's network ACL admits TCP 5432-6379 in, and lets replies out to
  subnet-a on 1024-65535 but to subnet-b only on 49152-65535 (a lab pod's
  ephemeral ports are 32768-60999: a connection from subnet-b is a coin toss
  in AWS; the kernel picks, so that pair is left out of the comparison).
* subnet-b's own route table has no default route (and a blackhole route):
  node-2's pods reach no internet; the main table's default goes to a NAT gateway.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ekstwin.engines.ipam.addresses import pod_addressing
from ekstwin.lab import LabError, bring_down, bring_up, build_plan, plan_probes, run_probes
from ekstwin.lab import runtime as lab_runtime
from ekstwin.lab.aws import RouterRules
from tests.lab.aws_platforms import PROBE_PORTS, build_platform

pytestmark = pytest.mark.root

FIXTURES = Path(__file__).parent / "fixtures"


def _spec(
    mode: str = "strict", policies: list[dict[str, object]] | None = None
) -> dict[str, object]:
    spec: dict[str, object] = json.loads((FIXTURES / "aws-small.json").read_text("utf-8"))
    spec["mode"] = mode
    spec["policies"] = policies or []
    return spec


def _netns(prefix: str) -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return sorted(n.split()[0] for n in out.stdout.splitlines() if n.startswith(prefix))


def _kernel_rows(
    prefix: str, state_dir: str, mode: str, policies: list[dict[str, object]] | None = None
) -> set[tuple[str, str, str, bool]]:
    platform = build_platform(_spec(mode, policies))
    plan = build_plan(platform, prefix)
    bring_up(platform, plan, pod_addressing(platform).pod_ips, state_dir=state_dir)
    try:
        assert _netns(prefix) == sorted(plan.namespaces())
        report = run_probes(
            platform, plan, plan_probes(plan, ports=PROBE_PORTS), oracle=None, timeout=0.4
        )
    finally:
        bring_down(prefix, state_dir=state_dir)
    assert report.source_mismatches == ()
    return {
        (r.target.source, r.target.destination, f"{r.target.protocol}/{r.target.port}",
         r.kernel_allowed)
        for r in report.results
    }  # fmt: skip


def _allowed(rows: set[tuple[str, str, str, bool]]) -> set[tuple[str, str, str]]:
    return {(s, d, p) for s, d, p, ok in rows if ok}


PODS = ("a/p0", "a/p1", "b/p2", "b/p3")
# ICMP/2048 is the echo request the probes send
EXPECTED_STRICT = {
    # a/p0 (branch ENI, sg-pa): its traffic leaves through its branch ENI, unSNATed
    ("a/p0", "rds:db1", "TCP/5432"),  # sg-data admits sg-pa
    ("a/p0", "cache:c1", "TCP/6379"),
    ("a/p0", "internet", "TCP/80"),
    ("a/p0", "internet", "UDP/53"),
    ("a/p0", "internet", "ICMP/2048"),
    # into a/p0: sg-pa admits UDP 53 from the VPC only, even from b/p3 on its node
    ("a/p1", "a/p0", "UDP/53"),
    ("b/p2", "a/p0", "UDP/53"),
    ("b/p3", "a/p0", "UDP/53"),
    # sg-node admits TCP 80 from sg-node (the nodes' pods, not a/p0)
    ("a/p1", "b/p2", "TCP/80"),
    ("a/p1", "b/p3", "TCP/80"),
    ("b/p2", "a/p1", "TCP/80"),
    ("b/p2", "b/p3", "TCP/80"),
    ("b/p3", "a/p1", "TCP/80"),
    ("b/p3", "b/p2", "TCP/80"),
    ("a/p1", "cache:c1", "TCP/6379"),
    ("b/p3", "cache:c1", "TCP/6379"),
    # b/p2 sits in subnet-b with the endpoint: no ACL, and pl-1 holds subnet-b
    ("b/p2", "vpce:vpce-1", "TCP/443"),
    # subnet-a's pods reach the internet SNATed to their node
    ("a/p1", "internet", "TCP/80"),
    ("a/p1", "internet", "UDP/53"),
    ("a/p1", "internet", "ICMP/2048"),
    ("b/p3", "internet", "TCP/80"),
    ("b/p3", "internet", "UDP/53"),
    ("b/p3", "internet", "ICMP/2048"),
}


def test_aws_layer_in_the_kernel_strict(prefix: str, state_dir: str, root_guard: object) -> None:
    rows = _kernel_rows(prefix, state_dir, "strict")
    # b/p2 -> cache:c1: the reply's port decides (see the module docstring)
    got = _allowed(rows) - {("b/p2", "cache:c1", "TCP/6379")}
    assert got == EXPECTED_STRICT
    assert len(rows) == 4 * 3 * 3 + 4 * 4 + 4 * 3


def test_standard_mode_keeps_same_node_traffic_on_the_node(
    prefix: str, state_dir: str, root_guard: object
) -> None:
    """Standard mode: the CNI routes traffic between a branch-ENI pod and the
    node's other pods on the node (the "to container" rule comes first), so no
    security group sees it; the rest is as in strict mode."""
    rows = _kernel_rows(prefix, state_dir, "standard")
    same_node = {
        ("a/p0", "b/p3", "TCP/80"),
        ("a/p0", "b/p3", "UDP/53"),
        ("a/p0", "b/p3", "ICMP/2048"),
        ("b/p3", "a/p0", "TCP/80"),
        ("b/p3", "a/p0", "ICMP/2048"),
    }
    got = _allowed(rows) - {("b/p2", "cache:c1", "TCP/6379")}
    assert got == EXPECTED_STRICT | same_node


DENY_INGRESS_A: dict[str, object] = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "deny-ingress", "namespace": "a"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
}


def test_strict_mode_branch_pods_are_outside_calico(
    prefix: str, state_dir: str, root_guard: object
) -> None:
    """Strict mode: the VPC CNI names a branch-ENI pod's veth ``vlan…`` so that
    Calico leaves it alone (amazon-vpc-cni-k8s pkg/sgpp/utils.go,
    BuildHostVethNamePrefix): a default-deny ingress policy of namespace a stops
    the flows into a/p1, not those into a/p0 (branch ENI, judged by sg-pa only)."""
    rows = _kernel_rows(prefix, state_dir, "strict", [DENY_INGRESS_A])
    got = _allowed(rows) - {("b/p2", "cache:c1", "TCP/6379")}
    into_p1 = {("b/p2", "a/p1", "TCP/80"), ("b/p3", "a/p1", "TCP/80")}
    assert got == EXPECTED_STRICT - into_p1


def test_failed_bring_up_removes_everything(
    prefix: str, state_dir: str, root_guard: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while the AWS layer is loaded (here: rules iptables refuses)
    leaves no namespace, no state file, and the root namespace unchanged."""

    def broken(platform: object, internet_dev: str, nat_devs: object) -> RouterRules:
        return RouterRules("*filter\n-A NOSUCHCHAIN -j DROP\nCOMMIT\n", (), False)

    monkeypatch.setattr(lab_runtime, "render_router", broken)
    platform = build_platform(_spec())
    plan = build_plan(platform, prefix)
    with pytest.raises(LabError, match="iptables-restore"):
        bring_up(platform, plan, pod_addressing(platform).pod_ips, state_dir=state_dir)
    assert _netns(prefix) == []
    assert list(Path(state_dir).iterdir()) == []
