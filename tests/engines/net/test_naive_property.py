"""Property: the class-based engine equals the naive pair-by-pair, port-by-port evaluator."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekstwin.engines.net import Granularity, NetModel, matrix
from ekstwin.engines.net.naive import naive_allowed
from ekstwin.loaders import load

PROBES = [
    (proto, port)
    for proto in ("TCP", "UDP", "SCTP")
    for port in (1, 52, 53, 54, 79, 80, 81, 82, 443, 8080, 65535)
] + [("ICMP", 0), ("ICMP", 8 * 256), ("ICMP", 8 * 256 + 1)]

labels = st.fixed_dictionaries(
    {}, optional={"app": st.sampled_from(["a", "b"]), "tier": st.sampled_from(["web", "db"])}
)
k8s_selector = st.one_of(
    st.just({}),
    st.builds(lambda v: {"matchLabels": {"app": v}}, st.sampled_from(["a", "b"])),
    st.just({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}),
    st.just({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]}),
)
ns_selector = st.one_of(
    st.just({}), st.builds(lambda v: {"matchLabels": {"env": v}}, st.sampled_from(["prod", "dev"]))
)
k8s_peer = st.one_of(
    st.builds(lambda p: {"podSelector": p}, k8s_selector),
    st.builds(lambda n: {"namespaceSelector": n}, ns_selector),
    st.builds(lambda p, n: {"podSelector": p, "namespaceSelector": n}, k8s_selector, ns_selector),
    st.sampled_from(
        [
            {"ipBlock": {"cidr": "198.18.0.0/24"}},
            {"ipBlock": {"cidr": "198.18.0.0/16", "except": ["198.18.1.0/24"]}},
        ]
    ),
)
k8s_port = st.sampled_from(
    [
        {"port": 80},
        {"port": 53, "protocol": "UDP"},
        {"port": "http"},
        {"port": "dns", "protocol": "UDP"},
        {"port": 79, "endPort": 81},
        {"protocol": "SCTP"},
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
    ["all()", "app == 'a'", "app != 'a'", "has(tier)", "tier == 'db'"]
)
calico_entity = st.fixed_dictionaries(
    {},
    optional={
        "selector": calico_selector,
        "notSelector": calico_selector,
        "namespaceSelector": st.sampled_from(["env == 'prod'", "all()", "global()"]),
        "nets": st.just(["198.18.0.0/24"]),
        "notNets": st.just(["198.18.1.0/24"]),
    },
)
calico_rule = st.builds(
    lambda action, proto, src, dst, ports: {
        "action": action,
        **({"protocol": proto} if proto else {}),
        "source": src,
        "destination": {**dst, **({"ports": ports} if ports and proto in ("TCP", "UDP") else {})},
    },
    st.sampled_from(["Allow", "Deny", "Pass", "Log"]),
    st.sampled_from([None, "TCP", "UDP", "ICMP"]),
    calico_entity,
    calico_entity,
    st.sampled_from([None, [80], ["http"], ["53:81"]]),
)


@st.composite
def platforms(draw: st.DrawFn) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    namespaces = ["n1", "n2"]
    for ns, env in zip(namespaces, ["prod", "dev"], strict=True):
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"env": env}},
            }
        )
    count = draw(st.integers(2, 5))
    for i in range(count):
        ns = namespaces[i % 2]
        named = draw(st.booleans())
        ports = (
            [{"containerPort": 8080, "name": "http"}]
            if named
            else [{"containerPort": 80, "name": "http"}]
        )
        if draw(st.booleans()):
            ports.append({"containerPort": 53, "protocol": "UDP", "name": "dns"})
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"p{i}", "namespace": ns, "labels": draw(labels)},
                "spec": {"containers": [{"name": "c", "image": "busybox:1", "ports": ports}]},
                "status": {"podIP": f"198.18.{i % 2}.{10 + i}"},
            }
        )
    docs.append(
        {
            "apiVersion": "projectcalico.org/v3",
            "kind": "Tier",
            "metadata": {"name": "sec"},
            "spec": {"order": 10, "defaultAction": draw(st.sampled_from(["Deny", "Pass"]))},
        }
    )
    for j in range(draw(st.integers(0, 3))):
        spec: dict[str, Any] = {"podSelector": draw(k8s_selector)}
        kinds = draw(st.sampled_from([["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
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
                "metadata": {"name": f"k{j}", "namespace": namespaces[j % 2]},
                "spec": spec,
            }
        )
    for j in range(draw(st.integers(0, 3))):
        is_global = draw(st.booleans())
        tier = draw(st.sampled_from(["default", "sec"]))
        spec = {
            "selector": draw(calico_selector),
            "order": draw(st.sampled_from([None, 100, 1000, 2000])),
            "types": draw(st.sampled_from([["Ingress"], ["Egress"], ["Ingress", "Egress"]])),
            "ingress": draw(st.lists(calico_rule, max_size=3)),
            "egress": draw(st.lists(calico_rule, max_size=3)),
        }
        if spec["order"] is None:
            del spec["order"]
        if tier != "default":
            spec["tier"] = tier
        name = f"c{j}" if tier == "default" else f"{tier}.c{j}"
        meta: dict[str, Any] = {"name": name}
        if not is_global:
            meta["namespace"] = namespaces[j % 2]
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
    return docs


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(platforms())
def test_engine_equals_naive_evaluator(docs: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.yaml"
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
        result = load([str(path)])
    model = NetModel(result.platform)
    flows = matrix(model, Granularity.POD).lookup()
    eps = [model.endpoints[k] for k in sorted(model.endpoints)]
    for a in eps:
        for b in eps:
            if a is b:
                continue
            conns = flows.get((a.name, b.name))
            for proto, port in PROBES:
                fast = conns is not None and conns.contains(proto, port)
                slow = naive_allowed(model, a, b, proto, port)
                assert fast == slow, (a.name, b.name, proto, port)
                assert model.verdict(a, b, proto, port).allowed == slow, (
                    a.name,
                    b.name,
                    proto,
                    port,
                )
