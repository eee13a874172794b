"""Scheduled messages, in process: ``ScheduleType=fixed`` + ``SendAt`` through a Messaging
Service answers ``scheduled``; the message is routed at its time (its ValidityPeriod counted
from then), takes its sender's throughput then, and can be canceled until then."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_error_shape import assert_twilio_error
from tests.api.test_service_sending import V1, Sub, handset

pytestmark = pytest.mark.anyio


async def server_now(api: Api) -> datetime:
    response = await api.http.get(f"{V1}/Clock")
    return datetime.fromisoformat(response.json()["now"].replace("Z", "+00:00"))


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def advance(api: Api, seconds: float) -> None:
    response = await api.http.post(f"{V1}/Clock", data={"Advance": str(seconds)})
    assert response.status_code == 200, response.text


@pytest.fixture
async def sub(api: Api) -> Any:
    auth = await api.subaccount("scheduler")
    async with api.client(auth) as http:
        yield Sub(api, auth, http)


async def later(api: Api, sub: Sub, seconds: int, **form: str) -> dict[str, Any]:
    at = (await server_now(api)) + timedelta(seconds=seconds)
    return await sub.sent(ScheduleType="fixed", SendAt=stamp(at), **form)


async def test_a_scheduled_message_is_sent_at_its_time(api: Api, sub: Sub) -> None:
    number_sid, number = await sub.buy("415")
    service = await sub.service(number_sid)
    to = handset()
    created = await later(api, sub, 3600, To=to, MessagingServiceSid=service)
    assert (created["status"], created["from"]) == ("scheduled", None)
    await advance(api, 3599)
    assert (await sub.fetch(created["sid"]))["status"] == "scheduled"
    await advance(api, 1)
    sent = await sub.fetch(created["sid"])
    assert (sent["status"], sent["from"]) == ("delivered", number)


async def test_the_validity_period_counts_from_the_send_time(api: Api, sub: Sub) -> None:
    """Scheduled two hours ahead with a 10-minute ValidityPeriod: it is sent, not failed with
    30001 for having waited (as it would if the period ran from the create)."""
    number_sid, _ = await sub.buy("415")
    service = await sub.service(number_sid)
    created = await later(
        api, sub, 7200, To=handset(), MessagingServiceSid=service, ValidityPeriod="600"
    )
    await advance(api, 7200)
    assert (await sub.fetch(created["sid"]))["status"] == "delivered"


async def test_many_due_at_once_keep_their_senders_rate(api: Api, sub: Sub) -> None:
    """Five messages due at the same second through one long code (1 segment/s): one goes at
    once, the rest a second apart."""
    number_sid, _ = await sub.buy("415")
    service = await sub.service(number_sid)
    at = stamp((await server_now(api)) + timedelta(seconds=1800))
    made = [
        await sub.sent(ScheduleType="fixed", SendAt=at, To=handset(), MessagingServiceSid=service)
        for _ in range(5)
    ]
    await advance(api, 1800)
    statuses = [(await sub.fetch(m["sid"]))["status"] for m in made]
    assert statuses.count("delivered") == 1 and statuses.count("queued") == 4
    await advance(api, 4)
    assert {(await sub.fetch(m["sid"]))["status"] for m in made} == {"delivered"}


async def test_a_scheduled_message_from_a_chosen_number(api: Api, sub: Sub) -> None:
    pool_sid, _ = await sub.buy("415")
    _, own = await sub.buy("212")
    service = await sub.service(pool_sid)
    created = await later(api, sub, 1200, To=handset(), From=own, MessagingServiceSid=service)
    assert (created["status"], created["from"]) == ("scheduled", own)
    await advance(api, 1200)
    assert (await sub.fetch(created["sid"]))["status"] == "delivered"


async def test_cancel_until_it_is_sent(api: Api, sub: Sub) -> None:
    number_sid, _ = await sub.buy("415")
    service = await sub.service(number_sid)
    to = handset()
    created = await later(api, sub, 1800, To=to, MessagingServiceSid=service)
    response = await sub.http.post(sub.messages(created["sid"]), data={"Status": "canceled"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "canceled"
    again = await sub.http.post(sub.messages(created["sid"]), data={"Status": "canceled"})
    assert_twilio_error(again, 400, 30409)
    await advance(api, 1800)
    assert (await sub.fetch(created["sid"]))["status"] == "canceled"
    inbox = await api.http.get(f"{V1}/Handsets/{to}/Messages")
    assert inbox.json()["messages"] == []
    now_sent = await sub.sent(To=handset(), MessagingServiceSid=service)
    cancel_sent = await sub.http.post(sub.messages(now_sent["sid"]), data={"Status": "canceled"})
    assert_twilio_error(cancel_sent, 400, 30409)


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"ScheduleType": "fixed", "SendAt": "+3600"}, 35118),  # no service
        ({"ScheduleType": "fixed", "service": "1"}, 35111),
        ({"ScheduleType": "fixed", "SendAt": "tomorrow", "service": "1"}, 35114),
        ({"ScheduleType": "fixed", "SendAt": "2031-01-01 10:00", "service": "1"}, 35114),
        ({"ScheduleType": "fixed", "SendAt": "+60", "service": "1"}, 35114),  # too soon
        ({"ScheduleType": "fixed", "SendAt": "+3024001", "service": "1"}, 35114),  # too far
        ({"ScheduleType": "later", "SendAt": "+3600", "service": "1"}, 35126),
    ],
)
async def test_scheduling_codes(api: Api, sub: Sub, form: dict[str, str], code: int) -> None:
    """Each refusal stores nothing."""
    number_sid, number = await sub.buy("415")
    service = await sub.service(number_sid)
    data = {k: v for k, v in form.items() if k != "service"}
    if data.get("SendAt", "").startswith("+"):
        data["SendAt"] = stamp((await server_now(api)) + timedelta(seconds=int(data["SendAt"])))
    if "service" in form:
        data["MessagingServiceSid"] = service
    else:
        data["From"] = number
    response = await sub.send(To=handset(), **data)
    assert_twilio_error(response, 400, code)
    assert (await sub.http.get(sub.messages())).json()["messages"] == []
