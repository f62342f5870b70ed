"""Scale benchmark of ``analyze``: every check on generated platforms with Calico.

    .venv/bin/python benchmarks/analyze_scale.py [--sizes 1000,2000,5000,10000]
        [--load-scale] [--nca] [--keep DIR]

Each platform: pods/20 namespaces and 0.3 Kubernetes NetworkPolicies per pod
(the generator of benchmarks/net_scale.py: default denies, podSelector and
namespaceSelector peers, ipBlock with except, named ports, endPort, SCTP, a
security tier with Pass and Deny, namespaced Calico policies with order),
plus what real Calico platforms add: GlobalNetworkPolicies in a second tier
and in the default tier (notPorts, namespaceSelector, serviceAccountSelector,
serviceAccounts peers, selectors with ``||`` and ``!=``, Pass, Deny, Log),
NetworkSets and GlobalNetworkSets that those policies select, one
ServiceAccount per workload (every other one with an IRSA role in aws.json),
Istio sidecar injection with PeerAuthentication and AuthorizationPolicy in
every fourth namespace, and an Ingress with its Service in every fifth
namespace, shared ALB groups. The AWS side is the demo platform's aws.json
with one IAM role per annotated ServiceAccount added.

Every size runs in a fresh process (peak RSS is per process): load, then
``analyze`` with every registered check, timing each check as analyze runs
it (the first check that needs a compiled model pays for building it).
Printed per size: load time, analyze time (wall and CPU), peak RSS and the
checks that raised it, the ten slowest checks by CPU time, and the findings
per check id; then the issue's targets next to the figures. The 2,000-pod
platforms, with and without GNPs, run three times each, in turn, and the
ratio of their median analyze times is judged. The targets are
judged on CPU time (analyze is one thread, so it is the wall time of an idle
machine; on a shared machine the wall time also counts the others' work).

``--load-scale`` also analyses the 50,000-object platform of
benchmarks/load_scale.py. ``--nca`` runs the network-config-analyzer
comparison of benchmarks/net_scale.py at 1,000 pods (installed from PyPI
into its own venv under /tmp). ``--keep DIR`` writes the generated platforms
there (to compare ``ekstwin analyze --format json`` before and after a
change).
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from net_scale import compare_with_nca
from net_scale import generate as net_generate

REPO = Path(__file__).resolve().parent.parent
DEMO_AWS = REPO / "examples" / "demo-platform" / "aws.json"
ACCOUNT = "111122223333"
OIDC = "oidc.eks.eu-west-1.amazonaws.com/id/5C1E7A9D2B4F6E8A0C3D5F7B9E1A2C4D"

#: Targets of the issue, on the 2-core machine.
TARGET_GNP_RATIO = 2.0
#: Runs of each 2,000-pod platform for the ratio (their medians are compared).
RATIO_RUNS = 3
TARGET_10K_SECONDS = 20.0
TARGET_10K_BYTES = 2 * 1024**3
TARGET_50K_SECONDS = 60.0
TARGET_NCA_RATIO = 100.0


# --------------------------------------------------------------------------- generator


def _gnp(k: int, tier: str) -> dict[str, Any]:
    """The k-th GlobalNetworkPolicy: one of six shapes real platforms write."""
    shape = k % 6
    name = f"{tier}.gnp-{k}" if tier != "default" else f"gnp-{k}"
    spec: dict[str, Any] = {"tier": tier, "order": 10 + k * 5}
    if shape == 0:
        spec.update(
            selector="tier == 'db' || tier == 'api'",
            namespaceSelector="env == 'prod'",
            types=["Ingress"],
            ingress=[
                {"action": "Deny", "source": {"namespaceSelector": "env == 'dev'"}},
                {
                    "action": "Allow",
                    "protocol": "TCP",
                    "source": {"selector": f"app != 'app{k % 5}'"},
                    "destination": {"notPorts": [22, "6000:6100"]},
                },
                {"action": "Pass"},
            ],
        )
    elif shape == 1:
        spec.update(
            selector="all()",
            serviceAccountSelector=f"role == 'backend' || team == 't{k % 25}'",
            types=["Egress"],
            egress=[
                {"action": "Deny", "destination": {"nets": ["169.254.169.254/32"]}},
                {
                    "action": "Allow",
                    "protocol": "UDP",
                    "destination": {
                        "selector": "k8s-app == 'kube-dns'",
                        "namespaceSelector": "kubernetes.io/metadata.name == 'kube-system'",
                        "ports": [53],
                    },
                },
                {"action": "Pass"},
            ],
        )
    elif shape == 2:
        spec.update(
            selector="has(app)",
            types=["Egress"],
            egress=[
                {"action": "Deny", "destination": {"selector": f"blocked == 'set{k % 4}'"}},
                {
                    "action": "Allow",
                    "protocol": "TCP",
                    "destination": {"selector": "feed == 'partners'", "ports": [443]},
                },
                {"action": "Pass"},
            ],
        )
    elif shape == 3:
        spec.update(
            selector="tier in {'api', 'db'}",
            namespaceSelector=f"team != 't{k % 25}'",
            types=["Ingress"],
            ingress=[
                {
                    "action": "Allow",
                    "protocol": "TCP",
                    "source": {"serviceAccounts": {"selector": "role == 'frontend'"}},
                    "destination": {"ports": [8080]},
                },
                {"action": "Log", "protocol": "TCP"},
                {"action": "Deny", "protocol": "TCP", "destination": {"notPorts": [8080, 9090]}},
                {"action": "Pass"},
            ],
        )
    elif shape == 4:
        spec.update(
            selector=f"version != 'v1' && (tier == 'web' || app == 'app{k % 5}')",
            types=["Ingress", "Egress"],
            ingress=[
                {
                    "action": "Deny",
                    "protocol": "TCP",
                    "source": {"nets": ["203.0.113.0/24"], "notNets": ["203.0.113.128/25"]},
                },
                {"action": "Pass", "source": {"namespaceSelector": "env == 'prod'"}},
            ],
            egress=[
                {
                    "action": "Allow",
                    "protocol": "TCP",
                    "destination": {
                        "serviceAccounts": {"names": [f"app{k % 5}"]},
                        "ports": [8080, 9090],
                    },
                },
                {"action": "Pass"},
            ],
        )
    else:
        spec.update(
            selector="all()",
            namespaceSelector="env == 'dev'",
            types=["Ingress"],
            ingress=[
                {"action": "Allow", "source": {"namespaceSelector": "env == 'dev'"}},
                {"action": "Deny", "protocol": "TCP", "destination": {"ports": ["5432"]}},
            ],
        )
    return {
        "apiVersion": "projectcalico.org/v3",
        "kind": "GlobalNetworkPolicy",
        "metadata": {"name": name},
        "spec": spec,
    }


def _network_sets(namespaces: list[str]) -> Iterator[dict[str, Any]]:
    for i in range(4):
        yield {
            "apiVersion": "projectcalico.org/v3",
            "kind": "GlobalNetworkSet",
            "metadata": {"name": f"blocked-{i}", "labels": {"blocked": f"set{i}"}},
            "spec": {"nets": [f"203.0.113.{i * 16}/28"]},
        }
    for i, ns in enumerate(namespaces[::10]):
        yield {
            "apiVersion": "projectcalico.org/v3",
            "kind": "NetworkSet",
            "metadata": {"name": "partners", "namespace": ns, "labels": {"feed": "partners"}},
            "spec": {"nets": [f"203.0.113.{64 + i % 64}/32"]},
        }


def _mesh(ns: str) -> Iterator[dict[str, Any]]:
    yield {
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": {"name": "default", "namespace": ns},
        "spec": {"mtls": {"mode": "STRICT"}},
    }
    yield {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "api-callers", "namespace": ns},
        "spec": {
            "selector": {"matchLabels": {"tier": "api"}},
            "action": "ALLOW",
            "rules": [
                {
                    "from": [{"source": {"principals": [f"cluster.local/ns/{ns}/sa/app0"]}}],
                    "to": [{"operation": {"ports": ["8080"], "methods": ["GET"]}}],
                }
            ],
        },
    }


def _ingress(ns: str, i: int) -> Iterator[dict[str, Any]]:
    yield {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {"selector": {"tier": "web"}, "ports": [{"name": "http", "port": 80,
                                                          "targetPort": "http"}]},
    }  # fmt: skip
    yield {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "web",
            "namespace": ns,
            "annotations": {
                "alb.ingress.kubernetes.io/group.name": f"shared-{i % 8}",
                "alb.ingress.kubernetes.io/scheme": "internet-facing",
                "alb.ingress.kubernetes.io/target-type": "ip",
                "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}]',
            },
        },
        "spec": {
            "ingressClassName": "alb",
            "rules": [
                {
                    "host": f"{ns}.apps.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"name": "http"}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def generate(pods: int, gnps: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The Kubernetes documents and the aws.json of one platform."""
    docs = net_generate(pods, calico=True)
    namespaces = [
        d["metadata"]["name"]
        for d in docs
        if d["kind"] == "Namespace" and d["metadata"]["name"] != "kube-system"
    ]
    meshed = set(namespaces[::4])
    for d in docs:
        if d["kind"] == "Namespace" and d["metadata"]["name"] in meshed:
            d["metadata"]["labels"]["istio-injection"] = "enabled"
        if d["kind"] == "Pod" and d["metadata"]["namespace"] != "kube-system":
            d["spec"]["serviceAccountName"] = d["metadata"]["labels"]["app"]
    aws = json.loads(DEMO_AWS.read_text(encoding="utf-8"))
    roles = aws["accounts"][0]["iam"]["roles"]
    template = next(r for r in roles if r["name"] == "platform-prod-vpc-cni")
    out = [
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
         "metadata": {"name": "alb"}, "spec": {"controller": "ingress.k8s.aws/alb"}},
    ]  # fmt: skip
    for i, ns in enumerate(namespaces):
        team = next(d for d in docs if d["kind"] == "Namespace" and d["metadata"]["name"] == ns)
        for a in range(5):
            sa: dict[str, Any] = {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {
                    "name": f"app{a}",
                    "namespace": ns,
                    "labels": {
                        "role": ["frontend", "backend", "backend", "data", "frontend"][a],
                        "team": team["metadata"]["labels"]["team"],
                    },
                },
            }
            if a % 2 == 0:
                role_name = f"{ns}-app{a}"
                arn = f"arn:aws:iam::{ACCOUNT}:role/{role_name}"
                sa["metadata"]["annotations"] = {"eks.amazonaws.com/role-arn": arn}
                role = copy.deepcopy(template)
                role["name"], role["arn"] = role_name, arn
                role["attached_policy_arns"] = []
                cond = role["trust_policy"]["Statement"][0]["Condition"]["StringEquals"]
                # every fourth role trusts a name that differs from its ServiceAccount
                subject = f"system:serviceaccount:{ns}:app{a if i % 4 else a + 1}"
                cond[f"{OIDC}:sub"] = subject
                role["inline_policies"] = {
                    "data": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["s3:GetObject", "s3:PutObject"],
                                "Resource": f"arn:aws:s3:::bucket-{ns}/*",
                            }
                        ],
                    }
                }
                roles.append(role)
            out.append(sa)
        if ns in meshed:
            out.extend(_mesh(ns))
        if i % 5 == 0:
            out.extend(_ingress(ns, i))
    if gnps:
        out.append(
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "Tier",
                "metadata": {"name": "platform"},
                "spec": {"order": 200},
            }
        )
        for k in range(gnps):
            out.append(_gnp(k, "platform" if k % 2 else "default"))
        out.extend(_network_sets(namespaces))
    return docs + out, aws


def write_platform(root: Path, pods: int, gnps: int) -> Path:
    docs, aws = generate(pods, gnps)
    root.mkdir(parents=True, exist_ok=True)
    (root / "cluster.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False), "utf-8")
    (root / "aws.json").write_text(json.dumps(aws), "utf-8")
    return root


# --------------------------------------------------------------------------- one run


def measure(path: Path) -> dict[str, Any]:
    """In a fresh process: load, then analyze with every check, each check timed."""
    from ekstwin.analysis import analyze
    from ekstwin.engines.checks import Check, CheckContext, discover_checks
    from ekstwin.loaders import load

    t0 = time.perf_counter()
    result = load([str(path)])
    t_load = time.perf_counter() - t0
    per_check: dict[str, float] = {}
    per_check_cpu: dict[str, float] = {}
    peak_after: dict[str, int] = {}

    def timed(cls: type[Check]) -> type[Check]:
        def run(self: Check, platform: Any, ctx: CheckContext) -> Iterator[Any]:
            start, cpu = time.perf_counter(), time.process_time()
            found = list(cls.run(self, platform, ctx))
            per_check[cls.id] = time.perf_counter() - start
            per_check_cpu[cls.id] = time.process_time() - cpu
            peak_after[cls.id] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            return iter(found)

        return type(cls.__name__, (cls,), {"run": run, "__module__": cls.__module__})

    checks = tuple(timed(c) for c in discover_checks())
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0, cpu0 = time.perf_counter(), time.process_time()
    report = analyze(result, checks=checks)
    t_analyze = time.perf_counter() - t0
    cpu_analyze = time.process_time() - cpu0
    # the checks that raised the peak, and by how much
    grew: dict[str, int] = {}
    last = rss_loaded
    for cls in checks:
        now = peak_after.get(cls.id, last)
        if now > last:
            grew[cls.id] = now - last
        last = now
    counts: dict[str, int] = {}
    for f in report.findings:
        counts[f.check_id] = counts.get(f.check_id, 0) + 1
    return {
        "pods": len(result.platform.pods),
        "namespaces": len(result.platform.namespaces),
        "network_policies": len(result.platform.network_policies),
        "calico_policies": len(result.platform.calico_policies),
        "gnps": sum(1 for p in result.platform.calico_policies if p.meta.namespace is None),
        "load": t_load,
        "analyze": t_analyze,
        "analyze_cpu": cpu_analyze,
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "rss_loaded": rss_loaded,
        "per_check": per_check,
        "per_check_cpu": per_check_cpu,
        "grew": grew,
        "findings": counts,
        "incomplete": [d.message for d in report.diagnostics if d.code == "check-incomplete"],
    }


def run(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run whose analyze CPU time is the median (runs: an odd number)."""
    return sorted(runs, key=lambda r: float(r["analyze_cpu"]))[len(runs) // 2]


def show(label: str, f: dict[str, Any]) -> None:
    print(
        f"{label}: {f['pods']} pods, {f['namespaces']} namespaces, "
        f"{f['network_policies']} NetworkPolicies, {f['calico_policies']} Calico policies "
        f"({f['gnps']} global) | load {f['load']:.2f} s | analyze {f['analyze']:.2f} s wall, "
        f"{f['analyze_cpu']:.2f} s CPU | peak RSS {f['rss'] / 2**20:.0f} MiB "
        f"({f['rss_loaded'] / 2**20:.0f} MiB after loading)",
        flush=True,
    )
    slow = sorted(f["per_check_cpu"].items(), key=lambda kv: -kv[1])[:10]
    print(
        "    slowest checks (CPU s; the first to need a compiled model pays for it): "
        + ", ".join(f"{k} {v:.2f}" for k, v in slow)
    )
    grew = sorted(f["grew"].items(), key=lambda kv: -kv[1])[:5]
    print("    peak RSS raised by: " + ", ".join(f"{k} +{v / 2**20:.0f} MiB" for k, v in grew))
    print("    findings: " + ", ".join(f"{k} {v}" for k, v in sorted(f["findings"].items())))
    for line in f["incomplete"]:
        print(f"    incomplete: {line}")


# --------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,2000,5000,10000")
    ap.add_argument("--load-scale", action="store_true", help="also the 50,000-object platform")
    ap.add_argument("--nca", action="store_true", help="also network-config-analyzer at 1k pods")
    ap.add_argument("--keep", type=Path, help="write the generated platforms here")
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    targets: list[tuple[str, str, str, bool]] = []
    with tempfile.TemporaryDirectory(prefix="ekstwin-analyze-") as tmp:
        root = args.keep or Path(tmp)
        for size in (int(s) for s in args.sizes.split(",") if s):
            gnps = 20 if size <= 2000 else 50
            gnp_dir = write_platform(root / f"p{size}-gnp{gnps}", size, gnps)
            with_gnps = run(gnp_dir)
            show(f"{size:>6} pods + {gnps} GNPs", with_gnps)
            if size == 2000:
                # The ratio of two runs of about a second: each platform runs
                # RATIO_RUNS times, in turn (drift touches both alike), and the
                # medians' ratio is judged; every run is printed.
                plain_dir = write_platform(root / f"p{size}-gnp0", size, 0)
                runs_with, runs_without = [with_gnps], []
                for i in range(RATIO_RUNS):
                    runs_without.append(run(plain_dir))
                    if i + 1 < RATIO_RUNS:
                        runs_with.append(run(gnp_dir))
                without = _median_run(runs_without)
                show(f"{size:>6} pods, no GNP ", without)
                with_gnps = _median_run(runs_with)
                print(
                    "    analyze CPU of each run, with GNPs: "
                    + ", ".join(f"{r['analyze_cpu']:.2f}" for r in runs_with)
                    + " s; without: "
                    + ", ".join(f"{r['analyze_cpu']:.2f}" for r in runs_without)
                    + " s (the medians are compared)"
                )
                ratio = with_gnps["analyze_cpu"] / without["analyze_cpu"]
                targets.append(
                    (
                        "2,000 pods: analyze (CPU) with 20 GNPs / without",
                        f"{ratio:.2f} x",
                        f"<= {TARGET_GNP_RATIO:.0f} x",
                        ratio <= TARGET_GNP_RATIO,
                    )
                )
            if size == 10000:
                t, m = with_gnps["analyze_cpu"], with_gnps["rss"]
                targets.append(
                    ("10,000 pods + 50 GNPs: analyze (CPU)", f"{t:.1f} s", "<= 20 s",
                     t <= TARGET_10K_SECONDS)
                )  # fmt: skip
                targets.append(
                    ("10,000 pods + 50 GNPs: peak RSS (load + analyze)",
                     f"{m / 2**30:.2f} GiB", "<= 2 GiB", m <= TARGET_10K_BYTES)
                )  # fmt: skip
        if args.load_scale:
            from load_scale import generate as load_generate

            big = root / "load-scale"
            big.mkdir(parents=True, exist_ok=True)
            load_generate(big, 50_000, 200)
            f = run(big)
            show("50,000 objects (load_scale)", f)
            targets.append(
                ("50,000 objects: analyze (CPU)", f"{f['analyze_cpu']:.1f} s", "<= 60 s",
                 f["analyze_cpu"] <= TARGET_50K_SECONDS)
            )  # fmt: skip
        if args.nca:
            for pods, _engine, _ours, t_cli, t_nca in compare_with_nca([1000], Path(tmp)):
                ratio = t_nca / t_cli
                targets.append(
                    (f"{pods} pods: NCA / `net matrix` (CLI to CLI)", f"{ratio:.0f} x",
                     ">= 100 x", ratio >= TARGET_NCA_RATIO)
                )  # fmt: skip
    print(f"\n{'target':52}{'measured':>12}  {'goal':10}")
    for name, got, goal, ok in targets:
        print(f"{name:52}{got:>12}  {goal:10}{'met' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
