"""The views document: the engines' JSON as it is, a failing engine as 'not available'."""

from __future__ import annotations

import json

import pytest

from ekstwin.engines.ingress import build_albs
from ekstwin.engines.ipam.plan import plan
from ekstwin.engines.net import Granularity, NetModel, matrix
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
        1,
        "ekstwin: demo",
    )
    json.dumps(views)  # serialisable


def test_sections_are_the_engines_json(views: dict[str, object], demo: LoadResult) -> None:
    assert _data(views, "ingress") == build_albs(demo.platform).to_json()
    assert _data(views, "ipam") == plan(demo.platform).to_json()
    assert _data(views, "diff") == {"old": ["old"], "endpoints_added": [],
                                    "endpoints_removed": [], "changes": []}  # fmt: skip


def test_graph_flows_are_the_matrix_with_a_verdict_each(
    views: dict[str, object], demo: LoadResult
) -> None:
    network = _data(views, "network")
    assert isinstance(network, dict)
    model = NetModel(demo.platform)
    for by in (Granularity.NAMESPACE, Granularity.WORKLOAD):
        graph = network[by.value]
        m = matrix(model, by).to_json()
        assert graph["endpoints"] == m["endpoints"]
        assert [{k: v for k, v in f.items() if k != "why"} for f in graph["flows"]] == m["flows"]
        for f in graph["flows"]:
            why = f["why"]
            if why is None:  # a group's flow to itself always has a pod pair
                continue
            assert why["allowed"] is True
            assert why["from"].split("/")[0] == f["from"].split("/")[0]
    cart = next(
        f for f in network["workload"]["flows"]
        if (f["from"], f["to"]) == ("shop-api/cart-api", "payments/payments-api")
    )  # fmt: skip
    assert cart["why"]["ingress"] == {
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
