"""Fixtures for the messaging flows: a manual-clock server, a real app, handsets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from twilio.rest import Client

from telephonist.settings import Settings
from telephonist.testing import RunningServer, running_server
from tests.conftest import database_url_for, make_http, sdk_client
from tests.contract.oracle import Spec
from tests.e2e.app import FakeApp, running_app


@dataclass
class Sim:
    """A server on simulated time, a real app, and the control API to drive both."""

    server: RunningServer
    app: FakeApp
    client: Client
    http: httpx.Client

    def advance(self, seconds: float = 0) -> dict[str, Any]:
        response = self.http.post("/telephonist/v1/Clock", data={"Advance": str(seconds)})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def text(self, handset: str, to: str, body: str = "", **extra: Any) -> httpx.Response:
        data: list[tuple[str, str]] = [("To", to), ("Body", body)]
        for key, value in extra.items():
            values = value if isinstance(value, list) else [value]
            data += [(key, v) for v in values]
        return self.http.post(
            f"/telephonist/v1/Handsets/{handset}/Messages",
            content=urlencode(data),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def inbox(self, handset: str) -> list[dict[str, Any]]:
        response = self.http.get(f"/telephonist/v1/Handsets/{handset}/Messages")
        assert response.status_code == 200, response.text
        return list(response.json()["messages"])

    def number(self, **config: str) -> str:
        """Buy a fresh number, configured with ``config`` (sms_url=..., ...)."""
        return str(
            self.client.incoming_phone_numbers.create(area_code="415", **config).phone_number
        )


@pytest.fixture(scope="module")
def sim(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    spec: Spec,
    request: pytest.FixtureRequest,
) -> Iterator[Sim]:
    tmp = tmp_path_factory.mktemp("sim")
    with database_url_for(backend, tmp, request) as db:
        settings = Settings(
            db=db,
            data_dir=str(tmp),
            clock="manual",
            webhook_timeout=1.0,
            scenarios="+1999555*=black_hole",
            # These flows count alerts; A2P 10DLC enforcement has tests of its own.
            a2p_enforcement="off",
        )
        with (
            running_server(settings) as server,
            running_app(server.auth_token) as app,
            make_http(server, spec, (server.account_sid, server.auth_token)) as http,
        ):
            yield Sim(server, app, sdk_client(server, spec), http)
