"""Interim X-Twilio-Signature signing (replaced by the full module)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

Params = Sequence[tuple[str, str]] | Mapping[str, str | Sequence[str]]


def signing_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def string_to_sign(url: str, params: Params | None) -> str:
    out = signing_url(url)
    if not params:
        return out
    grouped: dict[str, set[str]] = {}
    items = params.items() if isinstance(params, Mapping) else params
    for key, value in items:
        values = [value] if isinstance(value, str) else list(value)
        grouped.setdefault(key, set()).update(values)
    for key in sorted(grouped):
        for value in sorted(grouped[key]):
            out += key + value
    return out


def sign(auth_token: str, url: str, params: Params | None = None) -> str:
    digest = hmac.new(auth_token.encode(), string_to_sign(url, params).encode(), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode()


def idempotency_token(event_id: str, url: str) -> str:
    return hashlib.sha256(f"{event_id}\n{url}".encode()).hexdigest()[:40]
