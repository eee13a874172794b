"""A2P 10DLC enforcement at ``enforce``, in process: a US long code that no verified campaign
registers cannot text US numbers (30034 before any hand-over; 30035 while its campaign is in
review); a registered one can, and traffic 10DLC does not cover goes through."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection

from telephonist.api.context import Context
from telephonist.domain import a2p
from telephonist.storage.repositories import a2p as a2p_repo
from tests.api.conftest import Api
from tests.api.test_a2p import CAMPAIGN, REVIEW, advance, brand, created, service, usa2p
from tests.api.test_short_codes import provision

pytestmark = pytest.mark.anyio

MODE = "enforce"
_handsets = itertools.count(200)


@pytest.fixture(scope="module")
def api_settings() -> dict[str, Any]:
    return {"a2p_enforcement": MODE}


def handset() -> str:
    return f"+1212555{next(_handsets):04d}"


class Sender:
    def __init__(self, api: Api, auth: tuple[str, str], http: httpx.AsyncClient) -> None:
        self.api, self.auth, self.http = api, auth, http

    async def number(self) -> tuple[str, str]:
        body = await created(
            await self.http.post(
                self.api.path("IncomingPhoneNumbers.json", self.auth[0]), data={"AreaCode": "415"}
            )
        )
        return str(body["sid"]), str(body["phone_number"])

    async def campaign(
        self, *number_sids: str, sole_proprietor: bool = False, **brand_params: str
    ) -> str:
        """A service holding the numbers, with a campaign submitted now (in review)."""
        mg = await service(self.http)
        for number_sid in number_sids:
            await created(
                await self.http.post(
                    f"/v1/Services/{mg}/PhoneNumbers", data={"PhoneNumberSid": number_sid}
                )
            )
        extra = {"BrandType": "SOLE_PROPRIETOR"} if sole_proprietor else dict(brand_params)
        bn = await brand(self.api, self.http, **extra)
        form = {**CAMPAIGN, "BrandRegistrationSid": bn}
        if sole_proprietor:
            form["UsAppToPersonUsecase"] = "SOLE_PROPRIETOR"
        await created(await self.http.post(usa2p(mg), data=form))
        return mg

    async def send(self, **form: str) -> dict[str, Any]:
        body = await created(
            await self.http.post(
                self.api.path("Messages.json", self.auth[0]), data={"Body": "Hello", **form}
            )
        )
        return body

    async def status(self, sid: str) -> tuple[str, int | None]:
        body = (await self.http.get(self.api.path(f"Messages/{sid}.json", self.auth[0]))).json()
        return body["status"], body["error_code"]

    async def alerts(self) -> list[tuple[str, str, str]]:
        """(code, log level: "1" is a warning, text) of each alert of the account."""
        response = await self.http.get(self.api.path("Notifications.json", self.auth[0]))
        found = response.json()["notifications"]
        return [(n["error_code"], n["log"], n["message_text"]) for n in found]


@pytest.fixture
async def sender(api: Api) -> Any:
    auth = await api.subaccount("a2p")
    async with api.client(auth) as http:
        yield Sender(api, auth, http)


async def test_an_unregistered_long_code_cannot_text_us_numbers(api: Api, sender: Sender) -> None:
    _, number = await sender.number()
    to = handset()
    message = await sender.send(From=number, To=to)
    assert message["status"] == "queued"  # accepted at create: carriers refuse it later
    await advance(api, 0)
    assert await sender.status(message["sid"]) == ("failed", 30034)
    inbox = await api.http.get(f"/telephonist/v1/Handsets/{to}/Messages")
    assert inbox.json()["messages"] == []


async def test_in_review_30035_then_verified_delivers(api: Api, sender: Sender) -> None:
    number_sid, number = await sender.number()
    await sender.campaign(number_sid)
    early = await sender.send(From=number, To=handset())
    await advance(api, 0)
    assert await sender.status(early["sid"]) == ("failed", 30035)
    await advance(api, REVIEW)  # the brand, then the campaign, are decided
    await advance(api, REVIEW)
    late = await sender.send(From=number, To=handset())
    await advance(api, 1)
    assert await sender.status(late["sid"]) == ("delivered", None)


async def test_a_service_send_from_a_registered_pool(api: Api, sender: Sender) -> None:
    number_sid, _ = await sender.number()
    mg = await sender.campaign(number_sid)
    await advance(api, REVIEW)
    await advance(api, REVIEW)
    message = await sender.send(MessagingServiceSid=mg, To=handset())
    await advance(api, 1)
    assert await sender.status(message["sid"]) == ("delivered", None)


@pytest.mark.parametrize(
    "to", ["+447700900123", "+61491570006"], ids=["United Kingdom", "Australia"]
)
async def test_traffic_10dlc_does_not_cover_is_delivered(api: Api, sender: Sender, to: str) -> None:
    _, number = await sender.number()
    message = await sender.send(From=number, To=to)
    await advance(api, 0)
    assert await sender.status(message["sid"]) == ("delivered", None)
    assert await sender.alerts() == []


async def _registered_brand(api: Api, sender: Sender) -> tuple[str, str, str, int]:
    """A sole proprietor's verified campaign over a fresh number: (service, number, brand,
    today's day number at Pacific time)."""
    number_sid, number = await sender.number()
    mg = await sender.campaign(number_sid, sole_proprietor=True)
    await advance(api, REVIEW)
    await advance(api, REVIEW)
    ctx: Context = api.transport.app.state.ctx  # type: ignore[attr-defined]

    def brand_of(conn: Connection) -> str:
        found = a2p_repo.registrations(conn, {(sender.auth[0], number)}, ctx.now_micros(), 0)
        registration = found[(sender.auth[0], number)]
        assert registration is not None and registration.campaign_status == "VERIFIED"
        return registration.brand_sid

    return mg, number, await ctx.db.run(brand_of), a2p.day_of(ctx.now_micros())


async def test_a_brand_past_its_daily_cap_is_refused_30023(api: Api, sender: Sender) -> None:
    """A sole proprietor's limit is 1,000 a day: with 998 used today, one more goes through
    (and says the limit is reached, 30027), the next too, and the one after fails with 30023;
    what is sent counts against the limit, per brand and day."""
    mg, number, brand_sid, day = await _registered_brand(api, sender)
    ctx: Context = api.transport.app.state.ctx  # type: ignore[attr-defined]
    await ctx.db.run(a2p_repo.count_sent, brand_sid, day, 998)
    first = await sender.send(MessagingServiceSid=mg, To=handset())
    await advance(api, 1)
    assert await sender.status(first["sid"]) == ("delivered", None)
    counted = await ctx.db.read(a2p_repo.sent_today, [brand_sid], day)
    assert counted == {brand_sid: 999}
    second = await sender.send(From=number, To=handset())
    third = await sender.send(From=number, To=handset())
    await advance(api, 2)
    assert await sender.status(second["sid"]) == ("delivered", None)
    assert await sender.status(third["sid"]) == ("failed", 30023)
    assert [code for code, _, _ in await sender.alerts()] == ["30027"]


async def test_the_daily_limit_warns_at_half_and_at_70_percent(api: Api, sender: Sender) -> None:
    """The limit counts SMS segments: a two-segment text from 499 of 1,000 takes the brand
    past half (30025, a warning); a text from 699 reaches 70 % (30026); all are delivered, and
    a text that crosses nothing earns nothing."""
    mg, number, brand_sid, day = await _registered_brand(api, sender)
    ctx: Context = api.transport.app.state.ctx  # type: ignore[attr-defined]
    await ctx.db.run(a2p_repo.count_sent, brand_sid, day, 499)
    long_text = await sender.send(From=number, To=handset(), Body="x" * 200)
    await advance(api, 1)
    assert await ctx.db.read(a2p_repo.sent_today, [brand_sid], day) == {brand_sid: 501}
    plain = await sender.send(From=number, To=handset())
    await advance(api, 1)
    assert [code for code, _, _ in await sender.alerts()] == ["30025"]
    await ctx.db.run(a2p_repo.count_sent, brand_sid, day, 699 - 502)
    seventy = await sender.send(MessagingServiceSid=mg, To=handset())
    await advance(api, 1)
    alerts = await sender.alerts()
    assert sorted((code, level) for code, level, _ in alerts) == [("30025", "1"), ("30026", "1")]
    assert all(brand_sid in text for _, _, text in alerts)
    for message in (long_text, plain, seventy):
        assert await sender.status(message["sid"]) == ("delivered", None)


def test_the_day_starts_over_at_midnight_pacific() -> None:
    """07:59 UTC and 08:00 UTC on a winter day are two days at Pacific time (UTC-8)."""
    before = 1_704_095_940_000_000  # 2024-01-01T07:59:00Z = 2023-12-31 23:59 PST
    assert a2p.day_of(before + 60_000_000) == a2p.day_of(before) + 1
    assert a2p.day_of(before) == a2p.day_of(before - 20 * 3600 * 1_000_000)


async def test_a_campaigns_throughput_is_shared_by_its_numbers(api: Api, sender: Sender) -> None:
    """A low-tier campaign (brand score 42: AT&T 4 messages/s) over six numbers of 1/s each:
    six texts at once leave a quarter second apart, not all at once as six free numbers
    would send them."""
    numbers = [await sender.number() for _ in range(6)]
    mg = await sender.campaign(*(sid for sid, _ in numbers), SkipAutomaticSecVet="true")
    await advance(api, REVIEW)
    await advance(api, REVIEW)
    sent = [await sender.send(MessagingServiceSid=mg, To=handset()) for _ in range(6)]
    await advance(api, 0)
    assert [(await sender.status(m["sid"]))[0] for m in sent].count("delivered") == 1
    await advance(api, 0.5)
    assert [(await sender.status(m["sid"]))[0] for m in sent].count("delivered") == 3
    await advance(api, 1)
    assert {(await sender.status(m["sid"]))[0] for m in sent} == {"delivered"}


async def test_a_short_code_is_not_10dlc(api: Api, sender: Sender) -> None:
    """Carriers vet short codes on their own: one texts US numbers without a campaign, and
    a service whose campaign is still in review sends through its short code."""
    code = await provision(sender.http, "44001")
    number_sid, _ = await sender.number()
    mg = await sender.campaign(number_sid)
    added = await sender.http.post(
        f"/v1/Services/{mg}/ShortCodes", data={"ShortCodeSid": code["sid"]}
    )
    assert added.status_code == 201, added.text
    direct = await sender.send(From=code["short_code"], To=handset())
    pooled = await sender.send(MessagingServiceSid=mg, To=handset())
    await advance(api, 1)
    assert await sender.status(direct["sid"]) == ("delivered", None)
    assert await sender.status(pooled["sid"]) == ("delivered", None)
