"""printable(): which characters it rewrites, over every code point."""

from __future__ import annotations

import json
import unicodedata

from ekstwin.reporters._text import ascii_json_safe, json_safe, printable

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _expected(char: str, *, keep_newlines: bool) -> str:
    """The rule as documented: tab -> space, a kept line feed stays, and control
    characters (Cc), surrogates (Cs), U+FFFE/U+FFFF and bidi overrides escaped."""
    if char == "\n" and keep_newlines:
        return char
    if char == "\t":
        return " "
    if unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff" or char in BIDI:
        code = ord(char)
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    return char


def test_printable_escapes_exactly_the_unsafe_characters_of_every_code_point() -> None:
    every = [chr(i) for i in range(0x110000)]
    for keep in (False, True):
        got = printable("".join(every), keep_newlines=keep)
        assert got == "".join(_expected(c, keep_newlines=keep) for c in every)


def test_printable_leaves_safe_text_as_it_is() -> None:
    text = "ns/app-1 -> ns/app-2 TCP:8080 ünïcode 日本 🙂"
    assert printable(text) == text
    assert printable("a\tb\nc") == "a b\\x0ac"
    assert printable("a\tb\nc", keep_newlines=True) == "a b\nc"
    assert printable("\x1b[31mred\u202e") == "\\x1b[31mred\\u202e"


def test_ascii_json_safe_is_json_safe_for_json_dumps_text() -> None:
    data = {"name": "a\x7fb\x1b[31m\u202e\u009b日本", "n": [1, "\x00"]}
    text = json.dumps(data, indent=1)
    assert ascii_json_safe(text) == json_safe(text)
    assert "\x7f" not in ascii_json_safe(text)
    assert json.loads(ascii_json_safe(text)) == data
