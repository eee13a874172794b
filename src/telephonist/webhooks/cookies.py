"""Conversation cookies: the jar Twilio keeps for an app, one per SMS conversation.

An app that answers an SMS webhook with ``Set-Cookie`` gets the cookie back, as a browser would
send it, on later webhooks of the same conversation (the account and the inbound message's
``From``/``To`` pair), for at most four hours. Flask and Django sessions, and every SMS survey or
menu built on them, rely on it.

This module is the jar and nothing else: no storage, no clock, no I/O. A :class:`CookieJar` is a
value; :meth:`~CookieJar.received` answers a new jar with an answer's ``Set-Cookie`` headers
applied, :meth:`~CookieJar.header` the ``Cookie`` value for a request. ``Set-Cookie`` is split the
way the standard library's own cookie jar splits it (:func:`http.cookiejar.parse_ns_headers`,
whose ``Expires`` parsing accepts the date formats servers really send), then interpreted by the
rules of RFC 6265:

- ``Path`` scopes a cookie to a path and below (default: the directory of the URL that set it);
- ``Max-Age`` (which wins) or ``Expires`` bound its life, and one in the past deletes it;
- ``Secure`` cookies go only to ``https`` URLs;
- no cookie lives more than :data:`LIFETIME` after it was set, whatever it asks for.

Cookies are host-only: one set by host A is never sent to host B. A ``Domain`` attribute that
covers the host is accepted but does not widen the cookie to sibling hosts (a conversation talks
to one app, so this costs nothing); one that does not cover the host drops the cookie, as
browsers do. Ports are not told apart, as in browsers.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from http import cookiejar
from typing import Any
from urllib.parse import urlsplit

# Public in http.cookiejar (its CookieJar parses every Set-Cookie with it), absent from typeshed.
_parse_ns_headers: Callable[[list[str]], list[list[tuple[str, Any]]]]
_parse_ns_headers = cookiejar.parse_ns_headers  # type: ignore[attr-defined]

LIFETIME = 4 * 3600 * 1_000_000
"""Four hours, in microseconds: Twilio's cap on a conversation cookie's life."""

MAX_COOKIES = 50
"""Cookies kept per conversation; beyond this the oldest are dropped (browsers keep ~50 a host)."""

MAX_COOKIE_BYTES = 4096
"""A cookie's name and value together; a larger one is ignored, as browsers ignore it."""


@dataclass(frozen=True, slots=True)
class Cookie:
    """One stored cookie. Times are microseconds since the epoch."""

    name: str
    value: str
    host: str
    path: str
    secure: bool
    expires_at: int
    created_at: int


@dataclass(frozen=True, slots=True)
class CookieJar:
    """The cookies of one conversation, oldest first."""

    cookies: tuple[Cookie, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.cookies)

    @property
    def expires_at(self) -> int | None:
        """When the last cookie expires: after that the jar is empty."""
        return max((c.expires_at for c in self.cookies), default=None)

    def live(self, now: int) -> CookieJar:
        """The jar without the cookies that have expired by ``now``."""
        kept = tuple(c for c in self.cookies if c.expires_at > now)
        return self if len(kept) == len(self.cookies) else CookieJar(kept)

    def header(self, url: str, now: int) -> str | None:
        """The ``Cookie`` header value for a request to ``url`` at ``now``; None: no cookie.

        Longer paths first, then older cookies first (RFC 6265 §5.4), so the most specific
        value of a name set at two paths is the one frameworks read.
        """
        host, path, secure = _request(url)
        if host is None:
            return None
        chosen = [
            c
            for c in self.cookies
            if c.expires_at > now
            and c.host == host
            and _path_matches(path, c.path)
            and (secure or not c.secure)
        ]
        if not chosen:
            return None
        chosen.sort(key=lambda c: (-len(c.path), c.created_at))
        return "; ".join(f"{c.name}={c.value}" for c in chosen)

    def received(self, url: str, set_cookies: Iterable[str], now: int) -> CookieJar:
        """This jar after an answer from ``url`` at ``now`` carrying ``set_cookies``."""
        host, path, _ = _request(url)
        jar = self.live(now)
        if host is None:
            return jar
        cookies = {(c.name, c.host, c.path): c for c in jar.cookies}
        changed = False
        for header in set_cookies:
            parsed = _parse(header, host, path, now)
            if parsed is None:
                continue
            key = (parsed.name, parsed.host, parsed.path)
            changed = True
            if parsed.expires_at <= now:  # Max-Age=0 or an Expires in the past: a deletion
                cookies.pop(key, None)
                continue
            old = cookies.get(key)
            if old is not None:  # a replaced cookie keeps its place in the order
                parsed = replace(parsed, created_at=old.created_at)
            cookies[key] = parsed
        if not changed:
            return jar
        kept = sorted(cookies.values(), key=lambda c: c.created_at)[-MAX_COOKIES:]
        return CookieJar(tuple(kept))

    def to_json(self) -> str:
        return json.dumps([asdict(c) for c in self.cookies], separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> CookieJar:
        return cls(tuple(Cookie(**item) for item in json.loads(text)))


NO_COOKIES = CookieJar()


def _request(url: str) -> tuple[str | None, str, bool]:
    """A request URL's host (lower case), path and whether it is https."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None, "/", False
    return host, parts.path or "/", parts.scheme.lower() == "https"


def _parse(header: str, host: str, request_path: str, now: int) -> Cookie | None:
    """One ``Set-Cookie`` value as a cookie for ``host``, or None when it must be ignored."""
    parsed = _parse_ns_headers([header])
    if not parsed:
        return None
    (name, value), *attributes = parsed[0]
    if value is None or len(name) + len(value) > MAX_COOKIE_BYTES:
        return None
    path = _default_path(request_path)
    secure = False
    max_age: int | None = None
    expires: int | None = None
    for key, raw in attributes:
        if key == "max-age" and raw is not None:
            with contextlib.suppress(ValueError):  # not a number: ignored (RFC 6265 §5.2.2)
                max_age = int(raw)
        elif key == "expires" and raw is not None:
            expires = int(raw) * 1_000_000  # seconds since the epoch, from http2time
        elif key == "path" and raw and raw.startswith("/"):
            path = raw
        elif key == "secure":
            secure = True
        elif key == "domain" and raw:
            domain = raw.lower().lstrip(".")
            if domain and host != domain and not host.endswith("." + domain):
                return None  # a cookie for someone else's host
    if max_age is not None:
        expires_at = now + max_age * 1_000_000 if max_age > 0 else now
    elif expires is not None:
        expires_at = expires
    else:
        expires_at = now + LIFETIME  # a "session" cookie: the conversation is the session
    return Cookie(name, value, host, path, secure, min(expires_at, now + LIFETIME), now)


def _default_path(request_path: str) -> str:
    """RFC 6265 §5.1.4: the request path up to, not including, its last ``/``; at least ``/``."""
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rindex("/")]


def _path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4: ``/a`` covers ``/a``, ``/a/`` and ``/a/b``, but not ``/ab``."""
    if request_path == cookie_path:
        return True
    return request_path.startswith(cookie_path) and (
        cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    )
