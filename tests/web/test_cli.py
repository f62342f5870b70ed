"""ekstwin report and ekstwin serve from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from tests.web.conftest import DEMO


def _data(html: str) -> dict[str, object]:
    start = html.index('<script id="ekstwin-data" type="application/json">')
    body = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    got: dict[str, object] = json.loads(body)
    return got


def test_report_writes_one_self_contained_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    assert main(["report", str(DEMO), "-o", str(out), "--compare", str(DEMO)]) == 0
    assert capsys.readouterr().err == f"wrote {out}\n"
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert "connect-src 'none'" in html
    for external in ('src="http', "src='http", 'href="http', "@import", "url(http"):
        assert external not in html
    data = _data(html)
    sections = data["sections"]
    assert isinstance(sections, dict)
    assert sorted(k for k, v in sections.items() if v["available"]) == sorted(
        ["report", "network", "identity", "ingress", "dns", "ipam", "storage", "diff"]
    )
    assert data["inputs"] == [str(DEMO)]


def test_report_needs_an_output(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["report", str(DEMO)])
    assert exc.value.code == 2
    assert "the following arguments are required: --output/-o" in capsys.readouterr().err


def test_serve_refuses_a_public_address_without_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EKSTWIN_TOKEN", raising=False)
    assert main(["serve", str(DEMO), "--host", "0.0.0.0", "--port", "0", "-q"]) == 2
    assert capsys.readouterr().err == (
        "error: refusing to bind 0.0.0.0: not a loopback address - give --token (every "
        "request must then carry it) or bind 127.0.0.1\n"
    )
