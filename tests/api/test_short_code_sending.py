"""Sending from short codes, in process: ``From=<short code>`` for the account's own (21606
for any other, 21659 across a border, 21621 for media without MMS), a short code's
throughput, and a Messaging Service's choice of its short code for recipients of the short
code's country (after a sticky sender, never abroad, never with media it cannot carry).

The manual clock moves only when a test says so; each test uses a fresh subaccount, its own
short codes (from a counter) and recipients no other test texts.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from tests.api.conftest import Api
from tests.api.test_error_shape import assert_twilio_error
from tests.api.test_short_codes import provision

pytestmark = pytest.mark.anyio

Auth = tuple[str, str]
V1 = "/telephonist/v1"
GB_NUMBER = "+447700900{:03d}"
_codes = itertools.count(43000)
_handsets = itertools.count(100)
# Link-local: the destination policy never fetches it, so a message with this media is routed
# and then fails at once, without a network.
UNFETCHABLE = "http://169.254.169.254/picture.png"


def handset(area: str = "212") -> str:
    """A US recipient no other test of this module texts (fixed numbers, not random ones)."""
    return f"+1{area}555{next(_handsets):04d}"


def gb_handset() -> str:
    return GB_NUMBER.format(next(_handsets) % 1000)


class Sub:
    """A fresh subaccount with a client: its numbers, short codes, services and sends."""

    def __init__(self, api: Api, auth: Auth, http: httpx.AsyncClient) -> None:
        self.api, self.auth, self.http = api, auth, http

    def messages(self, sid: str = "") -> str:
        return self.api.path(f"Messages/{sid}.json" if sid else "Messages.json", self.auth[0])

    async def buy(self, area_code: str = "415") -> tuple[str, str]:
        response = await self.http.post(
            self.api.path("IncomingPhoneNumbers.json", self.auth[0]), data={"AreaCode": area_code}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["sid"]), str(response.json()["phone_number"])

    async def buy_gb(self) -> tuple[str, str]:
        search = await self.http.get(
            self.api.path("AvailablePhoneNumbers/GB/Mobile.json", self.auth[0])
        )
        number = search.json()["available_phone_numbers"][0]["phone_number"]
        response = await self.http.post(
            self.api.path("IncomingPhoneNumbers.json", self.auth[0]), data={"PhoneNumber": number}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["sid"]), number

    async def short_code(self, **form: str) -> tuple[str, str]:
        made = await provision(self.http, str(next(_codes)), **form)
        return str(made["sid"]), str(made["short_code"])

    async def service(self, *members: str, **params: str) -> str:
        """A service whose pool holds these numbers (PN…) and short codes (SC…)."""
        response = await self.http.post("/v1/Services", data={"FriendlyName": "svc", **params})
        assert response.status_code == 201, response.text
        sid = str(response.json()["sid"])
        for member in members:
            await self.add(sid, member)
        return sid

    async def add(self, service: str, member: str) -> None:
        pool, param = (
            ("ShortCodes", "ShortCodeSid")
            if member.startswith("SC")
            else ("PhoneNumbers", "PhoneNumberSid")
        )
        added = await self.http.post(f"/v1/Services/{service}/{pool}", data={param: member})
        assert added.status_code == 201, added.text

    async def send(self, **form: str) -> httpx.Response:
        return await self.http.post(self.messages(), data={"Body": "hello", **form})

    async def sent(self, **form: str) -> dict[str, Any]:
        response = await self.send(**form)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def fetch(self, sid: str) -> dict[str, Any]:
        response = await self.http.get(self.messages(sid))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def advance(self, seconds: float = 0) -> None:
        response = await self.api.http.post(f"{V1}/Clock", data={"Advance": str(seconds)})
        assert response.status_code == 200, response.text

    async def inbox(self, phone: str) -> list[tuple[str, str]]:
        response = await self.http.get(f"{V1}/Handsets/{phone}/Messages")
        assert response.status_code == 200, response.text
        return [(m["from"], m["body"]) for m in response.json()["messages"]]


@pytest.fixture
async def sub(api: Api) -> Any:
    auth = await api.subaccount("short code sender")
    async with api.client(auth) as http:
        yield Sub(api, auth, http)


# -- From=<short code> ---------------------------------------------------------------------------


async def test_the_accounts_own_short_code_sends(sub: Sub) -> None:
    _, code = await sub.short_code()
    to = handset()
    created = await sub.sent(From=code, To=to)
    assert (created["status"], created["from"]) == ("queued", code)
    await sub.advance(0)
    assert (await sub.fetch(created["sid"]))["status"] == "delivered"
    assert await sub.inbox(to) == [(code, "hello")]


async def test_a_short_code_the_account_does_not_hold_is_21606(api: Api, sub: Sub) -> None:
    """Another account's short code is refused as one nobody holds; nothing is stored."""
    holder = await api.subaccount("holder")
    async with api.client(holder) as http:
        _, theirs = await Sub(api, holder, http).short_code()
    for code in (theirs, "49999"):
        assert_twilio_error(await sub.send(From=code, To=handset()), 400, 21606)
    assert (await sub.http.get(sub.messages())).json()["messages"] == []


async def test_a_short_code_texts_its_own_country_only(sub: Sub) -> None:
    """21659 (Short Code country mismatch) for a US short code to a UK number and a UK short
    code to a US one; the UK short code reaches the UK number."""
    _, us = await sub.short_code()
    _, gb = await sub.short_code(IsoCountryCode="GB")
    assert_twilio_error(await sub.send(From=us, To=gb_handset()), 400, 21659)
    assert_twilio_error(await sub.send(From=gb, To=handset()), 400, 21659)
    to = gb_handset()
    created = await sub.sent(From=gb, To=to)
    await sub.advance(0)
    assert await sub.inbox(to) == [(gb, "hello")]
    assert (await sub.fetch(created["sid"]))["status"] == "delivered"


async def test_media_needs_an_mms_enabled_short_code(sub: Sub) -> None:
    _, sms_only = await sub.short_code()
    _, mms = await sub.short_code(MmsEnabled="true")
    media = {"MediaUrl": UNFETCHABLE}
    assert_twilio_error(await sub.send(From=sms_only, To=handset(), **media), 400, 21621)
    created = await sub.sent(From=mms, To=handset(), **media)
    assert (created["from"], created["num_media"]) == (mms, "1")


async def test_a_short_code_sends_100_segments_a_second(sub: Sub) -> None:
    """Three texts each from a short code and from a long code: 50 ms later the short
    code's three are delivered (10 ms apart), the long code's second still waits its second."""
    _, code = await sub.short_code()
    _, number = await sub.buy()
    fast = [await sub.sent(From=code, To=handset()) for _ in range(3)]
    slow = [await sub.sent(From=number, To=handset()) for _ in range(3)]
    await sub.advance(0.05)
    assert [(await sub.fetch(m["sid"]))["status"] for m in fast] == ["delivered"] * 3
    assert [(await sub.fetch(m["sid"]))["status"] for m in slow] == [
        "delivered",
        "queued",
        "queued",
    ]


# -- A Messaging Service's choice ----------------------------------------------------------------


async def test_a_service_prefers_its_short_code_in_the_short_codes_country(sub: Sub) -> None:
    """A New York recipient gets the short code, not the New York number area-code geomatch
    would pick; a UK recipient gets the UK number, since the US short code does not go there."""
    ny_sid, _ = await sub.buy("212")
    gb_sid, gb_number = await sub.buy_gb()
    code_sid, code = await sub.short_code()
    service = await sub.service(ny_sid, gb_sid, code_sid)
    to_ny = await sub.sent(To=handset("212"), MessagingServiceSid=service)
    to_gb = await sub.sent(To=gb_handset(), MessagingServiceSid=service)
    await sub.advance(0)
    assert (await sub.fetch(to_ny["sid"]))["from"] == code
    assert (await sub.fetch(to_gb["sid"]))["from"] == gb_number


async def test_a_pool_of_short_codes_only_cannot_text_abroad_21703(sub: Sub) -> None:
    code_sid, _ = await sub.short_code()
    service = await sub.service(code_sid)
    abroad = await sub.sent(To=gb_handset(), MessagingServiceSid=service)
    await sub.advance(0)
    failed = await sub.fetch(abroad["sid"])
    assert (failed["status"], failed["error_code"], failed["from"]) == ("failed", 21703, None)


@pytest.mark.parametrize(("sticky", "expected"), [("true", "number"), ("false", "short code")])
async def test_a_sticky_sender_outranks_the_short_code(
    sub: Sub, sticky: str, expected: str
) -> None:
    """A conversation the number began stays on it when a short code joins the pool, unless
    the service is not sticky."""
    number_sid, number = await sub.buy("212")
    service = await sub.service(number_sid, StickySender=sticky)
    to = handset("212")
    opening = await sub.sent(To=to, MessagingServiceSid=service)
    await sub.advance(0)
    assert (await sub.fetch(opening["sid"]))["from"] == number
    code_sid, code = await sub.short_code()
    await sub.add(service, code_sid)
    reply = await sub.sent(To=to, MessagingServiceSid=service)
    await sub.advance(1)
    assert (await sub.fetch(reply["sid"]))["from"] == {"number": number, "short code": code}[
        expected
    ]


async def test_a_short_code_that_cannot_carry_media_leaves_it_to_a_number(sub: Sub) -> None:
    """Twilio's Short Code Reroute: media, an SMS-only short code and an MMS number; the
    number sends. An MMS-enabled short code would have taken it."""
    number_sid, number = await sub.buy("415")
    code_sid, _ = await sub.short_code()
    mms_sid, mms = await sub.short_code(MmsEnabled="true")
    plain = await sub.service(number_sid, code_sid)
    rich = await sub.service(mms_sid)
    rerouted = await sub.sent(To=handset(), MessagingServiceSid=plain, MediaUrl=UNFETCHABLE)
    carried = await sub.sent(To=handset(), MessagingServiceSid=rich, MediaUrl=UNFETCHABLE)
    await sub.advance(0)
    assert (await sub.fetch(rerouted["sid"]))["from"] == number
    assert (await sub.fetch(carried["sid"]))["from"] == mms


async def test_between_short_codes_the_least_busy_sends(sub: Sub) -> None:
    """Two short codes, two recipients at once: the second text goes from the short code the
    first did not take (its queue frees sooner), not from the lower one again."""
    first_sid, first = await sub.short_code()
    second_sid, second = await sub.short_code()
    service = await sub.service(first_sid, second_sid)
    one = await sub.sent(To=handset(), MessagingServiceSid=service)
    two = await sub.sent(To=handset(), MessagingServiceSid=service)
    await sub.advance(0)
    assert {(await sub.fetch(m["sid"]))["from"] for m in (one, two)} == {first, second}


async def test_a_pool_of_one_short_code_passes_the_create_check(sub: Sub) -> None:
    """A short code is a sender of the pool: not 21704 (a pool with no sender)."""
    code_sid, code = await sub.short_code()
    service = await sub.service(code_sid)
    created = await sub.sent(To=handset(), MessagingServiceSid=service)
    assert created["status"] == "accepted"
    await sub.advance(0)
    assert (await sub.fetch(created["sid"]))["from"] == code
