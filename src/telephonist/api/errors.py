"""Every failure leaves as Twilio's error JSON: no HTML, no stack traces, no framework defaults.

This is the HTTP seam of the error tree (drawn in :mod:`telephonist.domain.errors`): the errors
the layers below raise with a Twilio code become a :class:`TwilioError` here, in
:func:`twilio_error`, rather than in a ``try``/``except`` around each call.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from telephonist.api.render import JSONResponse
from telephonist.domain.errors import Rejected
from telephonist.domain.inventory import InvalidSearch
from telephonist.errors import TelephonistError, TwilioError, not_found

log = logging.getLogger("telephonist.api")

INTERNAL = "Internal Server Error"


def twilio_error(exc: TelephonistError) -> TwilioError:
    """What the client sees for ``exc``: its own code, with the catalogue's status.

    An error of the tree that has no meaning for a client (a malformed setting, say) reaching
    the edge is a bug, and answers as one: 20500.
    """
    if isinstance(exc, TwilioError):
        return exc
    if isinstance(exc, Rejected):
        return TwilioError(exc.code, exc.message)
    if isinstance(exc, InvalidSearch):
        return TwilioError(exc.code, str(exc))
    return TwilioError(20500, INTERNAL)


def render(error: TwilioError) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if error.status == 401 else None
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


async def on_telephonist_error(request: Request, exc: Exception) -> Response:
    """The handler for the whole tree: a :class:`TwilioError` as it is, the rest translated."""
    assert isinstance(exc, TelephonistError)
    error = twilio_error(exc)
    if error.code == 20500 and error is not exc:
        log.error("untranslated %r on %s %s", exc, request.method, request.url.path, exc_info=exc)
    return render(error)


on_twilio_error = on_telephonist_error


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return render(not_found(request.url.path))
    if exc.status_code == 405:
        return render(
            TwilioError(20004, f"Method {request.method} not allowed for {request.url.path}")
        )
    code = 20422 if exc.status_code < 500 else 20500
    return render(TwilioError(code, str(exc.detail), status=exc.status_code))


async def on_unexpected(request: Request, exc: Exception) -> Response:
    # A bug: log it with its traceback for the operator, answer the client without one.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return render(TwilioError(20500, INTERNAL))


class CatchAll:
    """The app's last handler: a bug's exception becomes Twilio's 500, logged once, and stops.

    Starlette's outermost handler (``on_unexpected``) answers too, but then re-raises for the
    server to log, and uvicorn, seeing the exception, closes the keep-alive connection: the
    client's next request on it, perhaps already sent, gets nothing. Here the answer is the
    end of it. Only an exception after the response has started goes on, since then the
    connection must be cut (the client holds half a response). A client that hung up before
    its body arrived is not an error at all.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except ClientDisconnect:
            if started:
                raise
        except Exception:
            if started:
                raise
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            await render(TwilioError(20500, INTERNAL))(scope, receive, send)
