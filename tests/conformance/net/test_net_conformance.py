"""The net engine against upstream test tables (tests/conformance/net/*.yaml)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from ekstwin.engines.net import Granularity, NetModel, Verdict, can, matrix
from ekstwin.errors import SelectorSyntaxError
from ekstwin.model.selectors import LabelSelector, calico_selector_tokens, parse_calico_selector
from tests.conformance.net.e2e_model import ALL, cluster_yaml, expected_table, render
from tests.conformance.suites import Case, expect, load_suite_field, load_suites
from tests.engines.conftest import Builder

SUITES = load_suites("net")


def _cases(name: str) -> list[Case]:
    return SUITES.get(name, [])


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value["repeat"]) * int(value["times"]) + str(value.get("then", ""))
    return str(value)


def _parses(text: str) -> bool:
    try:
        parse_calico_selector(text)
    except SelectorSyntaxError:
        return False
    return True


@pytest.mark.parametrize("case", _cases("calico-selector-parser"), ids=lambda c: c.id)
def test_calico_selector_parser(case: Case) -> None:
    d = case.data
    if d.get("error"):
        expect(case, _parses(d["selector"]), False)
        return
    sel = parse_calico_selector(d["selector"])
    if "same_as" in d:
        expect(case, sel, parse_calico_selector(d["same_as"]))
        return
    got = (
        [sel.matches(labels) for labels in d["matches"]],
        [sel.matches(labels) for labels in d["non_matches"]],
    )
    expect(case, got, ([True] * len(d["matches"]), [False] * len(d["non_matches"])))
    # The printed form reads back as the same selector (upstream re-parses its canonical text).
    assert parse_calico_selector(str(sel)) == sel


@pytest.mark.parametrize("case", _cases("calico-selector-tokenizer"), ids=lambda c: c.id)
def test_calico_selector_tokenizer(case: Case) -> None:
    d = case.data
    text = _text(d["input"])
    try:
        got: object = [
            list(t) if t[1] is not None else [t[0]] for t in calico_selector_tokens(text)
        ]
    except SelectorSyntaxError:
        got = "error"
    want = (
        "error"
        if d.get("error")
        else [[t[0], _text(t[1])] if len(t) > 1 else t for t in d["tokens"]]
    )
    expect(case, got, want)


def _label_selector(raw: dict[str, Any]) -> LabelSelector | None:
    try:
        return LabelSelector.from_obj(raw)
    except SelectorSyntaxError:
        return None


@pytest.mark.parametrize("case", _cases("k8s-label-selector"), ids=lambda c: c.id)
def test_k8s_label_selector(case: Case) -> None:
    d = case.data
    sel = _label_selector(d["selector"])
    if d.get("error"):
        expect(case, sel is None, True)
        return
    assert sel is not None, f"{case.id}: the selector should be valid"
    expect(case, sel.matches(d["labels"]), d["match"])


@pytest.mark.parametrize("case", _cases("k8s-netpol-e2e"), ids=lambda c: c.id)
def test_k8s_netpol_e2e_truth_table(case: Case, build: Builder) -> None:
    d = case.data
    text = cluster_yaml(d.get("ns_labels"), d.get("pod_labels"))
    if d["policies"]:
        text += "---\n" + yaml.safe_dump_all(d["policies"], sort_keys=False)
    model = NetModel(build(text))
    flows = matrix(model, Granularity.POD).lookup()
    for probe in d["probes"]:
        proto, port = probe["protocol"], probe["port"]
        want = render(expected_table(probe["expect"]))
        got_can = {}
        got_matrix = {}
        for s in ALL:
            for t in ALL:
                if s == t:
                    continue
                got_can[(s, t)] = can(model, s, t, port, proto).allowed
                conns = flows.get((s, t))
                got_matrix[(s, t)] = conns is not None and conns.contains(proto, port)
        expect(case, render(got_can), want)
        expect(case, render(got_matrix), want)


def _calico_platform_text(case: Case) -> str:
    docs = [*CALICO_CLUSTER, *case.data["policies"]]
    return yaml.safe_dump_all(docs, sort_keys=False)


CALICO_CLUSTER: list[dict[str, Any]] = load_suite_field("net", "calico-policy", "cluster")


@pytest.mark.parametrize("case", _cases("calico-policy"), ids=lambda c: c.id)
def test_calico_policy(case: Case, build: Builder) -> None:
    d = case.data
    model = NetModel(build(_calico_platform_text(case)), calico_version=d.get("calico_version"))
    if "tier_order" in d:
        got_tiers = [t.name for t in model.tiers if t.policies]
        expect(case, got_tiers, d["tier_order"])
        return
    f = d["flow"]
    v = can(model, f["from"], f["to"], f["port"])
    assert isinstance(v, Verdict)
    side = v.ingress if v.egress.allowed else v.egress
    expect(
        case,
        (v.allowed, None if side.policy is None else str(side.policy)),
        (d["allowed"], d["decided_by"]),
    )


# -- network-policy-api: AdminNetworkPolicy and BaselineAdminNetworkPolicy ---

NPAPI_CLUSTER: dict[str, Any] = load_suite_field("net", "network-policy-api", "cluster")
NPAPI_MANIFESTS: dict[str, list[dict[str, Any]]] = load_suite_field(
    "net", "network-policy-api", "manifests"
)
_NPAPI_NS = "network-policy-conformance-"


def _npapi_cluster() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for h, (house, pod) in enumerate(NPAPI_CLUSTER["houses"].items()):
        ns = _NPAPI_NS + house
        labels = {"conformance-house": house}
        docs.append(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
        )
        for i in range(2):
            docs.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": f"{pod}-{i}", "namespace": ns, "labels": labels},
                    "spec": {
                        "containers": [
                            {
                                "name": "server",
                                "image": "agnhost:2.45",
                                "ports": NPAPI_CLUSTER["ports"],
                            }
                        ]
                    },
                    "status": {"podIP": f"198.18.{h + 1}.{10 + i}"},
                }
            )
    return docs


def _npapi_manifests(case: Case) -> list[dict[str, Any]]:
    """The case's manifests with upstream's in-place patches applied, in order."""
    docs = copy.deepcopy(NPAPI_MANIFESTS[case.data["manifests"]])

    def spec(name: str) -> dict[str, Any]:
        (doc,) = [
            d
            for d in docs
            if d["metadata"]["name"] == name and "policy.networking" in d["apiVersion"]
        ]
        spec_: dict[str, Any] = doc["spec"]
        return spec_

    for change in case.data["changes"]:
        ((op, args),) = change.items()
        if op == "delete":
            kind, name = args
            docs = [d for d in docs if (d["kind"], d["metadata"]["name"]) != (kind, name)]
            continue
        if op == "priority":
            spec(args[0])["priority"] = args[1]
            continue
        rules = spec(args[0])[args[1]]
        if op == "insert":
            rules.insert(args[2], args[3])
        elif op == "swap":
            i, j = args[2], args[3]
            rules[i], rules[j] = rules[j], rules[i]
        elif op == "action":
            rules[args[2]]["action"] = args[3]
        elif op == "ports":
            rules[args[2]]["ports"] = args[3]
        else:
            raise AssertionError(f"{case.id}: unknown change {op}")
    return docs


def _npapi_pod(text: str) -> str:
    house, pod = text.split("/")
    return f"{_NPAPI_NS}{house}/{pod}"


@pytest.mark.parametrize("case", _cases("network-policy-api"), ids=lambda c: c.id)
def test_network_policy_api(case: Case, build: Builder) -> None:
    docs = _npapi_cluster() + _npapi_manifests(case)
    model = NetModel(build(yaml.safe_dump_all(docs, sort_keys=False)))
    flows = matrix(model, Granularity.POD).lookup()
    got_can = []
    got_matrix = []
    want = []
    for probe in case.data["probes"]:
        src, dst = _npapi_pod(probe["from"]), _npapi_pod(probe["to"])
        proto, port = probe["protocol"], probe["port"]
        got_can.append(can(model, src, dst, port, proto).allowed)
        conns = flows.get((src, dst))
        got_matrix.append(conns is not None and conns.contains(proto, port))
        want.append(probe["allowed"])
    expect(case, got_can, want)
    expect(case, got_matrix, want)


@pytest.mark.parametrize("case", _cases("k8s-find-port"), ids=lambda c: c.id)
def test_k8s_find_port(case: Case, build: Builder) -> None:
    d = case.data
    containers = [
        {"name": f"c{i}", "image": "app:1", "ports": ports}
        for i, ports in enumerate(d["containers"])
    ]
    target = d["target_port"]
    doc = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "pod", "namespace": "ns", "labels": {"app": "x"}},
            "spec": {"containers": containers},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "svc", "namespace": "ns"},
            "spec": {
                "selector": {"app": "x"},
                "ports": [{"port": 80, "targetPort": target, "protocol": "TCP"}],
            },
        },
    ]
    platform = build(yaml.safe_dump_all(doc))
    svc = platform.service("ns", "svc")
    assert svc is not None
    found = svc.backends(svc.ports[0], platform.pods)
    assert found is not None
    expect(case, found[0][1] if found else None, d["expect"])
