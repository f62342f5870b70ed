"""Make untrusted text safe to show: control characters become visible escapes."""

from __future__ import annotations

import unicodedata

# Bidirectional overrides and isolates can reorder what a reader sees
# ("Trojan Source"); they are shown escaped like control characters.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character (and bidi override) as ``\\xNN``.

    With ``keep_newlines`` a ``\\n`` stays a line break; tabs become spaces.
    """
    out: list[str] = []
    for char in text:
        if char == "\n" and keep_newlines:
            out.append(char)
        elif char == "\t":
            out.append(" ")
        elif char in _BIDI or unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff":
            out.append(_escape(char))
        else:
            out.append(char)
    return "".join(out)
