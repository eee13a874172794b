"""Sending through a Messaging Service, in process: ``accepted`` with no sender, then the
sender chosen from the pool when dispatched (sticky sender, area-code geomatch, the least busy
number), the service's defaults, and the create-time codes (21701, 21704) and the dispatch-time
one (21703)."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from telephonist.api.context import Context
from telephonist.storage.repositories import messages as messages_repo
from tests.api.conftest import Api
from tests.api.test_error_shape import assert_twilio_error

pytestmark = pytest.mark.anyio

Auth = tuple[str, str]
V1 = "/telephonist/v1"
_handsets = itertools.count(100)


def handset(area: str = "212") -> str:
    """A recipient no other test of this module texts (fixed numbers, not random ones)."""
    return f"+1{area}555{next(_handsets):04d}"


class Sub:
    """A fresh subaccount with a client, its numbers and a service."""

    def __init__(self, api: Api, auth: Auth, http: httpx.AsyncClient) -> None:
        self.api, self.auth, self.http = api, auth, http

    def messages(self, sid: str = "") -> str:
        tail = f"/{sid}.json" if sid else ".json"
        return self.api.path(f"Messages{tail}", self.auth[0])

    async def buy(self, area_code: str) -> tuple[str, str]:
        response = await self.http.post(
            self.api.path("IncomingPhoneNumbers.json", self.auth[0]), data={"AreaCode": area_code}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["sid"]), str(response.json()["phone_number"])

    async def service(self, *numbers: str, **params: str) -> str:
        response = await self.http.post("/v1/Services", data={"FriendlyName": "svc", **params})
        assert response.status_code == 201, response.text
        sid = str(response.json()["sid"])
        for number_sid in numbers:
            added = await self.http.post(
                f"/v1/Services/{sid}/PhoneNumbers", data={"PhoneNumberSid": number_sid}
            )
            assert added.status_code == 201, added.text
        return sid

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

    async def dispatch(self) -> None:
        response = await self.api.http.post(f"{V1}/Clock", data={"Advance": "0"})
        assert response.status_code == 200, response.text


@pytest.fixture
async def sub(api: Api) -> Any:
    auth = await api.subaccount("sender pool")
    async with api.client(auth) as http:
        yield Sub(api, auth, http)


async def test_accepted_without_a_sender_then_routed_from_the_pool(sub: Sub) -> None:
    """The create answers ``accepted`` with ``from`` null and the service's SID; dispatch
    picks the pool's number, and the message goes on to be delivered from it."""
    number_sid, number = await sub.buy("415")
    service = await sub.service(number_sid)
    to = handset("415")
    created = await sub.sent(To=to, MessagingServiceSid=service)
    assert (created["status"], created["from"], created["messaging_service_sid"]) == (
        "accepted",
        None,
        service,
    )
    await sub.dispatch()
    routed = await sub.fetch(created["sid"])
    assert (routed["from"], routed["status"]) == (number, "delivered")


async def test_a_service_sid_in_from_is_the_service(sub: Sub) -> None:
    """``From=MG…`` means the service, as on Twilio (not an invalid sender, 21212)."""
    number_sid, number = await sub.buy("415")
    service = await sub.service(number_sid)
    created = await sub.sent(To=handset(), From=service)
    assert (created["status"], created["messaging_service_sid"]) == ("accepted", service)
    await sub.dispatch()
    assert (await sub.fetch(created["sid"]))["from"] == number


async def test_area_code_geomatch_picks_the_recipients_area_code(sub: Sub) -> None:
    """The San Francisco recipient is texted first, while both numbers are free: without
    geomatch the lower number (New York's) would take it."""
    ny_sid, ny = await sub.buy("212")
    sf_sid, sf = await sub.buy("415")
    service = await sub.service(sf_sid, ny_sid)
    to_sf = await sub.sent(To=handset("415"), MessagingServiceSid=service)
    to_ny = await sub.sent(To=handset("212"), MessagingServiceSid=service)
    await sub.dispatch()
    assert (await sub.fetch(to_ny["sid"]))["from"] == ny
    assert (await sub.fetch(to_sf["sid"]))["from"] == sf


async def test_without_geomatch_the_least_busy_number_sends(sub: Sub) -> None:
    """Two recipients in one area code, two numbers of another and no geomatch: the second
    message goes to the number the first did not take (its queue frees sooner)."""
    first_sid, first = await sub.buy("415")
    second_sid, second = await sub.buy("415")
    service = await sub.service(first_sid, second_sid, AreaCodeGeomatch="false")
    one = await sub.sent(To=handset("212"), MessagingServiceSid=service)
    two = await sub.sent(To=handset("212"), MessagingServiceSid=service)
    await sub.dispatch()
    used = {(await sub.fetch(m["sid"]))["from"] for m in (one, two)}
    assert used == {first, second}


@pytest.mark.parametrize(("sticky", "expected"), [("true", "first"), ("false", "local")])
async def test_a_sticky_sender_keeps_the_conversation_on_one_number(
    sub: Sub, sticky: str, expected: str
) -> None:
    """The first text to a recipient goes from the only number; a number with the recipient's
    area code joins the pool; the next text stays on the first number only when the service
    is sticky (geomatch would pick the new one)."""
    first_sid, first = await sub.buy("415")
    service = await sub.service(first_sid, StickySender=sticky)
    to = handset("212")
    opening = await sub.sent(To=to, MessagingServiceSid=service)
    await sub.dispatch()
    assert (await sub.fetch(opening["sid"]))["from"] == first
    local_sid, local = await sub.buy("212")
    added = await sub.http.post(
        f"/v1/Services/{service}/PhoneNumbers", data={"PhoneNumberSid": local_sid}
    )
    assert added.status_code == 201, added.text
    reply = await sub.sent(To=to, MessagingServiceSid=service)
    await sub.dispatch()
    assert (await sub.fetch(reply["sid"]))["from"] == {"first": first, "local": local}[expected]


async def test_a_destination_alpha_sender_wins_in_its_country(sub: Sub) -> None:
    """France has its own alpha sender, which wins over the pool's AlphaSender for every
    country (though "Acme" is the lower name); Germany gets that AlphaSender; a US recipient,
    and an MMS to France, a number. A country-less destination alpha sender serves every
    country like an AlphaSender: the lower name of the two is used for Germany."""
    number_sid, number = await sub.buy("415")
    service = await sub.service(number_sid)
    senders = f"/v1/Services/{service}"
    for path, form in [
        ("AlphaSenders", {"AlphaSender": "Acme"}),
        ("DestinationAlphaSenders", {"AlphaSender": "Zed FR", "IsoCountryCode": "FR"}),
        ("DestinationAlphaSenders", {"AlphaSender": "Zed DE", "IsoCountryCode": "DE"}),
        ("DestinationAlphaSenders", {"AlphaSender": "Acma"}),
    ]:
        added = await sub.http.post(f"{senders}/{path}", data=form)
        assert added.status_code == 201, added.text
    removed = await sub.http.get(
        f"{senders}/DestinationAlphaSenders", params={"IsoCountryCode": "DE"}
    )
    german_sid = removed.json()["alpha_senders"][0]["sid"]
    deleted = await sub.http.delete(f"{senders}/DestinationAlphaSenders/{german_sid}")
    assert deleted.status_code == 204
    cases = [
        ({"To": "+33612345678"}, "Zed FR"),
        ({"To": "+4915112345678"}, "Acma"),
        ({"To": handset("415")}, number),
        # Routed, then failed: nothing listens on the discard port (no fetch leaves the host).
        ({"To": "+33612345679", "MediaUrl": "http://127.0.0.1:9/cat.jpg"}, number),
    ]
    made = [(await sub.sent(MessagingServiceSid=service, **form), want) for form, want in cases]
    await sub.dispatch()
    assert [(await sub.fetch(m["sid"]))["from"] for m, _ in made] == [w for _, w in made]


async def test_a_pool_of_one_destination_alpha_sender(sub: Sub) -> None:
    """It is a sender (no 21704 at create): its country's recipient gets it; a recipient
    elsewhere has no sender that can carry the message (21703 when dispatched)."""
    service = await sub.service()
    added = await sub.http.post(
        f"/v1/Services/{service}/DestinationAlphaSenders",
        data={"AlphaSender": "Shop FR", "IsoCountryCode": "FR"},
    )
    assert added.status_code == 201, added.text
    french = await sub.sent(To="+33612345670", MessagingServiceSid=service)
    german = await sub.sent(To="+4915112345670", MessagingServiceSid=service)
    await sub.dispatch()
    routed = await sub.fetch(french["sid"])
    assert (routed["from"], routed["status"]) == ("Shop FR", "delivered")
    failed = await sub.fetch(german["sid"])
    assert (failed["status"], failed["error_code"]) == ("failed", 21703)


async def test_a_from_with_a_service_sends_from_that_number(sub: Sub) -> None:
    """Both given: the From is the sender (queued at once), the message is the service's."""
    pool_sid, _ = await sub.buy("415")
    _, own = await sub.buy("212")
    service = await sub.service(pool_sid)
    created = await sub.sent(To=handset(), From=own, MessagingServiceSid=service)
    assert (created["status"], created["from"], created["messaging_service_sid"]) == (
        "queued",
        own,
        service,
    )


async def test_create_time_codes(api: Api, sub: Sub) -> None:
    """21701 for a service the account does not have (another account's included), 21704
    for one whose pool is empty; nothing is stored for either."""
    empty = await sub.service()
    response = await sub.send(To=handset(), MessagingServiceSid=empty)
    assert_twilio_error(response, 400, 21704)
    other = await api.subaccount("other")
    async with api.client(other) as http:
        theirs = await Sub(api, other, http).service()
    for sid in (theirs, "MG" + "0" * 32):
        response = await sub.send(To=handset(), MessagingServiceSid=sid)
        assert_twilio_error(response, 404, 21701)
    listed = await sub.http.get(sub.messages())
    assert listed.json()["messages"] == []


async def test_a_pool_emptied_before_dispatch_fails_the_message_21703(sub: Sub) -> None:
    number_sid, _ = await sub.buy("415")
    service = await sub.service(number_sid)
    created = await sub.sent(To=handset(), MessagingServiceSid=service)
    removed = await sub.http.delete(f"/v1/Services/{service}/PhoneNumbers/{number_sid}")
    assert removed.status_code == 204, removed.text
    await sub.dispatch()
    failed = await sub.fetch(created["sid"])
    assert (failed["status"], failed["error_code"], failed["from"]) == ("failed", 21703, None)


async def stored_encoding(sub: Sub, sid: str) -> str:
    ctx: Context = sub.api.transport.app.state.ctx  # type: ignore[attr-defined]
    row = await ctx.db.read(messages_repo.get_message, sub.auth[0], sid)
    assert row is not None
    return str(row["encoding"])


@pytest.mark.parametrize("with_from", [False, True])
async def test_the_service_smart_encodes_what_it_sends(sub: Sub, with_from: bool) -> None:
    """SmartEncoding (on by default) rewrites the curly apostrophe, so the message is stored
    as one GSM-7 segment, whether the pool or the message's own From sends it; without the
    service the same body is UCS-2."""
    number_sid, number = await sub.buy("415")
    service = await sub.service(number_sid)
    body = "it\u2019s " + "x" * 90
    sender = {"From": number} if with_from else {}
    through = await sub.sent(To=handset(), MessagingServiceSid=service, Body=body, **sender)
    assert (through["body"], through["num_segments"]) == ("it's " + "x" * 90, "1")
    assert await stored_encoding(sub, through["sid"]) == "GSM-7"
    alone = await sub.sent(To=handset(), From=number, Body=body)
    assert (alone["body"], alone["num_segments"]) == (body, "2")
    assert await stored_encoding(sub, alone["sid"]) == "UCS-2"


async def test_smart_encoding_off_keeps_the_body(sub: Sub) -> None:
    number_sid, _ = await sub.buy("415")
    service = await sub.service(number_sid, SmartEncoding="false")
    body = "it\u2019s " + "x" * 90
    sent = await sub.sent(To=handset(), MessagingServiceSid=service, Body=body)
    assert (sent["body"], sent["num_segments"]) == (body, "2")
    assert await stored_encoding(sub, sent["sid"]) == "UCS-2"
    asked = await sub.sent(
        To=handset(), MessagingServiceSid=service, Body=body, SmartEncoded="true"
    )
    assert await stored_encoding(sub, asked["sid"]) == "GSM-7"


async def test_a_messages_own_smart_encoded_false_wins_over_the_service(sub: Sub) -> None:
    """SmartEncoded=false on the message keeps its body as written although the service
    smart-encodes (an absent SmartEncoded leaves it to the service)."""
    number_sid, _ = await sub.buy("415")
    service = await sub.service(number_sid)
    body = "it\u2019s " + "x" * 90
    kept = await sub.sent(
        To=handset(), MessagingServiceSid=service, Body=body, SmartEncoded="false"
    )
    assert (kept["body"], kept["num_segments"]) == (body, "2")
    assert await stored_encoding(sub, kept["sid"]) == "UCS-2"
