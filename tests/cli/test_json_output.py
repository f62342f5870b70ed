"""JSON a command writes: valid, and nothing in it a terminal acts on."""

from __future__ import annotations

import json

import pytest

from ekstwin.cli.common import json_text, write_json


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
