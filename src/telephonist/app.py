"""The composition root: settings, database, clock and routes become one ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from telephonist.api.auth import Authenticator
from telephonist.api.context import Context
from telephonist.api.errors import on_http_exception, on_twilio_error, on_unexpected
from telephonist.api.routes import routes
from telephonist.clock import Clock, FakeClock, SystemClock, to_micros
from telephonist.dispatch.worker import Worker
from telephonist.errors import TwilioError
from telephonist.providers.simulator.carrier import Simulator
from telephonist.providers.simulator.scenarios import parse_rules
from telephonist.settings import Settings
from telephonist.storage.database import Database
from telephonist.storage.migrate import ensure_schema
from telephonist.storage.seed import DefaultAccount, ensure_default_account
from telephonist.webhooks.delivery import WebhookClient


def prepare(settings: Settings, clock: Clock | None = None) -> tuple[Database, DefaultAccount]:
    """Open the database, migrate it and make sure the default account exists.

    Cheap on purpose (test fixtures and CI start servers often): the schema check skips Alembic
    when there is nothing to migrate, and nothing is warmed up here.
    """
    db = Database(settings.database_url)
    ensure_schema(db.engine)
    now = to_micros((clock or SystemClock()).now())
    account = db.transaction(ensure_default_account, settings.account_sid, settings.auth_token, now)
    return db, account


def build_worker(settings: Settings, db: Database, clock: Clock, webhooks: WebhookClient) -> Worker:
    return Worker(
        db,
        clock,
        Simulator(),
        webhooks,
        scenario_rules=parse_rules(settings.scenarios),
        mps=settings.mps,
    )


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Starlette:
    """Build the server. Nothing touches the database until the app starts (its lifespan)."""
    settings = settings or Settings.from_env()
    the_clock: Clock = clock or (FakeClock() if settings.clock == "manual" else SystemClock())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db, account = prepare(settings, the_clock)
        webhooks = WebhookClient(timeout=settings.webhook_timeout)
        worker = build_worker(settings, db, the_clock, webhooks)
        app.state.ctx = Context(
            settings=settings, db=db, clock=the_clock, auth=Authenticator(db), worker=worker
        )
        app.state.default_account = account
        stop = asyncio.Event()
        loop_task = None
        if settings.worker and settings.clock != "manual":
            loop_task = asyncio.create_task(worker.run_forever(stop))
        try:
            yield
        finally:
            stop.set()
            worker.wake.set()
            if loop_task is not None:
                await loop_task
            await webhooks.aclose()
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
