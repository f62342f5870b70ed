"""The one snapshot helper: compares, explains a missing file, writes when updating."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.snapshots import UPDATE_ENV, assert_snapshot, json_text


def test_equal_text_passes_and_any_difference_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(UPDATE_ENV, raising=False)
    path = tmp_path / "a.txt"
    path.write_bytes(b"one\r\ntwo\n")
    assert_snapshot(path, "one\r\ntwo\n")
    with pytest.raises(AssertionError, match=r"a\.txt differs"):
        assert_snapshot(path, "one\ntwo\n")


def test_a_missing_snapshot_names_the_update_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(UPDATE_ENV, raising=False)
    with pytest.raises(AssertionError, match=r"no snapshot .*b\.json; run with --update-snapshots"):
        assert_snapshot(tmp_path / "b.json", "{}\n")


def test_updating_writes_the_file_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(UPDATE_ENV, "1")
    path = tmp_path / "new" / "c.json"
    assert_snapshot(path, json_text({"name": "café", "n": [1]}))
    assert path.read_bytes() == '{\n  "name": "café",\n  "n": [\n    1\n  ]\n}\n'.encode()
