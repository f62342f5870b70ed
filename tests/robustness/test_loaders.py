"""Hostile inputs to the loaders: each is a clear error with file and line, never a crash."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.robustness.conftest import Run

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kept\n"


def test_deeply_nested_json_is_an_error_and_the_other_files_are_read(
    tmp_path: Path, ekstwin: Callable[..., Run]
) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (tmp_path / "ns.yaml").write_text(NAMESPACE, encoding="utf-8")
    run = ekstwin("analyze", str(tmp_path), "-q", "-f", "json")
    assert run.code == 2
    assert "Traceback" not in run.err
    assert run.err == (
        f"error: JSON nested too deeply to read ({tmp_path / 'deep.json'}:1) - "
        "flatten the document; ekstwin reads at most a few hundred levels\n"
    )
    assert json.loads(run.out)["summary"]["platform"]["namespaces"] == ["kept"]


def test_snapshot_with_malformed_entries_reports_them_and_loads_the_rest(
    tmp_path: Path, ekstwin: Callable[..., Run]
) -> None:
    snap = {
        "format": "ekstwin-snapshot",
        "version": 1,
        "inputs": "not a list",
        "kubernetes": [
            {
                "source": {"file": "a.yaml", "line": 3},
                "object": json.loads(
                    json.dumps(
                        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kept"}}
                    )
                ),
            },
        ],
        "aws": [],
        "keycloak": [{"source": {"line": 1}, "export": None}],
        "diagnostics": [
            {"message": "old problem", "level": "nope"},
            {"message": "other", "source": {"line": 2}},
        ],
    }
    path = tmp_path / "twin.json"
    path.write_text(json.dumps(snap), encoding="utf-8")
    run = ekstwin("analyze", str(path), "-q", "-f", "json")
    assert run.code == 2, run.err
    assert "internal error" not in run.err
    assert run.err.splitlines() == [
        f"error: snapshot keycloak entry 0 is malformed: source has no file ({path}:1) - "
        "write the snapshot again with this version of ekstwin",
        f"error: snapshot diagnostics entry 0 is malformed: level 'nope' is not one of "
        f"error, warning ({path}:1) - write the snapshot again with this version of ekstwin",
        f"error: snapshot diagnostics entry 1 is malformed: source has no file ({path}:1) - "
        "write the snapshot again with this version of ekstwin",
    ]
    assert json.loads(run.out)["summary"]["platform"]["namespaces"] == ["kept"]
