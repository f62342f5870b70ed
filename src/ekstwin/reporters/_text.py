"""Make untrusted text safe to show: control characters become visible escapes.

Every text ekstwin writes for a person (terminal tables, plain text, CSV, dot,
diagnostics on stderr, log lines) passes through :func:`printable`; JSON it
writes passes through :func:`json_safe`. Names, file names and messages come
from the input, and an ESC or BEL in them must not retitle, clear or recolour
the reader's terminal.
"""

from __future__ import annotations

import re

# Bidirectional overrides and isolates can reorder what a reader sees
# ("Trojan Source"); they are shown escaped like control characters.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


#: What :func:`printable` rewrites: the control characters (Unicode category Cc,
#: U+0000-U+001F and U+007F-U+009F), surrogates (Cs), the two non-characters and
#: the bidi overrides; with and without the line feed.
_SPECIAL = "\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff" + "".join(sorted(_BIDI))
_UNPRINTABLE = re.compile(f"[\n{_SPECIAL}]")
_UNPRINTABLE_BUT_NEWLINE = re.compile(f"[{_SPECIAL}]")


def _replacement(match: re.Match[str]) -> str:
    char = match.group()
    return " " if char == "\t" else _escape(char)


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character (and bidi override) as ``\\xNN``.

    With ``keep_newlines`` a ``\\n`` stays a line break; tabs become spaces.
    """
    pattern = _UNPRINTABLE_BUT_NEWLINE if keep_newlines else _UNPRINTABLE
    return pattern.sub(_replacement, text)


#: Characters :func:`printable` escapes that JSON leaves raw (``json.dumps`` escapes
#: U+0000-U+001F itself): DEL, the C1 controls (U+009B is a one-byte CSI), bidi
#: overrides, surrogates and the two non-characters.
_JSON_RAW = re.compile("[\x7f-\x9f\ud800-\udfff\ufffe\uffff" + "".join(sorted(_BIDI)) + "]")


def json_safe(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with every character
    :func:`printable` would escape written as a ``\\uXXXX`` escape: the same data,
    and nothing a terminal acts on."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def ascii_json_safe(text: str) -> str:
    """:func:`json_safe` for JSON text written with ``ensure_ascii`` (``json.dumps``'
    default), in one pass of ``str.replace``: every character above U+007F and
    below U+0020 is already an escape there, so only DEL can be raw."""
    return text.replace("\x7f", "\\u007f") if "\x7f" in text else text


#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV
#: Injection): ``=``, ``+``, ``-``, ``@``, tab and carriage return.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text: a value starting with a formula
    character gets a leading ``'`` (OWASP's advice; the writer also quotes every
    cell). The apostrophe is visible to programs that read the CSV; ekstwin's
    names never start with these characters unless the input was hostile."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def dot_string(value: str) -> str:
    """``value`` as a quoted Graphviz ID: ``"`` and ``\\`` escaped, so a name cannot
    close the string and add attributes or edges."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
