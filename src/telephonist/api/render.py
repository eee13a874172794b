"""Rendering at the edge: Twilio's dates, URIs and JSON responses."""

from __future__ import annotations

import json
from email.utils import format_datetime
from typing import Any

from starlette.responses import Response

from telephonist.clock import from_micros

API_VERSION = "2010-04-01"
PREFIX = "/2010-04-01"


def rfc2822(micros: int | None) -> str | None:
    """``Thu, 24 Aug 2023 05:01:45 +0000``: always ``+0000``, since the SDK ignores offsets."""
    if micros is None:
        return None
    return format_datetime(from_micros(micros).replace(microsecond=0))


class JSONResponse(Response):
    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def account_uri(account_sid: str, rest: str = "") -> str:
    return f"{PREFIX}/Accounts/{account_sid}{rest}"
