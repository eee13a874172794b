"""Twilio's default opt-out management, in process: a handset's STOP, START and HELP, their
confirmation replies (real messages, delivered), 21610 for later sends from the scope the
handset left (the Messaging Service of the number, or the number itself), and the control
API's opt-out list and per-service keywords.

Each test uses a fresh subaccount and its own handset, so no test sees another's opt-outs.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from telephonist.domain.optout import HELP_REPLY, START_REPLY, STOP_REPLY
from tests.api.conftest import Api
from tests.api.test_error_shape import assert_twilio_error

pytestmark = pytest.mark.anyio

Auth = tuple[str, str]
V1 = "/telephonist/v1"
_handsets = itertools.count(100)


def new_handset() -> str:
    """A handset no other test of this module uses (fixed numbers, not random ones)."""
    return f"+1646555{next(_handsets):04d}"


class Sub:
    """A fresh subaccount with a client: its numbers, services, sends and handsets."""

    def __init__(self, api: Api, auth: Auth, http: httpx.AsyncClient) -> None:
        self.api, self.auth, self.http = api, auth, http

    @property
    def messages_path(self) -> str:
        return self.api.path("Messages.json", self.auth[0])

    async def buy(self, area_code: str = "415") -> tuple[str, str]:
        response = await self.http.post(
            self.api.path("IncomingPhoneNumbers.json", self.auth[0]), data={"AreaCode": area_code}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["sid"]), str(response.json()["phone_number"])

    async def service(self, *numbers: str) -> str:
        response = await self.http.post("/v1/Services", data={"FriendlyName": "svc"})
        assert response.status_code == 201, response.text
        sid = str(response.json()["sid"])
        for number_sid in numbers:
            added = await self.http.post(
                f"/v1/Services/{sid}/PhoneNumbers", data={"PhoneNumberSid": number_sid}
            )
            assert added.status_code == 201, added.text
        return sid

    async def send(self, **form: str) -> httpx.Response:
        return await self.http.post(self.messages_path, data={"Body": "hello", **form})

    async def text(self, handset: str, to: str, body: str) -> None:
        """The handset texts ``to``, and simulated time moves on until any reply, paced
        behind its sender's earlier messages, is delivered."""
        response = await self.http.post(
            f"{V1}/Handsets/{handset}/Messages", data={"To": to, "Body": body}
        )
        assert response.status_code == 201, response.text
        await self.dispatch()

    async def dispatch(self) -> None:
        response = await self.api.http.post(f"{V1}/Clock", data={"Advance": "5"})
        assert response.status_code == 200, response.text

    async def inbox(self, handset: str) -> list[tuple[str, str]]:
        """(from, body) of what the handset received from this account, oldest first."""
        response = await self.http.get(f"{V1}/Handsets/{handset}/Messages")
        assert response.status_code == 200, response.text
        return [(m["from"], m["body"]) for m in response.json()["messages"]]

    async def outbound_to(self, handset: str) -> list[dict[str, Any]]:
        response = await self.http.get(self.messages_path, params={"To": handset})
        assert response.status_code == 200, response.text
        return [m for m in response.json()["messages"] if m["direction"] != "inbound"]

    async def opt_outs(self) -> list[tuple[str, str]]:
        response = await self.http.get(f"{V1}/OptOuts")
        assert response.status_code == 200, response.text
        return [(o["scope"], o["recipient"]) for o in response.json()["opt_outs"]]


@pytest.fixture
async def sub(api: Api) -> Any:
    auth = await api.subaccount("opt-out")
    async with api.client(auth) as http:
        yield Sub(api, auth, http)


async def test_stop_is_confirmed_then_sends_are_refused_with_21610(sub: Sub) -> None:
    """The confirmation is a stored outbound-reply from the number, delivered to the handset;
    the next send to the handset answers 400 with 21610 and stores nothing."""
    _, number = await sub.buy()
    handset = new_handset()
    await sub.text(handset, number, "STOP")
    assert await sub.inbox(handset) == [(number, STOP_REPLY)]
    [reply] = await sub.outbound_to(handset)
    assert (reply["direction"], reply["from"], reply["status"]) == (
        "outbound-reply",
        number,
        "delivered",
    )
    assert_twilio_error(await sub.send(To=handset, From=number), 400, 21610)
    assert await sub.outbound_to(handset) == [reply]
    assert await sub.opt_outs() == [(number, handset)]


async def test_start_resubscribes_and_sends_work_again(sub: Sub) -> None:
    _, number = await sub.buy()
    handset = new_handset()
    await sub.text(handset, number, "STOP")
    await sub.text(handset, number, "START")
    assert await sub.inbox(handset) == [(number, STOP_REPLY), (number, START_REPLY)]
    assert await sub.opt_outs() == []
    response = await sub.send(To=handset, From=number)
    assert response.status_code == 201, response.text


async def test_help_is_answered_and_opts_nobody_out(sub: Sub) -> None:
    _, number = await sub.buy()
    handset = new_handset()
    await sub.text(handset, number, "HELP")
    assert await sub.inbox(handset) == [(number, HELP_REPLY)]
    assert await sub.opt_outs() == []
    response = await sub.send(To=handset, From=number)
    assert response.status_code == 201, response.text


async def test_an_opted_out_handsets_help_gets_no_reply(sub: Sub) -> None:
    """The help reply would be a send to an unsubscribed recipient: it is not sent."""
    _, number = await sub.buy()
    handset = new_handset()
    await sub.text(handset, number, "STOP")
    await sub.text(handset, number, "INFO")
    assert await sub.inbox(handset) == [(number, STOP_REPLY)]


@pytest.mark.parametrize(
    ("body", "opted_out"),
    [("stop", True), ("  Unsubscribe \n", True), ("STOP please", False), ("stop.", False)],
)
async def test_only_the_whole_message_is_a_keyword(sub: Sub, body: str, opted_out: bool) -> None:
    _, number = await sub.buy()
    handset = new_handset()
    await sub.text(handset, number, body)
    assert await sub.inbox(handset) == ([(number, STOP_REPLY)] if opted_out else [])
    response = await sub.send(To=handset, From=number)
    if opted_out:
        assert_twilio_error(response, 400, 21610)
    else:
        assert response.status_code == 201, response.text


async def test_without_a_service_the_scope_is_the_number(sub: Sub) -> None:
    """STOP to one number leaves the account's other number free to send."""
    _, texted = await sub.buy()
    _, other = await sub.buy()
    handset = new_handset()
    await sub.text(handset, texted, "STOP")
    assert_twilio_error(await sub.send(To=handset, From=texted), 400, 21610)
    response = await sub.send(To=handset, From=other)
    assert response.status_code == 201, response.text


async def test_an_opt_out_is_answered_before_a_sender_the_account_no_longer_holds(
    sub: Sub,
) -> None:
    """The opt-out check comes first (21610), also for a number released since: a direct
    send checks its sender and its opt-outs in one read, and a sender not found must not skip
    the opt-out (it would answer 21659)."""
    number_sid, number = await sub.buy()
    handset = new_handset()
    await sub.text(handset, number, "STOP")
    released = await sub.http.delete(
        sub.api.path(f"IncomingPhoneNumbers/{number_sid}.json", sub.auth[0])
    )
    assert released.status_code == 204, released.text
    assert_twilio_error(await sub.send(To=handset, From=number), 400, 21610)
    assert_twilio_error(await sub.send(To=new_handset(), From=number), 400, 21659)


async def test_a_services_opt_out_covers_its_whole_pool(sub: Sub) -> None:
    """STOP to one pool number blocks sends through the service and from its other pool
    number, not from a number outside the pool."""
    first_sid, first = await sub.buy()
    second_sid, second = await sub.buy()
    _, outside = await sub.buy()
    service = await sub.service(first_sid, second_sid)
    handset = new_handset()
    await sub.text(handset, first, "STOP")
    assert await sub.inbox(handset) == [(first, STOP_REPLY)]
    assert await sub.opt_outs() == [(service, handset)]
    for form in ({"MessagingServiceSid": service}, {"From": service}, {"From": second}):
        assert_twilio_error(await sub.send(To=handset, **form), 400, 21610)
    assert (await sub.send(To=handset, From=outside)).status_code == 201
    other = new_handset()
    assert (await sub.send(To=other, MessagingServiceSid=service)).status_code == 201


async def test_start_to_another_pool_number_resubscribes_to_the_service(sub: Sub) -> None:
    first_sid, first = await sub.buy()
    second_sid, second = await sub.buy()
    service = await sub.service(first_sid, second_sid)
    handset = new_handset()
    await sub.text(handset, first, "STOP")
    await sub.text(handset, second, "YES")
    assert await sub.inbox(handset) == [(first, STOP_REPLY), (second, START_REPLY)]
    response = await sub.send(To=handset, MessagingServiceSid=service)
    assert response.status_code == 201, response.text


async def test_another_account_is_unaffected(api: Api, sub: Sub) -> None:
    """The same handset opted out of one account's number is sent to by another's, and the
    other account's opt-out list does not show the first account's opt-out."""
    _, number = await sub.buy()
    handset = new_handset()
    await sub.text(handset, number, "STOP")
    auth = await api.subaccount("bystander")
    async with api.client(auth) as http:
        other = Sub(api, auth, http)
        _, theirs = await other.buy()
        response = await other.send(To=handset, From=theirs)
        assert response.status_code == 201, response.text
        assert await other.opt_outs() == []


async def other_account(api: Api, relation: str) -> Auth:
    """Credentials of an account that is not ``sub``'s: the default account (its parent),
    another of its subaccounts, or a top-level account of its own."""
    if relation == "parent":
        return api.account_sid, api.auth_token
    if relation == "sibling":
        return await api.subaccount("sibling")
    return await api.top_level_account()


@pytest.mark.parametrize("relation", ["parent", "sibling", "top-level"])
async def test_a_stop_in_one_account_never_blocks_another_accounts_sends(
    api: Api, sub: Sub, relation: str
) -> None:
    """The handset opted out of ``sub``'s service and of its number outside any service; the
    other account sends to it from its own number, through its own service (by
    ``MessagingServiceSid`` and ``From=MG…``), from its pool number and scheduled: every
    send is accepted; the opt-outs are ``sub``'s alone, and only ``sub`` is refused with
    21610."""
    pool_sid, pool_number = await sub.buy()
    _, lone_number = await sub.buy()
    service = await sub.service(pool_sid)
    handset = new_handset()
    await sub.text(handset, pool_number, "STOP")
    await sub.text(handset, lone_number, "STOP")
    assert await sub.opt_outs() == [(service, handset), (lone_number, handset)]
    for form in ({"MessagingServiceSid": service}, {"From": pool_number}, {"From": lone_number}):
        assert_twilio_error(await sub.send(To=handset, **form), 400, 21610)

    auth = await other_account(api, relation)
    async with api.client(auth) as http:
        other = Sub(api, auth, http)
        own_sid, own = await other.buy()
        _, lone = await other.buy()
        own_service = await other.service(own_sid)
        clock = (await http.get(f"{V1}/Clock")).json()["now"]
        send_at = datetime.fromisoformat(clock.replace("Z", "+00:00")) + timedelta(hours=1)
        for form in (
            {"From": lone},
            {"From": own},
            {"MessagingServiceSid": own_service},
            {"From": own_service},
            {
                "MessagingServiceSid": own_service,
                "ScheduleType": "fixed",
                "SendAt": send_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        ):
            response = await other.send(To=handset, **form)
            assert response.status_code == 201, (form, response.text)
        # A parent lists its subaccounts' opt-outs too: only ``sub``'s are there.
        listed = (await http.get(f"{V1}/OptOuts")).json()["opt_outs"]
        assert {o["account_sid"] for o in listed if o["recipient"] == handset} <= {sub.auth[0]}


async def test_a_number_moved_to_another_account_leaves_its_opt_outs_behind(
    api: Api, sub: Sub
) -> None:
    """A handset's STOP to the parent's number stays the parent's: once the number belongs to
    a subaccount, the subaccount sends from it to that handset."""
    parent = Sub(api, (api.account_sid, api.auth_token), api.http)
    number_sid, number = await parent.buy()
    handset = new_handset()
    await parent.text(handset, number, "STOP")
    assert_twilio_error(await parent.send(To=handset, From=number), 400, 21610)
    response = await api.http.post(
        api.path(f"IncomingPhoneNumbers/{number_sid}.json"), data={"AccountSid": sub.auth[0]}
    )
    assert response.status_code == 200, response.text
    response = await sub.send(To=handset, From=number)
    assert response.status_code == 201, response.text


async def test_a_service_sets_its_own_keywords_and_replies(sub: Sub) -> None:
    """Custom keywords replace the defaults of their kind only; the reply is the service's."""
    number_sid, number = await sub.buy()
    service = await sub.service(number_sid)
    path = f"{V1}/Services/{service}/OptOut"
    response = await sub.http.post(
        path, data={"StopKeywords": "arret, halt", "StopReply": "Bye from Acme."}
    )
    assert response.status_code == 200, response.text
    settings = (await sub.http.get(path)).json()
    assert (settings["stop_keywords"], settings["stop_reply"]) == (
        ["ARRET", "HALT"],
        "Bye from Acme.",
    )
    assert settings["start_keywords"] == ["START", "UNSTOP", "YES"]
    handset = new_handset()
    await sub.text(handset, number, "STOP")  # no longer a keyword of this service
    assert await sub.inbox(handset) == []
    await sub.text(handset, number, "Halt")
    assert await sub.inbox(handset) == [(number, "Bye from Acme.")]
    assert_twilio_error(await sub.send(To=handset, MessagingServiceSid=service), 400, 21610)


@pytest.mark.parametrize(
    "form",
    [
        {"StopKeywords": "stop now"},
        {"StopKeywords": ","},
        {"StopReply": " "},
        {"HelpReply": "x" * 321},
        {"HelpKeywords": "STOP"},  # a default opt-out keyword too
    ],
)
async def test_invalid_service_keywords_are_refused(sub: Sub, form: dict[str, str]) -> None:
    service = await sub.service()
    response = await sub.http.post(f"{V1}/Services/{service}/OptOut", data=form)
    assert_twilio_error(response, 400, 20422)


async def test_another_accounts_service_keywords_answer_404(api: Api, sub: Sub) -> None:
    service = await sub.service()
    auth = await api.subaccount("stranger")
    async with api.client(auth) as http:
        for method in ("GET", "POST"):
            response = await http.request(method, f"{V1}/Services/{service}/OptOut")
            assert_twilio_error(response, 404, 20404)
