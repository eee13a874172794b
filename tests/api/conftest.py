"""The in-process layer: the ASGI app driven through httpx, with no server, socket or thread.

Handler tests (error shapes, validation codes, paging) run here, a hundred times faster than
through a loopback server, against the same app ``telephonist serve`` runs: its lifespan
migrates the database and creates the default account exactly as at a real start. The clock is
manual, so nothing is dispatched behind a test's back. Every response under ``/2010-04-01/`` is
validated against Twilio's OpenAPI description, as in the loopback tests.

The loopback SDK tests in ``tests/e2e`` stay: they are the proof that a real client over real
HTTP works; these are the fast proof of what each handler answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from telephonist.api.context import Context
from telephonist.app import create_app
from telephonist.domain.sids import new_auth_token, new_sid
from telephonist.settings import Settings
from telephonist.storage.repositories import accounts as accounts_repo
from tests.conftest import check_response, database_url_for
from tests.contract.oracle import Spec

BASE_URL = "http://telephonist.test"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """One event loop per module, so the module-scoped app and its tests share it."""
    return "asyncio"


@dataclass
class Api:
    """The app in this process, its default account, and clients for it."""

    settings: Settings
    http: httpx.AsyncClient  # with the default account's credentials
    transport: httpx.ASGITransport
    spec: Spec

    @property
    def account_sid(self) -> str:
        return self.settings.account_sid

    @property
    def auth_token(self) -> str:
        return self.settings.auth_token

    def path(self, resource: str, account_sid: str | None = None) -> str:
        """``/2010-04-01/Accounts/{sid}/{resource}``, for the default account unless told."""
        return f"/2010-04-01/Accounts/{account_sid or self.account_sid}/{resource}"

    def client(self, auth: tuple[str, str] | None) -> httpx.AsyncClient:
        """Another client on the same app (``auth=None``: no credentials at all); validated."""
        return validating_client(self.transport, self.spec, auth)

    async def subaccount(self, name: str = "sub") -> tuple[str, str]:
        """A fresh subaccount's (sid, auth token): state no other test can have touched."""
        response = await self.http.post("/2010-04-01/Accounts.json", data={"FriendlyName": name})
        assert response.status_code == 201, response.text
        body = response.json()
        return str(body["sid"]), str(body["auth_token"])

    async def top_level_account(self) -> tuple[str, str]:
        """A fresh top-level account's (sid, auth token), a parent no other test shares.

        The API creates only subaccounts (as Twilio's does), so it is stored the way the
        default account is, through the accounts repository of the running app.
        """
        ctx: Context = self.transport.app.state.ctx  # type: ignore[attr-defined]
        now = ctx.now_micros()
        sid, token = new_sid("AC"), new_auth_token()
        row = {
            "sid": sid,
            "owner_account_sid": None,
            "friendly_name": "top-level",
            "status": "active",
            "type": "Full",
            "auth_token": token,
            "is_default": False,
            "date_created": now,
            "date_updated": now,
        }
        await ctx.db.run(accounts_repo.insert_account, row)
        return sid, token

    async def buy_number(self, auth: tuple[str, str] | None = None, area_code: str = "415") -> str:
        """A number bought by ``auth``'s account (the default account's unless told)."""
        sid, token = auth or (self.account_sid, self.auth_token)
        async with self.client((sid, token)) as http:
            response = await http.post(
                self.path("IncomingPhoneNumbers.json", sid), data={"AreaCode": area_code}
            )
        assert response.status_code == 201, response.text
        return str(response.json()["phone_number"])


def validating_client(
    transport: httpx.ASGITransport, spec: Spec, auth: tuple[str, str] | None
) -> httpx.AsyncClient:
    async def validate(response: httpx.Response) -> None:
        await response.aread()
        request = response.request
        check_response(spec, request.method, str(request.url), response.status_code, response.text)

    return httpx.AsyncClient(
        transport=transport,
        base_url=BASE_URL,
        auth=auth,
        event_hooks={"response": [validate]},
    )


@pytest.fixture(scope="module")
def api_settings() -> dict[str, Any]:
    """Settings a test module gives its app beyond the defaults (a module overrides this)."""
    return {}


@pytest.fixture(scope="module")
async def api(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
    spec: Spec,
    anyio_backend: str,
    api_settings: dict[str, Any],
) -> AsyncIterator[Api]:
    tmp = tmp_path_factory.mktemp("api")
    with database_url_for(backend, tmp, request) as db:
        settings = Settings(
            db=db,
            data_dir=str(tmp),
            account_sid=new_sid("AC"),
            auth_token=new_auth_token(),
            public_url=BASE_URL,
            clock="manual",
            **api_settings,
        )
        app = create_app(settings)
        # The lifespan Starlette runs at startup and shutdown (migrate, default account,
        # worker), driven directly: ASGITransport sends no lifespan events of its own.
        async with app.router.lifespan_context(app):
            # Exceptions the app lets escape become the 500 a client would see, not a raise
            # inside the test: the layer answers what the loopback server answers.
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            auth = (settings.account_sid, settings.auth_token)
            async with validating_client(transport, spec, auth) as http:
                yield Api(settings, http, transport, spec)
