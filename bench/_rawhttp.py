"""Minimal HTTP/1.1 keep-alive client and server on raw asyncio streams, for benchmarks.

The machine under test has two cores: a general-purpose client or server library would spend
more CPU than the code being measured. These do the least HTTP that works with a keep-alive
peer, and nothing else. Not for production use.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar
from urllib.parse import parse_qsl

T = TypeVar("T")


class Connection:
    """One keep-alive connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        self.writer.close()


def build_request(
    method: str,
    host: str,
    path: str,
    *,
    body: bytes = b"",
    auth: tuple[str, str] | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        lines.append(f"Authorization: Basic {token}")
    if body:
        lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


NO_CONTENT = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"


def response(body: bytes, content_type: str = "text/xml") -> bytes:
    """A complete 200 response with ``body``, for a handler of :func:`serve` to answer."""
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: "
        + content_type.encode()
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


def request_path(head: bytes) -> bytes:
    """The target of a request's first line (``/voice`` of ``POST /voice HTTP/1.1``)."""
    start = head.find(b" ") + 1
    return head[start : head.find(b" ", start)]


async def serve(
    host: str, port: int, on_request: Callable[[bytes, bytes], bytes | None]
) -> asyncio.Server:
    """A server that calls ``on_request(head, body)`` and writes the complete response it
    answers (see :func:`response`), or a 204 when it answers None, keeping connections."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length) if length else b""
                writer.write(on_request(head, body) or NO_CONTENT)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)


def form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode()))


def field(body: bytes, name: bytes) -> str:
    """One form field whose value needs no unescaping (a SID, a status), found cheaply: the
    receiver stands for the app and should take as little of the machine as it can."""
    start = body.find(name + b"=")
    while start > 0 and body[start - 1 : start] != b"&":
        start = body.find(name + b"=", start + 1)
    if start < 0:
        return ""
    start += len(name) + 1
    end = body.find(b"&", start)
    return body[start : end if end >= 0 else len(body)].decode()


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop when it is installed: load generators and receivers should
    cost the machine as little as possible."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
