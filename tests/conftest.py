"""Shared fixtures: real servers on loopback ports, on SQLite and (when configured) PostgreSQL.

Every response that passes through the ``http`` or ``client`` fixtures is validated against
Twilio's OpenAPI description, so each test is also a contract test.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

from telephonist.settings import Settings
from telephonist.storage.database import Database
from telephonist.testing import RunningServer, running_server
from tests.contract.oracle import LOOKUPS, Spec

PG_ENV = "TELEPHONIST_TEST_DATABASE_URL"
MESSAGING_SPEC = "twilio_messaging_v1.json"
TRUSTHUB_SPEC = "twilio_trusthub_v1.json"


@pytest.fixture(scope="session")
def spec() -> Spec:
    return Spec.load()


def check_response(spec: Spec, method: str, url: str, status: int, text: str) -> None:
    """Validate a response under ``/2010-04-01/`` against ``spec``, one under ``/v2/``
    (Lookups, on its own host at Twilio) against the Lookups v2 description and one under
    ``/v1/`` against the TrustHub v1 description when its first segment is one of TrustHub's
    (``/v1/CustomerProfiles``, ``/v1/TrustProducts``...) and the messaging v1 one otherwise:
    on Twilio the two share the prefix on different hosts. Other paths are telephonist's own."""
    path = urlsplit(url).path
    if path.startswith("/v2/"):
        spec = Spec.load(LOOKUPS)
    elif path.startswith("/v1/"):
        spec = Spec.load(TRUSTHUB_SPEC if v1_root(path) in trusthub_roots() else MESSAGING_SPEC)
    elif not path.startswith("/2010-04-01/"):
        return
    body: Any = json.loads(text) if text else None
    spec.validate(method, path, status, body)


def v1_root(path: str) -> str:
    """``/v1/CustomerProfiles`` for ``/v1/CustomerProfiles/BU.../Evaluations``."""
    return "/".join(path.split("/")[:3])


@functools.cache
def trusthub_roots() -> frozenset[str]:
    """The first segments of the TrustHub v1 paths, none of which messaging v1 has."""
    return frozenset(v1_root(p) for p in Spec.load(TRUSTHUB_SPEC).templates())


class ValidatingHttpClient(TwilioHttpClient):
    """The SDK's own HTTP client, with every response checked against the spec."""

    def __init__(self, spec: Spec) -> None:
        super().__init__()
        self._spec = spec

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> TwilioResponse:
        response = super().request(method, url, *args, **kwargs)
        check_response(self._spec, method, url, response.status_code, response.text)
        return response


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (a postgresql:// URL)")
    return url


def create_pg_database(admin_url: str, created: list[str]) -> str:
    """Create an empty PostgreSQL database next to ``admin_url``'s; its URL is also appended
    to ``created`` so the caller can drop it."""
    import psycopg

    name = "telephonist_" + secrets.token_hex(6)
    with psycopg.connect(_psycopg_url(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin_url)
    url = parts._replace(path="/" + name).geturl()
    created.append(url)
    return url


def drop_pg_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(_psycopg_url(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def fresh_pg_database(admin_url: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped (even if still in use) on exit."""
    created: list[str] = []
    try:
        yield create_pg_database(admin_url, created)
    finally:
        for url in created:
            drop_pg_database(url)


@contextlib.contextmanager
def database_url_for(
    backend: str, directory: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """The URL of an empty database on ``backend``: a SQLite file in ``directory``, or a fresh
    PostgreSQL database (skipping the test when none is configured), dropped on exit.

    Every test database comes from here, so a test never shares state it did not make.
    """
    if backend == "sqlite":
        yield "sqlite:///" + str(directory / "telephonist.db")
        return
    if backend != "postgres":
        raise ValueError(f"unknown test backend {backend!r}")
    with fresh_pg_database(request.getfixturevalue("postgres_admin_url")) as url:
        yield url


@contextlib.contextmanager
def opened_database(url: str | None, admin_url: str | None = None) -> Iterator[Database]:
    """A Database on ``url``, or on a fresh PostgreSQL database made through ``admin_url``;
    closed (and the fresh database dropped) afterwards."""
    with contextlib.ExitStack() as stack:
        if url is None:
            assert admin_url is not None
            url = stack.enter_context(fresh_pg_database(admin_url))
        db = Database(url)
        stack.callback(db.close)
        yield db


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        request.getfixturevalue("postgres_admin_url")
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database of this test's own on the current backend."""
    with database_url_for(backend, tmp_path, request) as url:
        yield url


@pytest.fixture(scope="module")
def server(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("server")
    with (
        database_url_for(backend, tmp, request) as db,
        running_server(Settings(db=db, data_dir=str(tmp))) as running,
    ):
        yield running


def sdk_client(
    server: RunningServer,
    spec: Spec,
    username: str | None = None,
    password: str | None = None,
    account_sid: str | None = None,
) -> Client:
    client = Client(
        username or server.account_sid,
        password or server.auth_token,
        account_sid=account_sid,
        http_client=ValidatingHttpClient(spec),
    )
    client.api.base_url = server.base_url
    client.messaging.base_url = server.base_url
    client.trusthub.base_url = server.base_url
    return client


@pytest.fixture(scope="module")
def client(server: RunningServer, spec: Spec) -> Client:
    """The official SDK, pointed at the server with the documented base-URL recipe."""
    return sdk_client(server, spec)


def make_http(server: RunningServer, spec: Spec, auth: tuple[str, str] | None) -> httpx.Client:
    def validate(response: httpx.Response) -> None:
        response.read()
        check_response(
            spec,
            response.request.method,
            str(response.request.url),
            response.status_code,
            response.text,
        )

    return httpx.Client(base_url=server.base_url, auth=auth, event_hooks={"response": [validate]})


@pytest.fixture(scope="module")
def http(server: RunningServer, spec: Spec) -> Iterator[httpx.Client]:
    """Raw HTTP with the default account's credentials; responses validated like the SDK's."""
    with make_http(server, spec, (server.account_sid, server.auth_token)) as c:
        yield c
