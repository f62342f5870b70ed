"""``ekstwin diff`` end to end: a git repository with a pull request's commit."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from tests.fixtures.review.head import BASE, head_text

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose last commit is the pull request; the work tree is clean."""
    root = tmp_path / "repo"
    platform = root / "platform"
    platform.mkdir(parents=True)
    shutil.copy(BASE / "platform.yaml", platform / "platform.yaml")
    (root / "README.md").write_text("app repo\n", encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    (platform / "platform.yaml").write_text(head_text(), encoding="utf-8")
    _git(root, "commit", "-q", "-am", "widen db-ingress, add contractors-edit, move /cart")
    monkeypatch.chdir(root)
    return root


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["diff", *argv])
    return code, capsys.readouterr().out


def test_git_json_reports_the_commits_changes(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(capsys, "--git", "HEAD~1", "platform", "--format", "json", "-q")
    assert code == 0
    doc = json.loads(out)
    assert doc["summary"] == {
        "reachability": {"opened": 1},
        "kubernetes-access": {"gained": 6},
        "alb": {"added": 1, "removed": 1},
    }
    rows = [(c["area"], c["kind"], c["subject"]) for c in doc["changes"]]
    assert rows[0] == ("reachability", "opened", "shop/frontend -> payments/db")
    assert {r[2] for r in rows[1:7]} == {"group contractors"}
    assert [r[2] for r in rows[7:]] == [
        "HTTP:80 host-header shop.example.com; path-pattern /basket | /basket/*",
        "HTTP:80 host-header shop.example.com; path-pattern /cart | /cart/*",
    ]
    # the base's files are named by revision, never by the temporary checkout
    before = [b for b in doc["changes"][0]["because"] if b.startswith("before")]
    assert any("(HEAD~1:platform/platform.yaml:" in b for b in before), before
    assert "ekstwin-git-" not in out
    # the work tree was not touched
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""


def test_two_revisions_and_two_directories_agree(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, by_git = _run(capsys, "--git", "HEAD~1", "--git", "HEAD", "platform", "-f", "json", "-q")
    head_dir = tmp_path / "head"
    head_dir.mkdir()
    (head_dir / "platform.yaml").write_text(head_text(), encoding="utf-8")
    _, by_dirs = _run(capsys, str(BASE), str(head_dir), "-f", "json", "-q")

    def kinds(text: str) -> list[tuple[str, str, str]]:
        return [(c["area"], c["kind"], c["summary"]) for c in json.loads(text)["changes"]]

    assert kinds(by_git) == kinds(by_dirs)


def test_protect_fails_the_review(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--git", "HEAD~1", "platform", "-q", "--fail-on", "critical")
    assert _run(capsys, *args)[0] == 0
    code, out = _run(capsys, *args, "--protect", "tier == 'protected'")
    assert code == 1
    assert "[protected]" in out


def test_a_new_platform_directory_has_an_empty_base(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "extra").mkdir()
    shutil.copy(BASE / "platform.yaml", repo / "extra" / "platform.yaml")
    code, out = _run(capsys, "--git", "HEAD", "extra", "-f", "json", "-q")
    assert code == 0
    doc = json.loads(out)
    added = [
        c["subject"] for c in doc["changes"] if c["kind"] == "added" and c["area"] == "reachability"
    ]
    assert added == ["payments/api", "payments/db", "shop/frontend"]


def test_usage_errors(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "platform"]) == 2
    assert "give BASE and HEAD" in capsys.readouterr().err
    assert main(["diff", "--git", "no-such-rev", "platform"]) == 2
    assert "no such revision" in capsys.readouterr().err
    assert main(["diff", "--git", "HEAD", "platform", "--protect", "tier =="]) == 2
    assert "--protect" in capsys.readouterr().err


def test_sarif_has_only_the_new_findings(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the work tree adds a Deployment whose image has no tag (ECR002)
    extra = (
        (repo / "platform" / "platform.yaml").read_text(encoding="utf-8")
        + """\
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: shop
spec:
  selector:
    matchLabels:
      app: worker
  template:
    metadata:
      labels:
        app: worker
    spec:
      containers:
        - name: worker
          image: 111122223333.dkr.ecr.eu-west-1.amazonaws.com/worker
"""
    )
    (repo / "platform" / "platform.yaml").write_text(extra, encoding="utf-8")
    code, out = _run(capsys, "--git", "HEAD", "platform", "-f", "sarif", "-q", "--fail-on", "low")
    doc = json.loads(out)
    results = doc["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["ECR002"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "platform/platform.yaml"
    )
    assert code == 1
    _, table = _run(capsys, "--git", "HEAD", "platform", "-q")
    assert "new       new medium ECR002 on Deployment/shop/worker" in table
