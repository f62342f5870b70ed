"""The upstream e2e netpol model: namespaces x, y, z; pods a, b, c; ports 80, 81.

Each pod has one container per (port, protocol) with the port named
``serve-<port>-<protocol>``; namespaces carry ``ns: <name>`` and the automatic
``kubernetes.io/metadata.name``; pods carry ``pod: <name>``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence

import yaml

NAMESPACES = ("x", "y", "z")
PODS = ("a", "b", "c")
PORTS = (80, 81)
PROTOCOLS = ("TCP", "UDP", "SCTP")
ALL = tuple(f"{n}/{p}" for n in NAMESPACES for p in PODS)


def pod_ip(key: str) -> str:
    ns, pod = key.split("/")
    return f"198.18.{NAMESPACES.index(ns) + 1}.{PODS.index(pod) + 10}"


def cluster_yaml(
    ns_labels: Mapping[str, Mapping[str, str]] | None = None,
    pod_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    docs: list[dict[str, object]] = []
    for ns in NAMESPACES:
        labels = {"ns": ns, **(ns_labels or {}).get(ns, {})}
        docs.append(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
        )
    for key in ALL:
        ns, pod = key.split("/")
        labels = dict((pod_labels or {}).get(key, {"pod": pod}))
        containers = [
            {
                "name": f"cont-{port}-{proto.lower()}",
                "image": "registry.k8s.io/e2e-test-images/agnhost:2.43",
                "ports": [
                    {
                        "containerPort": port,
                        "protocol": proto,
                        "name": f"serve-{port}-{proto.lower()}",
                    }
                ],
            }
            for port in PORTS
            for proto in PROTOCOLS
        ]
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": pod, "namespace": ns, "labels": labels},
                "spec": {"containers": containers},
                "status": {"podIP": pod_ip(key)},
            }
        )
    return yaml.safe_dump_all(docs, sort_keys=False)


def expected_table(steps: Sequence[Mapping[str, str]]) -> dict[tuple[str, str], bool]:
    """All pairs allowed, then each step ``{block|allow: "FROM -> TO"}`` in order;
    FROM and TO are ``ns/pod`` globs (``*/*``, ``x/*``, ``*/a``)."""
    table = {(s, d): True for s in ALL for d in ALL if s != d}
    for step in steps:
        ((verb, pattern),) = step.items()
        src, dst = (p.strip() for p in pattern.split("->"))
        for s, d in table:
            if fnmatch.fnmatchcase(s, src) and fnmatch.fnmatchcase(d, dst):
                table[(s, d)] = verb == "allow"
    return table


def render(table: Mapping[tuple[str, str], bool]) -> str:
    """The upstream printout: rows are sources, columns destinations; . allowed, X blocked."""
    lines = ["    " + " ".join(ALL)]
    for s in ALL:
        cells = []
        for d in ALL:
            cells.append("-" if s == d else ("." if table[(s, d)] else "X"))
        lines.append(f"{s} " + "   ".join(cells))
    return "\n".join(lines)
