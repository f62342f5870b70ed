"""Random small platforms for the differential test, as manifests.

Twelve pod slots on three nodes with fixed addresses (slot i on node i % 3 at
198.18.1.(10+i)), so one lab serves every example: only the policy is
re-rendered between examples. Pods serve TCP 80, TCP 81 and UDP 53 and declare
a random subset with names that may differ between pods; every pair is also
probed with an ICMP echo request, which Calico rules match by protocol and
ICMP type.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import strategies as st

SLOTS = 12
NODES = 3
PORTS = (("TCP", 80), ("TCP", 81), ("UDP", 53))
#: What the differential test probes: the served ports and an ICMP echo request.
PROBE_PORTS = (*PORTS, ("ICMP", 8 * 256))
NAMESPACES = ("a", "b", "c")
APPS = ("web", "db", "api")


def slot_ip(i: int) -> str:
    return f"198.18.1.{10 + i}"


def node_ip(j: int) -> str:
    return f"198.18.0.{10 + j}"


def base_manifests() -> list[dict[str, Any]]:
    """The platform the shared lab is built from: every slot, every port."""
    docs: list[dict[str, Any]] = [_node(j) for j in range(NODES)]
    docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "base"}})
    for i in range(SLOTS):
        ports = [{"containerPort": p, "protocol": proto} for proto, p in PORTS]
        docs.append(_pod(i, "base", {}, ports))
    return docs


def _node(j: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": f"node-{j}", "labels": {"topology.kubernetes.io/zone": "us-east-1a"}},
        "status": {"addresses": [{"type": "InternalIP", "address": node_ip(j)}]},
    }


def _pod(i: int, ns: str, labels: dict[str, str], ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"p{i}", "namespace": ns, "labels": labels},
        "spec": {
            "nodeName": f"node-{i % NODES}",
            "containers": [{"name": "c", "image": "busybox:1.36", "ports": ports}],
        },
        "status": {"podIP": slot_ip(i), "phase": "Running"},
    }


def dump(docs: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False)


# --------------------------------------------------------------------------- strategies

_labels = st.fixed_dictionaries(
    {"app": st.sampled_from(APPS)}, optional={"tier": st.sampled_from(("fe", "be"))}
)
_port_names = {
    80: st.sampled_from((None, "http", "web")),
    81: st.sampled_from((None, "http", "alt")),
    53: st.sampled_from((None, "dns")),
}
_nets = st.sampled_from(
    [
        ("198.18.1.0/24", ["198.18.1.10/31"]),
        ("198.18.1.16/28", []),
        ("198.18.1.8/29", ["198.18.1.12/32"]),
        ("203.0.113.0/24", []),
        ("0.0.0.0/0", ["198.18.0.0/16"]),
        ("198.18.0.0/16", ["198.18.1.16/30"]),
    ]
)


@st.composite
def _pod_ports(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for proto, port in PORTS:
        if draw(st.booleans()):
            entry: dict[str, Any] = {"containerPort": port, "protocol": proto}
            name = draw(_port_names[port])
            if name:
                entry["name"] = name
            out.append(entry)
    return out


def _match_labels(draw: st.DrawFn) -> dict[str, Any]:
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return {}
    if choice == 1:
        return {"matchLabels": {"app": draw(st.sampled_from(APPS))}}
    if choice == 2:
        return {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}
    return {
        "matchExpressions": [
            {"key": "app", "operator": "NotIn", "values": [draw(st.sampled_from(APPS))]}
        ]
    }


@st.composite
def _k8s_peer(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return {"podSelector": _match_labels(draw)}
    if kind == 1:
        ns = draw(st.sampled_from(NAMESPACES))
        return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}
    if kind == 2:
        return {
            "podSelector": _match_labels(draw),
            "namespaceSelector": {"matchLabels": {"team": draw(st.sampled_from(("x", "y")))}},
        }
    cidr, except_ = draw(_nets)
    block: dict[str, Any] = {"cidr": cidr}
    if except_:
        block["except"] = except_
    return {"ipBlock": block}


_k8s_port = st.sampled_from(
    [
        {"port": 80},
        {"port": "http"},
        {"port": 53, "protocol": "UDP"},
        {"port": "dns", "protocol": "UDP"},
        {"protocol": "UDP"},
        {"port": 80, "endPort": 81},
        {"port": "alt"},
    ]
)


@st.composite
def _k8s_rule(draw: st.DrawFn, egress: bool) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    peers = draw(st.lists(_k8s_peer(), max_size=2))
    if peers:
        rule["to" if egress else "from"] = peers
    ports = draw(st.lists(_k8s_port, max_size=2, unique_by=str))
    if ports:
        rule["ports"] = ports
    return rule


@st.composite
def k8s_policy(draw: st.DrawFn, index: int) -> dict[str, Any]:
    types = draw(st.sampled_from([None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
    spec: dict[str, Any] = {"podSelector": _match_labels(draw)}
    if types is not None:
        spec["policyTypes"] = types
    if types is None or "Ingress" in types:
        spec["ingress"] = draw(st.lists(_k8s_rule(False), max_size=2))
    if types is None or "Egress" in types:
        spec["egress"] = draw(st.lists(_k8s_rule(True), max_size=2))
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"k{index}", "namespace": draw(st.sampled_from(NAMESPACES))},
        "spec": spec,
    }


_calico_selectors = st.sampled_from(
    ["all()", "app == 'web'", "app == 'db'", "has(tier)", "app != 'api'", "tier in {'fe'}"]
)


@st.composite
def _entity(draw: st.DrawFn, ports: bool) -> dict[str, Any]:
    e: dict[str, Any] = {}
    if draw(st.integers(0, 3)) == 0:
        e["selector"] = draw(_calico_selectors)
    if draw(st.integers(0, 4)) == 0:
        e["namespaceSelector"] = draw(
            st.sampled_from(["team == 'x'", "projectcalico.org/name == 'b'", "all()"])
        )
    if draw(st.integers(0, 5)) == 0:
        e["notSelector"] = draw(_calico_selectors)
    if draw(st.integers(0, 3)) == 0:
        cidr, except_ = draw(_nets)
        e["nets"] = [cidr]
        if except_:
            e["notNets"] = except_
    if ports and draw(st.integers(0, 2)) == 0:
        e["ports"] = draw(
            st.lists(st.sampled_from([80, 81, 53, "http", "dns", "80:81"]), min_size=1, max_size=2)
        )
    if ports and draw(st.integers(0, 6)) == 0:
        e["notPorts"] = [draw(st.sampled_from([80, "http", 53]))]
    return e


@st.composite
def _calico_rule(draw: st.DrawFn) -> dict[str, Any]:
    rule: dict[str, Any] = {"action": draw(st.sampled_from(["Allow", "Deny", "Pass", "Log"]))}
    src = draw(_entity(False))
    dst = draw(_entity(True))
    proto = draw(st.sampled_from([None, "TCP", "UDP", "ICMP"]))
    if dst.get("ports") or dst.get("notPorts"):
        proto = "TCP" if proto in (None, "ICMP") else proto
    if proto:
        rule["protocol"] = proto
    if proto == "ICMP" and draw(st.booleans()):
        # echo request (what the probes send), echo reply, or "not echo request"
        key, icmp = draw(
            st.sampled_from(
                [("icmp", {"type": 8}), ("icmp", {"type": 8, "code": 0}), ("icmp", {"type": 0}),
                 ("notICMP", {"type": 8})]
            )
        )  # fmt: skip
        rule[key] = icmp
    elif proto is None and draw(st.integers(0, 5)) == 0:
        rule["notProtocol"] = draw(st.sampled_from(["ICMP", "TCP"]))
    if src:
        rule["source"] = src
    if dst:
        rule["destination"] = dst
    return rule


@st.composite
def calico_policy(draw: st.DrawFn, index: int, tiers: list[str]) -> dict[str, Any]:
    tier = draw(st.sampled_from(["default", *tiers]))
    glob = draw(st.booleans())
    name = f"c{index}" if tier == "default" else f"{tier}.c{index}"
    meta: dict[str, Any] = {"name": name}
    if not glob:
        meta["namespace"] = draw(st.sampled_from(NAMESPACES))
    spec: dict[str, Any] = {"selector": draw(_calico_selectors)}
    if tier != "default":
        spec["tier"] = tier
    order = draw(st.sampled_from([None, 1, 500, 1000, 1500]))
    if order is not None:
        spec["order"] = order
    types = draw(st.sampled_from([None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
    if types is not None:
        spec["types"] = types
    if types is None or "Ingress" in types:
        spec["ingress"] = draw(st.lists(_calico_rule(), max_size=3))
    if types is None or "Egress" in types:
        spec["egress"] = draw(st.lists(_calico_rule(), max_size=3))
    kind = "GlobalNetworkPolicy" if glob else "NetworkPolicy"
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": meta, "spec": spec}


@st.composite
def platforms(draw: st.DrawFn) -> str:
    """A platform (YAML) with up to 12 pods, 3 nodes, 8 policies, 0-2 tiers."""
    docs: list[dict[str, Any]] = [_node(j) for j in range(NODES)]
    for ns in NAMESPACES:
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"team": draw(st.sampled_from(("x", "y")))}},
            }
        )
    slots = draw(st.lists(st.integers(0, SLOTS - 1), min_size=2, max_size=SLOTS, unique=True))
    for i in sorted(slots):
        docs.append(_pod(i, draw(st.sampled_from(NAMESPACES)), draw(_labels), draw(_pod_ports())))
    tiers: list[str] = []
    for name, order in (("security", 100), ("platform", 2_000_000)):
        if draw(st.booleans()):
            tiers.append(name)
            spec: dict[str, Any] = {"order": order}
            if draw(st.booleans()):
                spec["defaultAction"] = "Pass"
            docs.append(
                {"apiVersion": "projectcalico.org/v3", "kind": "Tier",
                 "metadata": {"name": name}, "spec": spec}
            )  # fmt: skip
    n = draw(st.integers(0, 8))
    for k in range(n):
        if draw(st.booleans()):
            docs.append(draw(k8s_policy(k)))
        else:
            docs.append(draw(calico_policy(k, tiers)))
    return dump(docs)
