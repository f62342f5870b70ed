"""``ekstwin serve --db``: the Timeline tab's endpoints (the states, what changed
between two of them, as ``ekstwin history`` computes it), the errors at start,
serving the latest recorded state, and the tab in a real browser."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ekstwin.cli.main import main
from ekstwin.errors import ConfigError
from ekstwin.loaders import load
from ekstwin.store import StateStore
from ekstwin.web.server import ServeOptions, WebServer
from ekstwin.web.views import build_views
from tests.fixtures.review.head import BASE, write_head
from tests.web.conftest import RunningServer, start_server
from tests.web.test_server import get_json, raw_get

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Three states: the review base twice (no change), then the review head (a
    NetworkPolicy widened, a RoleBinding added, an Ingress path moved)."""
    root = tmp_path_factory.mktemp("timeline")
    db = str(root / "states.db")
    head = write_head(root / "head")
    for platform, label in ((BASE, "monday"), (BASE, "tuesday"), (head, "wednesday")):
        assert main(["record", str(platform), "--db", db, "--label", label, "-q"]) == 0
    return db, head


@pytest.fixture(scope="module")
def history(recorded: tuple[str, Path]) -> dict[str, Any]:
    """What ``ekstwin history --format json`` says of the same database."""
    db, _ = recorded
    out = Path(db).with_suffix(".history.json")
    assert main(["history", "--db", db, "--format", "json", "-o", str(out)]) == 0
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return doc


@pytest.fixture(scope="module")
def db_server(recorded: tuple[str, Path]) -> Iterator[RunningServer]:
    running = start_server([], db=recorded[0])
    yield running
    running.stop()


def test_timeline_lists_the_states_and_their_pairs(
    db_server: RunningServer, recorded: tuple[str, Path], history: dict[str, Any]
) -> None:
    db, _ = recorded
    doc = get_json(db_server.server.port, "/api/timeline")
    assert doc == {
        "db": db,
        "states": history["states"],
        "changes": [
            {"from": 1, "to": 2, "changed": False},
            {"from": 2, "to": 3, "changed": True},
        ],
        "empty": None,
    }
    assert [s["label"] for s in history["states"]] == ["monday", "tuesday", "wednesday"]


def test_timeline_diff_is_what_history_reports(
    db_server: RunningServer, history: dict[str, Any]
) -> None:
    port = db_server.server.port
    # one function answers both: the same JSON as history's change entries
    assert get_json(port, "/api/timeline/diff?from=2&to=3") == history["changes"][1]
    assert get_json(port, "/api/timeline/diff?from=1&to=2") == history["changes"][0]
    assert history["changes"][0]["diff"] is None
    assert history["changes"][1]["diff"]["summary"] == {
        "reachability": {"opened": 1},
        "kubernetes-access": {"gained": 6},
        "alb": {"added": 1, "removed": 1},
    }
    # asked again: the kept answer, unchanged
    assert get_json(port, "/api/timeline/diff?from=2&to=3") == history["changes"][1]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("from=2&to=99", 404, "no state 99 - /api/timeline lists the recorded states"),
        ("from=99&to=2", 404, "no state 99 - /api/timeline lists the recorded states"),
        ("from=two&to=3", 400, "from='two': give the id of a recorded state"),
        ("from=2", 400, "to='': give the id of a recorded state"),
        ("from=-1&to=3", 400, "from='-1': give the id of a recorded state"),
    ],
)
def test_timeline_diff_refuses_unknown_states(
    db_server: RunningServer, recorded: tuple[str, Path], query: str, status: int, message: str
) -> None:
    got, body = raw_get(db_server.server.port, "/api/timeline/diff?" + query)
    assert got == status
    error = json.loads(body)["error"]
    assert error == (f"{recorded[0]}: {message}" if status == 404 else message)


def test_db_alone_serves_the_latest_state(
    db_server: RunningServer, recorded: tuple[str, Path]
) -> None:
    db, head = recorded
    views = get_json(db_server.server.port, "/api/views")
    assert isinstance(views, dict)
    assert views["inputs"] == [db]
    want: dict[str, Any] = build_views(load([str(head)]), inputs=[str(head)], explain=False)
    for section in ("network", "identity", "dns", "storage"):
        assert views["sections"][section] == want["sections"][section], section
    base: dict[str, Any] = build_views(load([str(BASE)]), inputs=[str(BASE)], explain=False)
    assert views["sections"]["network"] != base["sections"]["network"]


def test_without_db_the_timeline_says_so(demo_server: RunningServer) -> None:
    port = demo_server.server.port
    assert get_json(port, "/api/timeline") == {
        "db": None,
        "states": [],
        "changes": [],
        "empty": "no state database: start serve with --db FILE "
        "(ekstwin record PLATFORM --db FILE stores the states)",
    }
    status, body = raw_get(port, "/api/timeline/diff?from=1&to=2")
    assert (status, json.loads(body)) == (
        404,
        {"error": "no state database: start serve with --db FILE"},
    )


def test_platform_and_an_empty_db(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    StateStore(db).close()
    running = start_server([str(BASE)], db=str(db))
    try:
        doc = get_json(running.server.port, "/api/timeline")
    finally:
        running.stop()
    assert doc == {
        "db": str(db),
        "states": [],
        "changes": [],
        "empty": f"no state recorded in {db} yet (ekstwin record PLATFORM --db {db})",
    }


def test_bad_databases_are_refused_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a database, just some notes\n" * 20, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        WebServer(ServeOptions((str(BASE),), port=0, db=str(text)))
    assert str(info.value) == f"{text}: not an ekstwin state database (file is not a database)"
    missing = tmp_path / "missing.db"
    with pytest.raises(ConfigError, match="no such file - record a state first"):
        WebServer(ServeOptions((), port=0, db=str(missing)))
    assert not missing.exists()  # refusing it did not create it
    empty = tmp_path / "empty.db"
    StateStore(empty).close()
    with pytest.raises(ConfigError) as info:
        WebServer(ServeOptions((), port=0, db=str(empty)))
    assert str(info.value) == (
        f"--db {empty}: no state recorded - record one (ekstwin record PLATFORM --db {empty}) "
        "or give the PLATFORM to serve"
    )
    # the command: exit 2 and the message, no traceback
    assert main(["serve", "--db", str(text), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {text}: not an ekstwin state database (file is not a database)\n"
    assert main(["serve", "--port", "0"]) == 2
    assert "serve needs a PLATFORM (directory or files) or --db FILE" in capsys.readouterr().err


# -- the tab in a browser


def _open_timeline(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.ekstwin && window.ekstwin.ready === true")
    page.click("button[data-tab=timeline]")


def test_timeline_tab_shows_the_change(
    page: Any, db_server: RunningServer, history: dict[str, Any], artifacts: Path
) -> None:
    _open_timeline(page, db_server.url)
    rows = page.locator("[data-testid=timeline-states] tr[data-state]")
    rows.first.wait_for()
    shown = [r.locator("td").all_inner_texts() for r in rows.all()]
    want = [
        [
            str(s["id"]),
            s["recorded_at"],
            s["label"],
            f"{s['findings']}: "
            + (
                ", ".join(
                    f"{s['findings_by_severity'][sv]} {sv}"
                    for sv in ("critical", "high", "medium", "low", "info")
                    if sv in s["findings_by_severity"]
                )
                or "none"
            ),
            s["digest"][:12],
        ]
        for s in history["states"]
    ]
    assert shown == want
    # the latest pair whose platforms differ is chosen first
    assert page.locator("#timeline-pair").input_value() == "1"
    page.click("#q-timeline button[type=submit]")
    page.locator("[data-testid=timeline-diff]").wait_for()
    diff = history["changes"][1]["diff"]
    assert page.locator("[data-testid=timeline-diff-title]").inner_text() == (
        "state 2 (tuesday) \u2192 state 3 (wednesday)"
    )
    on_screen = {
        area: page.locator(f"section[data-area='{area}'] > ul > li").all_inner_texts()
        for area in diff["summary"]
    }
    expected = {
        area: [
            "\n".join(
                [f"{c['kind']} {c['subject']}: {c['summary']}"]
                + [f"because {b}" for b in c["because"]]
            )
            for c in diff["changes"]
            if c["area"] == area
        ]
        for area in diff["summary"]
    }
    assert on_screen == expected
    opened = page.locator("section[data-area=reachability] li[data-kind=opened]").inner_text()
    assert "shop/frontend -> payments/db" in opened
    page.screenshot(path=str(artifacts / "timeline.png"), full_page=True)
    # the pair without change says so
    page.select_option("#timeline-pair", "0")
    page.click("#q-timeline button[type=submit]")
    page.get_by_text("No change: the two states have the same digest").wait_for()
    assert page.ekstwin_errors == []


def test_timeline_tab_without_db(page: Any, demo_server: RunningServer) -> None:
    _open_timeline(page, demo_server.url)
    empty = page.locator("[data-testid=timeline-empty]")
    empty.wait_for()
    assert empty.inner_text() == (
        "no state database: start serve with --db FILE "
        "(ekstwin record PLATFORM --db FILE stores the states)"
    )


def test_timeline_tab_is_axe_clean(page: Any, db_server: RunningServer) -> None:
    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed ({AXE}; run: cd web && npm ci)")
    _open_timeline(page, db_server.url)
    page.click("#q-timeline button[type=submit]")
    page.locator("[data-testid=timeline-diff]").wait_for()
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => { const r = await axe.run(document, {resultTypes: ['violations']});
             return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
               .map((v) => v.id + ': ' + v.nodes.slice(0, 3)
                 .map((n) => n.target.join(' ')).join(' | ')); }"""
    )
    assert result == []


def test_hostile_names_in_the_timeline_are_text(page: Any, tmp_path: Path) -> None:
    from tests.web.test_xss import EVIL_NS, EVIL_POD, HOSTILE

    docs = HOSTILE.split("---\n")
    without_policy = "---\n".join(d for d in docs if "kind: NetworkPolicy" not in d)
    # the head: the policy admits nothing, so the web pod loses its flow to peer
    deny_all = HOSTILE.replace("  ingress:\n  - from: [{podSelector: {}}]\n", "")
    assert deny_all != HOSTILE
    db = str(tmp_path / "hostile.db")
    for text, label in (
        (without_policy, "<img src=x onerror=window.__pwned=5>"),
        (deny_all, "<u>b</u>"),
    ):
        (tmp_path / "p").mkdir(exist_ok=True)
        (tmp_path / "p" / "all.yaml").write_text(text, encoding="utf-8")
        # exit 2: the hostile names are input errors too; the state is still recorded
        assert main(["record", str(tmp_path / "p"), "--db", db, "--label", label, "-q"]) in (0, 2)
    running = start_server([], db=db)
    try:
        dialogs: list[str] = []

        def on_dialog(d: Any) -> None:
            dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)
        _open_timeline(page, running.url)
        page.click("#q-timeline button[type=submit]")
        page.locator("[data-testid=timeline-diff]").wait_for()
        states = page.locator("[data-testid=timeline-states]").inner_text()
        assert "<img src=x onerror=window.__pwned=5>" in states and "<u>b</u>" in states
        closed = page.locator("section[data-area=reachability]").inner_text()
        assert f"{EVIL_NS}/{EVIL_POD}" in closed
        assert page.evaluate("window.__pwned === undefined") is True
        assert (
            page.evaluate("document.querySelectorAll('#app img, #app iframe, #app u').length") == 0
        )
        assert dialogs == []
        assert page.ekstwin_errors == []
    finally:
        running.stop()
