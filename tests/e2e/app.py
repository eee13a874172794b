"""A real app on a loopback port, written the way users write theirs against Twilio.

It validates every request's X-Twilio-Signature with the official SDK's RequestValidator and
answers with TwiML built by the SDK's MessagingResponse. Tests script its behaviour per path.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator


@dataclass
class Hit:
    path: str
    method: str
    params: dict[str, str]
    multi: list[tuple[str, str]]
    headers: dict[str, str]
    signature_valid: bool


Handler = Callable[[Hit], Response | Any]


@dataclass
class FakeApp:
    auth_token: str
    base_url: str = ""
    hits: list[Hit] = field(default_factory=list)
    handlers: dict[str, Handler] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def on(self, path: str, handler: Handler) -> None:
        self.handlers[path] = handler

    def at(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]

    async def endpoint(self, request: Request) -> Response:
        full_url = str(request.url)
        if request.method == "POST":
            multi = parse_qsl((await request.body()).decode(), keep_blank_values=True)
            grouped: dict[str, list[str]] = {}
            for key, value in multi:
                grouped.setdefault(key, []).append(value)
            validate_params: Any = {k: v if len(v) > 1 else v[0] for k, v in grouped.items()}
        else:
            multi = list(request.query_params.multi_items())
            validate_params = {}
        signature = request.headers.get("x-twilio-signature", "")
        valid = RequestValidator(self.auth_token).validate(full_url, validate_params, signature)
        hit = Hit(
            request.url.path, request.method, dict(multi), multi, dict(request.headers), valid
        )
        self.hits.append(hit)
        handler = self.handlers.get(request.url.path)
        if handler is None:
            return Response(status_code=204)
        result = handler(hit)
        if asyncio.iscoroutine(result):
            result = await result
        if isinstance(result, Response):
            return result
        return Response(str(result), media_type="application/xml")


@contextmanager
def running_app(auth_token: str) -> Iterator[FakeApp]:
    fake = FakeApp(auth_token)
    app = Starlette(routes=[Route("/{path:path}", fake.endpoint, methods=["GET", "POST"])])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    ready = threading.Event()
    while not server.started:
        ready.wait(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    fake.base_url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=5)
