"""Scale benchmark of the net engine: generated clusters at 1k, 5k and 10k pods.

    .venv/bin/python benchmarks/net_scale.py [--sizes 1000,5000,10000] [--nca]

Each cluster: pods/20 namespaces, 0.3 policies per pod (3,000 at 10k), a mix
of Kubernetes NetworkPolicies (default deny, intra-namespace podSelector,
cross-namespace selectors, ipBlock with except, DNS egress to CoreDNS, named
ports, endPort ranges, SCTP) and Calico policies (a security tier with Pass
and Deny, GlobalNetworkPolicies, namespaced policies with order). Prints the
load time, the class count, the time and peak memory (tracemalloc) of the
whole connectivity at namespace and workload granularity, the time of one
``can`` query after loading, and of ``net diff`` against the same platform
without two of its NetworkPolicies.

``--nca`` installs network-config-analyzer from PyPI into /tmp/nca-venv (never
into the repository) and runs it side by side on bare-Pod inputs of 500 and
1,000 pods (Kubernetes policies only: it has no tiers), printing both times,
the ratio and the verdict disagreements.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from ekstwin.engines.net import ConnectionSet, Granularity, NetModel, can, matrix
from ekstwin.engines.net.diff import diff
from ekstwin.engines.net.engine import bit_indices
from ekstwin.loaders import load


def generate(
    pods: int, seed: int = 7, calico: bool = True, owners: bool = True
) -> list[dict[str, Any]]:
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
            pod = _pod(
                ns,
                f"{app}-{j}",
                {"app": app, "tier": tier, "version": f"v{(j // 4) % 2}"},
                ports,
                ip,
            )
            if owners:
                # a live pod of Deployment ``app``: its ReplicaSet is <app>-<pod-template-hash>
                pod["metadata"]["labels"]["pod-template-hash"] = "5d8f7c9b4"
                pod["metadata"]["ownerReferences"] = [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "ReplicaSet",
                        "name": f"{app}-5d8f7c9b4",
                        "uid": f"{ns}-{app}",
                        "controller": True,
                    }
                ]
            docs.append(pod)
            n += 1
    policies = int(pods * 0.3)
    kinds = ["deny", "intra", "cross", "ipblock", "dns", "ports", "vpc"]
    weights = [15, 30, 20, 12, 10, 10, 3]
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
    elif kind == "vpc":
        # egress to the VPC range by address only: Calico matches pod addresses with it
        spec = {
            "podSelector": {"matchLabels": {"tier": "web"}},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{"ipBlock": {"cidr": "198.18.0.0/16", "except": ["198.18.0.0/24"]}}],
                    "ports": [{"port": 8080}],
                }
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


# --------------------------------------------------------------------------- ekstwin, one size


def measure(pods: int, path: Path) -> dict[str, Any]:
    """Run in a fresh process (max RSS is per process): every figure of one size."""
    figures: dict[str, Any] = {"pods": pods}
    t0 = time.perf_counter()
    platform = load([str(path)]).platform
    figures["load"] = time.perf_counter() - t0
    figures["namespaces"] = len(platform.namespaces)
    figures["policies"] = len(platform.network_policies) + len(platform.calico_policies)
    keys = sorted(p.key for p in platform.pods)
    # can on a freshly compiled model (the CLI's path: compile, then one query)
    t0 = time.perf_counter()
    model = NetModel(platform)
    figures["compile"] = time.perf_counter() - t0
    lat = []
    for k in range(20):
        src, dst = keys[(k * 997) % len(keys)], keys[(k * 7919 + 3) % len(keys)]
        t0 = time.perf_counter()
        can(model, src, dst, 8080)
        lat.append(time.perf_counter() - t0)
    figures["can_max"] = max(lat)
    # the whole pod-level connectivity, held as classes
    model = NetModel(platform)
    t0 = time.perf_counter()
    rows = model.class_rows()
    figures["classes_time"] = time.perf_counter() - t0
    figures["classes"] = len(model.class_reps)
    sizes = [len(m) for m in model.class_members]
    figures["pod_pairs"] = sum(
        sizes[s] * sizes[d] - (sizes[s] if s == d else 0)
        for s, row in enumerate(rows)
        for bits in row.values()
        for d in bit_indices(bits)
    )
    figures["conn_sets"] = len({cid for row in rows for cid in row})
    for by in (Granularity.NAMESPACE, Granularity.WORKLOAD):
        t0 = time.perf_counter()
        m = matrix(model, by)
        t_matrix = time.perf_counter() - t0
        t0 = time.perf_counter()
        text = m.to_json_text()  # what `ekstwin net matrix --format json` writes
        t_json = time.perf_counter() - t0
        figures[f"{by.value}_matrix"] = t_matrix
        figures[f"{by.value}_json"] = t_json
        figures[f"{by.value}_flows"] = len(m.flows)
        figures[f"{by.value}_bytes"] = len(text)
    figures["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # net diff as a pull request would run it: the same platform, two policies gone
    step = max(1, len(platform.network_policies) // 2)
    kept = tuple(np for i, np in enumerate(platform.network_policies) if i % step != step // 2)
    t0 = time.perf_counter()
    changed = diff(model, NetModel(dataclasses.replace(platform, network_policies=kept)))
    figures["diff"] = time.perf_counter() - t0
    figures["diff_removed"] = len(platform.network_policies) - len(kept)
    figures["diff_changes"] = len(changed.changes)
    return figures


def run_size(pods: int, tmp: Path) -> dict[str, Any]:
    path = tmp / f"c{pods}.yaml"
    path.write_text(yaml.safe_dump_all(generate(pods), sort_keys=False), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(pods), str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, Any] = json.loads(out.stdout)
    return figures


def print_size(f: dict[str, Any]) -> None:
    compute = f["compile"] + f["classes_time"]
    print(
        f"{f['pods']:>6} pods {f['namespaces']:>4} ns {f['policies']:>5} policies | "
        f"load {f['load']:5.2f}s | compile {f['compile']:5.2f}s + classes "
        f"{f['classes_time']:5.2f}s = {compute:5.2f}s ({f['classes']} classes, "
        f"{f['conn_sets']} connection sets, {f['pod_pairs']:,} allowed pod pairs) | "
        f"namespace matrix {f['namespace_matrix']:5.2f}s + json {f['namespace_json']:5.2f}s "
        f"({f['namespace_flows']:,} flows) | workload matrix {f['workload_matrix']:5.2f}s "
        f"+ json {f['workload_json']:5.2f}s ({f['workload_flows']:,} flows) | "
        f"max RSS {f['rss'] / 2**20:6.0f} MiB | can {f['can_max'] * 1000:5.1f} ms (max of 20) | "
        f"net diff with {f['diff_removed']} policies removed {f['diff']:5.2f}s "
        f"({f['diff_changes']:,} changed pod pairs, each explained)",
        flush=True,
    )


# ------------------------------------------------------------------- network-config-analyzer

NCA_VENV = Path(tempfile.gettempdir()) / "nca-venv"


def nca_binary() -> Path:
    """network-config-analyzer from PyPI in its own venv under /tmp (never the repository's)."""
    nca = NCA_VENV / "bin" / "nca"
    if not nca.exists():
        subprocess.run([sys.executable, "-m", "venv", str(NCA_VENV)], check=True)
        subprocess.run(
            [str(NCA_VENV / "bin" / "pip"), "install", "-q", "network-config-analyzer"],
            check=True,
        )
    return nca


def parse_nca_connection(text: str) -> ConnectionSet | None:
    """``All connections`` or ``{protocols:TCP,UDP,dst_ports:80,8000-8080}``; None if unknown."""
    text = text.strip()
    if text == "All connections":
        return ConnectionSet.all()
    if text == "No connections":
        return ConnectionSet.none()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    body = text[1:-1]
    ports_text = None
    if ",dst_ports:" in body:
        body, ports_text = body.split(",dst_ports:", 1)
    if not body.startswith("protocols:") or "src_ports" in body:
        return None
    protocols = [p.strip().upper() for p in body[len("protocols:") :].split(",")]
    ranges: list[tuple[int, int]] = []
    if ports_text is not None:
        for item in ports_text.split(","):
            lo, _, hi = item.partition("-")
            ranges.append((int(lo), int(hi or lo)))
    out = ConnectionSet.none()
    for proto in protocols:
        if proto not in ("TCP", "UDP", "SCTP", "ICMP"):
            continue
        if ports_text is None:
            out = out | ConnectionSet.protocol(proto)
        else:
            out = out | ConnectionSet.of({proto: ranges})
    return out


def run_nca(nca: Path, directory: Path) -> tuple[float, dict[tuple[str, str], ConnectionSet], int]:
    t0 = time.perf_counter()
    done = subprocess.run(
        [
            str(nca),
            "--connectivity",
            "-r",
            str(directory),
            "--output_format",
            "txt_no_fw_rules",
            "--output_endpoints",
            "pods",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - t0
    flows: dict[tuple[str, str], ConnectionSet] = {}
    unparsed = 0
    for line in done.stdout.splitlines():
        if " => " not in line or " : " not in line:
            continue
        pair, conn_text = line.split(" : ", 1)
        src, dst = (x.strip() for x in pair.split(" => ", 1))
        if "/" not in src or "/" not in dst or src[0].isdigit() or dst[0].isdigit():
            continue  # address ranges: outside the pod comparison
        conns = parse_nca_connection(conn_text)
        if conns is None:
            unparsed += 1
            continue
        flows[(src, dst)] = flows.get((src, dst), ConnectionSet.none()) | conns
    return elapsed, flows, unparsed


def _reason(model: NetModel, src: str, dst: str, ours: ConnectionSet, theirs: ConnectionSet) -> str:
    """Which side upstream semantics support, from the rule that decides an example port."""
    extra = ours - theirs
    sample = next(iter(extra or (theirs - ours)), None)
    if sample is None:
        return "?"
    proto, ivs = sample
    port = ivs[0][0]
    v = model.verdict(model.endpoints[src], model.endpoints[dst], proto, port)
    sides = [v.egress, v.ingress]
    for d in sides:
        pol = d.policy
        if d.reason.value != "rule" or pol is None:
            continue
        np_ = next((p for p in model.platform.network_policies if p.meta.name == pol.name), None)
        rules = (
            () if np_ is None else (np_.egress if d.direction.value == "egress" else np_.ingress)
        )
        rule = (
            rules[d.rule_index] if d.rule_index is not None and d.rule_index < len(rules) else None
        )
        if rule is not None and any(p.ip_block is not None for p in rule.peers) and extra:
            return (
                f"{proto}/{port}: ekstwin allows by {d.message}: an ipBlock matches the pod "
                "address (Calico and the upstream e2e suite match pod IPs with ipBlocks; "
                "NCA never does): ekstwin is right"
            )
    return f"{proto}/{port}: unexplained; ekstwin: {v.egress.message}; {v.ingress.message}"


def compare_with_nca(sizes: list[int], tmp: Path) -> list[tuple[int, float, float, float, float]]:
    nca = nca_binary()
    results = []
    for pods in sizes:
        directory = tmp / f"nca{pods}"
        directory.mkdir()
        docs = generate(pods, calico=False, owners=False)
        path = directory / "cluster.yaml"
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
        # ekstwin in process: load, compile, the whole pod-level matrix (the same
        # question NCA answers), and that matrix written out as JSON text (every pod
        # pair, as NCA's output has every pair); best of five: the machine is shared.
        t_ours = t_engine = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            model = NetModel(load([str(path)]).platform)
            pod_matrix = matrix(model, Granularity.POD)
            t1 = time.perf_counter()
            text = pod_matrix.to_json_text()
            t2 = time.perf_counter()
            t_engine = min(t_engine, t1 - t0)
            t_ours = min(t_ours, t2 - t0)
        pairs_written = text.count('"from": ')
        # The pair -> connections dict is for the comparison below, not part of the answer.
        ours = pod_matrix.lookup()
        # The CLI as installed: bytecode may be written (a warm-up run writes it;
        # NCA's pip install compiled its own), best of three.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cli = [sys.executable, "-m", "ekstwin", "net", "matrix", str(path), "--format", "json"]
        subprocess.run(cli, check=True, capture_output=True, env=env)
        t_cli = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(cli, check=True, stdout=subprocess.DEVNULL, env=env)
            t_cli = min(t_cli, time.perf_counter() - t0)
        t_nca, theirs, unparsed = run_nca(nca, directory)
        print(
            f"{pods:>6} pods: ekstwin in process {t_engine:5.2f}s (load, compile, pod matrix), "
            f"{t_ours:5.2f}s with the JSON text of all {pairs_written:,} pairs; "
            f"{t_cli:5.2f}s as `ekstwin net matrix --format json` (CLI, output to /dev/null)\n"
            f"        network-config-analyzer {t_nca:6.2f}s (CLI, --connectivity, txt): "
            f"{t_nca / t_engine:6.1f}x (engine), {t_nca / t_ours:6.1f}x (in process with the "
            f"output), {t_nca / t_cli:6.1f}x (CLI to CLI)",
            flush=True,
        )
        pods_keys = sorted(model.endpoints)
        disagreements = []
        for a in pods_keys:
            for b in pods_keys:
                if a == b:
                    continue
                o = ours.get((a, b), ConnectionSet.none())
                t = theirs.get((a, b), ConnectionSet.none())
                if o != t:
                    disagreements.append((a, b, o, t))
        print(
            f"        pairs compared {len(pods_keys) * (len(pods_keys) - 1):,}; "
            f"disagreements {len(disagreements):,}; NCA lines not parsed {unparsed}"
        )
        shown: dict[str, int] = {}
        for a, b, o, t in disagreements:
            why = _reason(model, a, b, o, t)
            key = "ipBlock" if "an ipBlock matches the pod address" in why else why
            shown[key] = shown.get(key, 0) + 1
            if shown[key] <= 2:
                print(f"        {a} -> {b}: ekstwin [{o}] NCA [{t}]\n          {why}")
        for key, count in shown.items():
            if count > 2:
                label = (
                    "NCA does not match pod addresses with ipBlocks" if key == "ipBlock" else key
                )
                print(f"        ... {count:,} pairs in all: {label[:100]}")
        results.append((pods, t_engine, t_ours, t_cli, t_nca))
    return results


# --------------------------------------------------------------------------- main


def print_targets(
    figs: list[dict[str, Any]], nca: list[tuple[int, float, float, float, float]]
) -> None:
    print("\nfigure                                             measured        target")
    for f in figs:
        compute = f["compile"] + f["classes_time"]
        ns_total = compute + f["namespace_matrix"] + f["namespace_json"]
        wl_total = compute + f["workload_matrix"] + f["workload_json"]
        tag = f"{f['pods']:>5} pods"
        rows = [
            (f"{tag}: pod-level connectivity as classes", f"{compute:8.2f} s", "<= 10 s"),
            (f"{tag}: + namespace matrix written (JSON)", f"{ns_total:8.2f} s", "<= 10 s"),
            (f"{tag}: + workload matrix written (JSON)", f"{wl_total:8.2f} s", "<= 10 s"),
            (f"{tag}: max RSS (whole run)", f"{f['rss'] / 2**30:8.2f} GiB", "<= 2 GiB"),
            (f"{tag}: net can on a compiled model", f"{f['can_max'] * 1000:8.1f} ms", "<= 100 ms"),
        ]
        for name, got, target in rows:
            print(f"{name:50} {got:>14}  {target}")
    for pods, t_engine, t_ours, t_cli, t_nca in nca:
        tag = f"{pods:>5} pods: NCA / ekstwin"
        print(f"{tag + ' (engine)':50} {t_nca / t_engine:8.1f} x")
        print(f"{tag + ' (in process, with output)':50} {t_nca / t_ours:8.1f} x      >= 100 x")
        print(f"{tag + ' (CLI to CLI)':50} {t_nca / t_cli:8.1f} x")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,5000,10000")
    ap.add_argument("--nca", action="store_true", help="also run network-config-analyzer (PyPI)")
    ap.add_argument("--nca-sizes", default="500,1000")
    ap.add_argument("--measure", nargs=2, metavar=("PODS", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(int(args.measure[0]), Path(args.measure[1]))))
        return 0
    figs = []
    nca: list[tuple[int, float, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",") if s):
            figs.append(run_size(size, Path(tmp)))
            print_size(figs[-1])
        if args.nca:
            nca = compare_with_nca([int(s) for s in args.nca_sizes.split(",")], Path(tmp))
    print_targets(figs, nca)
    return 0


if __name__ == "__main__":
    sys.exit(main())
