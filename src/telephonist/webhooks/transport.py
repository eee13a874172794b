"""The HTTP/1.1 transport webhooks travel on: keep-alive connections and httptools' parser.

Webhooks are the hottest network path in telephonist (two or more requests per message, all
of them small form posts answered by small bodies). General-purpose clients pay for features
a webhook never uses (cookie jars, proxies, middleware, tracing, streaming payload types): on
a loopback target aiohttp and aiosonic each cost about 140 µs of CPU per request, this
transport about 30 µs. It does only what webhooks need:

- ``http`` and ``https`` (the system's trusted CAs, SNI), user-info in the URL as Basic auth;
- destinations held to the outbound policy: the host is resolved once by a
  :class:`~telephonist.webhooks.resolver.Resolver`, which refuses it unless every address is
  allowed, and the connection goes to those addresses, not to the name again;
- a pool of idle keep-alive connections per origin, a cap on requests in flight, idle
  connections dropped after a few seconds (before common servers close them, Node's default
  being 5 s), and one transparent retry when a reused connection turns out to be closed;
- every ``Set-Cookie`` of an answer kept (other repeated headers keep their last value);
- responses framed by Content-Length, chunked encoding or the end of the connection, parsed
  by httptools (llhttp, the parser uvicorn uses); 1xx interim answers skipped; bodies kept up
  to a limit, after which the connection is dropped rather than drained; header floods cut;
- gzip/deflate bodies decoded, bounded by the same limit (we never ask for them, but some
  servers compress anyway).

Redirects, timeouts per Twilio's rules and the mapping of failures to Twilio error codes are
the caller's (:mod:`telephonist.webhooks.delivery`).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import socket
import ssl
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import httptools

from telephonist.domain.destinations import Address
from telephonist.errors import TelephonistError
from telephonist.webhooks.resolver import DestinationRefused, Resolver

MAX_HEADER_BYTES = 64 * 1024
IDLE_SECONDS = 4.0


class TransportError(TelephonistError):
    """The request got no usable HTTP answer."""


class InvalidURL(TransportError):
    pass


class NameNotResolved(TransportError):
    pass


class ConnectFailed(TransportError):
    pass


class ProtocolViolation(TransportError):
    pass


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]  # names as sent; a repeated name keeps its last value
    body: bytes
    too_large: bool
    # Every Set-Cookie, in order: it is the one header that may not be folded into one value.
    set_cookies: tuple[str, ...] = ()

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)


def _header(headers: dict[str, str], name: str) -> str | None:
    """A header's value, its name matched regardless of case (HTTP names are)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


@dataclass(frozen=True, slots=True)
class Target:
    """A URL taken apart once: where to connect and what to put on the request line."""

    secure: bool
    host: str  # for connecting: no brackets around IPv6
    port: int
    authority: str  # for the Host header
    path: str
    authorization: str | None

    @classmethod
    @functools.lru_cache(maxsize=1024)  # a few webhook URLs serve many requests
    def parse(cls, url: str) -> Target:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise InvalidURL(str(exc)) from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise InvalidURL(f"not an http(s) URL: {url!r}")
        if any(c in url for c in "\r\n\x00 "):
            raise InvalidURL("URL contains whitespace or control characters")
        secure = scheme == "https"
        authority = parts.netloc.rpartition("@")[2]
        authorization = None
        if parts.username is not None:
            user_pass = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            authorization = "Basic " + base64.b64encode(user_pass.encode()).decode("ascii")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return cls(
            secure,
            parts.hostname,
            port or (443 if secure else 80),
            authority,
            path,
            authorization,
        )

    @property
    def origin(self) -> tuple[bool, str, int]:
        return (self.secure, self.host, self.port)


class _Connection(asyncio.Protocol):
    """One connection, one request at a time; httptools calls the ``on_*`` methods."""

    def __init__(self, origin: tuple[bool, str, int]) -> None:
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._reset(0)

    def _reset(self, max_body: int) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Response] | None = None
        self._max_body = max_body
        self._headers: dict[str, str] = {}
        self._set_cookies: list[str] = []
        self._header_bytes = 0
        self._chunks: list[bytes] = []
        self._size = 0
        self._too_large = False
        self._headers_done = False
        self._framed = False
        self._received = False
        self._keep_alive = False

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports quack like asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._received = True
        if self._waiter is None or self._waiter.done():
            self.close()  # bytes nobody asked for: the connection is not reusable
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(ProtocolViolation("unexpected protocol upgrade"))
        except httptools.HttpParserError as exc:
            self._fail(ProtocolViolation(f"malformed HTTP response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._headers_done and not self._framed:
            # No Content-Length, not chunked: the body ends where the connection does.
            self._complete()
        elif not self._received:
            waiter.set_exception(_StaleConnection())
        else:
            waiter.set_exception(ProtocolViolation("connection closed mid-response"))

    # -- httptools callbacks -------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEADER_BYTES:
            raise httptools.HttpParserError("response headers too large")
        text = value.decode("latin-1")
        self._headers[name.decode("latin-1")] = text
        if len(name) == 10 and name.lower() == b"set-cookie":
            self._set_cookies.append(text)

    def on_headers_complete(self) -> None:
        self._headers_done = True
        self._framed = (
            _header(self._headers, "Content-Length") is not None
            or "chunked" in (_header(self._headers, "Transfer-Encoding") or "").lower()
            or not self._expects_body()
        )

    def on_body(self, body: bytes) -> None:
        if self._too_large:
            return
        self._size += len(body)
        if self._size > self._max_body:
            self._chunks.append(body[: len(body) - (self._size - self._max_body)])
            self._too_large = True
            self._complete()
            self.close()  # not drained, so not reusable
            return
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200:  # an interim answer: the real one follows
            self._headers, self._header_bytes, self._headers_done = {}, 0, False
            self._set_cookies = []
            return
        # Asked now: once the message is complete the parser forgets what it said.
        self._keep_alive = self._parser.should_keep_alive()
        self._complete()

    # -- driving ---------------------------------------------------------------------------------

    def _expects_body(self) -> bool:
        status = self._parser.get_status_code()
        return not (status in (204, 304) or 100 <= status < 200)

    def _complete(self) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        try:
            body = _decode(self._headers, b"".join(self._chunks), self._max_body)
        except zlib.error:
            waiter.set_exception(ProtocolViolation("undecodable compressed body"))
            return
        waiter.set_result(
            Response(
                self._parser.get_status_code(),
                self._headers,
                body,
                self._too_large,
                tuple(self._set_cookies),
            )
        )

    def _fail(self, exc: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    @property
    def reusable(self) -> bool:
        return not self.closed and not self._too_large and self._keep_alive

    async def exchange(self, raw: bytes, max_body: int) -> Response:
        assert self.transport is not None
        self._reset(max_body)
        waiter: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        self.transport.write(raw)
        try:
            return await waiter
        except BaseException:
            self.close()  # cancelled or timed out mid-exchange: the stream is out of step
            raise
        finally:
            self._waiter = None


class _StaleConnection(TransportError):
    """A reused connection was closed before any answer: safe to try a fresh one."""


def _decode(headers: dict[str, str], body: bytes, limit: int) -> bytes:
    encoding = (_header(headers, "Content-Encoding") or "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, limit)
    if encoding == "deflate":
        try:
            return zlib.decompressobj().decompress(body, limit)
        except zlib.error:  # raw deflate, as some servers send it
            return zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, limit)
    return body


class Transport:
    """Keep-alive HTTP/1.1 requests, at most ``max_connections`` in flight."""

    def __init__(
        self, *, max_connections: int = 100, user_agent: str = "", resolver: Resolver | None = None
    ) -> None:
        self.max_connections = max_connections
        self.user_agent = user_agent
        self.resolver = resolver or Resolver()
        self._idle: dict[tuple[bool, str, int], list[_Connection]] = {}
        self._slots: asyncio.Semaphore | None = None
        self._ssl: ssl.SSLContext | None = None

    async def request(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_body: int,
    ) -> Response:
        target = Target.parse(url)
        raw = self._serialize(method, target, headers, body)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_connections)
        async with self._slots:
            conn = self._checkout(target.origin)
            if conn is not None:
                try:
                    return await self._exchange(conn, raw, read_timeout, max_body)
                except _StaleConnection:
                    pass  # the server closed it while idle; a new connection follows
            conn = await self._connect(target, connect_timeout)
            try:
                return await self._exchange(conn, raw, read_timeout, max_body)
            except _StaleConnection:
                raise ProtocolViolation("connection closed without an answer") from None

    async def _exchange(
        self, conn: _Connection, raw: bytes, read_timeout: float, max_body: int
    ) -> Response:
        async with asyncio.timeout(read_timeout):
            response = await conn.exchange(raw, max_body)
        if conn.reusable:
            conn.idle_since = time.monotonic()
            self._idle.setdefault(conn.origin, []).append(conn)
        else:
            conn.close()
        return response

    def _checkout(self, origin: tuple[bool, str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if not conn.closed and now - conn.idle_since < IDLE_SECONDS:
                return conn
            conn.close()
        return None

    async def _connect(self, target: Target, timeout: float) -> _Connection:
        """A new connection to one of the addresses ``target``'s host resolves to, all of them
        checked first (:class:`DestinationRefused` when one is not allowed), tried in turn."""
        loop = asyncio.get_running_loop()
        context: Any = None
        if target.secure:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        try:
            async with asyncio.timeout(timeout):
                *others, last = await self.resolver.resolve(target.host, target.port)
                for address in others:
                    try:
                        return await self._open(loop, target, address, context)
                    except (ssl.SSLError, ssl.CertificateError):
                        raise  # the peer answered: another of its addresses is the same site
                    except OSError:
                        continue  # refused or unreachable: the next address may answer
                return await self._open(loop, target, last, context)
        except DestinationRefused:
            raise
        except OSError as exc:
            if isinstance(exc, socket.gaierror):
                raise NameNotResolved(str(exc)) from None
            if isinstance(exc, ssl.SSLError | ssl.CertificateError):
                raise ConnectFailed(f"TLS handshake failed: {exc}") from None
            raise ConnectFailed(exc.__class__.__name__) from None

    async def _open(
        self, loop: asyncio.AbstractEventLoop, target: Target, address: Address, context: Any
    ) -> _Connection:
        _, conn = await loop.create_connection(
            lambda: _Connection(target.origin),
            str(address),  # the address checked, never the name: it could resolve elsewhere now
            target.port,
            ssl=context,
            server_hostname=target.host if target.secure else None,
        )
        return conn

    def _serialize(
        self,
        method: str,
        target: Target,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
    ) -> bytes:
        lines = [f"{method} {target.path} HTTP/1.1", f"Host: {target.authority}"]
        if self.user_agent:
            lines.append(f"User-Agent: {self.user_agent}")
        if target.authorization:
            lines.append(f"Authorization: {target.authorization}")
        for name, value in headers:
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise InvalidURL("header contains a line break")
            lines.append(f"{name}: {value}")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body or b'')}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head + body if body else head

    async def aclose(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()
        await asyncio.sleep(0)  # let the closed transports finish closing
