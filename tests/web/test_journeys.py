"""The four everyday questions as a person asks them in the report (headless Chromium),
each answer on screen compared with the engine's; axe-core on every view.

The report is opened from file:// like a user would; the answers must equal what
the CLI's engines say.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.access import AccessAnalyzer
from ekstwin.engines.net import NetModel, Verdict, can
from ekstwin.engines.storage import storage_plan
from ekstwin.loaders import LoadResult
from ekstwin.suppressions import Baseline
from ekstwin.web.report import report_html
from tests.web.conftest import DEMO, REPO

pytestmark = pytest.mark.slow

AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
FRONTEND = "shop-frontend/storefront"
PAYMENTS_DB = "databases/postgres-payments"


@pytest.fixture(scope="module")
def baseline_fingerprint(demo: LoadResult) -> str:
    from ekstwin.analysis import analyze

    report = analyze(demo)
    return next(f.fingerprint for f in report.findings if f.check_id == "NET003")


@pytest.fixture(scope="module")
def report_file(
    demo: LoadResult, tmp_path_factory: pytest.TempPathFactory, baseline_fingerprint: str
) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    baseline = Baseline(frozenset({baseline_fingerprint}), "baseline.json")
    out.write_text(
        report_html(demo, inputs=[str(DEMO)], baseline=baseline),
        encoding="utf-8",
    )
    return out


@pytest.fixture
def report(page: Any, report_file: Path) -> Iterator[Any]:
    attempted: list[str] = []

    def block(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    page.goto(report_file.as_uri())
    page.wait_for_function("window.ekstwin && window.ekstwin.ready === true")
    yield page
    assert attempted == []
    assert page.ekstwin_errors == []


def _pod(demo: LoadResult, workload: str) -> str:
    return min(p.key for p in demo.platform.pods if p.workload_key == workload)


def _decision_text(d: dict[str, Any]) -> str:
    return f"{d['message']} {d['file']}:{d['line']}" if d["file"] else str(d["message"])


# -- "Can shop-frontend reach payments-db, and why not?"


def test_path_query_names_the_deciding_rule_of_each_side(
    report: Any, demo: LoadResult, artifacts: Path
) -> None:
    report.click("button[data-tab=network]")
    report.fill("#path-from", FRONTEND)
    report.fill("#path-to", PAYMENTS_DB)
    report.dispatch_event("#path-to", "change")
    # the port defaults to the one the database declares
    assert report.locator("#path-port").get_attribute("placeholder") == "5432"
    report.click("#q-path button[type=submit]")
    verdict = report.locator("[data-testid=path-verdict]")
    verdict.wait_for()
    assert verdict.inner_text() == f"{FRONTEND} \u2192 {PAYMENTS_DB} TCP/5432: DENIED"
    want = can(demo.platform, _pod(demo, FRONTEND), _pod(demo, PAYMENTS_DB), 5432)
    assert isinstance(want, Verdict) and not want.allowed
    answer = report.locator("[data-testid=path-result]")
    egress = answer.locator("[data-testid=decision-egress]").inner_text()
    ingress = answer.locator("[data-testid=decision-ingress]").inner_text()
    assert want.egress.message in egress and want.ingress.message in ingress
    assert "denied at the end of tier default" in ingress
    assert want.ingress.source is not None
    assert f"{want.ingress.source.file}:{want.ingress.source.line}" in ingress
    report.screenshot(path=str(artifacts / "journey-path-query.png"), full_page=True)

    # a Service: judged per backing pod at its target port, as `net can` does
    report.fill("#path-from", "shop-api/cart-api")
    report.fill("#path-to", "payments/svc/payments-api")
    report.fill("#path-port", "80")
    report.click("#q-path button[type=submit]")
    report.wait_for_function(
        "document.querySelector('[data-testid=path-verdict]').textContent.includes('svc')"
    )
    svc = can(demo.platform, _pod(demo, "shop-api/cart-api"), "payments/svc/payments-api", 80)
    word = "ALLOWED" if svc.allowed else "DENIED"
    assert report.locator("[data-testid=path-verdict]").inner_text() == (
        f"shop-api/cart-api \u2192 payments/svc/payments-api TCP/80: {word}"
    )


def test_every_workload_pair_is_explained_as_the_engine_decides(
    report: Any, demo: LoadResult
) -> None:
    """The page's lookup equals NetModel.verdict for every pod pair of the demo."""
    report.click("button[data-tab=network]")
    report.wait_for_function("!!window.ekstwin.net")
    model = NetModel(demo.platform)
    pods = sorted(model.endpoints)
    got = report.evaluate(
        """(ports) => { const net = window.ekstwin.net; const out = [];
             for (let a = 0; a < net.pods.length; a++) for (let b = 0; b < net.pods.length; b++)
               for (const [proto, port] of ports) {
                 const v = net.podVerdict(a, b, proto, port);
                 out.push([v.allowed, v.egress.message, v.ingress.message, v.egress.line,
                           v.ingress.line]); }
             return out; }""",
        [["TCP", 5432], ["UDP", 53]],
    )
    want = []
    for a in pods:
        for b in pods:
            for proto, port in (("TCP", 5432), ("UDP", 53)):
                v = model.verdict(model.endpoints[a], model.endpoints[b], proto, port)
                want.append(
                    [
                        v.allowed,
                        v.egress.message,
                        v.ingress.message,
                        v.egress.source.line if v.egress.source else None,
                        v.ingress.source.line if v.ingress.source else None,
                    ]
                )
    assert got == want


def test_flow_table_lists_denied_pairs_of_a_namespace(report: Any, demo: LoadResult) -> None:
    report.click("button[data-tab=network]")
    report.select_option("#granularity", "workload")
    report.wait_for_function("window.ekstwin.graphReady === 'workload'")
    report.fill("#scope", "shop-frontend")
    report.dispatch_event("#scope", "change")
    report.wait_for_function("window.ekstwin.graphReady === 'workload'")
    report.select_option("#flow-filter", "denied")
    row = report.locator("[data-testid=flow-row]", has_text=PAYMENTS_DB).first
    row.wait_for()
    cells = row.locator("td")
    assert [cells.nth(i).inner_text() for i in range(3)] == [FRONTEND, PAYMENTS_DB, "denied"]
    rows = report.locator("[data-testid=flow-row]")
    assert all(
        rows.nth(i).locator("td").nth(2).inner_text() == "denied"
        for i in range(min(rows.count(), 20))
    )
    row.locator("details summary").click()
    row.locator(".why").wait_for()
    assert "DENIED" in row.inner_text()
    report.select_option("#flow-filter", "allowed")
    report.wait_for_function(
        "[...document.querySelectorAll('[data-testid=flow-row] td:nth-child(3)')]"
        ".every((td) => td.textContent === 'allowed')"
    )
    count = report.locator("[data-testid=flow-count]").inner_text()
    assert count.endswith("0 denied")
    # the graph is scoped too: the namespace's workloads and their peers
    drawn = report.evaluate(
        "window.ekstwin.graph.cy.nodes(\"[kind = 'endpoint']\").map((n) => n.id())"
    )
    assert FRONTEND in drawn
    assert all(n.startswith("shop-frontend/") for n in drawn[:2])


# -- "What can GitHub user carol-n do?"


def test_person_panel_shows_the_chain_to_grants(
    report: Any, demo: LoadResult, artifacts: Path
) -> None:
    user: dict[str, Any] = AccessAnalyzer(demo.platform).user("carol-n").to_json()
    report.click("button[data-tab=identity]")
    report.select_option("#person", label="carol-n")
    panel = report.locator("[data-testid=person-panel]")
    panel.wait_for()
    text = panel.inner_text()
    assert f"Keycloak user {user['keycloak_user']} in realm {user['realm']}" in text
    for client in user["clients"]:
        assert client["name"] in text
    roles = [r.inner_text() for r in panel.locator("[data-testid=aws-role]").all()]
    assert roles == [
        f"AWS console and CLI (workload-prod) (SAML client urn:amazon:webservices) \u2192 "
        f"{r['role_arn']}: {'assumable' if r['assumable'] else 'NOT assumable'}"
        for r in user["aws_roles"]
    ]
    identities = [k.inner_text() for k in panel.locator("[data-testid=k8s-identity]").all()]
    assert len(identities) == len(user["kubernetes"])
    first = user["kubernetes"][0]
    assert identities[0] == (
        f"as AWS role {first['role_arn']} \u2192 user {first['username']}, "
        f"groups {', '.join(first['groups'])}"
    )
    caps = panel.locator("[data-testid=capabilities]").first.inner_text()
    assert caps == "can: " + "; ".join(
        f"{c['ability']} in {c['scope']}" for c in first["capabilities"]
    )
    report.screenshot(path=str(artifacts / "journey-person.png"), full_page=True)


def test_credentials_list_only_workloads_that_obtain_a_role(report: Any) -> None:
    report.click("button[data-tab=identity]")
    with_creds = report.locator("[data-testid=with-credentials] details.identity")
    names = [d.get_attribute("data-workload") for d in with_creds.all()]
    assert "payments/payments-api" in names
    assert "argocd/argocd-server" not in names
    blocked = report.locator(
        "[data-testid=without-credentials] details[data-workload='argocd/argocd-server']"
    )
    blocked.locator("summary").click()
    assert "instance metadata blocked (secure)" in blocked.inner_text()
    assert blocked.locator(".chain-row.secure").count() == 1


# -- "Which findings matter most?"


def test_findings_grouped_by_check_with_severity_filter_and_baseline_apart(
    report: Any, demo: LoadResult, baseline_fingerprint: str, artifacts: Path
) -> None:
    from ekstwin.analysis import analyze

    active = [f for f in analyze(demo).findings if f.fingerprint != baseline_fingerprint]
    report.click("button[data-tab=findings]")
    groups = report.locator("[data-testid=finding-groups] details.check-group")
    ids = [g.get_attribute("data-check") for g in groups.all()]
    assert sorted(ids) == sorted({f.check_id for f in active})
    order = ["critical", "high", "medium", "low", "info"]
    sevs = [order.index(g.get_attribute("data-severity") or "") for g in groups.all()]
    assert sevs == sorted(sevs)
    net003 = report.locator("[data-testid=finding-groups] details[data-check=NET003]")
    n = sum(1 for f in active if f.check_id == "NET003")
    assert f"{n} finding(s)" in net003.locator("[data-testid=check-count]").inner_text()
    net003.locator("summary").click()
    net003.locator("details.finding").first.wait_for()
    assert net003.locator("details.finding").count() == n
    link = net003.locator("a")
    assert (
        link.get_attribute("href")
        == "https://github.com/ekstwin/ekstwin/blob/main/docs/checks/NET003.md"
    )
    # the baseline's finding is shown apart
    apart = report.locator("[data-testid=suppressed]")
    assert "in the baseline (1)" in apart.inner_text()
    # severity cards filter
    high = sum(1 for f in active if f.severity.value == "high")
    assert high
    report.click("button.card.toggle[data-severity=high]")
    assert report.locator("[data-testid=finding-groups] details[data-severity=high]").count() == 0
    assert report.locator("button[data-severity=high]").get_attribute("aria-pressed") == "false"
    report.click("button.card.toggle[data-severity=high]")
    assert report.locator("[data-testid=finding-groups] details[data-severity=high]").count() > 0
    report.screenshot(path=str(artifacts / "journey-findings.png"), full_page=True)


# -- "What breaks if eu-west-1a goes down?"


def test_storage_zone_loss_agrees_with_the_cli(
    report: Any, demo: LoadResult, artifacts: Path
) -> None:
    plan: dict[str, Any] = storage_plan(demo.platform, "eu-west-1a").to_json()
    report.click("button[data-tab=storage]")
    report.select_option("#storage-zone", "eu-west-1a")
    report.locator("[data-testid=storage-scenario]").wait_for()
    assert (
        "If eu-west-1a goes down" in report.locator("[data-testid=storage-scenario]").inner_text()
    )
    shown = {}
    for row in report.locator("[data-testid=storage-table] tbody tr").all():
        cells = row.locator("td")
        shown[row.get_attribute("data-statefulset")] = cells.nth(4).inner_text()
    want = {
        f"{s['namespace']}/{s['name']}": "YES" if s["loses_quorum"] else "no"
        for s in plan["statefulsets"]
    }
    assert shown == want
    assert shown["databases/kafka"] == shown["databases/postgres-orders"] == "YES"
    kafka = report.locator("[data-statefulset='databases/kafka']").inner_text()
    assert "data-kafka-0 in eu-west-1a (predicted)" in kafka
    report.screenshot(path=str(artifacts / "journey-storage.png"), full_page=True)


def test_ip_capacity_zone_loss_shows_the_clis_figures(
    report: Any, tmp_path: Path, artifacts: Path
) -> None:
    out = tmp_path / "plan.json"
    assert main(["ipam", "plan", str(DEMO), "--lose-az", "eu-west-1a", "--format", "json",
                 "-q", "-o", str(out)]) == 0  # fmt: skip
    cli = json.loads(out.read_text(encoding="utf-8"))
    report.click("button[data-tab=ipam]")
    report.select_option("#ipam-zone", "eu-west-1a")
    scenario = report.locator("[data-testid=ipam-scenario]").inner_text()
    assert scenario == "If eu-west-1a goes down (as ekstwin ipam plan --lose-az eu-west-1a):"
    keys = ("nodes", "pods", "warm", "eni_primaries", "other", "free")
    shown = {
        row.get_attribute("data-subnet"): [c.inner_text() for c in row.locator("td").all()]
        for row in report.locator("[data-testid=ipam-subnets] tbody tr").all()
    }
    assert shown == {
        s["subnet_id"]: [s["subnet_id"], s["zone"], str(s["usable"]),
                         *(str(s["after"][k]) for k in keys), str(s["now"]["free"])]
        for s in cli["subnets"]
    }  # fmt: skip
    zones = {
        row.get_attribute("data-zone"): [c.inner_text() for c in row.locator("td").all()][1:]
        for row in report.locator("[data-testid=ipam-zones] tr[data-zone]").all()
    }
    assert zones == {
        z: [str(v["usable"]), str(v["free_now"]), str(v["free_after"])]
        for z, v in cli["zones"].items()
    }
    loss = cli["zone_loss"]
    text = report.locator("[data-testid=ipam-zone-loss]").inner_text()
    assert (
        f"losing eu-west-1a: {len(loss['lost_nodes'])} node(s) gone; "
        f"{loss['pods_rescheduled']} of {loss['pods_to_reschedule']} pod(s) rescheduled, "
        f"{loss['pods_pending']} pending"
    ) in text
    groups = {
        row.get_attribute("data-group"): [c.inner_text() for c in row.locator("td").all()]
        for row in report.locator("[data-testid=ipam-zone-loss] tbody tr").all()
    }
    assert groups == {
        g["name"]: [g["name"], str(g["lost"]), str(g["replaced"]), str(g["added_for_pods"]),
                    str(g["max_size"]), ", ".join(g["subnets_left"]) or "none", g["note"]]
        for g in loss["groups"]
    }  # fmt: skip
    assert groups["batch"][2] == "0"  # its only subnet is in the lost zone
    runs_out = report.locator("[data-testid=runs-out]").inner_text()
    assert runs_out == (cli["runs_out_first"] or "no subnet runs out in this scenario")
    assumed = report.locator("[data-testid=assumptions]").inner_text()
    assert all(a in assumed for a in cli["assumptions"])
    report.screenshot(path=str(artifacts / "journey-ip-zone-loss.png"), full_page=True)
    # back to the plan as it is
    report.select_option("#ipam-zone", "")
    assert report.locator("[data-testid=ipam-zone-loss]").count() == 0


# -- accessibility


def test_no_serious_or_critical_axe_violation_on_any_view(report: Any) -> None:
    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed ({AXE}; run: cd web && npm ci)")
    report.add_script_tag(path=str(AXE))
    found: dict[str, list[str]] = {}
    tabs = [b.get_attribute("data-tab") for b in report.locator("[role=tab]").all()]
    for tab in tabs:
        report.click(f"button[data-tab={tab}]")
        if tab == "network":
            report.wait_for_function("window.ekstwin.graphReady === 'namespace'")
            report.fill("#path-from", FRONTEND)
            report.fill("#path-to", PAYMENTS_DB)
            report.click("#q-path button[type=submit]")
            report.locator("[data-testid=path-verdict]").wait_for()
        if tab == "identity":
            report.select_option("#person", label="carol-n")
        if tab == "storage":
            report.select_option("#storage-zone", "eu-west-1a")
        if tab == "ipam":
            report.select_option("#ipam-zone", "eu-west-1a")
        # everything folded is checked too: open every details (nested ones are
        # built when their parent opens)
        for _ in range(3):
            report.evaluate(
                "document.querySelectorAll('details').forEach((d) => { d.open = true; })"
            )
            report.wait_for_timeout(100)
        result = report.evaluate(
            """async () => { const r = await axe.run(document, {resultTypes: ['violations']});
                 return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
                   .map((v) => v.id + ': ' + v.nodes.slice(0, 3)
                     .map((n) => n.target.join(' ')).join(' | ')); }"""
        )
        if result:
            found[str(tab)] = result
    assert found == {}, json.dumps(found, indent=1)


def test_tabs_follow_the_arrow_keys(report: Any) -> None:
    report.focus("button[data-tab=summary]")
    report.keyboard.press("ArrowRight")
    assert report.evaluate("document.activeElement.getAttribute('data-tab')") == "findings"
    assert report.locator("#pane-findings").is_visible()
    assert report.locator("button[data-tab=findings]").get_attribute("aria-selected") == "true"
    report.keyboard.press("End")
    last = report.evaluate("document.activeElement.getAttribute('aria-controls')")
    assert report.locator(f"#{last}").is_visible()
    report.keyboard.press("Home")
    assert report.evaluate("document.activeElement.getAttribute('data-tab')") == "summary"


# -- the same answers from serve, per request

PAIRS = [
    (FRONTEND, PAYMENTS_DB, "TCP", 5432),
    ("shop-api/cart-api", "payments/payments-api", "TCP", 8080),
    ("shop-api/cart-api", "payments/svc/payments-api", "TCP", 80),
    ("monitoring/prometheus", "payments", "TCP", 9090),
    ("dev/toolbox", "kube-system/coredns", "UDP", 53),
    ("databases/kafka", "databases/kafka", "TCP", 9092),
    ("cart-api", "payments-api", "TCP", 8080),  # as the graph labels workloads
]


def test_serve_answers_each_path_as_the_report_computes_it(
    report: Any, browser: Any, demo_server: Any
) -> None:
    """The report's lookup (netdata.js path) and serve's /api/path (views.path_answer,
    the engine's verdicts) give the same JSON for every question."""
    report.click("button[data-tab=network]")
    report.wait_for_function("!!window.ekstwin.net")
    in_page = report.evaluate(
        "(pairs) => pairs.map(([a, b, proto, port]) => window.ekstwin.net.path(a, b, proto, port))",
        PAIRS,
    )
    live = browser.new_page()
    try:
        live.goto(demo_server.url)
        live.wait_for_function("window.ekstwin && window.ekstwin.ready === true")
        from_api = []
        for a, b, proto, port in PAIRS:
            res = live.request.get(
                demo_server.url + "api/path",
                params={"from": a, "to": b, "port": str(port), "protocol": proto},
            )
            assert res.status == 200, res.text()
            from_api.append(res.json())
        assert from_api == in_page
        assert (in_page[-1]["from"], in_page[-1]["to"]) == (
            "shop-api/cart-api",
            "payments/payments-api",
        )
        # and the form in serve asks the server
        live.click("button[data-tab=network]")
        live.fill("#path-from", FRONTEND)
        live.fill("#path-to", PAYMENTS_DB)
        live.dispatch_event("#path-to", "change")
        live.click("#q-path button[type=submit]")
        live.locator("[data-testid=path-verdict]").wait_for()
        assert live.locator("[data-testid=path-verdict]").inner_text() == (
            f"{FRONTEND} \u2192 {PAYMENTS_DB} TCP/5432: DENIED"
        )
        views = live.evaluate("fetch('/api/views').then((r) => r.json())")
        assert views["sections"]["network"]["data"]["explain"] is None
    finally:
        live.close()


def test_empty_views_say_which_input_is_missing(page: Any, tmp_path: Path) -> None:
    from ekstwin.loaders import load

    (tmp_path / "pods.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
        "spec: {containers: [{name: c, image: nginx:1.27}]}\nstatus: {podIP: 198.18.0.10}\n",
        encoding="utf-8",
    )
    out = tmp_path / "report.html"
    out.write_text(report_html(load([str(tmp_path)]), inputs=["pods"]), encoding="utf-8")
    page.goto(out.as_uri())
    page.wait_for_function("window.ekstwin && window.ekstwin.ready === true")
    said = {}
    for tab in ("identity", "ingress", "ipam", "storage"):
        page.click(f"button[data-tab={tab}]")
        said[tab] = [e.inner_text() for e in page.locator(f"#pane-{tab} [data-testid=empty]").all()]
    assert said == {
        "identity": [
            "no Keycloak realm export given: people cannot be followed from GitHub to AWS and "
            "Kubernetes",
            "no aws.json given: IAM roles, IRSA trust and node roles cannot be judged",
        ],
        "ingress": ["no Ingress the AWS Load Balancer Controller would build an ALB for"],
        "ipam": [],
        "storage": ["no StatefulSet in the input"],
    }
    # the IP plan assumes what the input lacks, and says so
    page.click("button[data-tab=ipam]")
    assumed = page.locator("[data-testid=assumptions]").inner_text()
    assert "no AWS subnets in the input: one default subnet 198.18.0.0/16 assumed" in assumed
    assert page.ekstwin_errors == []
