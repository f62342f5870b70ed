"""``ekstwin serve``: the report's views as a local, live, read-only web UI."""

from __future__ import annotations

import argparse
from pathlib import Path

from ekstwin.cli.common import (
    Exit,
    add_platform_argument,
    check_port,
    eprint,
    print_diagnostics,
)
from ekstwin.errors import ConfigError
from ekstwin.loaders import LoadResult, load


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="a local web UI: graph, findings, chains, and can / who-can / route queries",
        description="Serve the report's views with query endpoints, reloading when the "
        "platform's files change. Read-only. Binds 127.0.0.1; any other address needs "
        "--token (or EKSTWIN_TOKEN), which every request must then carry. With --db, a "
        "Timeline tab lists the recorded states and what changed between them; with --db "
        "and no PLATFORM, the latest recorded state is the platform.",
    )
    add_platform_argument(p, nargs="*", namespace_flag=False)
    p.add_argument(
        "--db",
        metavar="FILE",
        help="state database of ekstwin record: adds the Timeline tab; without PLATFORM, "
        "serves the latest recorded state",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks one)")
    p.add_argument(
        "--token",
        metavar="TOKEN",
        help="require this token on every request (header X-Ekstwin-Token or ?token=); "
        "needed to bind a non-loopback address; default: EKSTWIN_TOKEN",
    )
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from ekstwin.web.server import ServeOptions, WebServer, environ_token

    check_port(args.port, allow_zero=True)
    quiet = bool(args.quiet)
    if not args.platform and args.db is None:
        raise ConfigError(
            "serve needs a PLATFORM (directory or files) or --db FILE (the latest state "
            "ekstwin record stored)"
        )
    missing = [p for p in args.platform if p != "-" and not Path(p).exists()]
    if missing:
        raise ConfigError(
            f"no such file or directory: {', '.join(missing)} - serve watches the platform's "
            "files, so give paths that exist"
        )

    def loader(paths: list[str]) -> LoadResult:
        result = load(paths)
        print_diagnostics(result.diagnostics, quiet=quiet, counted=result.counted_diagnostics)
        return result

    token = args.token if args.token is not None else environ_token()
    options = ServeOptions(tuple(args.platform), args.host, args.port, token, db=args.db)
    server = WebServer(options, loader=loader)
    shown = server.url + ("?token=…" if token else "")
    eprint(f"ekstwin serve: {shown} (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return Exit.OK
