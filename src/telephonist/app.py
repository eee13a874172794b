"""The composition root: settings, database, clock and routes become one ASGI app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from telephonist.api.auth import Authenticator
from telephonist.api.context import Context
from telephonist.api.errors import on_http_exception, on_twilio_error, on_unexpected
from telephonist.api.routes import routes
from telephonist.clock import Clock, SystemClock, to_micros
from telephonist.errors import TwilioError
from telephonist.settings import Settings
from telephonist.storage.database import Database
from telephonist.storage.migrate import upgrade
from telephonist.storage.seed import DefaultAccount, ensure_default_account


def prepare(settings: Settings, clock: Clock | None = None) -> tuple[Database, DefaultAccount]:
    """Open the database, migrate it and make sure the default account exists."""
    db = Database(settings.database_url)
    upgrade(db.engine)
    now = to_micros((clock or SystemClock()).now())
    account = db.transaction(ensure_default_account, settings.account_sid,
                             settings.auth_token, now)
    return db, account


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Starlette:
    """Build the server. Nothing touches the database until the app starts (its lifespan)."""
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db, account = prepare(settings, clock)
        app.state.ctx = Context(settings=settings, db=db, clock=clock, auth=Authenticator(db))
        app.state.default_account = account
        try:
            yield
        finally:
            db.close()

    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            TwilioError: on_twilio_error,
            HTTPException: on_http_exception,
            Exception: on_unexpected,
        },
    )
