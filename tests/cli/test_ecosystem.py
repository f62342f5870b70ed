"""The GitHub Action's steps, the pre-commit hook and the wheel, run as a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.fixtures.review.head import BASE, head_text

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "github-action.sh"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def pr_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "platform").mkdir(parents=True)
    shutil.copy(BASE / "platform.yaml", root / "platform" / "platform.yaml")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    _git(root, "checkout", "-q", "-b", "feature")
    (root / "platform" / "platform.yaml").write_text(head_text(), encoding="utf-8")
    _git(root, "commit", "-q", "-am", "pull request")
    return root


def _tools(tmp_path: Path) -> Path:
    """An ``ekstwin`` that runs this checkout, and a ``gh`` that logs its calls and
    answers the comment listing from $GH_EXISTING."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    src = REPO / "src"
    (bin_dir / "ekstwin").write_text(
        f'#!/bin/sh\nPYTHONPATH="{src}" exec "{sys.executable}" -m ekstwin "$@"\n',
        encoding="utf-8",
    )
    (bin_dir / "gh").write_text(
        '#!/bin/sh\nprintf "%s\\n" "$*" >>"$GH_LOG"\n'
        'case "$*" in *--paginate*) printf "%s" "$GH_EXISTING";; esac\n',
        encoding="utf-8",
    )
    for tool in ("ekstwin", "gh"):
        (bin_dir / tool).chmod(0o755)
    return bin_dir


def _step(repo: Path, tmp_path: Path, step: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {
        **os.environ,
        "PATH": f"{_tools(tmp_path)}:{os.environ['PATH']}",
        "GH_LOG": str(tmp_path / "gh.log"),
        "EKSTWIN_PLATFORM": "platform",
        **env,
    }
    return subprocess.run(
        ["bash", str(SCRIPT), step], check=False, cwd=repo, env=full, capture_output=True, text=True
    )


def test_action_steps_analyze_diff_and_comment(pr_repo: Path, tmp_path: Path) -> None:
    analyze = _step(pr_repo, tmp_path, "analyze")
    assert analyze.returncode == 0, analyze.stderr
    sarif = json.loads((pr_repo / ".ekstwin" / "ekstwin.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"

    diff = _step(
        pr_repo,
        tmp_path,
        "diff",
        EKSTWIN_BASE_REF="main",
        EKSTWIN_FAIL_ON="critical",
        EKSTWIN_PROTECT="tier == 'protected'",
    )
    assert diff.returncode == 1, diff.stderr  # the database namespace is opened
    comment = (pr_repo / ".ekstwin" / "diff.md").read_text(encoding="utf-8")
    assert "shop/frontend -&gt; payments/db opened" in comment
    assert comment.rstrip().endswith("<!-- ekstwin-diff -->")
    doc = json.loads((pr_repo / ".ekstwin" / "diff.json").read_text(encoding="utf-8"))
    assert doc["summary"]["reachability"] == {"opened": 1}

    env = {"GITHUB_REPOSITORY": "o/r", "EKSTWIN_PR": "7"}
    posted = _step(pr_repo, tmp_path, "comment", GH_EXISTING="", **env)
    assert posted.returncode == 0 and "posted a comment" in posted.stdout
    updated = _step(pr_repo, tmp_path, "comment", GH_EXISTING="4242", **env)
    assert updated.returncode == 0 and "updated comment 4242" in updated.stdout
    calls = (tmp_path / "gh.log").read_text(encoding="utf-8").splitlines()
    assert calls[1] == "api --method POST repos/o/r/issues/7/comments -F body=@.ekstwin/diff.md"
    assert calls[3] == (
        "api --method PATCH repos/o/r/issues/comments/4242 -F body=@.ekstwin/diff.md"
    )


def test_action_yml_calls_the_script_steps() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    runs = [s.get("run", "") for s in action["runs"]["steps"]]
    called = [r.split("github-action.sh ")[1].split()[0] for r in runs if "github-action.sh" in r]
    assert called == ["analyze", "diff", "comment"]
    script = SCRIPT.read_text(encoding="utf-8")
    assert all(f"  {step})" in script for step in called)
    used = {
        word.split(".")[1].split(" ")[0].rstrip("}")
        for r in [*runs, *(json.dumps(s.get("env", {})) for s in action["runs"]["steps"])]
        for word in r.split("${{ ")[1:]
        if word.startswith("inputs.")
    }
    assert used <= set(action["inputs"])


def test_pre_commit_hook_runs_analyze(pr_repo: Path, tmp_path: Path) -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "ekstwin-analyze" and hook["pass_filenames"] is False
    argv = [str(_tools(tmp_path) / hook["entry"]), *hook["args"][:-1], "platform"]
    done = subprocess.run(argv, check=False, cwd=pr_repo, capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_source_tree(tmp_path: Path) -> None:
    """The built wheel carries its package data (schemas, instance types, the web
    bundle): the installed ekstwin analyses the demo, sizes a node and writes the
    HTML report from a directory far from the checkout."""
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(wheels), str(REPO)],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    if build.returncode != 0:
        pytest.fail(f"pip wheel failed: {build.stderr[-2000:]}")
    (wheel,) = wheels.glob("ekstwin-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    work = tmp_path / "elsewhere"
    shutil.copytree(REPO / "examples" / "demo-platform", work / "demo")
    env = {**os.environ, "PYTHONPATH": str(target)}

    def ekstwin(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ekstwin", *args], check=False, cwd=work, env=env,
            capture_output=True, text=True,
        )  # fmt: skip

    where = subprocess.run(
        [sys.executable, "-c", "import ekstwin; print(ekstwin.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.startswith(str(target)), where.stdout
    analyzed = ekstwin("analyze", "demo", "--format", "json", "-q")
    assert analyzed.returncode == 0, analyzed.stderr
    assert json.loads(analyzed.stdout)["schema"] == "ekstwin-report"
    sized = ekstwin("ipam", "max-pods", "m5.large")
    assert sized.returncode == 0 and "29" in sized.stdout, sized.stdout + sized.stderr
    report = ekstwin("report", "demo", "-o", "report.html", "-q")
    assert report.returncode == 0, report.stderr
    assert "<script" in (work / "report.html").read_text(encoding="utf-8")


def test_drift_cronjob_is_a_valid_platform_running_real_commands() -> None:
    """The documented CronJob loads without input errors, binds the shipped read-only
    ClusterRole, and each ekstwin command it runs parses with ekstwin's own parser."""
    import shlex

    from ekstwin.cli.main import build_parser
    from ekstwin.loaders import load

    cronjob = REPO / "docs" / "drift-cronjob.yaml"
    result = load([str(cronjob)])
    assert not result.input_errors, result.diagnostics
    docs = list(yaml.safe_load_all(cronjob.read_text(encoding="utf-8")))
    role = yaml.safe_load((REPO / "docs" / "collect-clusterrole.yaml").read_text(encoding="utf-8"))
    (binding,) = [d for d in docs if d["kind"] == "ClusterRoleBinding"]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    (job,) = [d for d in docs if d["kind"] == "CronJob"]
    script = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][0]
    commands = [
        shlex.split(line.split("||")[0]) for line in script.splitlines() if "ekstwin" in line
    ]
    assert [c[1] for c in commands] == ["collect", "collect", "record", "analyze"]
    for argv in commands:
        args = build_parser(argv[1:]).parse_args(argv[1:])
        assert callable(args.handler)
