"""The views document: the engines' JSON as it is, a failing engine as 'not available'."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ekstwin.engines.ingress import build_albs
from ekstwin.engines.ipam.plan import Scenario, plan
from ekstwin.engines.net import Granularity, NetModel, matrix
from ekstwin.engines.storage import storage_plan
from ekstwin.loaders import LoadResult
from ekstwin.web import views as views_module
from ekstwin.web.views import build_views
from tests.web.conftest import DEMO


@pytest.fixture(scope="module")
def views(demo: LoadResult) -> dict[str, object]:
    return build_views(demo, inputs=["demo"], compare=demo, compare_inputs=["old"])


def _data(views: dict[str, object], name: str) -> object:
    sections = views["sections"]
    assert isinstance(sections, dict)
    sec = sections[name]
    assert sec["available"] is True, sec
    return sec["data"]


def test_every_section_of_the_demo_is_available(views: dict[str, object]) -> None:
    sections = views["sections"]
    assert isinstance(sections, dict)
    assert sorted(sections) == sorted(
        ["report", "network", "identity", "ingress", "dns", "ipam", "storage", "diff"]
    )
    assert [name for name, s in sections.items() if not s["available"]] == []
    assert (views["schema"], views["version"], views["title"]) == (
        "ekstwin-web",
        2,
        "ekstwin: demo",
    )
    json.dumps(views)  # serialisable


def test_sections_are_the_engines_json(views: dict[str, object], demo: LoadResult) -> None:
    assert _data(views, "ingress") == build_albs(demo.platform).to_json()
    assert _data(views, "ipam") == {
        "now": plan(demo.platform).to_json(),
        "lose_az": {
            z: plan(demo.platform, Scenario(lose_az=z)).to_json()
            for z in ("eu-west-1a", "eu-west-1b", "eu-west-1c")
        },
    }
    assert _data(views, "diff") == {"old": ["old"], "endpoints_added": [],
                                    "endpoints_removed": [], "changes": [],
                                    "changes_total": 0, "change_limit": 2000,
                                    "why_limit": 200, "why_omitted": 0}  # fmt: skip


def _items(ranges: list[int]) -> list[int]:
    return [i for k in range(0, len(ranges), 2) for i in range(ranges[k], ranges[k + 1] + 1)]


def test_network_matrices_are_the_engines_over_indices(
    views: dict[str, object], demo: LoadResult
) -> None:
    network = _data(views, "network")
    assert isinstance(network, dict)
    model = NetModel(demo.platform)
    conns = network["conns"]
    for by, names in (
        (Granularity.NAMESPACE, network["namespaces"]),
        (Granularity.WORKLOAD, network["workloads"]),
    ):
        got = sorted(
            (
                {"from": names[src], "to": names[d], "allow": conns[c]}
                for src, cells in network["matrix"][by.value]
                for c, dst in cells
                for d in _items(dst)
            ),
            key=lambda f: (f["from"], f["to"]),
        )
        m: dict[str, Any] = matrix(model, by).to_json()
        assert names == m["endpoints"]
        assert got == sorted(m["flows"], key=lambda f: (f["from"], f["to"]))
    pods = network["pods"]
    assert [p[0] for p in pods] == sorted(model.endpoints)
    assert [p[3] for p in pods] == [model.class_of[p[0]] for p in pods]


def test_explanations_are_the_engines_verdicts_by_lookup(
    views: dict[str, object], demo: LoadResult
) -> None:
    """The page's lookup (first block holding the peer class, first region holding
    the port) gives ``NetModel.verdict`` of every pair of class representatives."""
    network = _data(views, "network")
    assert isinstance(network, dict)
    ex = network["explain"]
    conns = network["conns"]
    model = NetModel(demo.platform)

    def lookup(side: int, peer: int, proto: str, port: int, pod: str = "") -> object:
        for bits, regions in ex["sides"][side]:
            if peer in _items(bits):
                for c, d in regions:
                    if any(
                        part["protocol"] == proto and lo <= port <= hi
                        for part in conns[c]
                        for lo, hi in part["ports"]
                    ):
                        got = dict(ex["decisions"][d])
                        # a decision naming its pod names the class representative
                        subject = got.pop("subject", None)
                        if subject is not None:
                            got["message"] = got["message"].replace(subject, pod)
                        return got
        return None

    reps = model.class_reps
    checked = 0
    for s, a in enumerate(reps):
        for d, b in enumerate(reps):
            if s == d:
                continue
            for proto, port in (("TCP", 8080), ("TCP", 5432), ("UDP", 53), ("TCP", 443)):
                v = model.verdict(a, b, proto, port).to_json()
                assert lookup(ex["class_sides"][s][0], d, proto, port, a.name) == v["egress"]
                assert lookup(ex["class_sides"][d][1], s, proto, port, b.name) == v["ingress"]
                checked += 1
    assert checked > 1000
    cart = next(p for p in network["pods"] if p[1] is not None and
                network["workloads"][p[1]] == "shop-api/cart-api")  # fmt: skip
    pay = next(p for p in network["pods"] if p[1] is not None and
               network["workloads"][p[1]] == "payments/payments-api")  # fmt: skip
    assert lookup(ex["class_sides"][pay[3]][1], cart[3], "TCP", 8080) == {
        "allowed": True,
        "reason": "rule",
        "message": "allowed by NetworkPolicy payments/payments-api-ingress (tier default) "
        "ingress rule 0",
        "tier": "default",
        "policy": {
            "kind": "NetworkPolicy",
            "namespace": "payments",
            "name": "payments-api-ingress",
        },
        "rule": 0,
        "action": "Allow",
        "file": str(DEMO / "k8s/payments/network-policies.yaml"),
        "line": 63,
        "passed_tiers": ["platform"],
        "logged_by": [],
    }


def test_storage_runs_the_zone_loss_of_every_zone_as_the_cli(
    views: dict[str, object], demo: LoadResult
) -> None:
    data = _data(views, "storage")
    assert isinstance(data, dict)
    now = storage_plan(demo.platform)
    assert data["now"] == now.to_json()
    assert sorted(data["lose_az"]) == list(now.zones) == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    for zone in now.zones:
        assert data["lose_az"][zone] == storage_plan(demo.platform, zone).to_json()
    lost = {
        f"{s['namespace']}/{s['name']}"
        for s in data["lose_az"]["eu-west-1a"]["statefulsets"]
        if s["loses_quorum"]
    }
    assert {"databases/kafka", "databases/postgres-orders"} <= lost


def test_a_failing_engine_makes_its_section_not_available(
    demo: LoadResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(result: LoadResult) -> object:
        raise KeyError("engine not finished")

    monkeypatch.setattr(views_module, "_ipam", broken)
    got = build_views(demo, inputs=["demo"])
    sections = got["sections"]
    assert isinstance(sections, dict)
    assert sections["ipam"] == {"available": False, "error": "KeyError: 'engine not finished'"}
    assert sections["ingress"]["available"] is True


def test_ip_zone_loss_only_for_zones_the_input_names(tmp_path: Path) -> None:
    from ekstwin.loaders import load

    (tmp_path / "pods.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: ns}\n"
        "spec: {nodeName: n1, containers: [{name: c, image: x}]}\n",
        encoding="utf-8",
    )
    views = build_views(load([str(tmp_path)]), inputs=["pods"])
    ipam = _data(views, "ipam")
    assert isinstance(ipam, dict)
    # the plan assumes a zone for the node; there is no zone to lose
    assert [n["zone"] for n in ipam["now"]["nodes"]] == ["us-east-1a"]
    assert ipam["lose_az"] == {}


def _namespaces(root: Path, count: int, *, deny: bool) -> LoadResult:
    """``count`` namespaces of one pod each; ``deny``: each denies all ingress."""
    from ekstwin.loaders import load

    docs = []
    for i in range(count):
        docs.append(
            "apiVersion: v1\nkind: Pod\n"
            f"metadata: {{name: p, namespace: ns{i}, labels: {{app: p}}}}\n"
            f"spec: {{containers: [{{name: c, image: x}}]}}\nstatus: {{podIP: 198.18.0.{i + 10}}}\n"
        )
        if deny:
            docs.append(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                f"metadata: {{name: deny, namespace: ns{i}}}\n"
                "spec: {podSelector: {}, policyTypes: [Ingress]}\n"
            )
    root.mkdir()
    (root / "all.yaml").write_text("---\n".join(docs), encoding="utf-8")
    return load([str(root)])


def test_diff_lists_the_first_change_limit_changes_and_explains_the_first_why_limit(
    tmp_path: Path,
) -> None:
    from ekstwin.engines.net.diff import diff

    old = _namespaces(tmp_path / "old", 4, deny=False)
    new = _namespaces(tmp_path / "new", 4, deny=True)
    engine = diff(NetModel(old.platform), NetModel(new.platform)).to_json()
    changes = engine["changes"]
    assert isinstance(changes, list)
    # every flow into the four pods closes (from each other and from the cluster DNS
    # the loader assumes): 5 x 4 changes, each explained by the engine
    assert len(changes) == 20
    assert all(c["why_old"] is not None and c["why_new"] is not None for c in changes)

    got = _data(build_views(new, inputs=["new"], compare=old, compare_inputs=["old"],
                            why_limit=5), "diff")  # fmt: skip
    stripped = [{k: v for k, v in c.items() if k not in ("why_old", "why_new")} for c in changes]
    assert got == {
        "old": ["old"],
        "endpoints_added": [],
        "endpoints_removed": [],
        "changes": changes[:5] + stripped[5:],
        "changes_total": 20,
        "change_limit": 2000,
        "why_limit": 5,
        "why_omitted": 15,
    }
    # at most change_limit changes are sent; changes_total counts them all
    few = _data(build_views(new, inputs=["new"], compare=old, compare_inputs=["old"],
                            why_limit=5, change_limit=8), "diff")  # fmt: skip
    assert few == {**got, "changes": changes[:5] + stripped[5:8], "change_limit": 8,
                   "why_omitted": 3}  # fmt: skip
    # the document grows by a change's flow and ports, not by its two verdicts
    every = _data(build_views(new, inputs=["new"], compare=old, why_limit=20), "diff")
    assert every["changes"] == changes and every["why_omitted"] == 0  # type: ignore[index]
    assert len(json.dumps(got)) < len(json.dumps(every)) / 2
