"""The local web UI and the self-contained HTML report, over the same engines as the CLI.

Public API::

    build_views(load_result, inputs=[...], compare=None)  # -> the views' JSON document
    report_html(load_result, inputs=[...], compare=None)  # -> one self-contained HTML page
    WebServer(options).serve_forever()                    # ekstwin serve

See docs/web.md.
"""

from __future__ import annotations

from ekstwin.web.report import report_html
from ekstwin.web.server import ServeOptions, WebServer
from ekstwin.web.views import QueryError, WebQueries, build_views

__all__ = ["QueryError", "ServeOptions", "WebQueries", "WebServer", "build_views", "report_html"]
