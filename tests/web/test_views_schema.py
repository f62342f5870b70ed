"""The views document against its JSON schema (ekstwin/schemas/web-views.schema.json).

The server's documents validate (the demo, serve's, a partial and an empty
platform, a section not available), and every field the page reads exists in the
schema: the page is driven through every tab in Chromium with the document
wrapped in a recording proxy (web/test/trace_reads.js), and each path it
read must be declared. A field read by the client and missing from the schema,
or written by the server and refused by it, fails here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing._core import Resolver

from ekstwin.loaders import LoadResult, load
from ekstwin.suppressions import Baseline
from ekstwin.web import views as views_module
from ekstwin.web.page import load_assets, render_page
from ekstwin.web.views import build_views, views_schema
from tests import json_schemas
from tests.web.conftest import DEMO, RunningServer
from tests.web.test_views import _namespaces

TRACER = Path(__file__).resolve().parents[2] / "web" / "test" / "trace_reads.js"


def _registry() -> Registry[Any]:
    """Every schema of the package: the views document refers to the commands' own
    (the report, the ALB, ipam and storage plans, access user, net can)."""
    return json_schemas._registry()


def _errors(doc: object) -> list[str]:
    validator = Draft202012Validator(views_schema(), registry=_registry())
    plain = json.loads(json.dumps(doc))  # as the page receives it
    out: list[str] = []

    def leaves(error: Any) -> None:  # a oneOf's error holds each branch's errors
        if not error.context:
            out.append(f"{list(error.absolute_path)}: {error.message}")
        for cause in error.context:
            leaves(cause)

    for error in validator.iter_errors(plain):
        leaves(error)
    return out


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(views_schema())
    assert views_schema() == json_schemas.schemas()["web-views"]


def test_the_demo_document_validates_in_both_modes(demo: LoadResult) -> None:
    baseline = Baseline(frozenset({"no-such-fingerprint"}), "baseline.json")
    report = build_views(demo, inputs=[str(DEMO)], compare=demo, baseline=baseline)
    serve = build_views(demo, inputs=[str(DEMO)], explain=False)
    assert _errors(report) == []
    assert _errors(serve) == []
    sections = report["sections"]
    assert isinstance(sections, dict)
    assert [k for k, s in sections.items() if not s["available"]] == []


def test_the_served_document_validates(demo_server: RunningServer) -> None:
    import urllib.request

    with urllib.request.urlopen(demo_server.url + "api/views", timeout=30) as res:
        doc = json.loads(res.read())
    assert doc["sections"]["network"]["data"]["explain"] is None
    assert _errors(doc) == []


def test_partial_and_empty_platforms_validate(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "pods").mkdir()
    (tmp_path / "pods" / "pods.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: ns}\n"
        "spec: {nodeName: n1, containers: [{name: c, image: x}]}\n",
        encoding="utf-8",
    )
    old = _namespaces(tmp_path / "old", 3, deny=False)
    new = _namespaces(tmp_path / "new", 3, deny=True)
    docs = {
        "empty": build_views(load([str(tmp_path / "empty")]), inputs=["empty"]),
        "pods only": build_views(load([str(tmp_path / "pods")]), inputs=["pods"]),
        "diff beyond the why limit": build_views(new, inputs=["new"], compare=old, why_limit=2),
    }
    assert {name: _errors(doc) for name, doc in docs.items()} == {name: [] for name in docs}
    identity = docs["empty"]["sections"]["identity"]  # type: ignore[index]
    assert identity["data"]["people"] == [] and identity["data"]["people_empty"]


def test_a_section_not_available_validates(
    demo: LoadResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(result: LoadResult) -> object:
        raise KeyError("engine not finished")

    monkeypatch.setattr(views_module, "_storage", broken)
    doc = build_views(demo, inputs=["demo"])
    assert doc["sections"]["storage"] == {  # type: ignore[index]
        "available": False,
        "error": "KeyError: 'engine not finished'",
    }
    assert _errors(doc) == []


def test_the_schema_refuses_a_missing_field_the_page_reads(demo: LoadResult) -> None:
    doc = json.loads(json.dumps(build_views(demo, inputs=["demo"], explain=False)))
    del doc["sections"]["identity"]["data"]["people"][0]["clients"]
    del doc["sections"]["ipam"]["data"]["lose_az"]
    doc["sections"]["storage"]["data"]["now"]["statefulsets"][0]["replicas"] = "3"
    doc["sections"]["dns"]["data"]["plan"]["changes"][0]["targets"] = None
    doc["surprise"] = 1
    errors = _errors(doc)
    assert "[]: Additional properties are not allowed ('surprise' was unexpected)" in errors
    for needle in (
        "'clients' is a required property",
        "'lose_az' is a required property",
        "None is not of type 'array'",
        "'3' is not of type 'integer'",
    ):
        assert any(needle in e for e in errors), (needle, errors)


# -- what the page reads


def _resolved(schema: Any, resolver: Resolver[Any]) -> Iterator[tuple[Any, Resolver[Any]]]:
    """The schemas that ``schema`` stands for: its $ref followed, its combinators opened."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        found = resolver.lookup(schema["$ref"])
        yield from _resolved(found.contents, found.resolver)
    yield schema, resolver
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            yield from _resolved(sub, resolver)


def declares(path: list[str]) -> bool:
    """Does the schema declare the path the page read: each step a property
    (or the values of a map), "[]" an element of an array, "{}" the keys of an
    object? A step into an object that only allows more (additionalProperties
    true) is not declared."""
    schema = views_schema()
    here = [(schema, _registry().resolver(schema["$id"]))]
    for step in path:
        nxt: list[tuple[Any, Resolver[Any]]] = []
        for node, resolver in (r for s, res in here for r in _resolved(s, res)):
            if step == "[]":
                if isinstance(node.get("items"), dict):
                    nxt.append((node["items"], resolver))
                nxt.extend((item, resolver) for item in node.get("prefixItems", []))
            elif step == "{}":
                if "properties" in node or isinstance(node.get("additionalProperties"), dict):
                    nxt.append((node, resolver))
            elif step in node.get("properties", {}):
                nxt.append((node["properties"][step], resolver))
            elif isinstance(node.get("additionalProperties"), dict):
                nxt.append((node["additionalProperties"], resolver))
        if not nxt:
            return False
        here = nxt
    return True


def test_declares_follows_the_schema() -> None:
    ok = [
        ["sections", "identity", "data", "people", "[]", "aws_roles", "[]", "role_arn"],
        ["sections", "ipam", "data", "lose_az", "eu-west-1a", "zones", "{}"],
        ["sections", "ipam", "data", "now", "subnets", "[]", "now", "free"],
        ["sections", "network", "data", "pods", "[]", "[]", "[]"],
        ["sections", "report", "data", "findings", "[]", "subject", "kind"],
    ]
    not_declared = [
        ["sections", "identity", "data", "people", "[]", "nickname"],
        ["sections", "dns", "data", "plan", "annotation_prefix"],
        ["sections", "network", "data", "explain", "decisions", "[]", "policy", "name"],
        ["title", "[]"],
    ]
    assert [declares(p) for p in ok] == [True] * len(ok)
    assert [declares(p) for p in not_declared] == [False] * len(not_declared)


DEMO_PATHS = (
    ("shop-frontend/storefront", "databases/postgres-payments", ""),
    ("shop-api/cart-api", "payments/svc/payments-api", "80"),
)


def _walk(page: Any, paths: tuple[tuple[str, str, str], ...]) -> None:
    """Every tab, every choice and every disclosure, as a person could; the path
    queries ``paths`` (from, to, port) in the Connectivity tab."""
    page.wait_for_function("window.ekstwin && window.ekstwin.ready === true")
    open_all = "(ds) => ds.forEach((d) => { d.open = true; })"
    tabs = page.eval_on_selector_all("button[data-tab]", "(bs) => bs.map((b) => b.dataset.tab)")
    for tab in tabs:
        page.click(f"button[data-tab={tab}]")
        page.wait_for_function(f"window.ekstwin.shown === '{tab}'")
        pane = f"#pane-{tab}"
        if tab == "network" and page.locator("#granularity").count():
            page.wait_for_function("!!window.ekstwin.graphReady")
            for g in ("namespace", "workload"):
                if g == "workload":
                    page.evaluate("() => { window.ekstwin.graphReady = null; }")
                    page.select_option("#granularity", g)
                    page.wait_for_function(f"window.ekstwin.graphReady === '{g}'")
                ids = page.eval_on_selector_all(
                    "#endpoint-select option", "(os) => os.map((o) => o.value).filter(Boolean)"
                )
                for node in ids:
                    page.evaluate("(id) => window.ekstwin.select(id)", node)
                for shown in ("all", "allowed", "denied"):
                    page.select_option("#flow-filter", shown)
                    page.eval_on_selector_all(f"{pane} details", open_all)
            for src, dst, port in paths:
                page.fill("#path-from", src)
                page.fill("#path-to", dst)
                page.dispatch_event("#path-to", "change")
                page.fill("#path-port", port)
                page.click("#q-path button[type=submit]")
                page.wait_for_function(
                    "(s) => (document.querySelector('[data-testid=path-verdict]') || {})"
                    ".textContent?.includes(s)",
                    arg=dst,
                )
        for select in ("#person", "#ipam-zone", "#storage-zone"):
            if page.locator(f"{pane} {select}").count():
                for value in page.eval_on_selector_all(
                    f"{select} option", "(os) => os.map((o) => o.value)"
                ):
                    page.select_option(select, value)
                    page.eval_on_selector_all(f"{pane} details", open_all)
        for _ in range(2):  # a group opened builds its findings, closed
            page.eval_on_selector_all(f"{pane} details", open_all)
        if tab == "findings":
            for sv in page.eval_on_selector_all(
                "button[data-severity]", "(bs) => bs.map((b) => b.dataset.severity)"
            ):
                page.click(f"button[data-severity={sv}]")
                page.click(f"button[data-severity={sv}]")


def _reads(
    page: Any, doc: dict[str, object], out: Path, paths: tuple[tuple[str, str, str], ...] = ()
) -> list[list[str]]:
    out.write_text(render_page(load_assets(), "schema", doc, live=False), encoding="utf-8")
    page.add_init_script(path=str(TRACER))
    page.goto(out.as_uri())
    _walk(page, paths)
    assert page.ekstwin_errors == []
    return [json.loads(p) for p in page.evaluate("window.__ekstwinReads()")]


@pytest.mark.slow
def test_every_field_the_page_reads_is_declared_in_the_schema(
    page: Any, demo: LoadResult, tmp_path: Path
) -> None:
    baseline = Baseline(frozenset(), "baseline.json")
    doc = build_views(demo, inputs=[str(DEMO)], compare=demo, baseline=baseline)
    reads = _reads(page, doc, tmp_path / "demo.html", DEMO_PATHS)
    # the walk reached every tab's data, down to the leaves
    for deep in (
        ["sections", "identity", "data", "people", "[]", "kubernetes", "[]", "grants", "[]", "via"],
        ["sections", "ipam", "data", "lose_az", "eu-west-1a", "zone_loss", "groups", "[]", "note"],
        ["sections", "network", "data", "explain", "decisions", "[]", "message"],
        ["sections", "storage", "data", "now", "statefulsets", "[]", "replicas_plan", "[]", "pod"],
        ["sections", "dns", "data", "plan", "changes", "[]", "targets", "[]"],
        ["sections", "report", "data", "findings", "[]", "evidence", "[]"],
    ):
        assert deep in reads, deep
    assert [p for p in reads if not declares(p)] == []


@pytest.mark.slow
def test_every_field_the_diff_tab_reads_is_declared_in_the_schema(
    browser: Any, tmp_path: Path
) -> None:
    old = _namespaces(tmp_path / "old", 3, deny=False)
    new = _namespaces(tmp_path / "new", 3, deny=True)
    doc = build_views(new, inputs=["new"], compare=old, compare_inputs=["old"], why_limit=3)
    page = browser.new_page()
    page.ekstwin_errors = []
    page.on("pageerror", lambda exc: page.ekstwin_errors.append(str(exc)))
    try:
        reads = _reads(page, doc, tmp_path / "diff.html")
    finally:
        page.close()
    assert ["sections", "diff", "data", "changes", "[]", "why_old", "egress", "message"] in reads
    assert [p for p in reads if not declares(p)] == []
