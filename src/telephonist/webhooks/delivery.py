"""Delivering webhooks: signed, bounded in time and size, never trusted.

A target that refuses, hangs, redirects forever or answers megabytes of garbage costs one
bounded attempt: connections and reads time out (15 s by default, as on Twilio), bodies are
read up to a limit, and every failure maps to the Twilio error code an alert will carry.
Twilio's per-URL overrides in the fragment (``#rc=2&rt=5000``: retry count, read timeout…) are
honoured.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

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


def strip_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


class WebhookClient:
    """One pooled HTTP client for every webhook the server sends."""

    def __init__(self, *, timeout: float = 15.0, max_body: int = 64 * 1024,
                 max_connections: int = 100) -> None:
        self.timeout = timeout
        self.max_body = max_body
        self._client = httpx.AsyncClient(
            follow_redirects=True,
            max_redirects=10,
            limits=httpx.Limits(max_connections=max_connections,
                                max_keepalive_connections=max_connections),
            headers={"User-Agent": USER_AGENT, "Accept": "*/*"},
            trust_env=False,
        )

    @property
    def http(self) -> httpx.AsyncClient:
        """The pooled client, for other bounded fetches (media)."""
        return self._client

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(
        self,
        url: str,
        method: str,
        params: list[tuple[str, str]],
        *,
        auth_token: str,
        event: str,
        extra_headers: dict[str, str] | None = None,
    ) -> Attempt:
        """Sign and send, retrying connection failures as the URL's overrides allow."""
        limits = overrides(url, self.timeout)
        attempt = await self._once(url, method, params, auth_token, event, limits, extra_headers)
        tries = 0
        while attempt.error_code in RETRIABLE and tries < limits.retries:
            tries += 1
            attempt = await self._once(url, method, params, auth_token, event, limits,
                                       extra_headers)
        return attempt

    async def _once(
        self,
        url: str,
        method: str,
        params: list[tuple[str, str]],
        auth_token: str,
        event: str,
        limits: Overrides,
        extra_headers: dict[str, str] | None,
    ) -> Attempt:
        target = strip_fragment(url)
        method = method.upper()
        headers = {"I-Twilio-Idempotency-Token": idempotency_token(event, target)}
        if extra_headers:
            headers.update(extra_headers)
        if method == "GET":
            if params:
                target = f"{target}{'&' if urlsplit(target).query else '?'}{urlencode(params)}"
            headers["X-Twilio-Signature"] = sign(auth_token, target, None)
            content = None
        else:
            headers["X-Twilio-Signature"] = sign(auth_token, target, params)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            content = urlencode(params).encode()
        timeout = httpx.Timeout(limits.read_timeout, connect=limits.connect_timeout)
        try:
            async with asyncio.timeout(limits.read_timeout + limits.connect_timeout + 1):
                request = self._client.build_request(method, target, content=content,
                                                     headers=headers, timeout=timeout)
                response = await self._client.send(request, stream=True)
                try:
                    body, too_large = await self._read_limited(response)
                finally:
                    await response.aclose()
        except httpx.TooManyRedirects:
            return Attempt(url, method, None, b"", None, error_code=11215,
                           error_text="Too many redirects")
        except (httpx.ConnectTimeout, httpx.ConnectError) as exc:
            code = 11210 if "name" in str(exc).lower() and "resolution" in str(exc).lower() \
                else 11205
            return Attempt(url, method, None, b"", None, error_code=code,
                           error_text=f"Connection failure: {exc.__class__.__name__}")
        except (httpx.TimeoutException, TimeoutError):
            return Attempt(url, method, None, b"", None, error_code=11200,
                           error_text="Timed out waiting for the response")
        except (httpx.HTTPError, ValueError) as exc:
            return Attempt(url, method, None, b"", None, error_code=11206,
                           error_text=f"HTTP protocol violation: {exc.__class__.__name__}")
        content_type = response.headers.get("content-type")
        result_headers = {k: v for k, v in response.headers.items()}
        if not 200 <= response.status_code < 300:
            return Attempt(url, method, response.status_code, body, content_type,
                           result_headers, error_code=11200,
                           error_text=f"HTTP {response.status_code}", too_large=too_large)
        return Attempt(url, method, response.status_code, body, content_type, result_headers,
                       too_large=too_large)

    async def _read_limited(self, response: httpx.Response) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_body:
                chunks.append(chunk[: self.max_body - (size - len(chunk))])
                return b"".join(chunks), True
            chunks.append(chunk)
        return b"".join(chunks), False
