"""Run telephonist inside a test suite: a real server on a free loopback port.

    with running_server() as server:
        client = Client(server.account_sid, server.auth_token)
        client.api.base_url = server.base_url

This is how telephonist's own end-to-end tests run, and how an application's tests can.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import uvicorn
from starlette.routing import BaseRoute

from telephonist.app import create_app
from telephonist.clock import Clock
from telephonist.domain.sids import new_auth_token, new_sid
from telephonist.providers.registry import Providers
from telephonist.server import uvicorn_config
from telephonist.settings import Settings


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    account_sid: str
    auth_token: str
    settings: Settings


@contextlib.contextmanager
def running_server(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    providers: Providers | None = None,
    routes: Sequence[BaseRoute] = (),
) -> Iterator[RunningServer]:
    """Start a server on 127.0.0.1 and a free port in a background thread; stop it on exit.

    Without settings it uses a fresh SQLite file in a temporary directory and generated
    credentials, so every call is isolated. ``routes`` are served before the API's own, for a
    test that needs an endpoint the API does not have (one that fails, say).
    """
    with contextlib.ExitStack() as stack:
        if settings is None:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="telephonist-"))
            settings = Settings(data_dir=os.path.join(tmp, "data"))
        if not settings.account_sid:
            settings = settings.with_(account_sid=new_sid("AC"), auth_token=new_auth_token())
        settings = settings.with_(host="127.0.0.1", port=0)
        app = create_app(settings, clock=clock, providers=providers)
        app.router.routes[:0] = routes
        config = uvicorn_config(app, settings, log_level="warning", lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=lambda: asyncio.run(server.serve()), daemon=True, name="telephonist-server"
        )
        thread.start()
        started = threading.Event()
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("telephonist server failed to start")
            started.wait(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        base_url = f"http://127.0.0.1:{port}"
        ctx = app.state.ctx
        if not settings.public_url:
            ctx.settings = ctx.settings.with_(port=port, public_url=base_url)
        try:
            yield RunningServer(
                base_url,
                settings.account_sid,
                settings.auth_token,
                settings.with_(port=port, public_url=base_url),
            )
        finally:
            server.should_exit = True
            thread.join(timeout=10)
