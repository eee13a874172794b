"""The webhook transport against scripted servers on loopback, on asyncio's loop and uvloop.

Each server answers with bytes written by hand, so the framing cases a real-world app server
may produce (chunked, close-delimited, interim 1xx, compressed, oversized, malformed, closing
idle connections) are exercised exactly.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest

from telephonist.webhooks.delivery import WebhookClient
from telephonist.webhooks.media import MediaError, fetch_media
from telephonist.webhooks.transport import (
    ConnectFailed,
    InvalidURL,
    ProtocolViolation,
    Transport,
)

Answer = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]  # True: keep the connection


def loops() -> list[Any]:
    factories: list[Any] = [pytest.param(asyncio.new_event_loop, id="asyncio")]
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it on Linux and macOS
        return factories
    return [*factories, pytest.param(uvloop.new_event_loop, id="uvloop")]


@pytest.fixture(params=loops())
def run(request: pytest.FixtureRequest) -> Callable[[Coroutine[Any, Any, Any]], Any]:
    def runner(main: Coroutine[Any, Any, Any]) -> Any:
        with asyncio.Runner(loop_factory=request.param) as r:
            return r.run(main)

    return runner


class Scripted:
    """A server that reads each request and lets ``answer`` write whatever it likes."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Scripted:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook?x=1"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                self.requests.append(head + body)
                if not await self.answer(head, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def fixed(raw: bytes, keep: bool = True) -> Answer:
    async def answer(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(raw)
        await writer.drain()
        return keep

    return answer


async def post(url: str, *, max_body: int = 1024, read_timeout: float = 5.0, t: Any = None) -> Any:
    transport = t or Transport(user_agent="test")
    try:
        return await transport.request(
            "POST",
            url,
            [("Content-Type", "application/x-www-form-urlencoded")],
            b"a=1",
            connect_timeout=2.0,
            read_timeout=read_timeout,
            max_body=max_body,
        )
    finally:
        if t is None:
            await transport.aclose()


OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"


def test_keep_alive_reuses_one_connection(run: Any) -> None:
    async def main() -> None:
        async with Scripted(fixed(OK)) as server:
            transport = Transport()
            for _ in range(3):
                response = await post(server.url, t=transport)
                assert (response.status, response.body) == (200, b"hello")
                assert response.header("content-type") == "text/plain"
            await transport.aclose()
            assert server.connections == 1
            request = server.requests[0]
            assert request.startswith(b"POST /hook?x=1 HTTP/1.1\r\n")
            assert b"\r\nContent-Length: 3\r\n" in request and request.endswith(b"\r\n\r\na=1")

    run(main())


@pytest.mark.parametrize(
    ("raw", "keep", "body"),
    [
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n",
            True,
            b"abcdefg",
        ),
        (b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n<Response/>", False, b"<Response/>"),
        (b"HTTP/1.1 100 Continue\r\n\r\n" + OK, True, b"hello"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
            % (len(gzip.compress(b"zipped")), gzip.compress(b"zipped")),
            True,
            b"zipped",
        ),
        (b"HTTP/1.1 204 No Content\r\n\r\n", True, b""),
    ],
    ids=["chunked", "close-delimited", "interim-100", "gzip", "204"],
)
def test_framings(run: Any, raw: bytes, keep: bool, body: bytes) -> None:
    async def main() -> None:
        async with Scripted(fixed(raw, keep)) as server:
            response = await post(server.url)
            assert response.body == body
            assert not response.too_large

    run(main())


def test_oversized_body_is_cut_and_the_connection_dropped(run: Any) -> None:
    big = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000

    async def main() -> None:
        async with Scripted(fixed(big)) as server:
            transport = Transport()
            response = await post(server.url, max_body=1000, t=transport)
            assert response.too_large and response.body == b"x" * 1000
            assert not transport._idle.get(
                (False, "127.0.0.1", server.server.sockets[0].getsockname()[1])
            )  # type: ignore[union-attr]
            await transport.aclose()

    run(main())


@pytest.mark.parametrize(
    "raw",
    [
        b"this is not http\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-Flood: " + b"y" * 70_000 + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",  # then the server hangs up
    ],
    ids=["garbage", "header-flood", "truncated"],
)
def test_malformed_answers_are_protocol_violations(run: Any, raw: bytes) -> None:
    async def main() -> None:
        async with Scripted(fixed(raw, keep=False)) as server:
            with pytest.raises(ProtocolViolation):
                await post(server.url)

    run(main())


def test_a_connection_closed_while_idle_is_replaced(run: Any) -> None:
    async def main() -> None:
        # Answers, then closes: the pooled connection is dead when it is next used.
        close_after = fixed(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok",
            keep=False,
        )
        async with Scripted(close_after) as server:
            transport = Transport()
            for _ in range(3):
                assert (await post(server.url, t=transport)).body == b"ok"
            await transport.aclose()
            assert server.connections == 3

    run(main())


def test_a_silent_target_times_out(run: Any) -> None:
    async def silent(head: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.Event().wait()  # never answers; the client gives up first
        return False

    async def main() -> None:
        async with Scripted(silent) as server:
            with pytest.raises(TimeoutError):
                await post(server.url, read_timeout=0.2)

    run(main())


def test_refused_and_invalid_targets(run: Any) -> None:
    async def main() -> None:
        with pytest.raises(ConnectFailed):
            await post("http://127.0.0.1:9/never")
        for url in ("ftp://example.com/x", "http:///nohost", "http://h/a b", "http://h:99999/"):
            with pytest.raises(InvalidURL):
                await post(url)

    run(main())


def test_userinfo_becomes_basic_auth(run: Any) -> None:
    async def main() -> None:
        async with Scripted(fixed(OK)) as server:
            url = server.url.replace("http://", "http://user:p%40ss@")
            await post(url)
            assert b"\r\nAuthorization: Basic dXNlcjpwQHNz\r\n" in server.requests[0]
            assert b"\r\nHost: 127.0.0.1:" in server.requests[0]

    run(main())


def test_redirects_are_followed_and_bounded(run: Any) -> None:
    async def see_other(head: bytes, writer: asyncio.StreamWriter) -> bool:
        if head.startswith(b"POST"):
            writer.write(b"HTTP/1.1 303 See Other\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n")
        else:
            writer.write(OK)
        return True

    async def loop_forever(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 307 Again\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n")
        return True

    async def main() -> None:
        client = WebhookClient(timeout=5)
        try:
            async with Scripted(see_other) as server:
                attempt = await client.send(
                    server.url, "POST", [("A", "1")], auth_token="t" * 32, event="e"
                )
                assert attempt.ok and attempt.body == b"hello"
                assert server.requests[1].startswith(b"GET /next HTTP/1.1")
            async with Scripted(loop_forever) as server:
                attempt = await client.send(
                    server.url, "POST", [("A", "1")], auth_token="t" * 32, event="e"
                )
                assert attempt.error_code == 11215
                assert all(r.startswith(b"POST /") for r in server.requests)
        finally:
            await client.aclose()

    run(main())


def test_every_set_cookie_is_kept(run: Any) -> None:
    """Repeated headers keep their last value, except Set-Cookie: each one is kept, in order."""
    raw = (
        b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nX-Twice: one\r\n"
        b"set-cookie: b=2\r\nX-Twice: two\r\nContent-Length: 2\r\n\r\nok"
    )

    async def main() -> None:
        async with Scripted(fixed(raw)) as server:
            response = await post(server.url)
            assert response.set_cookies == ("a=1; Path=/", "b=2")
            assert response.header("x-twice") == "two"

    run(main())


def test_cookies_stay_with_their_origin_across_redirects(run: Any) -> None:
    """The Cookie given is sent; a same-origin redirect keeps it (and its Set-Cookie), one to
    another origin neither gets it nor may set any."""

    def redirecting(to: str) -> Answer:
        async def answer(head: bytes, writer: asyncio.StreamWriter) -> bool:
            if b" /hook" in head.split(b"\r\n")[0]:
                writer.write(
                    b"HTTP/1.1 302 Found\r\nSet-Cookie: first=1\r\nLocation: "
                    + to.encode()
                    + b"\r\nContent-Length: 0\r\n\r\n"
                )
            else:
                writer.write(
                    b"HTTP/1.1 200 OK\r\nSet-Cookie: second=2\r\nContent-Length: 0\r\n\r\n"
                )
            return True

        return answer

    async def main() -> None:
        client = WebhookClient(timeout=5)
        try:
            async with Scripted(redirecting("/next")) as server:
                attempt = await client.send(
                    server.url, "POST", [], auth_token="t" * 32, event="e", cookie="s=abc"
                )
                assert attempt.ok and attempt.set_cookies == ("first=1", "second=2")
                assert all(b"\r\nCookie: s=abc\r\n" in r for r in server.requests)
            async with Scripted(redirecting("")) as other:
                elsewhere = other.url.replace("/hook?x=1", "/elsewhere")
                async with Scripted(redirecting(elsewhere)) as server:
                    attempt = await client.send(
                        server.url, "POST", [], auth_token="t" * 32, event="e", cookie="s=abc"
                    )
                assert attempt.ok and attempt.set_cookies == ("first=1",)
                assert b"\r\nCookie:" in server.requests[0]
                assert b"Cookie" not in other.requests[0]
        finally:
            await client.aclose()

    run(main())


def test_media_fetches_use_the_clients_timeout(run: Any) -> None:
    """A silent media URL fails with 11200 after the configured webhook timeout, not 15 s."""

    async def silent(head: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.Event().wait()
        return False

    async def main() -> None:
        client = WebhookClient(timeout=0.2)
        try:
            async with Scripted(silent) as server:
                with pytest.raises(MediaError) as caught:
                    await asyncio.wait_for(fetch_media(client, server.url), timeout=5)
                assert caught.value.code == 11200
        finally:
            await client.aclose()

    run(main())
