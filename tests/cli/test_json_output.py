"""JSON a command writes: valid, and nothing in it a terminal acts on."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ekstwin.cli import common
from ekstwin.cli.common import (
    json_text,
    write_ascii_json_parts,
    write_json,
    write_output,
    write_parts,
)


def test_json_a_command_writes_is_valid_and_holds_nothing_a_terminal_acts_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = {"annotation": "a\x7fb\x1b]0;title\x07\u202e\x9b2J", "n": [1, None]}
    write_json(data, None)
    out = capsys.readouterr().out
    assert json.loads(out) == data
    assert not any(c in out for c in "\x7f\x1b\x07\u202e\x9b")


def test_json_text_is_what_write_json_writes(capsys: pytest.CaptureFixture[str]) -> None:
    data = {"x": "\x7f\x1b", "y": [1, 2]}
    write_json(data, None, indent=1)
    assert capsys.readouterr().out == json_text(data, indent=1) + "\n"


def test_json_written_in_pieces_is_json_text_with_a_newline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = {"x": "\x7f\x1b", "y": [1, 2], "z": "\u202e"}
    text = json.dumps(data, indent=1)
    pieces = [text[:3], "", text[3:9], text[9:]]
    write_ascii_json_parts(iter(pieces), None)
    assert capsys.readouterr().out == json_text(data, indent=1) + "\n"
    out = tmp_path / "out.json"
    write_ascii_json_parts(iter(pieces), str(out))
    assert out.read_text(encoding="utf-8") == json_text(data, indent=1) + "\n"


@pytest.mark.parametrize("pieces", [[], [""], ["a"], ["a\n"], ["a", "\n", ""], ["a\n", "b"]])
def test_pieces_are_written_as_the_whole_text_would_be(
    pieces: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write_output("".join(pieces), None, escaped=True)
    whole = capsys.readouterr().out
    write_parts(pieces, None)
    assert capsys.readouterr().out == whole
    out = tmp_path / "out.txt"
    write_parts(pieces, str(out))
    assert out.read_text(encoding="utf-8") == whole


def test_a_text_larger_than_one_write_is_written_whole_in_chunks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CPython 3.11 writes at most about 2 GiB of one string and drops the rest
    silently: larger texts are handed over in chunks (here made small)."""
    writes: list[int] = []

    class _Counting:
        def __init__(self, stream: object) -> None:
            self.stream = stream

        def write(self, text: str) -> int:
            writes.append(len(text))
            return self.stream.write(text)  # type: ignore[attr-defined,no-any-return]

    monkeypatch.setattr(common, "WRITE_CHUNK", 7)
    text = "ab\u00e9cd" * 10 + "é\n"
    monkeypatch.setattr(sys, "stdout", _Counting(sys.stdout))
    write_output(text, None, escaped=True)
    assert capsys.readouterr().out == text
    assert max(writes) == 7 and len(writes) == -(-len(text) // 7)
    out = tmp_path / "out.txt"
    write_parts(["x" * 20, "y" * 3], str(out))
    assert out.read_text(encoding="utf-8") == "x" * 20 + "y" * 3 + "\n"
