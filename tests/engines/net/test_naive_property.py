"""Property: the class-based engine equals the naive pair-by-pair, port-by-port evaluator.

The random platforms exercise what the ordered evaluation can get wrong: three
tiers (each with defaultAction Deny or Pass) that tend to select the same pods,
so a Pass that is treated as an Allow, or a tier's Pass default treated as a
Deny, changes verdicts; Allow, Deny, Log and Pass rules; order ties broken by
name; named ports that resolve to different numbers and protocols per pod;
ipBlock with except, nets and notNets, network sets; TCP, UDP, SCTP and ICMP,
protocol numbers and notProtocol. Both the class-level matrix (pod, workload and
namespace granularity) and the explained per-flow walk (``verdict``) are
compared with the naive evaluator.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekstwin.engines.net import ConnectionSet, Granularity, NetModel, matrix
from ekstwin.engines.net.diff import diff
from ekstwin.engines.net.matrix import group_of, pod_flows
from ekstwin.engines.net.naive import naive_allowed
from ekstwin.loaders import load

PROBES = (
    [(proto, port) for proto in ("TCP", "UDP", "SCTP") for port in (53, 79, 80, 81, 8080, 9000)]
    + [("TCP", 1), ("UDP", 65535)]
    + [("ICMP", 0), ("ICMP", 8 * 256), ("ICMP", 8 * 256 + 1)]
)

NAMESPACES = ("n1", "n2", "n3")
NS_ENV = {"n1": "prod", "n2": "dev", "n3": "prod"}
TIERS = ("sec", "platform", "default")

labels = st.fixed_dictionaries(
    {},
    optional={"app": st.sampled_from(["a", "b"]), "tier": st.sampled_from(["web", "db"])},
)
k8s_selector = st.sampled_from(
    [
        {},
        {},
        {"matchLabels": {"app": "a"}},
        {"matchLabels": {"app": "b"}},
        {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
        {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]},
    ]
)
ns_selector = st.sampled_from(
    [{}, {"matchLabels": {"env": "prod"}}, {"matchLabels": {"env": "dev"}}]
)
k8s_peer = st.one_of(
    st.builds(lambda p: {"podSelector": p}, k8s_selector),
    st.builds(lambda n: {"namespaceSelector": n}, ns_selector),
    st.builds(lambda p, n: {"podSelector": p, "namespaceSelector": n}, k8s_selector, ns_selector),
    st.sampled_from(
        [
            {"ipBlock": {"cidr": "198.18.0.0/24"}},
            {"ipBlock": {"cidr": "198.18.0.0/16", "except": ["198.18.1.0/24"]}},
            {"ipBlock": {"cidr": "198.18.2.0/28", "except": ["198.18.2.8/29"]}},
            {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["198.18.0.0/24", "198.18.2.0/24"]}},
        ]
    ),
)
k8s_port = st.sampled_from(
    [
        {"port": 80},
        {"port": 53, "protocol": "UDP"},
        {"port": "http"},
        {"port": "http", "protocol": "UDP"},
        {"port": "dns", "protocol": "UDP"},
        {"port": "dns", "protocol": "TCP"},
        {"port": 79, "endPort": 81},
        {"protocol": "SCTP"},
        {"port": 9000, "protocol": "SCTP"},
        {"port": "metrics", "protocol": "SCTP"},
        {"protocol": "UDP"},
    ]
)
k8s_rule = st.fixed_dictionaries(
    {},
    optional={
        "peers": st.lists(k8s_peer, max_size=2),
        "ports": st.lists(k8s_port, max_size=2),
    },
)
calico_selector = st.sampled_from(
    ["all()", "all()", "app == 'a'", "app != 'a'", "has(tier)", "tier == 'db'", "!has(app)"]
)
_entity_fields: dict[str, st.SearchStrategy[Any]] = {
    "selector": calico_selector,
    "notSelector": calico_selector,
    "namespaceSelector": st.sampled_from(["env == 'prod'", "env == 'dev'", "all()", "global()"]),
    "nets": st.sampled_from([["198.18.0.0/24"], ["198.18.1.0/24", "198.18.2.0/28"]]),
    "notNets": st.sampled_from([["198.18.1.0/24"], ["198.18.2.8/29"]]),
}
# Mostly empty or one field, so that rules match often enough to decide flows.
calico_entity = st.one_of(
    st.just({}),
    st.just({}),
    *(st.builds(lambda v, k=k: {k: v}, strat) for k, strat in _entity_fields.items()),
    st.fixed_dictionaries({}, optional=_entity_fields),
)
calico_protocol = st.sampled_from([None, None, "TCP", "UDP", "SCTP", "ICMP", 6, 17, 132])
calico_ports = st.sampled_from(
    [None, [80], ["http"], ["53:81"], ["dns", 9000], ["metrics"], [8080, "http"]]
)


@st.composite
def calico_rule(draw: st.DrawFn) -> dict[str, Any]:
    action = draw(st.sampled_from(["Allow", "Allow", "Deny", "Pass", "Pass", "Log"]))
    proto = draw(calico_protocol)
    rule: dict[str, Any] = {"action": action}
    if proto is not None:
        rule["protocol"] = proto
    elif draw(st.booleans()):
        rule["notProtocol"] = draw(st.sampled_from(["UDP", "ICMP", 132]))
    dst: dict[str, Any] = dict(draw(calico_entity))
    if proto in ("TCP", "UDP", "SCTP", 6, 17, 132):
        ports = draw(calico_ports)
        if ports is not None:
            dst["ports"] = ports
        if draw(st.integers(0, 4)) == 0:
            dst["notPorts"] = [80]
    if proto == "ICMP" and draw(st.booleans()):
        rule["icmp"] = draw(st.sampled_from([{"type": 8}, {"type": 8, "code": 0}]))
    rule["source"] = draw(calico_entity)
    rule["destination"] = dst
    return rule


def _pod(draw: st.DrawFn, i: int) -> dict[str, Any]:
    ns = NAMESPACES[i % len(NAMESPACES)]
    # "http" is TCP 80 or TCP 8080 or UDP 80 depending on the pod; "dns" UDP or TCP 53
    http = draw(
        st.sampled_from(
            [
                {"containerPort": 80, "name": "http"},
                {"containerPort": 8080, "name": "http"},
                {"containerPort": 80, "protocol": "UDP", "name": "http"},
            ]
        )
    )
    ports = [http]
    if draw(st.booleans()):
        ports.append(
            {"containerPort": 53, "protocol": draw(st.sampled_from(["UDP", "TCP"])), "name": "dns"}
        )
    if draw(st.booleans()):
        ports.append({"containerPort": 9000, "protocol": "SCTP", "name": "metrics"})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"p{i}", "namespace": ns, "labels": draw(labels)},
        "spec": {"containers": [{"name": "c", "image": "busybox:1", "ports": ports}]},
        "status": {"podIP": f"198.18.{i % 3}.{2 + 5 * i}"},
    }


@st.composite
def platforms(draw: st.DrawFn) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"env": NS_ENV[ns]}},
        }
        for ns in NAMESPACES
    ]
    for i in range(draw(st.integers(2, 6))):
        docs.append(_pod(draw, i))
    for name, order in (("sec", 10), ("platform", 50)):
        docs.append(
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "Tier",
                "metadata": {"name": name},
                "spec": {"order": order, "defaultAction": draw(st.sampled_from(["Deny", "Pass"]))},
            }
        )
    if draw(st.booleans()):
        docs.append(
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "Tier",
                "metadata": {"name": "default"},
                "spec": {"defaultAction": draw(st.sampled_from(["Deny", "Pass"]))},
            }
        )
    for j in range(draw(st.integers(0, 3))):
        spec: dict[str, Any] = {"podSelector": draw(k8s_selector)}
        kinds = draw(st.sampled_from([["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
        if draw(st.booleans()):
            kinds = list(reversed(kinds))  # policyTypes in any order
        spec["policyTypes"] = kinds
        for kind, key, peer_key in (("Ingress", "ingress", "from"), ("Egress", "egress", "to")):
            if kind in kinds:
                rules = draw(st.lists(k8s_rule, max_size=2))
                spec[key] = [
                    {
                        **({peer_key: r["peers"]} if r.get("peers") else {}),
                        **({"ports": r["ports"]} if r.get("ports") else {}),
                    }
                    for r in rules
                ]
        docs.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": f"k{j}", "namespace": NAMESPACES[j % len(NAMESPACES)]},
                "spec": spec,
            }
        )
    for j in range(draw(st.integers(1, 5))):
        is_global = draw(st.booleans())
        tier = draw(st.sampled_from(TIERS))
        spec = {
            "selector": draw(calico_selector),
            # few values: order ties are common and broken by name
            "order": draw(st.sampled_from([None, 100, 100, 1000])),
            "types": draw(st.sampled_from([["Ingress"], ["Egress"], ["Ingress", "Egress"]])),
            "ingress": draw(st.lists(calico_rule(), max_size=3)),
            "egress": draw(st.lists(calico_rule(), max_size=3)),
        }
        if spec["order"] is None:
            del spec["order"]
        if tier != "default":
            spec["tier"] = tier
        if is_global and draw(st.integers(0, 3)) == 0:
            spec["namespaceSelector"] = "env == 'prod'"
        # names chosen so that ties by order are broken by name both ways
        base = draw(st.sampled_from(["x", "m", "b"])) + str(j)
        name = base if tier == "default" else f"{tier}.{base}"
        meta: dict[str, Any] = {"name": name}
        if not is_global:
            meta["namespace"] = NAMESPACES[j % len(NAMESPACES)]
        docs.append(
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "GlobalNetworkPolicy" if is_global else "NetworkPolicy",
                "metadata": meta,
                "spec": spec,
            }
        )
    if draw(st.booleans()):
        docs.append(
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "GlobalNetworkSet",
                "metadata": {"name": "gs", "labels": {"app": "a"}},
                "spec": {"nets": ["198.18.1.0/28"]},
            }
        )
    if draw(st.booleans()):
        docs.append(
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "NetworkSet",
                "metadata": {"name": "ns-set", "namespace": "n1", "labels": {"tier": "db"}},
                "spec": {"nets": ["198.18.2.0/28"]},
            }
        )
    return docs


def _model(docs: list[dict[str, Any]]) -> NetModel:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.yaml"
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
        result = load([str(path)])
    errors = [str(d) for d in result.diagnostics if d.level.value == "error"]
    assert not errors, errors
    return NetModel(result.platform)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(platforms())
def test_engine_equals_naive_evaluator(docs: list[dict[str, Any]]) -> None:
    model = _model(docs)
    flows = matrix(model, Granularity.POD).lookup()
    eps = [model.endpoints[k] for k in sorted(model.endpoints)]
    naive: dict[tuple[str, str], set[tuple[str, int]]] = {}
    for a in eps:
        for b in eps:
            if a is b:
                continue
            conns = flows.get((a.name, b.name))
            for proto, port in PROBES:
                fast = conns is not None and conns.contains(proto, port)
                slow = naive_allowed(model, a, b, proto, port)
                where = (a.name, b.name, proto, port)
                assert fast == slow, where
                assert model.verdict(a, b, proto, port).allowed == slow, where
                if slow:
                    naive.setdefault((a.name, b.name), set()).add((proto, port))
    # Grouped matrices: a group pair allows a probe when some pair of distinct pods does.
    for by in (Granularity.WORKLOAD, Granularity.NAMESPACE):
        grouped = matrix(model, by).lookup()
        expected: dict[tuple[str, str], set[tuple[str, int]]] = {}
        for (src, dst), probes in naive.items():
            key = (group_of(model.endpoints[src], by), group_of(model.endpoints[dst], by))
            expected.setdefault(key, set()).update(probes)
        got = {
            key: {(p, n) for p, n in PROBES if conns.contains(p, n)}
            for key, conns in grouped.items()
        }
        assert {k: v for k, v in got.items() if v} == expected, by
        pods = matrix(model, Granularity.POD).lookup()
        union: dict[tuple[str, str], ConnectionSet] = {}
        for (src, dst), conns in pods.items():
            key = (group_of(model.endpoints[src], by), group_of(model.endpoints[dst], by))
            union[key] = union.get(key, ConnectionSet.none()) | conns
        assert grouped == union, by


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(platforms())
def test_matrix_reads_the_same_every_way(docs: list[dict[str, Any]]) -> None:
    """Pod rows are shared by a class's pods: reading them must still give each
    pair once, sorted, never a pod to itself, and the fast JSON writer must
    write what json.dumps writes."""
    model = _model(docs)
    for by in Granularity:
        m = matrix(model, by)
        pairs = [(f.source, f.destination) for f in m.flows]
        assert pairs == sorted(set(pairs)), by
        assert list(m) == list(m.flows), by
        if by is Granularity.POD:
            assert all(a != b for a, b in pairs)
            expected = {(a.name, b.name) for a, b, _ in pod_flows(model)}
            assert set(pairs) == expected
        assert m.to_json_text() == json.dumps(m.to_json(), indent=1), by
        assert "".join(m.json_text_parts()) == m.to_json_text(), by
        assert m == matrix(model, by)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(platforms(), platforms())
def test_diff_equals_the_pairwise_comparison_of_the_two_matrices(
    old_docs: list[dict[str, Any]], new_docs: list[dict[str, Any]]
) -> None:
    """net diff compares shared class rows once; it must find exactly the pod pairs
    (present in both platforms) whose connections differ, in order."""
    old, new = _model(old_docs), _model(new_docs)
    got = diff(old, new)
    a = matrix(old, Granularity.POD).lookup()
    b = matrix(new, Granularity.POD).lookup()
    both = set(old.endpoints) & set(new.endpoints)
    none = ConnectionSet.none()
    expected = [
        (s, d, a.get((s, d), none), b.get((s, d), none))
        for s, d in sorted(set(a) | set(b))
        if s in both and d in both and a.get((s, d), none) != b.get((s, d), none)
    ]
    assert [(c.source, c.destination, c.old, c.new) for c in got.changes] == expected
    assert got.endpoints_added == tuple(sorted(set(new.endpoints) - set(old.endpoints)))
    assert got.endpoints_removed == tuple(sorted(set(old.endpoints) - set(new.endpoints)))
    for c in got.changes:
        assert c.example_old is not None and c.example_new is not None
        # the example port is one whose verdict differs between the two platforms
        assert c.example_old.allowed != c.example_new.allowed
    assert diff(old, old).is_empty
