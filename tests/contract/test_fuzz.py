"""The fuzz ring: every operation telephonist serves, driven with values drawn from Twilio's own
description of its parameters and with hostile ones, in process (ASGI) so it is fast.

For each operation of the v2010 spec that the route table serves, hypothesis draws the path
parameters (the caller's real resources, other well-formed SIDs, and junk), the query or the
form body (each parameter from its schema: enums, integer ranges, SID patterns, dates, phone
numbers; or hostile: huge numbers, NUL characters, any Unicode, long strings) and the body
encoding (urlencoded or multipart). Every answer must be below 500, and the client checks it
against the spec as every API test's client does: an error in Twilio's shape with the HTTP
status in its body, a success valid for the operation's schema.

By default each operation gets 50 examples from a fixed seed (hypothesis' derandomized mode),
so CI runs the same requests every time, in well under a minute for both databases. For a
longer run::

    TELEPHONIST_FUZZ_EXAMPLES=2000 TELEPHONIST_FUZZ_SEED=$RANDOM pytest tests/contract/test_fuzz.py

(the seed makes the run reproducible; hypothesis prints the failing request it shrank to.)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from starlette.routing import Match, Route

from telephonist.api.routes import routes
from telephonist.app import create_app
from telephonist.domain.sids import new_auth_token, new_sid
from telephonist.settings import Settings
from tests.conftest import check_response, database_url_for
from tests.contract.oracle import Spec

EXAMPLES = int(os.environ.get("TELEPHONIST_FUZZ_EXAMPLES", "50"))
SEED = os.environ.get("TELEPHONIST_FUZZ_SEED")
FORM = "application/x-www-form-urlencoded"
METHODS = ("get", "post", "delete")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    path_params: dict[str, dict[str, Any]]
    query: dict[str, dict[str, Any]]
    form: dict[str, dict[str, Any]]
    required: frozenset[str]

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.template.removeprefix('/2010-04-01')}"


def _example_path(template: str) -> str:
    known = {"AccountSid": "AC" + "0" * 32, "CountryCode": "US"}
    return re.sub(r"\{([^}]+)\}", lambda m: known.get(m.group(1), "XX" + "0" * 32), template)


def served_operations(spec: Spec) -> list[Operation]:
    """The spec's operations whose path and method the route table answers."""
    out = []
    for template, item in spec.document["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            scope = {"type": "http", "path": _example_path(template), "method": method.upper()}
            if not any(route.matches(scope)[0] is Match.FULL for route in routes):
                continue
            operation = item[method]
            params = operation.get("parameters", [])
            body = operation.get("requestBody", {}).get("content", {}).get(FORM, {})
            out.append(
                Operation(
                    method,
                    template,
                    {p["name"]: p.get("schema", {}) for p in params if p["in"] == "path"},
                    {p["name"]: p.get("schema", {}) for p in params if p["in"] == "query"},
                    dict(body.get("schema", {}).get("properties", {})),
                    frozenset(body.get("schema", {}).get("required", ())),
                )
            )
    return out


OPERATIONS = served_operations(Spec.load())


# -- values --------------------------------------------------------------------------------------

HOSTILE = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            str(2**63),
            str(-(2**63) - 1),
            "9" * 40,
            "1e400",
            "nan",
            "true",
            "null",
            "\x00",
            "a\x00b",
            "%00",
            "\u202e\ufeff",
            "😀" * 20,
            "../../../etc/passwd",
            "'; DROP TABLE messages; --",
            "PA",
            "PAMTpTTQA",
            "9999-12-31",
            "9999-12-31T23:59:59Z",
            "0001-01-01",
            "2024-02-30",
            "+" + "1" * 40,
            "x" * 5000,
        ]
    ),
    st.integers().map(str),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
)
"""Values no parameter should take, or should take only with care."""

PHONES = st.sampled_from(["+14155550100", "+15005550006", "+442071838750"])
URLS = st.sampled_from(["https://example.com/sms", "http://127.0.0.1:9/cb"])


def _dates() -> st.SearchStrategy[str]:
    return st.one_of(
        st.dates().map(lambda d: d.isoformat()),
        st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    )


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    components = Spec.load().components["schemas"]
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _matching(pattern: str) -> st.SearchStrategy[str]:
    """Strings matching ``pattern``; SID patterns (``^XX[0-9a-fA-F]{32}$``, nearly all of them)
    drawn directly, as regex generation costs more than the request it feeds."""
    sid = re.fullmatch(r"\^([A-Z]{2})\[0-9a-fA-F\]\{32\}\$", pattern)
    if sid is None:
        return st.from_regex(pattern, fullmatch=True)
    prefix = sid.group(1)
    return st.binary(min_size=16, max_size=16).map(lambda raw: prefix + raw.hex())


def typical(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """A value the schema describes, as a client would send it."""
    schema = _resolved(schema)
    if "enum" in schema:
        return st.sampled_from([str(v) for v in schema["enum"]])
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        return st.integers(min_value=low, max_value=high).map(str)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False).map(str)
    if kind == "boolean":
        return st.sampled_from(["true", "false", "True"])
    if kind == "array":
        return typical(schema.get("items", {}))
    if "pattern" in schema:
        return _matching(schema["pattern"])
    if fmt == "phone-number":
        return PHONES
    if fmt in ("uri", "url"):
        return URLS
    if fmt in ("date-time", "date"):
        return _dates()
    return st.text(string.ascii_letters + string.digits + " -_.", max_size=20)


def near_misses(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """Values just outside what the schema describes: where validation most often slips."""
    schema = _resolved(schema)
    kind = schema.get("type")
    if "enum" in schema:
        return st.sampled_from([str(v).upper() + "x" for v in schema["enum"]])
    if kind in ("integer", "number"):
        return st.one_of(
            st.integers(min_value=2**31).map(str),
            st.integers(max_value=-1).map(str),
            st.sampled_from(["1.5", "1e3", "0x10", "+1", "١٢"]),
        )
    if "pattern" in schema:
        return typical(schema).flatmap(
            lambda sid: st.sampled_from(
                [sid[:-1], sid + "0", "XX" + sid[2:], sid[:2] + "g" * (len(sid) - 2)]
            )
        )
    if schema.get("format") in ("uri", "url"):
        return st.sampled_from(["ftp://x", "nope", "http://", "https://" + "a" * 3000])
    if schema.get("format") in ("date-time", "date"):
        return st.sampled_from(
            ["9999-12-31", "9999-12-31T23:59:59Z", "0001-01-01", "2024-02-30", "10000-01-01"]
        )
    if schema.get("format") == "phone-number":
        return st.sampled_from(["+1", "5551234567", "+" + "1" * 30, "+15005550001"])
    return st.text(string.printable, min_size=65, max_size=2000)


def _token(payload: bytes) -> str:
    return "PA" + base64.urlsafe_b64encode(payload).decode().rstrip("=")


FORGED_TOKENS = st.one_of(
    st.one_of(st.integers(min_value=2**63), st.integers(max_value=-(2**63) - 1)).map(
        lambda n: _token(f"{n}:SM{'0' * 32}".encode())
    ),
    st.sampled_from([_token(b"1:SM\x00"), _token(b"1:" + "é".encode())]),
    st.binary(max_size=40).map(_token),
)
"""PageTokens shaped like the server's, around what it never writes."""


def hostile(schema: dict[str, Any], name: str = "") -> st.SearchStrategy[str]:
    if name == "PageToken":
        return st.one_of(FORGED_TOKENS, HOSTILE)
    return st.one_of(near_misses(schema), HOSTILE)


@st.composite
def params(
    draw: st.DrawFn, schemas: dict[str, dict[str, Any]], required: frozenset[str] = frozenset()
) -> dict[str, str]:
    """The required parameters and a few others with values a client would send, then at most
    two parameters (present or not) hostile: a request whose every value is wrong is refused
    by the first check, and the checks behind it are never reached."""
    names = sorted(schemas)
    chosen = {n: draw(typical(schemas[n]), label=n) for n in names if n in required}
    if not names:
        return chosen
    for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
        if name not in SERVER_ISSUED:
            chosen[name] = draw(typical(schemas[name]), label=name)
    for name in draw(st.lists(st.sampled_from(names), max_size=2, unique=True)):
        chosen[name] = draw(hostile(schemas[name], name), label=name)
    return chosen


SERVER_ISSUED = {"PageToken"}
"""Parameters only the server makes valid values for: drawn only as hostile ones."""


# -- the caller's own resources ------------------------------------------------------------------


@dataclass
class Seeded:
    """A subaccount of the default account, with one of each resource to aim at."""

    account: str
    number: str
    message: str
    media: str
    key: str


class Caller:
    """The app in this process (its lifespan run, on this module's backend) on an event loop of
    its own, driven synchronously so hypothesis runs each example as a plain call; every answer
    under /2010-04-01/ is checked against the spec, as the other API tests' clients do."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient) -> None:
        self._loop = loop
        self._client = client
        self._seeded: dict[str, Seeded] = {}

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def seeded(self, operation: Operation) -> Seeded:
        """The resources the examples of ``operation`` aim at, made at its first example."""
        key = str(operation)
        if key not in self._seeded:
            self._seeded[key] = self._seed()
        return self._seeded[key]

    def _seed(self) -> Seeded:
        created = self.request("POST", "/2010-04-01/Accounts.json", data={"FriendlyName": "f"})
        assert created.status_code == 201, created.text
        sub = created.json()["sid"]
        base = f"/2010-04-01/Accounts/{sub}"
        bought = self.request("POST", f"{base}/IncomingPhoneNumbers.json", data={"AreaCode": "415"})
        assert bought.status_code == 201, bought.text
        number = bought.json()["sid"]
        sent = self.request(
            "POST",
            f"{base}/Messages.json",
            data={
                "From": bought.json()["phone_number"],
                "To": "+14155550100",
                "Body": "fuzz",
                "MediaUrl": "https://example.com/a.jpg",
            },
        )
        assert sent.status_code == 201, sent.text
        message = sent.json()["sid"]
        media = self.request("GET", f"{base}/Messages/{message}/Media.json")
        key = self.request("POST", f"{base}/Keys.json", data={"FriendlyName": "fuzz"})
        assert key.status_code == 201, key.text
        return Seeded(
            sub,
            number,
            message,
            media.json()["media_list"][0]["sid"],
            key.json()["sid"],
        )


@pytest.fixture(scope="module")
def caller(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
    spec: Spec,
) -> Iterator[Caller]:
    tmp = tmp_path_factory.mktemp("fuzz")
    with database_url_for(backend, tmp, request) as db, contextlib.ExitStack() as stack:
        settings = Settings(
            db=db,
            data_dir=str(tmp),
            account_sid=new_sid("AC"),
            auth_token=new_auth_token(),
            public_url="http://telephonist.test",
            clock="manual",  # nothing is dispatched: no webhook reaches a fuzzed URL
        )
        app = create_app(settings)
        loop = asyncio.new_event_loop()
        stack.callback(loop.close)

        async def validate(response: httpx.Response) -> None:
            await response.aread()
            method, url = response.request.method, str(response.request.url)
            check_response(spec, method, url, response.status_code, response.text)

        lifespan = app.router.lifespan_context(app)
        loop.run_until_complete(lifespan.__aenter__())
        stack.callback(lambda: loop.run_until_complete(lifespan.__aexit__(None, None, None)))
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://telephonist.test",
            auth=(settings.account_sid, settings.auth_token),
            event_hooks={"response": [validate]},
        )
        stack.callback(lambda: loop.run_until_complete(client.aclose()))
        yield Caller(loop, client)


def own_sid(seeded: Seeded, operation: Operation, name: str) -> str:
    """The seeded resource a path parameter would name in a real client's request."""
    if name == "AccountSid":
        return seeded.account
    if name == "MessageSid":
        return seeded.message
    if name == "CountryCode":
        return "US"
    resource = operation.template.rsplit("/", 2)[-2]
    if operation.template.endswith("/Accounts/{Sid}.json"):
        return seeded.account
    return {
        "IncomingPhoneNumbers": seeded.number,
        "Keys": seeded.key,
        "Messages": seeded.message,
        "Media": seeded.media,
    }.get(resource, "NO" + "0" * 32)


@st.composite
def requests(draw: st.DrawFn, operation: Operation, seeded: Seeded) -> dict[str, Any]:
    """One request to ``operation``: method, path, and query or form."""
    path = operation.template
    names = sorted(operation.path_params)
    # Mostly the caller's own resources, so the request reaches the handler's checks; now and
    # then one path parameter is something else.
    odd = draw(st.sampled_from([None, None, None, *names]))
    for name, schema in operation.path_params.items():
        chosen = own_sid(seeded, operation, name)
        if name == odd:
            chosen = draw(st.one_of(typical(schema), hostile(schema)), label=name)
        path = path.replace("{" + name + "}", quote(chosen, safe="") or "%20")
    request: dict[str, Any] = {"method": operation.method.upper(), "url": path}
    if operation.query:
        request["params"] = draw(params(operation.query))
    if operation.method == "post":
        form = draw(params(operation.form, operation.required))
        if form and draw(st.booleans()):
            request["files"] = {name: (None, text) for name, text in form.items()}
        else:
            request["data"] = form
    return request


# -- the ring ------------------------------------------------------------------------------------


def _fuzz_settings() -> Any:
    return settings(
        max_examples=EXAMPLES,
        derandomize=SEED is None,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
@_fuzz_settings()
@given(data=st.data())
def test_no_input_makes_an_operation_fail(
    caller: Caller, operation: Operation, data: st.DataObject
) -> None:
    """Whatever is sent, the answer is below 500 and is what the spec and Twilio's error shape
    say (the client validates every answer; a violation raises here)."""
    request = data.draw(requests(operation, caller.seeded(operation)), label="request")
    response = caller.request(**request)
    assert response.status_code < 500, (request, response.status_code, response.text)


if SEED is not None:
    test_no_input_makes_an_operation_fail = seed(int(SEED))(test_no_input_makes_an_operation_fail)


def first_route(method: str, path: str) -> Route | None:
    """The route Starlette would pick for ``method path`` (the first that matches fully)."""
    scope = {"type": "http", "path": path, "method": method}
    for route in routes:
        if isinstance(route, Route) and route.matches(scope)[0] is Match.FULL:
            return route
    return None


def test_the_ring_covers_every_route() -> None:
    """Each method of each v2010 route is reached by an operation of the ring, so an endpoint
    is fuzzed the day it is added, and one the spec does not describe is noticed. (The files
    -- media at the Media URL without ``.json``, a recording's audio without ``.json`` or as
    ``.wav``/``.mp3`` -- are what the spec leaves out.)"""
    reached = set()
    for operation in OPERATIONS:
        route = first_route(operation.method.upper(), _example_path(operation.template))
        assert route is not None, operation
        reached.add((route.path, operation.method.upper()))
    served = {
        (route.path, method)
        for route in routes
        if isinstance(route, Route) and route.path.startswith("/2010-04-01/")
        for method in route.methods or ()
        if method != "HEAD"
    }
    unreached = served - reached
    account = "/2010-04-01/Accounts/{account_sid}"
    assert unreached == {
        (f"{account}/Messages/{{message_sid}}/Media/{{sid}}", "GET"),
        (f"{account}/Recordings/{{sid}}", "GET"),
        (f"{account}/Recordings/{{sid}}.wav", "GET"),
        (f"{account}/Recordings/{{sid}}.mp3", "GET"),
    }
