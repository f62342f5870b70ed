"""The HTML page: the bundled front end and (for the report) the views' JSON, inline.

The page is the same for ``ekstwin report`` and ``ekstwin serve``: a report
embeds the data and forbids every network request through its Content
Security Policy; the server's page embeds ``null`` and fetches ``/api/...``
from its own origin only. Nothing from the platform is put into HTML: the
title is escaped, and the data travels as JSON inside a ``<script
type="application/json">`` with ``<``, ``>``, ``&`` and the line separators
written as ``\\uXXXX`` escapes, so no name in a manifest can close the element.
The front end renders with ``textContent`` only.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from importlib import resources

from ekstwin.errors import ConfigError
from ekstwin.reporters._text import json_safe

__all__ = ["StaticAssets", "load_assets", "render_page", "script_json"]

_REPORT_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'"
)
_SERVE_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; connect-src 'self'; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


@dataclass(frozen=True, slots=True)
class StaticAssets:
    """The bundled front end (built by web/build.mjs into ekstwin/web/static)."""

    script: str
    style: str


def load_assets() -> StaticAssets:
    """Read the bundle shipped in the package."""
    base = resources.files("ekstwin.web") / "static"
    try:
        script = (base / "app.js").read_text(encoding="utf-8")
        style = (base / "app.css").read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            "the web front end is not built (ekstwin/web/static/app.js) - run "
            "'cd web && npm ci && node build.mjs'"
        ) from exc
    return StaticAssets(_inline_safe(script, "app.js"), _inline_safe(style, "app.css"))


def _inline_safe(text: str, name: str) -> str:
    low = text.lower()
    if "</script" in low or "</style" in low or "<!--" in low:
        raise ConfigError(f"the bundled {name} cannot be inlined (it contains a closing tag)")
    return text


def script_json(data: object) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` element."""
    text = json_safe(json.dumps(data, separators=(",", ":"), ensure_ascii=False))
    for raw, esc in _ESCAPES.items():
        text = text.replace(raw, esc)
    return text


def render_page(assets: StaticAssets, title: str, data: object | None, *, live: bool) -> str:
    """One self-contained HTML page; ``data`` None makes the page fetch from the server."""
    csp = _SERVE_CSP if live else _REPORT_CSP
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp, quote=False)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>\n{assets.style}\n</style>\n"
        "</head>\n<body>\n"
        '<div id="app"><p>loading…</p></div>\n'
        f'<script id="ekstwin-data" type="application/json">{script_json(data)}</script>\n'
        f"<script>\n{assets.script}\n</script>\n"
        "</body>\n</html>\n"
    )
