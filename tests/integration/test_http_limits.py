"""The HTTP layer under the app, seen from a raw socket: what a client that does not speak
HTTP well gets, what limits hold, and that one request's failure leaves its keep-alive
connection to the next.

The server is the one ``telephonist serve`` runs (the same uvicorn configuration), with the
default size limits and short timeouts so the timeout tests end quickly. None of this touches
the database, so it runs on SQLite alone.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from telephonist.settings import Settings
from telephonist.testing import RunningServer, running_server

READ_TIMEOUT = 1.0
KEEP_ALIVE = 0.5
WAIT = 10.0  # the longest a test waits on the server before calling it silent


async def fail(request: Request) -> Response:
    raise RuntimeError("a bug in a handler")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("limits")
    settings = Settings(
        data_dir=str(tmp), http_read_timeout=READ_TIMEOUT, http_keep_alive_timeout=KEEP_ALIVE
    )
    with running_server(settings, routes=[Route("/test/fail", fail)]) as running:
        yield running


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@contextlib.contextmanager
def connection(server: RunningServer) -> Iterator[tuple[socket.socket, BinaryIO]]:
    parts = urlsplit(server.base_url)
    assert parts.hostname is not None and parts.port is not None
    with (
        socket.create_connection((parts.hostname, parts.port), timeout=WAIT) as sock,
        sock.makefile("rb") as reader,
    ):
        yield sock, reader


def read_answer(reader: BinaryIO) -> Answer | None:
    """The next response on the connection, or None when the server closed it instead."""
    line = reader.readline()
    if not line:
        return None
    status = int(line.split()[1])
    headers: dict[str, str] = {}
    while (header := reader.readline()) not in (b"\r\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers.get("content-length", "0")))
    return Answer(status, headers, body)


def send_all(sock: socket.socket, data: bytes) -> None:
    """Send ``data``, tolerating a server that answers and stops reading before the end."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        sock.sendall(data)


def assert_twilio_error(answer: Answer | None, status: int, code: int) -> None:
    assert answer is not None, "the server closed the connection without an answer"
    assert answer.status == status, answer
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    body = answer.json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert body["code"] == code and body["status"] == status
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"


def assert_closed(reader: BinaryIO) -> None:
    assert reader.read() == b""


def request(path: str, *headers: bytes, method: bytes = b"GET") -> bytes:
    return b"".join([method, b" ", path.encode(), b" HTTP/1.1\r\nHost: t\r\n", *headers, b"\r\n"])


# -- a 500 does not end the connection -----------------------------------------------------------


@contextlib.contextmanager
def watching(logger: str, handler: logging.Handler) -> Iterator[None]:
    """``handler`` also sees ``logger``'s records (uvicorn's do not reach the root logger)."""
    target = logging.getLogger(logger)
    target.addHandler(handler)
    try:
        yield
    finally:
        target.removeHandler(handler)


def test_a_500_answers_twilios_error_and_keeps_the_connection(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A handler's bug is Twilio's 500, logged once with its traceback; the request already
    pipelined behind it on the same connection is answered as if nothing had happened."""
    with (
        caplog.at_level(logging.ERROR),
        watching("uvicorn.error", caplog.handler),
        connection(server) as (sock, reader),
    ):
        sock.sendall(request("/test/fail") + request("/healthz"))
        failed = read_answer(reader)
        after = read_answer(reader)
    assert_twilio_error(failed, 500, 20500)
    assert after is not None and after.status == 200 and after.json() == {"status": "ok"}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert errors[0].exc_info is not None and "a bug in a handler" in str(errors[0].exc_info[1])


# -- what the parser cannot read -----------------------------------------------------------------


def client_hello() -> bytes:
    """The first bytes a TLS client sends, as a real TLS stack writes them."""
    context = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="telephonist.test")
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


@pytest.mark.parametrize(
    "raw",
    [
        request("/healthz", method=b"FOO"),
        b"GET /\xff\xfe.json HTTP/1.1\r\nHost: t\r\n\r\n",
        request(
            "/healthz",
            b"Content-Length: 5\r\n",
            b"Transfer-Encoding: chunked\r\n",
            method=b"POST",
        )
        + b"0\r\n\r\n",
        client_hello(),
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        b"\x00\x01\x02\x03\r\n\r\n",
    ],
    ids=["unknown method", "non-ASCII path", "length and chunked", "TLS", "HTTP/2", "binary"],
)
def test_what_is_not_http_is_a_twilio_400(server: RunningServer, raw: bytes) -> None:
    with connection(server) as (sock, reader):
        sock.sendall(raw)
        assert_twilio_error(read_answer(reader), 400, 20422)
        assert_closed(reader)


# -- size limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [1, 100_000], ids=["one byte over", "100 KB over"])
def test_a_url_over_the_limit_is_414(server: RunningServer, extra: int) -> None:
    """Refused before the rest of it is read."""
    path = "/healthz?x="
    path += "a" * (server.settings.http_max_url - len(path) + extra)
    with connection(server) as (sock, reader):
        send_all(sock, request(path))
        assert_twilio_error(read_answer(reader), 414, 20413)
        assert_closed(reader)


def test_a_url_at_the_limit_is_served(server: RunningServer) -> None:
    path = "/healthz?x="
    path += "a" * (server.settings.http_max_url - len(path))
    with connection(server) as (sock, reader):
        sock.sendall(request(path))
        answer = read_answer(reader)
    assert answer is not None and answer.status == 200


def padding(count: int, size: int) -> list[bytes]:
    """``count`` headers of ``size`` bytes each, as they travel (name, ": ", value, CRLF)."""
    value = b"v" * (size - len(b"X-Pad-0000: \r\n"))
    return [b"X-Pad-%04d: %s\r\n" % (n, value) for n in range(count)]


@pytest.mark.parametrize(
    "headers",
    [
        padding(101, 20),  # too many
        padding(5, 7000),  # too many bytes, in complete headers
        [b"X-Huge: " + b"v" * 8 * 1024 * 1024 + b"\r\n"],  # one header of 8 MiB, never ending
    ],
    ids=["101 headers", "35 KB of headers", "an 8 MiB header"],
)
def test_headers_over_the_limits_are_431(server: RunningServer, headers: list[bytes]) -> None:
    """The answer reaches a client that is still sending what it will not read."""
    with connection(server) as (sock, reader):
        send_all(sock, request("/healthz", *headers))
        assert_twilio_error(read_answer(reader), 431, 20413)
        assert_closed(reader)


def test_a_header_that_never_ends_is_refused_once_past_the_limit(server: RunningServer) -> None:
    """The parser hands a header over only when it ends: one that does not is refused when
    it passes the limit, not held in memory until the read timeout."""
    with connection(server) as (sock, reader):
        send_all(sock, request("/healthz")[:-2] + b"X-Endless: " + b"v" * 1024 * 1024)
        assert_twilio_error(read_answer(reader), 431, 20413)


def test_headers_within_the_limits_are_served(server: RunningServer) -> None:
    """98 headers (with Host and the request's own) and nearly 32 KiB of them still pass."""
    with connection(server) as (sock, reader):
        sock.sendall(request("/healthz", *padding(97, 330)))
        answer = read_answer(reader)
    assert answer is not None and answer.status == 200


# -- timeouts ------------------------------------------------------------------------------------


def credentials(server: RunningServer) -> bytes:
    pair = f"{server.account_sid}:{server.auth_token}".encode()
    return b"Authorization: Basic " + base64.b64encode(pair) + b"\r\n"


def test_a_body_promised_and_not_sent_is_408(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The handler waiting for the rest of the body is let go (quietly: a client that went
    away is no bug), and the client told why."""
    head = request(
        "/2010-04-01/Accounts.json",
        credentials(server),
        b"Content-Type: application/x-www-form-urlencoded\r\n",
        b"Content-Length: 100\r\n",
        method=b"POST",
    )
    with caplog.at_level(logging.ERROR), connection(server) as (sock, reader):
        sock.sendall(head + b"FriendlyName=slow")
        assert_twilio_error(read_answer(reader), 408, 20422)
        assert_closed(reader)
        listed = authorized_get(server, "/2010-04-01/Accounts.json?FriendlyName=slow")
    assert listed["accounts"] == []  # the handler ended without creating anything
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def authorized_get(server: RunningServer, path: str) -> Any:
    """A GET with the default account's credentials on a connection of its own."""
    with connection(server) as (sock, reader):
        sock.sendall(request(path, credentials(server)))
        answer = read_answer(reader)
    assert answer is not None and answer.status == 200, answer
    return answer.json()


def test_a_head_never_finished_is_408(server: RunningServer) -> None:
    with connection(server) as (sock, reader):
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        assert_twilio_error(read_answer(reader), 408, 20422)
        assert_closed(reader)


def test_a_later_request_never_finished_on_a_kept_connection_is_408(
    server: RunningServer,
) -> None:
    """The connection's one read timer, set for its first request, still times the second:
    it fires while that one is arriving and waits on for the second's own deadline."""
    with connection(server) as (sock, reader):
        sock.sendall(request("/healthz"))
        answer = read_answer(reader)
        assert answer is not None and answer.status == 200
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        assert_twilio_error(read_answer(reader), 408, 20422)
        assert_closed(reader)


def test_a_connection_that_sends_nothing_is_closed(server: RunningServer) -> None:
    with connection(server) as (_, reader):
        assert read_answer(reader) is None


def test_an_idle_keep_alive_connection_is_closed(server: RunningServer) -> None:
    with connection(server) as (sock, reader):
        sock.sendall(request("/healthz"))
        answer = read_answer(reader)
        assert answer is not None and answer.status == 200
        assert read_answer(reader) is None  # closed after the keep-alive timeout
