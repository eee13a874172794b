"""Delivering webhooks: signed, bounded in time and size, never trusted.

A target that refuses, hangs, redirects forever or answers megabytes of garbage costs one
bounded attempt: connections and reads time out (15 s by default, as on Twilio), bodies are
read up to a limit, and every failure maps to the Twilio error code an alert will carry.
Twilio's per-URL overrides in the fragment (``#rc=2&rt=5000``: retry count, read timeout…) are
honoured.

Every destination, redirects included, is held to the outbound destination policy
(:mod:`telephonist.domain.destinations`): a refused one fails as an unreachable one does,
with 11205, its alert naming the address and why (``destination 169.254.169.254 is not
allowed: link-local``), and nothing is connected to.

Cookies are the caller's to keep (see :mod:`telephonist.webhooks.cookies`): ``send`` sends the
``Cookie`` value it is given and reports every ``Set-Cookie`` it got back. Both stay with the
origin of the URL asked for: past an HTTP redirect to another origin no cookie is sent and none
is kept.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote_plus, urljoin, urlsplit, urlunsplit

if TYPE_CHECKING:
    import aiohttp

from telephonist.domain.destinations import DestinationPolicy
from telephonist.webhooks.resolver import DestinationRefused, Resolver
from telephonist.webhooks.signing import idempotency_token, sign
from telephonist.webhooks.transport import (
    ConnectFailed,
    InvalidURL,
    NameNotResolved,
    Target,
    Transport,
    TransportError,
)

USER_AGENT = "TwilioProxy/1.1"
RETRIABLE = {11205}  # Twilio retries connection failures once unless the URL says otherwise


@dataclass(frozen=True, slots=True)
class Attempt:
    url: str
    method: str
    status: int | None
    body: bytes
    content_type: str | None
    headers: dict[str, str] = field(default_factory=dict)
    error_code: int | None = None
    error_text: str = ""
    too_large: bool = False
    # Every Set-Cookie the answer (and any HTTP redirect on the same origin) carried, in order.
    set_cookies: tuple[str, ...] = ()
    # The destination policy refused it: asking again cannot go otherwise, so it is not retried.
    refused: bool = False

    @property
    def ok(self) -> bool:
        return self.error_code is None


@dataclass(frozen=True, slots=True)
class Overrides:
    connect_timeout: float
    read_timeout: float
    retries: int


_UNRESERVED = re.compile(r"[A-Za-z0-9_.\-~]*\Z").match


def _quote(text: str) -> str:
    if text.isalnum() and text.isascii():  # SIDs, status words, digits: the common case
        return text
    return _quote_other(text)


@functools.lru_cache(maxsize=4096)
def _quote_other(text: str) -> str:
    # Phone numbers (a "+" to escape) repeat from message to message: worth remembering.
    return text if _UNRESERVED(text) else quote_plus(text)


def form_encode(params: list[tuple[str, str]]) -> str:
    """``urlencode(params)``, exactly, at half the cost: most names and values (SIDs, status
    words, digits) need no escaping, and checking that is cheaper than escaping."""
    return "&".join([_quote(name) + "=" + _quote(value) for name, value in params])


def _failed(url: str, method: str, code: int, text: str, *, refused: bool = False) -> Attempt:
    """An attempt that got no usable HTTP answer at all."""
    return Attempt(url, method, None, b"", None, error_code=code, error_text=text, refused=refused)


@functools.lru_cache(maxsize=1024)
def overrides(url: str, default_timeout: float) -> Overrides:
    """Twilio's connection overrides from the URL fragment, clamped to Twilio's ranges."""
    fragment = dict(parse_qsl(urlsplit(url).fragment))

    def millis(key: str, low: int, high: int, default: float) -> float:
        try:
            return min(max(int(fragment[key]), low), high) / 1000
        except (KeyError, ValueError):
            return default

    try:
        retries = min(max(int(fragment.get("rc", "1")), 0), 5)
    except ValueError:
        retries = 1
    return Overrides(
        connect_timeout=millis("ct", 100, 10_000, min(5.0, default_timeout)),
        read_timeout=millis("rt", 100, 15_000, default_timeout),
        retries=retries,
    )


@functools.lru_cache(maxsize=1024)
def strip_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10


class WebhookClient:
    """Every webhook request the server makes, on one pooled :class:`Transport`.

    Media downloads (large, streamed, any content type) use an aiohttp session instead, made
    on first use. Both resolve and check destinations through one :class:`Resolver` holding
    ``policy`` (default: emulator mode's).
    """

    def __init__(
        self,
        *,
        timeout: float = 15.0,
        max_body: int = 64 * 1024,
        max_connections: int = 100,
        policy: DestinationPolicy | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_body = max_body
        self.max_connections = max_connections
        self.resolver = Resolver(policy)
        self.transport = Transport(
            max_connections=max_connections, user_agent=USER_AGENT, resolver=self.resolver
        )
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """Created on first use, inside the running event loop (aiohttp requires one)."""
        if self._session is None or self._session.closed:
            import aiohttp  # ~0.15 s and 9 MB to import: paid by the first media download only

            from telephonist.webhooks.media_connector import media_connector

            self._session = aiohttp.ClientSession(
                connector=media_connector(self.resolver, limit=self.max_connections),
                headers={"User-Agent": USER_AGENT, "Accept": "*/*"},
                # One client serves every account: a cookie one app sets must never travel
                # to another, so no cookies are kept at all.
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                auto_decompress=True,
            )
        return self._session

    async def aclose(self) -> None:
        await self.transport.aclose()
        if self._session is not None:
            await self._session.close()

    async def send(
        self,
        url: str,
        method: str,
        params: list[tuple[str, str]],
        *,
        auth_token: str,
        event: str,
        token_url: str | None = None,
        extra_headers: dict[str, str] | None = None,
        cookie: str | None = None,
    ) -> Attempt:
        """Sign and send, retrying connection failures as the URL's overrides allow (a
        destination the policy refuses is not retried: it would be refused again).

        ``token_url`` keys the idempotency token (default: ``url``); a fallback request passes
        the primary URL so that the app sees one token for one event. ``cookie`` is the
        ``Cookie`` header's value, if any (not signed: Twilio's signature covers no cookies).
        """
        limits = overrides(url, self.timeout)
        token = idempotency_token(event, strip_fragment(token_url or url))
        headers = dict(extra_headers or {})
        if cookie:
            headers["Cookie"] = cookie
        attempt = await self._once(url, method, params, auth_token, token, limits, headers)
        tries = 0
        while attempt.error_code in RETRIABLE and not attempt.refused and tries < limits.retries:
            tries += 1
            attempt = await self._once(url, method, params, auth_token, token, limits, headers)
        return attempt

    async def _once(
        self,
        url: str,
        method: str,
        params: list[tuple[str, str]],
        auth_token: str,
        token: str,
        limits: Overrides,
        extra_headers: dict[str, str],
    ) -> Attempt:
        target = strip_fragment(url)
        method = method.upper()
        headers = [("Accept", "*/*"), ("I-Twilio-Idempotency-Token", token)]
        if extra_headers:
            headers.extend(extra_headers.items())
        data: bytes | None = None
        set_cookies: list[str] = []
        if method == "GET":
            if params:
                target = f"{target}{'&' if urlsplit(target).query else '?'}{form_encode(params)}"
            headers.append(("X-Twilio-Signature", sign(auth_token, target, None)))
        else:
            headers.append(("X-Twilio-Signature", sign(auth_token, target, params)))
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            data = form_encode(params).encode()
        try:
            origin: tuple[bool, str, int] | None = Target.parse(target).origin
            for _ in range(MAX_REDIRECTS + 1):
                response = await self.transport.request(
                    method,
                    target,
                    headers,
                    data,
                    connect_timeout=limits.connect_timeout,
                    read_timeout=limits.read_timeout,
                    max_body=self.max_body,
                )
                if origin is not None:
                    set_cookies.extend(response.set_cookies)
                location = response.header("Location")
                if response.status not in REDIRECTS or not location:
                    break
                target = urljoin(target, location)
                if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                    # As browsers and HTTP clients do: the next request is a GET, no body.
                    method, data = "GET", None
                    headers = [h for h in headers if h[0] != "Content-Type"]
                if origin is not None and Target.parse(target).origin != origin:
                    # Cookies belong to the origin that set them: none travel to (or from) here.
                    origin = None
                    headers = [h for h in headers if h[0] != "Cookie"]
            else:
                return _failed(url, method, 11215, "Too many redirects")
        except DestinationRefused as exc:
            return _failed(url, method, 11205, str(exc), refused=True)
        except NameNotResolved:
            return _failed(url, method, 11210, "Bad host name")
        except ConnectFailed as exc:
            return _failed(url, method, 11205, f"Connection failure: {exc}")
        except TimeoutError:
            return _failed(url, method, 11200, "Timed out waiting for the response")
        except InvalidURL:
            return _failed(url, method, 11100, "Invalid URL")
        except TransportError as exc:
            return _failed(url, method, 11206, f"HTTP protocol violation: {exc}")
        ok = 200 <= response.status < 300
        return Attempt(
            url,
            method,
            response.status,
            response.body,
            response.header("Content-Type"),
            response.headers,
            error_code=None if ok else 11200,
            error_text="" if ok else f"HTTP {response.status}",
            too_large=response.too_large,
            set_cookies=tuple(set_cookies),
        )
