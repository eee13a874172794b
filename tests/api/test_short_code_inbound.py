"""Handsets texting short codes, in process: the inbound message is stored for the short
code's account (with its service, when pooled), only a handset of the short code's country
reaches it (21612), another account's short code is one nobody holds (21211), and STOP to a
short code opts the handset out of its scope: the short code, or its service.

The webhooks themselves (signed, ``To`` the digits) are checked against a real app in
``tests/e2e/test_sdk_short_codes.py``.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from telephonist.domain.optout import STOP_REPLY
from tests.api.conftest import Api
from tests.api.test_error_shape import assert_twilio_error
from tests.api.test_short_code_sending import Sub
from tests.api.test_short_codes import provision

pytestmark = pytest.mark.anyio

V1 = "/telephonist/v1"
_codes = itertools.count(45000)
_handsets = itertools.count(100)


def handset() -> str:
    return f"+1303555{next(_handsets):04d}"


@pytest.fixture
async def sub(api: Api) -> Any:
    auth = await api.subaccount("short code inbound")
    async with api.client(auth) as http:
        yield Sub(api, auth, http)


async def short_code(sub: Sub, **form: str) -> tuple[str, str]:
    made = await provision(sub.http, str(next(_codes)), **form)
    return str(made["sid"]), str(made["short_code"])


async def text(sub: Sub, phone: str, to: str, body: str = "hi") -> dict[str, Any]:
    response = await sub.http.post(f"{V1}/Handsets/{phone}/Messages", data={"To": to, "Body": body})
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_text_to_a_short_code_is_stored_for_its_account(sub: Sub) -> None:
    code_sid, code = await short_code(sub)
    phone = handset()
    answer = await text(sub, phone, code)
    assert (answer["to"], answer["from"], answer["status"]) == (code, phone, "received")
    stored = await sub.fetch(answer["sid"])
    assert (stored["direction"], stored["to"], stored["account_sid"]) == (
        "inbound",
        code,
        sub.auth[0],
    )
    assert stored["messaging_service_sid"] is None
    service = await sub.service(code_sid, InboundRequestUrl="https://example.com/in")
    pooled = await sub.fetch((await text(sub, phone, code))["sid"])
    assert pooled["messaging_service_sid"] == service


async def test_only_a_handset_of_the_short_codes_country_reaches_it(sub: Sub) -> None:
    _, us = await short_code(sub)
    _, gb = await short_code(sub, IsoCountryCode="GB")
    for phone, code in (("+447700900501", us), (handset(), gb)):
        response = await sub.http.post(
            f"{V1}/Handsets/{phone}/Messages", data={"To": code, "Body": "hi"}
        )
        assert_twilio_error(response, 400, 21612)
    assert (await text(sub, "+447700900502", gb))["status"] == "received"
    listed = (await sub.http.get(sub.messages())).json()["messages"]
    assert [m["to"] for m in listed] == [gb]


async def test_another_accounts_short_code_is_one_nobody_holds(api: Api, sub: Sub) -> None:
    other = await api.subaccount("other holder")
    async with api.client(other) as http:
        _, theirs = await short_code(Sub(api, other, http))
    for code in (theirs, "45999"):
        response = await sub.http.post(
            f"{V1}/Handsets/{handset()}/Messages", data={"To": code, "Body": "hi"}
        )
        assert_twilio_error(response, 404, 21211)
        assert response.json()["message"] == f"{code} is not one of this account's numbers"


async def test_stop_to_an_unpooled_short_code_stops_that_short_code(sub: Sub) -> None:
    """The reply comes from the short code; the short code is then refused (21610), the
    account's number is not."""
    _, code = await short_code(sub)
    _, number = await sub.buy()
    phone = handset()
    await text(sub, phone, code, "STOP")
    await sub.advance(1)
    assert await sub.inbox(phone) == [(code, STOP_REPLY)]
    assert_twilio_error(await sub.send(From=code, To=phone), 400, 21610)
    assert (await sub.send(From=number, To=phone)).status_code == 201


async def test_stop_to_a_pooled_short_code_stops_its_service(sub: Sub) -> None:
    """The whole service: sends through it, from the short code and from its pool's
    number, all answer 21610."""
    code_sid, code = await short_code(sub)
    number_sid, number = await sub.buy()
    service = await sub.service(code_sid, number_sid, InboundRequestUrl="https://example.com/in")
    phone = handset()
    await text(sub, phone, code, "STOP")
    await sub.advance(1)
    assert await sub.inbox(phone) == [(code, STOP_REPLY)]
    for form in ({"MessagingServiceSid": service}, {"From": code}, {"From": number}):
        assert_twilio_error(await sub.send(To=phone, **form), 400, 21610)
