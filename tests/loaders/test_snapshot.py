"""Snapshots: `ekstwin snapshot DIR -o twin.json` reads back as the same platform."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.findings import Diagnostic
from ekstwin.loaders import load
from ekstwin.model.source import Source

ROOT = Path(__file__).parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
DEMO = ROOT / "examples" / "demo-platform"

#: Values written in the fixtures that must never reach a snapshot.
FULL_SECRET_VALUES = ("ZnVsbC1maXh0dXJlLXZhbHVlLTAx", "full-fixture-value-02")
REALM_SECRET_MARKER = "SECRET"  # every secret value of the realm fixture holds it


@pytest.fixture
def platform_dir(tmp_path: Path) -> Path:
    root = tmp_path / "platform"
    shutil.copytree(FIXTURES / "manifests" / "full", root)
    shutil.copy(FIXTURES / "aws" / "full.json", root / "aws.json")
    shutil.copy(FIXTURES / "keycloak" / "realm-platform.json", root / "realm.json")
    return root


def _snapshot(src: Path | str, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["snapshot", str(src), "-o", str(out), "--quiet"])
    err = capsys.readouterr().err
    return code, err


def test_snapshot_reads_back_as_an_equal_platform(
    platform_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twin = tmp_path / "twin.json"
    code, err = _snapshot(platform_dir, twin, capsys)
    # the realm's users carry credentials: redaction keeps them a list, so
    # the realm reads without a diagnostic
    assert (code, err) == (0, "")
    direct = load([str(platform_dir)])
    again = load([str(twin)])
    assert direct.platform.pods  # a platform worth comparing
    assert direct.platform.realms and direct.platform.aws.accounts
    assert again.platform == direct.platform
    assert again.diagnostics == direct.diagnostics
    # lines (compare=False on Meta) survive too
    assert [m.lines for m in again.platform.metas()] == [m.lines for m in direct.platform.metas()]


def test_snapshot_of_a_snapshot_is_the_same(
    platform_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    _snapshot(platform_dir, one, capsys)
    _snapshot(one, two, capsys)
    a, b = json.loads(one.read_text()), json.loads(two.read_text())
    assert a["inputs"] == [str(platform_dir)] and b["inputs"] == [str(one)]
    del a["inputs"], b["inputs"]
    assert a == b


def test_snapshot_holds_no_secret_values(
    platform_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twin = tmp_path / "twin.json"
    _snapshot(platform_dir, twin, capsys)
    text = twin.read_text()
    for value in FULL_SECRET_VALUES:
        assert value not in text
    assert REALM_SECRET_MARKER not in text
    assert "last-applied-configuration" not in text
    doc = json.loads(text)
    assert (doc["format"], doc["version"]) == ("ekstwin-snapshot", 1)
    (secret,) = [e for e in doc["kubernetes"] if e["object"]["kind"] == "Secret"]
    # each key says only whether it held a value
    assert secret["object"]["data"] == {"password": True}
    assert secret["object"]["stringData"] == {"username": True}
    platform = load([str(twin)]).platform
    assert [(s.keys, s.had_values) for s in platform.secrets] == [(("password", "username"), True)]


@pytest.mark.skipif(not DEMO.is_dir(), reason="the demo platform is not in this tree")
def test_demo_platform_snapshot_reads_back_as_an_equal_platform(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twin = tmp_path / "twin.json"
    _snapshot(DEMO, twin, capsys)
    direct = load([str(DEMO)])
    again = load([str(twin)])
    assert direct.platform.pods
    assert again.platform == direct.platform
    assert again.diagnostics == direct.diagnostics


def test_unsupported_snapshot_version_is_a_diagnostic(tmp_path: Path) -> None:
    twin = tmp_path / "twin.json"
    twin.write_text(json.dumps({"format": "ekstwin-snapshot", "version": 99, "kubernetes": []}))
    result = load([str(twin)])
    assert result.diagnostics == (
        Diagnostic(
            Source(str(twin), 1),
            "snapshot version 99 is not supported (this ekstwin reads version 1)",
            "write the snapshot again with this version of ekstwin",
            code="snapshot",
        ),
    )
    assert result.input_errors


def test_every_command_accepts_a_snapshot(
    platform_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twin = tmp_path / "twin.json"
    _snapshot(platform_dir, twin, capsys)

    def analyze_json(src: Path) -> dict[str, object]:
        main(["analyze", str(src), "--format", "json", "--quiet"])
        report: dict[str, object] = json.loads(capsys.readouterr().out)
        report.pop("inputs", None)
        return report

    assert analyze_json(twin) == analyze_json(platform_dir)

    b1, b2 = tmp_path / "b1.json", tmp_path / "b2.json"
    main(["baseline", "write", str(platform_dir), "-o", str(b1), "--quiet"])
    main(["baseline", "write", str(twin), "-o", str(b2), "--quiet"])
    assert json.loads(b1.read_text()) == json.loads(b2.read_text())
    assert json.loads(b1.read_text())["findings"]  # SEC001 at least


def test_a_snapshot_diagnostic_coded_internal_is_input_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = {
        "format": "ekstwin-snapshot",
        "version": 1,
        "inputs": ["x"],
        "kubernetes": [],
        "diagnostics": [
            {"source": {"file": "a.yaml", "line": 3}, "message": "m", "code": "internal"}
        ],
    }
    path = tmp_path / "twin.json"
    path.write_text(json.dumps(snap), encoding="utf-8")
    code = main(["analyze", str(path), "-f", "json", "--check", "NET001"])
    capsys.readouterr()
    assert code == 2


def test_a_huge_hex_integer_is_an_input_error_not_a_crash_of_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\n"
        "data: {n: 0x" + "f" * 5000 + "}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: ns}\n"
    )
    code, err = _snapshot(src, tmp_path / "twin.json", capsys)
    assert code == 2
    assert err.startswith(
        "error: YAML error: integer 0xffffffffff... (5002 characters) is too large"
    )
    assert f"({src / 'cm.yaml'}:4)" in err
    snap = json.loads((tmp_path / "twin.json").read_text(encoding="utf-8"))
    assert [k["object"]["metadata"]["name"] for k in snap["kubernetes"]] == ["b"]
