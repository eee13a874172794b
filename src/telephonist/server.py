"""How telephonist listens: uvicorn, configured from the settings, with limits on what a client
may send before the app sees a request.

uvicorn's httptools protocol parses requests with llhttp (Node's parser). On its own it bounds
neither the URL nor the headers (megabytes of headers reach the app) and has no read
timeout: a client that promises a body and never sends it holds its connection for good, as
does one that connects and says nothing. :class:`GuardedProtocol` adds those limits and answers
everything it refuses, including what the parser cannot read at all, with Twilio's error JSON,
like the app. These answers come from this layer (the app never sees the request), and each
closes the connection:

========================================================  ======  =====
request                                                   status  code
========================================================  ======  =====
not HTTP/1.x the parser can read: an unknown method,      400     20422
bytes outside ASCII in the request target, Content-Length
with Transfer-Encoding, a TLS ClientHello on the plain
port, an HTTP/2 preface
a URL over ``http_max_url`` bytes                     414     20413
headers over ``http_max_header_bytes`` bytes, or more     431     20413
than ``http_max_headers`` of them
a request begun but not received in full within           408     20422
``http_read_timeout`` seconds (unless the app has already
answered it: then the connection is only closed)
========================================================  ======  =====

A new connection on which no request begins within ``http_read_timeout`` is closed without an
answer, as is an idle keep-alive connection after ``http_keep_alive_timeout``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from telephonist.errors import TwilioError
from telephonist.settings import Settings

log = logging.getLogger("telephonist.http")


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """What one connection may send; see the settings of the same names."""

    max_url: int
    max_header_bytes: int
    max_headers: int
    read_timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpLimits:
        return cls(
            max_url=settings.http_max_url,
            max_header_bytes=settings.http_max_header_bytes,
            max_headers=settings.http_max_headers,
            read_timeout=settings.http_read_timeout,
        )


class _Refused(Exception):
    """Raised inside a parser callback to stop parsing; the parser turns it into its own error,
    which uvicorn answers through :meth:`GuardedProtocol.send_400_response`."""


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with limits on the URL, the headers and the time a
    request takes to arrive, and Twilio-shaped answers for what it refuses.

    The parser hands a header over only once it is complete, so the callbacks alone cannot
    bound one that never ends; :meth:`data_received` also counts every chunk that falls wholly
    inside a request's head. (The chunk a head begins in is not counted, since part of it may
    belong to the request before; memory stays bounded by the limits plus one read.)
    """

    limits: ClassVar[HttpLimits]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refusal: TwilioError | None = None
        self._in_head = False  # between a request's first byte and its last header
        self._begun = False  # a request has begun and not yet arrived in full
        self._message_no = 0
        self._url_bytes = 0
        self._header_bytes = 0
        self._chunk_bytes = 0  # chunks wholly inside the current head
        self._headers = 0
        self._read_timer: asyncio.TimerHandle | None = None
        self._read_deadline: float | None = None  # loop time the current read must end by
        self._answered = False  # refused: nothing more is read or written

    # -- the connection ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_read_timer()  # a silent connection is not held open either

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_read_timer()
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        inside = self._message_no if self._in_head else None
        super().data_received(data)
        if self._answered or self.transport.is_closing():
            return
        if inside is None or not self._in_head or self._message_no != inside:
            return
        self._chunk_bytes += len(data)
        if self._chunk_bytes > self.limits.max_url + self.limits.max_header_bytes:
            self._answer(self._headers_too_large())

    def send_400_response(self, msg: str) -> None:
        """What uvicorn calls for a request the parser refused: ours (a limit), or its own."""
        refusal = self._refusal or TwilioError(
            20422, "Invalid HTTP request: it could not be read as HTTP/1.1", status=400
        )
        self._answer(refusal)

    # -- parser callbacks -------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._message_no += 1
        self._in_head = self._begun = True
        self._url_bytes = self._header_bytes = self._chunk_bytes = self._headers = 0
        self._arm_read_timer()

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > self.limits.max_url:
            self._refuse(
                TwilioError(
                    20413,
                    f"The URL is longer than {self.limits.max_url} bytes",
                    status=414,
                )
            )
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._in_head:
            self._headers += 1
            self._header_bytes += len(name) + len(value) + 4  # ": " and CRLF
            if (
                self._headers > self.limits.max_headers
                or self._header_bytes > self.limits.max_header_bytes
            ):
                self._refuse(self._headers_too_large())
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._begun = False
        self._cancel_read_timer()
        super().on_message_complete()

    # -- the read timeout -------------------------------------------------------------------

    # One timer per connection, not one per request: a request sets the deadline it must
    # arrive by, and the timer, when it fires, either finds that deadline met (none set, or a
    # later one, for which it is set again) or acts. Scheduling and cancelling a timer for each
    # request of a keep-alive connection cost more than the request's own parsing.

    def _arm_read_timer(self) -> None:
        self._read_deadline = self.loop.time() + self.limits.read_timeout
        if self._read_timer is None:
            self._read_timer = self.loop.call_at(self._read_deadline, self._read_timer_fired)

    def _cancel_read_timer(self) -> None:
        self._read_deadline = None

    def _read_timer_fired(self) -> None:
        self._read_timer = None
        deadline = self._read_deadline
        if deadline is None:
            return
        if self.loop.time() < deadline:
            self._read_timer = self.loop.call_at(deadline, self._read_timer_fired)
            return
        self._read_timed_out()

    def _read_timed_out(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing():
            return
        earlier = self.cycle if self._in_head else None  # a head belongs to no cycle yet
        if self.flow.read_paused or (earlier is not None and not earlier.response_complete):
            # The server is behind on this connection (it stopped reading, or is still
            # answering the request before), not the client.
            self._arm_read_timer()
            return
        if not self._begun:
            self.transport.close()  # nothing of a request arrived: there is no one to answer
            return
        if not self._in_head and self.cycle.response_started:
            self.transport.close()  # the app answered without waiting for the rest
            return
        self._answer(
            TwilioError(
                20422,
                f"The request did not arrive in full within {self.limits.read_timeout:g} seconds",
                status=408,
            )
        )

    # -- answers ----------------------------------------------------------------------------

    def _headers_too_large(self) -> TwilioError:
        return TwilioError(
            20413,
            f"Request headers are limited to {self.limits.max_headers} headers and "
            f"{self.limits.max_header_bytes} bytes",
            status=431,
        )

    def _refuse(self, error: TwilioError) -> None:
        self._refusal = error
        raise _Refused(error.message)

    def _answer(self, error: TwilioError) -> None:
        """Write ``error`` as the app would render it, and close the connection."""
        if self._answered:
            return
        self._answered = True
        log.debug("refused a request from %s: %s", self.client, error.message)
        self._cancel_read_timer()
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            # An app still waiting for this request's body learns the client is gone.
            cycle.disconnected = True
            cycle.message_event.set()
        body = json.dumps(error.body(), separators=(",", ":")).encode("utf-8")
        head = [STATUS_LINE[error.status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/json; charset=utf-8\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()


def protocol_for(limits: HttpLimits) -> type[GuardedProtocol]:
    """A :class:`GuardedProtocol` bound to ``limits`` (uvicorn makes one per connection)."""
    return type("GuardedProtocol", (GuardedProtocol,), {"limits": limits})


def uvicorn_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration ``telephonist serve`` and :func:`~telephonist.testing.
    running_server` both run: the guarded protocol, no WebSockets (nothing here speaks them),
    the keep-alive timeout, no access log. ``options`` go to :class:`uvicorn.Config` as they are
    (``host``, ``port``, ``log_level``, ``lifespan``...)."""
    base: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": False,
        "http": protocol_for(HttpLimits.from_settings(settings)),
        "ws": "none",
        "timeout_keep_alive": settings.http_keep_alive_timeout,
        # On SIGTERM, API requests in flight get as long as the worker's webhooks.
        "timeout_graceful_shutdown": max(1, round(settings.stop_seconds)),
    }
    return uvicorn.Config(app, **{**base, **options})


__all__ = ["GuardedProtocol", "HttpLimits", "protocol_for", "uvicorn_config"]
