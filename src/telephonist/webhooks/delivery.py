"""Delivering webhooks: signed, bounded in time and size, never trusted.

A target that refuses, hangs, redirects forever or answers megabytes of garbage costs one
bounded attempt: connections and reads time out (15 s by default, as on Twilio), bodies are
read up to a limit, and every failure maps to the Twilio error code an alert will carry.
Twilio's per-URL overrides in the fragment (``#rc=2&rt=5000``: retry count, read timeout…) are
honoured.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit

import aiohttp
import yarl

from telephonist.webhooks.signing import idempotency_token, sign

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
    return text if _UNRESERVED(text) else quote_plus(text)


def form_encode(params: list[tuple[str, str]]) -> str:
    """``urlencode(params)``, exactly, at half the cost: most names and values (SIDs, status
    words, digits) need no escaping, and checking that is cheaper than escaping."""
    return "&".join([_quote(name) + "=" + _quote(value) for name, value in params])


def _failed(url: str, method: str, code: int, text: str) -> Attempt:
    """An attempt that got no usable HTTP answer at all."""
    return Attempt(url, method, None, b"", None, error_code=code, error_text=text)


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


class WebhookClient:
    """One pooled HTTP client for every webhook (and media fetch) the server makes.

    aiohttp rather than httpx here: this client is the hottest path of the worker (two or
    more requests per message), and aiohttp's asyncio-native client costs a fraction of the
    CPU per request.
    """

    def __init__(
        self, *, timeout: float = 15.0, max_body: int = 64 * 1024, max_connections: int = 100
    ) -> None:
        self.timeout = timeout
        self.max_body = max_body
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """Created on first use, inside the running event loop (aiohttp requires one)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.max_connections, ttl_dns_cache=60),
                headers={"User-Agent": USER_AGENT, "Accept": "*/*"},
                # One client serves every account: a cookie one app sets must never travel
                # to another, so no cookies are kept at all.
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                auto_decompress=True,
            )
        return self._session

    async def aclose(self) -> None:
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
    ) -> Attempt:
        """Sign and send, retrying connection failures as the URL's overrides allow.

        ``token_url`` keys the idempotency token (default: ``url``); a fallback request passes
        the primary URL so that the app sees one token for one event.
        """
        limits = overrides(url, self.timeout)
        token = idempotency_token(event, strip_fragment(token_url or url))
        attempt = await self._once(url, method, params, auth_token, token, limits, extra_headers)
        tries = 0
        while attempt.error_code in RETRIABLE and tries < limits.retries:
            tries += 1
            attempt = await self._once(
                url, method, params, auth_token, token, limits, extra_headers
            )
        return attempt

    async def _once(
        self,
        url: str,
        method: str,
        params: list[tuple[str, str]],
        auth_token: str,
        token: str,
        limits: Overrides,
        extra_headers: dict[str, str] | None,
    ) -> Attempt:
        target = strip_fragment(url)
        method = method.upper()
        headers = {"I-Twilio-Idempotency-Token": token}
        if extra_headers:
            headers.update(extra_headers)
        data: bytes | None = None
        if method == "GET":
            if params:
                target = f"{target}{'&' if urlsplit(target).query else '?'}{form_encode(params)}"
            headers["X-Twilio-Signature"] = sign(auth_token, target, None)
        else:
            headers["X-Twilio-Signature"] = sign(auth_token, target, params)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            data = form_encode(params).encode()
        timeout = aiohttp.ClientTimeout(
            total=limits.read_timeout + limits.connect_timeout,
            connect=limits.connect_timeout,
            sock_read=limits.read_timeout,
        )
        try:
            async with self.session.request(
                method,
                yarl.URL(target, encoded=True),
                data=data,
                headers=headers,
                timeout=timeout,
                max_redirects=10,
            ) as response:
                body, too_large = await self._read_limited(response)
                status = response.status
                content_type = response.headers.get("Content-Type")
                result_headers = dict(response.headers)
        except aiohttp.TooManyRedirects:
            return _failed(url, method, 11215, "Too many redirects")
        except aiohttp.ClientConnectorDNSError:
            return _failed(url, method, 11210, "Bad host name")
        except aiohttp.ClientConnectorError as exc:
            return _failed(url, method, 11205, f"Connection failure: {exc.__class__.__name__}")
        except TimeoutError:
            return _failed(url, method, 11200, "Timed out waiting for the response")
        except (aiohttp.InvalidURL, ValueError):
            return _failed(url, method, 11100, "Invalid URL")
        except aiohttp.ClientError as exc:
            return _failed(url, method, 11206, f"HTTP protocol violation: {exc.__class__.__name__}")
        if not 200 <= status < 300:
            return Attempt(
                url,
                method,
                status,
                body,
                content_type,
                result_headers,
                error_code=11200,
                error_text=f"HTTP {status}",
                too_large=too_large,
            )
        return Attempt(url, method, status, body, content_type, result_headers, too_large=too_large)

    async def _read_limited(self, response: aiohttp.ClientResponse) -> tuple[bytes, bool]:
        """Read at most ``max_body`` bytes; a longer body is cut, not buffered."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(16 * 1024):
            size += len(chunk)
            if size > self.max_body:
                chunks.append(chunk[: self.max_body - (size - len(chunk))])
                return b"".join(chunks), True
            chunks.append(chunk)
        return b"".join(chunks), False
