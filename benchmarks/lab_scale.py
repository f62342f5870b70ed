"""Lab scale: pods brought up per second and probes per second.

Builds a generated platform (N pods over 3 nodes, two namespaces, a few
Kubernetes and Calico policies), brings it up as network namespaces, runs
PROBES probes between its pods, compares them with the engine, and tears it
down. Needs root, iproute2, iptables and ipset.

    python benchmarks/lab_scale.py [--pods 200] [--probes 10000] [--json]

Targets: >= 200 pods up in <= 60 s; 10,000 probes in <= 60 s (2 cores).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time

import yaml

from ekstwin.engines.ipam.addresses import pod_addressing
from ekstwin.lab import (
    bring_down,
    bring_up,
    build_plan,
    plan_probes,
    require_lab_host,
    run_probes,
)
from ekstwin.loaders import load


def manifests(pods: int) -> str:
    docs: list[dict[str, object]] = []
    for j in range(3):
        docs.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"node-{j}"}})
    for ns in ("shop", "ops"):
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    for i in range(pods):
        ns = "shop" if i % 4 else "ops"
        app = ("web", "api", "db")[i % 3]
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"{app}-{i}", "namespace": ns, "labels": {"app": app}},
                "spec": {
                    "nodeName": f"node-{i % 3}",
                    "containers": [
                        {
                            "name": "c",
                            "image": "busybox:1.36",
                            "ports": [
                                {"containerPort": 8080, "name": "http"},
                                {"containerPort": 53, "protocol": "UDP", "name": "dns"},
                            ],
                        }
                    ],
                },
            }
        )
    docs.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "db-from-api", "namespace": "shop"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "db"}},
                "ingress": [
                    {"from": [{"podSelector": {"matchLabels": {"app": "api"}}}],
                     "ports": [{"port": "http"}]}
                ],
            },
        }
    )  # fmt: skip
    docs.append(
        {
            "apiVersion": "projectcalico.org/v3",
            "kind": "GlobalNetworkPolicy",
            "metadata": {"name": "ops-isolated"},
            "spec": {
                "order": 10,
                "selector": "projectcalico.org/namespace == 'ops'",
                "types": ["Ingress"],
                "ingress": [
                    {"action": "Allow", "source": {"selector": "app == 'web'"}},
                    {"action": "Deny", "protocol": "UDP"},
                    {"action": "Pass"},
                ],
            },
        }
    )
    return yaml.safe_dump_all(docs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=200)
    parser.add_argument("--probes", type=int, default=10_000)
    parser.add_argument("--prefix", default="ekstwb-")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    require_lab_host()
    text = manifests(args.pods)
    platform = load(["-"], stdin_text=lambda: text).platform
    state_dir = tempfile.mkdtemp(prefix="ekstwin-lab-bench-")
    plan = build_plan(platform, args.prefix)
    t0 = time.monotonic()
    bring_up(platform, plan, pod_addressing(platform).pod_ips, state_dir=state_dir)
    up_s = time.monotonic() - t0
    try:
        targets = plan_probes(plan, sample=args.probes, seed=1)
        t1 = time.monotonic()
        report = run_probes(platform, plan, targets, timeout=0.5)
        probe_s = time.monotonic() - t1
    finally:
        t2 = time.monotonic()
        bring_down(args.prefix, state_dir=state_dir)
        down_s = time.monotonic() - t2
    out = {
        "pods": len(plan.pods),
        "nodes": len(plan.nodes),
        "up_seconds": round(up_s, 2),
        "pods_per_second": round(len(plan.pods) / up_s, 1),
        "probes": len(report.results),
        "probe_seconds": round(probe_s, 2),
        "probes_per_second": round(len(report.results) / probe_s, 1),
        "blocked": sum(1 for r in report.results if not r.kernel_allowed),
        "disagreements": len(report.disagreements),
        "down_seconds": round(down_s, 2),
    }
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:>18}: {v}")
    return 0 if not report.disagreements else 1


if __name__ == "__main__":
    sys.exit(main())
