"""Small argument mistakes get a one-line error (exit 2), unknown people a plain answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.robustness.conftest import Run

DEMO = str(Path(__file__).resolve().parents[2] / "examples" / "demo-platform")


def test_empty_check_id_is_a_usage_error(ekstwin: Callable[..., Run]) -> None:
    run = ekstwin("analyze", DEMO, "--check", "", "-q")
    assert (run.code, run.err) == (
        2,
        "error: --check needs a check id, e.g. --check ECR001 (see 'ekstwin checks')\n",
    )


def test_empty_lose_az_is_refused_not_ignored(ekstwin: Callable[..., Run]) -> None:
    run = ekstwin("storage", "plan", DEMO, "--lose-az", "", "-q")
    assert run.code == 2
    assert run.err.startswith("error: --lose-az : no node of the platform is in that zone")


def test_serve_refuses_a_platform_path_that_does_not_exist(
    ekstwin: Callable[..., Run], tmp_path: Path
) -> None:
    missing = str(tmp_path / "nope")
    run = ekstwin("serve", missing, "--port", "0")
    assert run.code == 2
    assert run.err.startswith(f"error: no such file or directory: {missing}")


def test_access_user_for_an_unknown_login_says_so(ekstwin: Callable[..., Run]) -> None:
    run = ekstwin("access", "user", DEMO, "nobody-here", "-q")
    assert run.code == 0
    assert run.out.splitlines()[:2] == [
        "GitHub nobody-here: no Keycloak user",
        "note: no user of any realm is linked to the GitHub login 'nobody-here'",
    ]
