"""Endpoints that are telephonist's own rather than Twilio's."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from telephonist.api.render import JSONResponse


async def health(request: Request) -> Response:
    """Liveness, without authentication or database work: also the benchmark's baseline."""
    return JSONResponse({"status": "ok"})
