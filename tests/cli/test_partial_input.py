"""Identity commands answer for the rest of the input when a part is broken, and exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ekstwin.cli.main import main

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-platform"


@pytest.fixture(scope="module")
def broken_demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("partial") / "demo"
    shutil.copytree(DEMO, root)
    (root / "k8s" / "zz-broken.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n"
    )
    return str(root)


def test_iam_who_can_answers_and_exits_2(
    broken_demo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["iam", "who-can", broken_demo, "s3:GetObject",
                 "arn:aws:s3:::platform-prod-artifacts/x", "--format", "json"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 2
    assert "zz-broken.yaml:4" in err
    assert [p["github_login"] for p in json.loads(out)["people"]] == [
        "alice-okafor",
        "ghopkins-contractor",
    ]


def test_access_user_answers_and_exits_2(
    broken_demo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["access", "user", broken_demo, "alice-okafor", "--format", "json"])
    out, _ = capsys.readouterr()
    assert code == 2
    assert json.loads(out)["github_login"] == "alice-okafor"
