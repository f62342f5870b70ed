"""``ekstwin serve``: the report's views, live, with query endpoints; read-only.

Routes (GET and HEAD only; every other method is 405)::

    /               the page (the same front end as the report, fetching /api/views)
    /api/state      {"generation": int, "error": str | null}; generation grows on reload
    /api/views      the views document (ekstwin.web.views.build_views), gzip when accepted
    /api/can        ?from=&to=&port=&protocol=    net can JSON (docs/net.md)
    /api/path       ?from=&to=&port=&protocol=    the Connectivity tab's path answer
                    (workloads, pods, namespaces, Services; views.path_answer)
    /api/who-can    ?verb=&resource=&namespace=   access who-can JSON (docs/access.md)
    /api/route      ?url=                         ingress route JSON (docs/ingress.md)
    /api/timeline   the recorded states of --db and their consecutive pairs
    /api/timeline/diff  ?from=&to=                what changed between two states
                    (ekstwin.history.compare_states; a history change entry)

Paths are matched exactly, never mapped to files: the server reads nothing
from disk after start but the platform's own files when they change. It binds
a loopback address unless given a token; with a token every request must
carry it (header ``X-Ekstwin-Token`` or query ``token``). Without a token it
answers only requests whose Host names the loopback address (DNS rebinding).
"""

from __future__ import annotations

import dataclasses
import gzip
import hmac
import ipaddress
import itertools
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast
from urllib.parse import parse_qs, unquote_plus, urlsplit

from ekstwin.errors import ConfigError, EkstwinError
from ekstwin.loaders import LoadResult, load
from ekstwin.reporters._text import printable
from ekstwin.web.page import StaticAssets, load_assets, render_page
from ekstwin.web.views import QueryError, WebQueries, build_views

__all__ = ["NotFound", "ServeOptions", "Timeline", "WebServer", "is_loopback", "platform_stamp"]

log = logging.getLogger(__name__)

TOKEN_HEADER = "X-Ekstwin-Token"

Stamp = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, slots=True)
class ServeOptions:
    paths: tuple[str, ...]
    host: str = "127.0.0.1"
    port: int = 8080
    token: str | None = None
    poll_seconds: float = 1.0
    db: str | None = None  # the state database of ekstwin record: the Timeline tab
    #: Seconds a connection may sit idle (no request line, header or body byte
    #: arriving) before it is closed: each open connection holds a thread.
    idle_timeout: float = 30.0


class NotFound(EkstwinError):
    """A request names something that does not exist (HTTP 404)."""


def _latest_state_loader(db: str) -> Callable[[list[str]], LoadResult]:
    """Load the platform of the latest state recorded in ``db`` (serve --db alone)."""

    def loader(_paths: list[str]) -> LoadResult:
        from ekstwin.history import latest_platform, open_store

        with open_store(db) as store:
            latest = latest_platform(store)
        if latest is None:
            raise ConfigError(
                f"--db {db}: no state recorded - record one (ekstwin record PLATFORM --db "
                f"{db}) or give the PLATFORM to serve"
            )
        return latest[1]

    return loader


class Timeline:
    """The Timeline tab's answers: the states of the database and, on request, what
    changed between two of them (computed once per pair, then kept)."""

    KEEP = 32  # answers kept (the latest asked)

    def __init__(self, db: str | None) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._diffs: dict[tuple[int, int, str, str], dict[str, object]] = {}
        if db is not None:
            from ekstwin.history import open_store

            open_store(db).close()  # a missing or foreign file is an error at start

    def document(self) -> dict[str, object]:
        if self.db is None:
            return {
                "db": None,
                "states": [],
                "changes": [],
                "empty": "no state database: start serve with --db FILE "
                "(ekstwin record PLATFORM --db FILE stores the states)",
            }
        from ekstwin.history import open_store

        with open_store(self.db) as store:
            states = list(store.states())
        return {
            "db": self.db,
            "states": [s.to_json() for s in states],
            "changes": [
                {"from": a.id, "to": b.id, "changed": a.digest != b.digest}
                for a, b in itertools.pairwise(states)
            ],
            "empty": None
            if states
            else f"no state recorded in {self.db} yet (ekstwin record PLATFORM --db {self.db})",
        }

    def diff(self, old_id: str, new_id: str) -> dict[str, object]:
        from ekstwin.history import Step, compare_states, open_store
        from ekstwin.store import StoreError

        if self.db is None:
            raise NotFound("no state database: start serve with --db FILE")
        ids: list[int] = []
        for name, value in (("from", old_id), ("to", new_id)):
            if not value.isdigit():
                raise QueryError(f"{name}={value!r}: give the id of a recorded state")
            ids.append(int(value))
        with open_store(self.db) as store:
            try:
                old, new = store.state(ids[0]), store.state(ids[1])
            except StoreError as exc:
                raise NotFound(f"{exc} - /api/timeline lists the recorded states") from exc
            key = (old.id, new.id, old.digest, new.digest)
            with self._lock:
                cached = self._diffs.get(key)
            if cached is not None:
                return cached
            answer = Step(old, new, compare_states(store, old, new)).to_json()
        with self._lock:
            if len(self._diffs) >= self.KEEP:  # forget the oldest answer
                del self._diffs[next(iter(self._diffs))]
            self._diffs[key] = answer
        return answer


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def platform_stamp(paths: Sequence[str]) -> Stamp:
    """(file, mtime_ns, size) of every file under ``paths``: changes when a file does."""
    out: list[tuple[str, int, int]] = []
    for p in paths:
        root = Path(p)
        files = [root] if not root.is_dir() else sorted(f for f in root.rglob("*") if f.is_file())
        for f in files:
            try:
                st = f.stat()
            except OSError:
                continue
            out.append((str(f), st.st_mtime_ns, st.st_size))
    return tuple(out)


class _LazyModel:
    """The platform's compiled network model, built by the first path query."""

    def __init__(self, result: LoadResult) -> None:
        self._result = result
        self._lock = threading.Lock()
        self._model: object | None = None

    def __call__(self) -> object:
        with self._lock:
            if self._model is None:
                from ekstwin.engines.net import NetModel

                self._model = NetModel(self._result.platform)
            return self._model


@dataclass(frozen=True, slots=True)
class _Loaded:
    generation: int
    stamp: Stamp
    result: LoadResult
    views: bytes
    views_gzip: bytes
    net_model: _LazyModel


class _State:
    """The loaded platform; replaced whole on reload, read without locking."""

    def __init__(self, paths: tuple[str, ...], loader: Callable[[list[str]], LoadResult]):
        self.paths = paths
        self.loader = loader
        self.error: str | None = None
        self._lock = threading.Lock()
        self.current = self._load(0, platform_stamp(paths))

    def _load(self, generation: int, stamp: Stamp) -> _Loaded:
        result = self.loader(list(self.paths))
        # no decision tables: the page asks /api/path for each explanation
        views = build_views(result, inputs=list(self.paths), explain=False)
        body = json.dumps(views, separators=(",", ":")).encode("utf-8")
        return _Loaded(
            generation, stamp, result, body, gzip.compress(body, 6, mtime=0), _LazyModel(result)
        )

    def reload_if_changed(self) -> bool:
        with self._lock:
            stamp = platform_stamp(self.paths)
            if stamp == self.current.stamp:
                return False
            try:
                self.current = self._load(self.current.generation + 1, stamp)
                self.error = None
            except Exception as exc:  # keep serving the last good platform
                log.warning("reload failed: %s", exc, exc_info=True)
                self.error = f"reload failed: {type(exc).__name__}: {exc}"
                self.current = dataclasses.replace(self.current, stamp=stamp)
            return True


_QUERY_PARAMETER = re.compile(r"([?&;])([^=&;#\s]*)=([^&;#\s]*)")


def log_safe(line: str) -> str:
    """A request line for the log: the value of every ``token`` query parameter
    (however its name is percent-encoded) replaced, since the token grants access
    to the whole UI, and control characters escaped."""

    def redact(m: re.Match[str]) -> str:
        if unquote_plus(m.group(2)).strip().lower() != "token":
            return m.group(0)
        return f"{m.group(1)}{m.group(2)}=<redacted>"

    return printable(_QUERY_PARAMETER.sub(redact, line))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    app: WebServer


class WebServer:
    """The HTTP server of ``ekstwin serve``; ``port`` 0 picks a free port."""

    def __init__(
        self,
        options: ServeOptions,
        *,
        loader: Callable[[list[str]], LoadResult] = load,
        assets: StaticAssets | None = None,
    ) -> None:
        if (not options.paths and options.db is None) or "-" in options.paths:
            raise ConfigError(
                "serve reads a platform from files (not stdin) to watch them, or the latest "
                "state of --db FILE"
            )
        if options.token is not None and not options.token.strip():
            raise ConfigError("--token must not be empty")
        if not is_loopback(options.host) and options.token is None:
            raise ConfigError(
                f"refusing to bind {options.host}: not a loopback address - give --token "
                "(every request must then carry it) or bind 127.0.0.1"
            )
        self.options = options
        self.timeline = Timeline(options.db)
        watched = options.paths
        if not watched and options.db is not None:
            # only --db: the latest recorded state is the platform; a new record reloads
            watched, loader = (options.db,), _latest_state_loader(options.db)
        self.state = _State(watched, loader)
        assets = assets or load_assets()
        self.page = render_page(assets, "ekstwin: " + ", ".join(watched), None, live=True).encode(
            "utf-8"
        )
        self._stop = threading.Event()
        try:
            self.httpd = _HTTPServer((options.host, options.port), _Handler)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {options.host}:{options.port}: {exc.strerror} - "
                "choose another --port"
            ) from exc
        self.httpd.app = self

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        host = self.options.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/"

    def _watch(self) -> None:
        while not self._stop.wait(self.options.poll_seconds):
            self.state.reload_if_changed()

    def serve_forever(self) -> None:
        watcher = threading.Thread(target=self._watch, name="ekstwin-watch", daemon=True)
        watcher.start()
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self._stop.set()

    def shutdown(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- request checks

    def token_ok(self, header: str | None, query: str | None) -> bool:
        want = self.options.token
        if want is None:
            return True
        got = header if header is not None else query
        return got is not None and hmac.compare_digest(got.encode(), want.encode())

    def host_ok(self, host_header: str | None) -> bool:
        if self.options.token is not None:
            return True
        if not host_header:
            return False
        host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
        if host_header.startswith("["):
            host = host_header[: host_header.find("]") + 1]
        return is_loopback(host)


class _Handler(BaseHTTPRequestHandler):
    server_version = "ekstwin"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    @property
    def app(self) -> WebServer:
        return cast(_HTTPServer, self.server).app

    def setup(self) -> None:
        super().setup()
        # A read that waits longer ends the connection (handle_one_request's
        # "Request timed out"); the rfile made by setup reads through this socket.
        self.connection.settimeout(self.app.options.idle_timeout)

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), log_safe(format % args))

    def _accepts_gzip(self) -> bool:
        for part in (self.headers.get("Accept-Encoding") or "").split(","):
            coding, *params = (p.strip().lower() for p in part.split(";"))
            if coding != "gzip":
                continue
            q = next((p[2:] for p in params if p.startswith("q=")), "1")
            try:
                return float(q) > 0
            except ValueError:
                return False
        return False

    def _send(
        self, status: int, body: bytes, content_type: str, *, gzipped: bytes | None = None
    ) -> None:
        """Send ``body``; compressed when the client accepts gzip and the body is not
        tiny (``gzipped``: the body already compressed)."""
        encoding = None
        if self._accepts_gzip() and (gzipped is not None or len(body) > 1024):
            body = gzipped if gzipped is not None else gzip.compress(body, 6, mtime=0)
            encoding = "gzip"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: object) -> None:
        body = json.dumps(data, separators=(",", ":")).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _refuse(self) -> None:
        self._json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "read-only: GET and HEAD only"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        app = self.app
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)

        def arg(name: str) -> str:
            values = query.get(name)
            return values[0].strip() if values else ""

        token_query = query.get("token", [None])[0]
        if not app.token_ok(self.headers.get(TOKEN_HEADER), token_query):
            self._json(HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong token"})
            return
        if not app.host_ok(self.headers.get("Host")):
            self._json(HTTPStatus.FORBIDDEN, {"error": "Host is not a loopback address"})
            return
        loaded = app.state.current
        queries = WebQueries(loaded.result, loaded.net_model)
        path = parts.path
        try:
            if path == "/":
                self._send(HTTPStatus.OK, app.page, "text/html; charset=utf-8")
            elif path == "/api/state":
                self._json(
                    HTTPStatus.OK, {"generation": loaded.generation, "error": app.state.error}
                )
            elif path == "/api/views":
                self._send(
                    HTTPStatus.OK,
                    loaded.views,
                    "application/json; charset=utf-8",
                    gzipped=loaded.views_gzip,
                )
            elif path == "/api/can":
                self._json(
                    HTTPStatus.OK,
                    queries.can(arg("from"), arg("to"), arg("port"), arg("protocol") or "TCP"),
                )
            elif path == "/api/path":
                self._json(
                    HTTPStatus.OK,
                    queries.path(arg("from"), arg("to"), arg("port"), arg("protocol") or "TCP"),
                )
            elif path == "/api/who-can":
                self._json(
                    HTTPStatus.OK,
                    queries.who_can(arg("verb"), arg("resource"), arg("namespace") or None),
                )
            elif path == "/api/route":
                self._json(HTTPStatus.OK, queries.route(arg("url")))
            elif path == "/api/timeline":
                self._json(HTTPStatus.OK, app.timeline.document())
            elif path == "/api/timeline/diff":
                self._json(HTTPStatus.OK, app.timeline.diff(arg("from"), arg("to")))
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
        except QueryError as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        except NotFound as exc:
            self._json(HTTPStatus.NOT_FOUND, {"error": str(exc)})
        except ConfigError as exc:  # e.g. the state database went away after start
            self._json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(exc)})
        except Exception as exc:  # one bad request must not stop the server
            log.warning("request %s failed", printable(path), exc_info=True)
            self._json(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                {"error": f"internal error: {type(exc).__name__}: {exc}"},
            )


def environ_token() -> str | None:
    """The token from EKSTWIN_TOKEN, so it need not appear in a process listing."""
    value = os.environ.get("EKSTWIN_TOKEN")
    return value or None
