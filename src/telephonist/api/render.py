"""Rendering at the edge: Twilio's dates, URIs and JSON responses."""

from __future__ import annotations

import functools
import json
from email.utils import format_datetime
from typing import Any

from starlette.responses import Response

from telephonist.clock import from_micros

PREFIX = "/2010-04-01"


def rfc2822(micros: int | None) -> str | None:
    """``Thu, 24 Aug 2023 05:01:45 +0000``: always ``+0000``, since the SDK ignores offsets."""
    if micros is None:
        return None
    return _rfc2822_second(micros // 1_000_000)


@functools.lru_cache(maxsize=4096)
def _rfc2822_second(seconds: int) -> str:
    # Timestamps cluster (a created message renders the same second two or three times, a
    # page of a list shares a few): formatting is the costly part of rendering a resource.
    return format_datetime(from_micros(seconds * 1_000_000))


class JSONResponse(Response):
    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def account_uri(account_sid: str, rest: str = "") -> str:
    return f"{PREFIX}/Accounts/{account_sid}{rest}"


def iso8601(micros: int | None) -> str | None:
    """``2015-07-30T20:12:31Z``: the v1 APIs' dates, to the second, in UTC."""
    if micros is None:
        return None
    return from_micros(micros).strftime("%Y-%m-%dT%H:%M:%SZ")
