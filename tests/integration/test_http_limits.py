"""The HTTP layer under the app, seen from a raw socket: what a client that does not speak
HTTP well gets, what limits hold, and that one request's failure leaves its keep-alive
connection to the next.

The server is the one ``telephonist serve`` runs (the same uvicorn configuration), with the
default size limits and short timeouts so the timeout tests end quickly. None of this touches
the database, so it runs on SQLite alone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
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

WAIT = 10.0  # the longest a test waits on the server before calling it silent


async def fail(request: Request) -> Response:
    raise RuntimeError("a bug in a handler")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("limits")
    settings = Settings(data_dir=str(tmp))
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
