"""Every failure leaves as Twilio's error JSON: no HTML, no stack traces, no framework defaults."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from telephonist.api.render import JSONResponse
from telephonist.errors import TwilioError, not_found

log = logging.getLogger("telephonist.api")


def render(error: TwilioError) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if error.status == 401 else None
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


async def on_twilio_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TwilioError)
    return render(exc)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return render(not_found(request.url.path))
    if exc.status_code == 405:
        return render(
            TwilioError(20004, 405, f"Method {request.method} not allowed for {request.url.path}")
        )
    return render(
        TwilioError(20422 if exc.status_code < 500 else 20500, exc.status_code, str(exc.detail))
    )


async def on_unexpected(request: Request, exc: Exception) -> Response:
    # A bug: log it with its traceback for the operator, answer the client without one.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return render(TwilioError(20500, 500, "Internal Server Error"))
