"""The TwiML fetcher against a scripted app on loopback: redirects, fallback, codes, cookies.

The fetcher takes its interpreter as a parameter; these tests use the messaging one and a
made-up one, to show that a second vocabulary (voice) plugs in without touching the fetcher.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import pytest

from telephonist.twiml.messaging import FollowRedirect, SendReply, messaging_planner
from telephonist.twiml.parse import TwimlWarning
from telephonist.webhooks.cookies import NO_COOKIES
from telephonist.webhooks.delivery import WebhookClient
from telephonist.webhooks.fetcher import MAX_REDIRECTS, TwimlResult, fetch_twiml
from tests.integration.test_transport import Scripted

NOW = 1_700_000_000 * 1_000_000
SENDER, NUMBER = "+14155550100", "+14155550199"
XML = "Content-Type: text/xml"


@dataclass
class Seen:
    path: str
    cookie: str | None
    form: dict[str, str]


class App:
    """Answers by path: ``routes[path] = (status line, extra header lines, body)``."""

    def __init__(self, routes: dict[str, tuple[str, list[str], str]]) -> None:
        self.routes = routes
        self.seen: list[Seen] = []
        self.server = Scripted(self._answer)

    async def _answer(self, head: bytes, writer: asyncio.StreamWriter) -> bool:
        lines = head.decode("latin-1").split("\r\n")
        path = lines[0].split()[1].split("?")[0]
        cookie = next((ln[8:] for ln in lines if ln.lower().startswith("cookie: ")), None)
        raw = self.server.requests[-1].split(b"\r\n\r\n", 1)[1].decode()
        self.seen.append(Seen(path, cookie, dict(parse_qsl(raw))))
        status, headers, body = self.routes.get(path, ("404 Not Found", [], ""))
        data = body.encode()
        writer.write(
            "\r\n".join(
                [f"HTTP/1.1 {status}", *headers, f"Content-Length: {len(data)}", "", ""]
            ).encode()
            + data
        )
        return True

    def url(self, path: str) -> str:
        return self.server.url.replace("/hook?x=1", path)


def run(main: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(main)


async def fetch(app: App, path: str, **kwargs: Any) -> TwimlResult[Any]:
    client = WebhookClient(timeout=5)
    try:
        return await fetch_twiml(
            client,
            kwargs.pop("planner", messaging_planner(SENDER, NUMBER)),
            url=app.url(path),
            method="POST",
            params=[("Body", "hi")],
            auth_token="t" * 32,
            event="SM1:inbound",
            now=NOW,
            **kwargs,
        )
    finally:
        await client.aclose()


def reply(body: str) -> SendReply:
    return SendReply(to=SENDER, from_=NUMBER, body=body)


def test_redirects_then_fallback_with_cookies_throughout() -> None:
    """A cookie set on the first answer travels on the redirect and the fallback; the failed
    chain's replies are dropped for the fallback's, and each request is an attempt."""
    app = App(
        {
            "/a": (
                "200 OK",
                [XML, "Set-Cookie: s=1; Path=/"],
                "<Response><Message>one</Message><Redirect>/b</Redirect></Response>",
            ),
            "/b": ("500 Oops", ["Set-Cookie: t=2; Path=/"], ""),
            "/fb": ("200 OK", [XML], "<Response><Message>fallback</Message></Response>"),
        }
    )

    urls: dict[str, str] = {}

    async def main() -> TwimlResult[Any]:
        async with app.server:
            urls.update((path, app.url(path)) for path in ("/a", "/b", "/fb", "/x"))
            return await fetch(app, "/a", fallback_url=urls["/fb"])

    result = run(main())
    assert [s.path for s in app.seen] == ["/a", "/b", "/fb"]
    assert [s.cookie for s in app.seen] == [None, "s=1", "s=1; t=2"]
    assert app.seen[2].form == {"Body": "hi", "ErrorCode": "11200", "ErrorUrl": urls["/a"]}
    assert [(a.url, code) for a, code, _ in result.attempts] == [
        (urls["/a"], None),
        (urls["/b"], 11200),
        (urls["/fb"], None),
    ]
    assert result.attempts[2][2] == [
        ("Body", "hi"),
        ("ErrorCode", "11200"),
        ("ErrorUrl", urls["/a"]),
    ]
    assert result.actions == [reply("fallback")]
    assert result.code is None
    assert result.cookies.header(urls["/x"], NOW) == "s=1; t=2"


@pytest.mark.parametrize(
    ("second", "code", "error_text"),
    [
        (("200 OK", [XML], "<Response><Messag"), 12100, "not well-formed"),
        (("503 Busy", [], ""), 11200, "HTTP 503"),
    ],
    ids=["unparsable", "http-error"],
)
def test_without_a_fallback_the_replies_planned_before_the_failure_stay(
    second: tuple[str, list[str], str], code: int, error_text: str
) -> None:
    """The redirect fails, there is no fallback: what the first document said still happens,
    and the failure's alert says why."""
    app = App(
        {
            "/a": (
                "200 OK",
                [XML],
                "<Response><Message>one</Message><Redirect>/b</Redirect></Response>",
            ),
            "/b": second,
        }
    )

    async def main() -> TwimlResult[Any]:
        async with app.server:
            return await fetch(app, "/a")

    result = run(main())
    assert result.actions == [reply("one")]
    assert result.code == code
    assert error_text in result.attempts[-1][0].error_text


def test_a_redirect_loop_ends_with_11215() -> None:
    loop = (
        "200 OK",
        [XML],
        "<Response><Message>again</Message><Redirect>/loop</Redirect></Response>",
    )
    app = App({"/loop": loop})

    async def main() -> TwimlResult[Any]:
        async with app.server:
            return await fetch(app, "/loop")

    result = run(main())
    assert len(app.seen) == MAX_REDIRECTS + 1
    assert [code for _, code, _ in result.attempts] == [None] * MAX_REDIRECTS + [11215]
    assert result.actions == [reply("again")] * (MAX_REDIRECTS + 1)


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (("204 No Content", [], ""), None),
        (("200 OK", [XML], "   \n"), None),
        (("200 OK", [XML], "<Response>" + " " * 70_000 + "</Response>"), 11750),
        (("200 OK", ["Content-Type: application/json"], '{"a": 1}'), 12300),
    ],
    ids=["204", "blank", "too-large", "json"],
)
def test_answers_that_send_nothing(answer: tuple[str, list[str], str], code: int | None) -> None:
    app = App({"/a": answer})

    async def main() -> TwimlResult[Any]:
        async with app.server:
            return await fetch(app, "/a")

    result = run(main())
    assert result.actions == []
    assert [c for _, c, _ in result.attempts] == [code]


@dataclass(frozen=True)
class Hop:
    url: str
    method: str = "POST"


@dataclass(frozen=True)
class FakePlan:
    actions: tuple[str, ...]
    redirect: Hop | None
    warnings: tuple[TwimlWarning, ...]


def test_any_planner_plugs_in() -> None:
    """A planner of another vocabulary: its actions collected, its redirect followed (not
    collected, as it is not among the actions), its warnings carried as (code, detail)."""

    def planner(body: bytes, content_type: str | None, url: str) -> FakePlan:
        text = body.decode()
        redirect = Hop(url.replace("/a", "/b"), "GET") if text == "first" else None
        return FakePlan((f"say {text}",), redirect, ((12200, f"read {text}"),))

    app = App({"/a": ("200 OK", [], "first"), "/b": ("200 OK", [], "second")})

    async def main() -> TwimlResult[Any]:
        async with app.server:
            return await fetch(app, "/a", planner=planner, cookies=NO_COOKIES)

    result = run(main())
    assert result.actions == ["say first", "say second"]
    assert result.warnings == [(12200, "read first"), (12200, "read second")]
    assert [a.method for a, _, _ in result.attempts] == ["POST", "GET"]


def test_messaging_plans_fit_the_protocol() -> None:
    """The redirect of a messaging plan is its last action, and is followed, not collected."""
    plan = messaging_planner(SENDER, NUMBER)(
        b"<Response><Redirect>/x</Redirect></Response>", "text/xml", "https://a.example/"
    )
    assert plan.redirect == FollowRedirect("https://a.example/x")
    assert plan.actions == (plan.redirect,)
