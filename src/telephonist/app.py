"""The composition root: settings, database, clock, providers and routes become one ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from telephonist.api.auth import Authenticator
from telephonist.api.context import Context
from telephonist.api.errors import (
    CatchAll,
    on_http_exception,
    on_telephonist_error,
    on_unexpected,
)
from telephonist.api.routes import routes
from telephonist.clock import Clock, FakeClock, SystemClock, to_micros
from telephonist.dispatch.handlers.call import CallHandler
from telephonist.dispatch.handlers.inbound import InboundHandler
from telephonist.dispatch.handlers.route import RouteHandler
from telephonist.dispatch.handlers.send import SendHandler
from telephonist.dispatch.handlers.sweep import SweepHandler, ensure_scheduled
from telephonist.dispatch.handlers.webhook import CallbackHandler
from telephonist.dispatch.inbound import Inbox
from telephonist.dispatch.tasks import Registry
from telephonist.dispatch.worker import Worker
from telephonist.errors import TelephonistError
from telephonist.providers.registry import ProviderContext, Providers, default_providers
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


@dataclass
class Dispatch:
    """What moves messages in one process: providers, the carrier inbox, the worker."""

    providers: Providers
    inbox: Inbox
    webhooks: WebhookClient
    worker: Worker

    async def start(self) -> None:
        for provider in self.providers:
            await provider.start(self.inbox)
        now = to_micros(self.worker.clock.now())
        await self.worker.db.run(ensure_scheduled, now)

    async def close(self) -> None:
        for provider in self.providers:
            await provider.close()
        await self.webhooks.aclose()


def build_dispatch(
    settings: Settings,
    db: Database,
    clock: Clock,
    *,
    providers: Providers | None = None,
    base_url: Callable[[], str] | None = None,
) -> Dispatch:
    """Wire providers, task handlers and the worker for one process."""
    registry_of_providers = providers or default_providers()
    registry_of_providers.build(ProviderContext(settings, db, clock))
    # The worker bounds webhook requests (in all and per account and host); the connections
    # under them must not be a smaller, shared bound, or one hanging target would take them all.
    webhooks = WebhookClient(
        timeout=settings.webhook_timeout,
        max_connections=settings.webhook_concurrency,
        policy=settings.destination_policy,
    )
    registry = Registry(
        [
            SendHandler(
                registry_of_providers.get,
                clock,
                webhooks,
                media_timeout=settings.webhook_timeout,
                a2p_enforcement=settings.a2p_enforcement,
                a2p_review_seconds=settings.a2p_review_seconds,
                base_url=base_url or (lambda: settings.base_url),
            ),
            RouteHandler(settings.mps, campaign_pacing=settings.campaign_pacing),
            CallbackHandler(webhooks),
            CallHandler(
                webhooks,
                clock,
                registry_of_providers.get,
                db,
                base_url or (lambda: settings.base_url),
                prices=settings.call_prices,
            ),
            InboundHandler(webhooks, clock, mps=settings.mps),
            SweepHandler(),
        ]
    )
    for provider in registry_of_providers:
        for handler in provider.task_handlers():
            registry.register(handler)
    worker = Worker(
        db,
        clock,
        registry,
        batch_size=settings.worker_batch_size,
        lease_seconds=settings.worker_lease_seconds,
        poll_seconds=settings.worker_poll_seconds,
        send_lanes=settings.worker_send_lanes,
        webhook_concurrency=settings.webhook_concurrency,
        webhook_per_account=settings.webhook_per_account,
        webhook_per_host=settings.webhook_per_host,
        stop_seconds=settings.stop_seconds,
    )
    inbox = Inbox(
        db, clock, base_url or (lambda: settings.base_url), wake=worker.notify, mps=settings.mps
    )
    return Dispatch(registry_of_providers, inbox, webhooks, worker)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    providers: Providers | None = None,
    prepared: tuple[Database, DefaultAccount] | None = None,
) -> Starlette:
    """Build the server. Nothing touches the database until the app starts (its lifespan).

    ``providers`` is the carrier registry (default: the simulated carrier alone). ``prepared``
    is a database :func:`prepare` already opened (``telephonist serve`` prepares once, to print
    the credentials before it listens); the app closes it when it stops.
    """
    settings = settings or Settings.from_env()
    the_clock: Clock = clock or (FakeClock() if settings.clock == "manual" else SystemClock())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db, account = prepared or prepare(settings, the_clock)
        # The context's settings, not these: running_server() learns its port after start.
        dispatch = build_dispatch(
            settings,
            db,
            the_clock,
            providers=providers,
            base_url=lambda: app.state.ctx.settings.base_url,
        )
        ctx = Context(
            settings=settings,
            db=db,
            clock=the_clock,
            auth=Authenticator(db),
            worker=dispatch.worker,
            webhooks=dispatch.webhooks,
            providers=dispatch.providers,
        )
        app.state.ctx = ctx
        app.state.default_account = account
        await dispatch.start()
        stop = asyncio.Event()
        loop_task = None
        if settings.worker and settings.clock != "manual":
            loop_task = asyncio.create_task(dispatch.worker.run_forever(stop))
        try:
            yield
        finally:
            stop.set()
            dispatch.worker.notify()
            if loop_task is not None:
                await loop_task
            await dispatch.close()
            db.close()

    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(CatchAll)],
        exception_handlers={
            TelephonistError: on_telephonist_error,
            HTTPException: on_http_exception,
            Exception: on_unexpected,
        },
    )
