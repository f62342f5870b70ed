"""collect aws against an endpoint that fails: every call denied, throttled, or
answered by a proxy's HTML page with status 200. The collection finishes, says what
failed, bounds its retries, and exits 2 when too little could be read."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.collect.aws import AwsCollectOptions, collect_aws
from ekstwin.loaders.aws import build_aws, load_aws_text

boto3 = pytest.importorskip("boto3")

IDENTITY = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/collector</Arn>"
    "<UserId>AIDAEXAMPLE</UserId><Account>111122223333</Account></GetCallerIdentityResult>"
    "<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
)
HTML = "<html><head><title>502</title></head><body><h1>Proxy error</h1></body></html>"


def _error(code: str) -> str:
    return (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
        f"<Message>{code} for the test</Message></Error><RequestId>r2</RequestId>"
        "</ErrorResponse>"
    )


class _FaultyAws(BaseHTTPRequestHandler):
    """STS names the caller; every other call gets the server's fault."""

    fault = "html"
    calls: list[str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer(body)

    def do_GET(self) -> None:
        self._answer(b"")

    def _answer(self, body: bytes) -> None:
        type(self).calls.append(self.path)
        if b"Action=GetCallerIdentity" in body:
            self._send(200, IDENTITY, "text/xml")
        elif self.fault == "html":
            self._send(200, HTML, "text/html")
        elif self.fault == "deny":
            self._send(403, _error("AccessDenied"), "text/xml", "AccessDeniedException")
        else:
            self._send(400, _error("Throttling"), "text/xml", "ThrottlingException")

    def _send(self, status: int, text: str, ctype: str, error_type: str = "") -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def faulty() -> Iterator[Callable[[str], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(fault: str) -> str:
        handler = type("Handler", (_FaultyAws,), {"fault": fault, "calls": []})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _session() -> object:
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
    )


def test_html_answers_with_status_200_become_issues_not_a_crash(
    faulty: Callable[[str], str],
) -> None:
    endpoint = faulty("html")
    collection = collect_aws(
        AwsCollectOptions(endpoint_url=endpoint, max_attempts=1), session=_session()
    )
    assert collection.reads > 10
    assert collection.failed == collection.reads
    assert not collection.complete_enough
    codes = {i.code for i in collection.issues}
    assert "UnexpectedResponse" in codes
    shape = next(i for i in collection.issues if i.code == "UnexpectedResponse")
    assert "a proxy's error page" in shape.message
    # the file is still valid aws.json, with the failures under collector
    doc, diags = load_aws_text(json.dumps(collection.document), "aws.json")
    assert diags == [] and doc is not None
    _, build_diags = build_aws([doc])
    assert [d for d in build_diags if d.code != "collect-aws"] == []


@pytest.mark.parametrize("fault", ["html", "deny"])
def test_collect_exits_2_when_nothing_could_be_read(
    faulty: Callable[[str], str],
    fault: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    out = tmp_path / "aws.json"
    code = main(
        [
            "collect",
            "aws",
            "--endpoint-url",
            faulty(fault),
            "--region",
            "eu-west-1",
            "--max-retry-seconds",
            "0",
            "-o",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert "the collection is incomplete" in err
    assert "0 of " in err
    collector = json.loads(out.read_text(encoding="utf-8"))["collector"]
    assert collector["reads"] == collector["failed_reads"] > 10
    # progress is shown even when stderr is not a terminal
    assert "collecting AWS: iam (2/" in err


def test_throttling_is_retried_within_the_retry_time_and_said(
    faulty: Callable[[str], str],
) -> None:
    endpoint = faulty("throttle")
    notices: list[str] = []
    collection = collect_aws(
        AwsCollectOptions(endpoint_url=endpoint, max_retry_seconds=2.0),
        session=_session(),
        notice=notices.append,
    )
    # the retry time is bounded by the collector's own accounting (no wall-clock
    # assertion here: the next test checks the accounting with a fake clock)
    assert collection.failed == collection.reads
    assert notices and notices[0].startswith("retrying iam:ListAccountAliases after Throttling")
    spent = [i for i in collection.issues if "spent its 2 s of retries" in i.message]
    assert spent and spent[0].code == "Throttling"


def test_only_the_waits_before_retries_count_as_retry_time() -> None:
    """A failure botocore does not retry (AccessDenied) leaves no wait behind: the next
    call's first attempt clears it, and only a retry's own wait is counted."""
    from types import SimpleNamespace

    from ekstwin.collect.aws import _Run

    now = [100.0]
    run = _Run(AwsCollectOptions(), _session(), None, None, clock=lambda: now[0])
    http = SimpleNamespace(status_code=403, content=b"<Error/>")
    parsed = {"Error": {"Code": "AccessDenied"}}
    run._on_needs_retry(response=(http, parsed), operation=SimpleNamespace(name="GetRole"))
    now[0] = 160.0  # a minute of other calls later
    first = SimpleNamespace(context={"retries": {"attempt": 1}})
    run._on_before_send(request=first, event_name="before-send.iam.ListRoles")
    run._on_needs_retry(
        response=(SimpleNamespace(status_code=400, content=b""), {"Error": {"Code": "Throttling"}}),
        operation=SimpleNamespace(name="ListRoles"),
    )
    now[0] = 162.5
    retry = SimpleNamespace(context={"retries": {"attempt": 2}})
    run._on_before_send(request=retry, event_name="before-send.iam.ListRoles")
    assert run.retry_seconds == 2.5
