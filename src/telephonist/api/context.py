"""What every request handler needs, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from telephonist.api.auth import AccountRef, Authenticator, require_active
from telephonist.clock import Clock
from telephonist.dispatch.worker import Worker
from telephonist.domain.accounts import Principal
from telephonist.errors import not_found
from telephonist.providers.registry import Providers
from telephonist.settings import Settings
from telephonist.storage.database import Database
from telephonist.webhooks.delivery import WebhookClient


@dataclass
class Context:
    settings: Settings
    db: Database
    clock: Clock
    auth: Authenticator
    worker: Worker
    webhooks: WebhookClient
    providers: Providers

    def now_micros(self) -> int:
        return int(self.clock.now().timestamp() * 1_000_000)

    def wake_worker(self) -> None:
        """New work is due now: let the in-process worker skip its poll wait."""
        self.worker.notify()

    async def run_due(self) -> int:
        """Run everything due now (simulated time: the test owns the clock)."""
        return await self.worker.drain()


def context(request: Request) -> Context:
    """The app's context, for a request whose path can name a resource.

    Path segments reach SQL as they are: one holding a NUL character names nothing (and
    PostgreSQL cannot bind it), so it is the 404 of any missing resource, on either database.
    """
    if "\x00" in request.scope["path"]:
        raise not_found(request.scope["path"])
    ctx: Context = request.app.state.ctx
    return ctx


async def principal(request: Request) -> tuple[Context, Principal]:
    ctx = context(request)
    return ctx, await ctx.auth.authenticate(request.headers.get("authorization"))


READS = frozenset({"GET", "HEAD"})
"""The methods a suspended account's credentials may still use on its resources."""


async def scoped(request: Request) -> tuple[Context, Principal, AccountRef]:
    """Authenticate and resolve the ``{account_sid}`` in the path (20404 when out of reach).

    Every write under an account's path passes here, so this is where a suspended account's
    credentials are stopped (20005) from sending, buying or changing anything, in one place
    rather than in each handler.
    """
    ctx, who = await principal(request)
    ref = await ctx.auth.account(who, request.path_params["account_sid"], request.scope["path"])
    if request.method not in READS:
        require_active(who)
    return ctx, who, ref
