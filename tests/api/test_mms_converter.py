"""Twilio's MMS Converter, in process: an MMS for a handset that takes no MMS (the simulator's
``sms_only`` scenario) reaches it as an SMS with links to the kept media when the converter is
on (a service's ``MmsConverter``, or no service: the account's default), and fails with 30011
when the service has it off. The media is served by a real app on a loopback port."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.responses import Response

from tests.api.conftest import BASE_URL, Api
from tests.api.test_service_sending import V1, Sub
from tests.e2e.app import FakeApp, running_app

pytestmark = pytest.mark.anyio

PICTURE = b"GIF89a" + bytes(range(64))
_handsets = itertools.count(100)


@pytest.fixture(scope="module")
def api_settings() -> dict[str, Any]:
    """Loopback only: no media fetch can leave the host."""
    return {"outbound_deny": "0.0.0.0/0,::/0", "outbound_allow": "127.0.0.0/8"}


@pytest.fixture(scope="module")
def media_app(api: Api) -> Iterator[FakeApp]:
    with running_app(api.auth_token) as fake:
        fake.on("/cat.gif", lambda hit: Response(PICTURE, media_type="image/gif"))
        fake.on("/dog.gif", lambda hit: Response(PICTURE[::-1], media_type="image/gif"))
        yield fake


@pytest.fixture
async def sub(api: Api) -> AsyncIterator[Sub]:
    auth = await api.subaccount("mms converter")
    async with api.client(auth) as http:
        yield Sub(api, auth, http)


async def handset(sub: Sub, scenario: str = "sms_only") -> str:
    """A handset of its own (fixed numbers), with the scenario for this account's sends."""
    number = f"+1720555{next(_handsets):04d}"
    response = await sub.http.post(f"{V1}/Handsets/{number}/Scenario", data={"Scenario": scenario})
    assert response.status_code == 200, response.text
    return number


async def advance(api: Api) -> None:
    """Time enough for the sends of one long code (one segment a second) to be delivered."""
    response = await api.http.post(f"{V1}/Clock", data={"Advance": "10"})
    assert response.status_code == 200, response.text


async def inbox(sub: Sub, number: str) -> list[dict[str, Any]]:
    response = await sub.http.get(f"{V1}/Handsets/{number}/Messages")
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


async def mms(sub: Sub, app: FakeApp, to: str, **form: str) -> dict[str, Any]:
    response = await sub.http.post(
        sub.messages(),
        data={
            "To": to,
            "Body": "Look",
            **form,
            "MediaUrl": [app.url("/cat.gif"), app.url("/dog.gif")],
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("through", ["service", "number"])
async def test_an_mms_reaches_an_sms_only_handset_as_links(
    api: Api, sub: Sub, media_app: FakeApp, through: str
) -> None:
    """The handset gets the body and one link per medium, no media; each link serves the
    kept copy without credentials. The Message stays the MMS that was created. Without a
    service the account's converter applies, which is on (Twilio's default)."""
    number_sid, number = await sub.buy("415")
    to = await handset(sub)
    form = {"MessagingServiceSid": await sub.service(number_sid)} if through == "service" else {}
    created = await mms(sub, media_app, to, **(form or {"From": number}))
    await advance(api)

    message = await sub.fetch(created["sid"])
    assert (message["status"], message["sid"][:2], message["num_media"]) == ("delivered", "MM", "2")
    assert message["body"] == "Look"
    [received] = await inbox(sub, to)
    assert received["num_media"] == 0
    text, *links = received["body"].split("\n")
    media = (
        await sub.http.get(sub.messages(created["sid"]).replace(".json", "/Media.json"))
    ).json()
    kept = sorted(media["media_list"], key=lambda m: m["uri"])
    assert text == "Look" and len(links) == 2
    assert sorted(links) == [BASE_URL + m["uri"].removesuffix(".json") for m in kept]
    # The bytes are no JSON for the contract oracle: a plain client, with no credentials.
    async with httpx.AsyncClient(transport=api.transport, base_url=BASE_URL) as anonymous:
        served = [(await anonymous.get(link)).content for link in links]
    assert served == [PICTURE, PICTURE[::-1]]  # in the MediaUrl order


async def test_with_the_converter_off_the_mms_fails_with_30011(
    api: Api, sub: Sub, media_app: FakeApp
) -> None:
    """Nothing reaches the handset; an SMS to it, and an MMS to a handset that takes MMS,
    are sent as ever through the same service."""
    number_sid, _ = await sub.buy("415")
    service = await sub.service(number_sid, MmsConverter="false")
    sms_only, happy = await handset(sub), await handset(sub, "happy")
    refused = await mms(sub, media_app, sms_only, MessagingServiceSid=service)
    text = await sub.sent(To=sms_only, MessagingServiceSid=service, Body="Plain text")
    picture = await mms(sub, media_app, happy, MessagingServiceSid=service)
    await advance(api)

    failed = await sub.fetch(refused["sid"])
    assert (failed["status"], failed["error_code"]) == ("failed", 30011)
    assert (await sub.fetch(text["sid"]))["status"] == "delivered"
    assert [(m["body"], m["num_media"]) for m in await inbox(sub, sms_only)] == [("Plain text", 0)]
    assert (await sub.fetch(picture["sid"]))["status"] == "delivered"
    assert [(m["body"], m["num_media"]) for m in await inbox(sub, happy)] == [("Look", 2)]


async def test_an_mms_without_a_body_is_only_its_links(
    api: Api, sub: Sub, media_app: FakeApp
) -> None:
    """The converted text is the link alone: no empty first line."""
    _, number = await sub.buy("415")
    to = await handset(sub)
    response = await sub.http.post(
        sub.messages(), data={"To": to, "From": number, "MediaUrl": media_app.url("/cat.gif")}
    )
    assert response.status_code == 201, response.text
    await advance(api)
    [received] = await inbox(sub, to)
    assert received["body"].startswith(f"{BASE_URL}/2010-04-01/Accounts/{sub.auth[0]}/Messages/")
    assert "\n" not in received["body"] and received["num_media"] == 0
