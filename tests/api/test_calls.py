"""Calls.json handlers in process: create-time validation codes, the Call resource, fetch,
listing with its filters and paging, updates (cancel, hang up, redirect, callbacks, time
limit), delete, and another account's calls answering exactly as calls nobody has.

Calls run on the module's manual clock through simulated handsets; TwiML comes inline or from a
real app on a loopback port. Webhooks may reach loopback only, so nothing here touches the
network beyond this machine.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import pytest

from telephonist.api.context import Context
from telephonist.clock import FakeClock
from telephonist.dispatch import calls as dispatch
from telephonist.dispatch import queue
from telephonist.domain.calls import UpdateCall, validate_update
from telephonist.domain.sids import new_sid
from telephonist.storage.repositories import calls as calls_repo
from tests.api.conftest import Api
from tests.api.test_error_shape import assert_twilio_error
from tests.e2e.app import FakeApp, Hit, running_app

pytestmark = pytest.mark.anyio

Auth = tuple[str, str]
V1 = "/telephonist/v1"
SCHEMA = "api.v2010.account.call"
HOLD = '<Response><Pause length="600"/></Response>'
"""A document that keeps an answered call in progress for ten minutes."""
SUBRESOURCES = {
    "feedback": "Feedback",
    "notifications": "Notifications",
    "recordings": "Recordings",
    "streams": "Streams",
    "payments": "Payments",
    "user_defined_message_subscriptions": "UserDefinedMessageSubscriptions",
    "user_defined_messages": "UserDefinedMessages",
    "events": "Events",
    "siprec": "Siprec",
    "transcriptions": "Transcriptions",
}

_handsets = itertools.count(1)
_paths = itertools.count(1)


def handset() -> str:
    """A handset number no other test uses (accounts here buy 415 numbers, never 628)."""
    return f"+1628200{next(_handsets):04d}"


def say(text: str) -> str:
    return f"<Response><Say>{text}</Say></Response>"


@pytest.fixture(scope="module")
def api_settings() -> dict[str, Any]:
    """Loopback only: a Url that escaped validation could never reach a real host."""
    return {"outbound_deny": "0.0.0.0/0,::/0", "outbound_allow": "127.0.0.0/8"}


@pytest.fixture(scope="module")
def app(api: Api) -> Iterator[FakeApp]:
    """A real app on a loopback port, answering TwiML and recording status callbacks."""
    with running_app(api.auth_token) as fake:
        yield fake


def route(app: FakeApp, twiml: str | None = None) -> str:
    """A fresh path on the app (answering ``twiml``, or 204), as an absolute URL."""
    path = f"/calls/{next(_paths)}"
    if twiml is not None:
        app.on(path, lambda hit: twiml)
    return app.url(path)


def hits(app: FakeApp, url: str, call_sid: str) -> list[Hit]:
    return [h for h in app.at(urlsplit(url).path) if h.params.get("CallSid") == call_sid]


async def advance(api: Api, seconds: float = 0) -> None:
    """Move the module's manual clock, running what falls due."""
    response = await api.http.post(f"{V1}/Clock", data={"Advance": str(seconds)})
    assert response.status_code == 200, response.text


async def clock(api: Api) -> datetime:
    response = await api.http.get(f"{V1}/Clock")
    return datetime.fromisoformat(response.json()["now"].replace("Z", "+00:00"))


@dataclass
class Account:
    """One test's own subaccount, a number it bought, and requests on its calls."""

    api: Api
    auth: Auth
    http: httpx.AsyncClient
    number: str
    number_sid: str

    @property
    def sid(self) -> str:
        return self.auth[0]

    def calls_path(self, sid: str | None = None) -> str:
        return self.api.path(f"Calls/{sid}.json" if sid else "Calls.json", self.sid)

    async def buy(self) -> tuple[str, str]:
        response = await self.http.post(
            self.api.path("IncomingPhoneNumbers.json", self.sid), data={"AreaCode": "415"}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["phone_number"]), str(response.json()["sid"])

    async def place(self, to: str, **form: str | list[str]) -> dict[str, Any]:
        response = await self.http.post(self.calls_path(), data={"To": to, **form})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def call(self, sid: str) -> dict[str, Any]:
        response = await self.http.get(self.calls_path(sid))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def update(self, sid: str, **form: str) -> httpx.Response:
        return await self.http.post(self.calls_path(sid), data=form)

    async def listed(self, **query: str) -> list[str]:
        response = await self.http.get(self.calls_path(), params=query)
        assert response.status_code == 200, response.text
        return [c["sid"] for c in response.json()["calls"]]

    async def behave(self, number: str, behavior: str = "answer", **extra: str) -> None:
        response = await self.http.post(
            f"{V1}/Handsets/{number}/CallBehavior", data={"Behavior": behavior, **extra}
        )
        assert response.status_code == 200, response.text

    async def transcript(self, sid: str) -> list[dict[str, Any]]:
        response = await self.http.get(f"{V1}/Calls/{sid}/Transcript")
        assert response.status_code == 200, response.text
        return list(response.json()["events"])

    async def live_call(self, **form: str) -> dict[str, Any]:
        """A call answered after one ring and held in progress (the clock moves 1 s)."""
        call = await self.place(handset(), From=self.number, Twiml=HOLD, **form)
        await advance(self.api, 0)
        await advance(self.api, 1)
        assert (await self.call(call["sid"]))["status"] == "in-progress"
        return call

    async def ended_call(self) -> dict[str, Any]:
        """A call to a busy handset, ended (busy) at once."""
        callee = handset()
        await self.behave(callee, "busy")
        call = await self.place(callee, From=self.number, Twiml=HOLD)
        await advance(self.api, 0)
        assert (await self.call(call["sid"]))["status"] == "busy"
        return call


async def open_account(api: Api, auth: Auth) -> AsyncIterator[Account]:
    async with api.client(auth) as http:
        response = await http.post(
            api.path("IncomingPhoneNumbers.json", auth[0]), data={"AreaCode": "415"}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        yield Account(api, auth, http, str(body["phone_number"]), str(body["sid"]))


@pytest.fixture
async def acct(api: Api) -> AsyncIterator[Account]:
    """A fresh subaccount with a number of its own: state no other test can have touched."""
    async for account in open_account(api, await api.subaccount("calls")):
        yield account


# -- create -------------------------------------------------------------------------------------

OWN = "the account's own number"
FOREIGN = "a sibling account's number"
FOREIGN_APP = "a sibling account's application"
URL = "https://example.com/voice"  # never fetched: every create below is refused

CREATE_ERRORS: list[tuple[dict[str, str | list[str] | None], int]] = [
    ({"To": None}, 21201),
    ({"To": ""}, 21201),
    ({"From": None}, 21213),
    ({"From": ""}, 21213),
    ({"To": "not a number"}, 21211),
    ({"To": "+1628555"}, 21211),
    ({"To": "client:"}, 21211),
    ({"From": "+1"}, 21212),
    ({"From": "nobody"}, 21212),
    ({"Url": None}, 21205),
    ({"Url": ""}, 21205),
    ({"Url": "not a url"}, 21205),
    ({"Url": "ftp://example.com/voice.xml"}, 21205),
    ({"Url": None, "Twiml": "<Response>" + "x" * 4000 + "</Response>"}, 21205),
    ({"FallbackUrl": "example.com/fallback"}, 21205),
    ({"StatusCallback": "mailto:someone@example.com"}, 21205),
    ({"From": "+14155550199"}, 21210),
    ({"From": FOREIGN}, 21210),
    ({"Url": None, "ApplicationSid": "AP123"}, 21218),
    ({"Url": None, "ApplicationSid": "PN" + "0" * 32}, 21218),
    ({"Url": None, "ApplicationSid": new_sid("AP")}, 21218),
    ({"Url": None, "ApplicationSid": FOREIGN_APP}, 21218),
    ({"Method": "PUT"}, 21209),
    ({"FallbackMethod": "DELETE"}, 21209),
    ({"StatusCallbackMethod": "PATCH"}, 21209),
    ({"Timeout": "0"}, 21208),
    ({"Timeout": "601"}, 21208),
    ({"Timeout": "-5"}, 21208),
    ({"Timeout": "ten"}, 21208),
    ({"Timeout": "²"}, 21208),
    ({"Timeout": "9" * 5000}, 21208),
    ({"TimeLimit": "0"}, 20001),
    ({"TimeLimit": "86401"}, 20001),
    ({"TimeLimit": "³"}, 20001),
    ({"StatusCallbackEvent": "queued"}, 21626),
    ({"StatusCallbackEvent": ["initiated", "rang"]}, 21626),
    ({"StatusCallbackEvent": "initiated bogus"}, 21626),
    ({"SendDigits": "12x"}, 21206),
    ({"SendDigits": "1" * 33}, 21206),
    ({"MachineDetection": "Always"}, 21234),
    ({"RecordingChannels": "stereo"}, 20001),
    ({"RecordingTrack": "sideways"}, 20001),
    ({"Trim": "trim-everything"}, 20001),
    ({"RecordingStatusCallbackEvent": "started"}, 20001),
    ({"RecordingStatusCallbackEvent": ["completed", "ringing"]}, 20001),
]


@pytest.mark.parametrize(("form", "code"), CREATE_ERRORS)
async def test_create_validation_codes(
    api: Api, acct: Account, form: dict[str, str | list[str] | None], code: int
) -> None:
    """Each fault answers 400 with Twilio's code and error shape, and nothing is stored."""
    sibling = await api.subaccount("neighbour")
    foreign = await api.buy_number(sibling)
    async with api.client(sibling) as http:
        response = await http.post(
            api.path("Applications.json", sibling[0]), data={"VoiceUrl": URL}
        )
        foreign_app = response.json()["sid"]
    names = {OWN: acct.number, FOREIGN: foreign, FOREIGN_APP: foreign_app}
    data = {"To": handset(), "From": OWN, "Url": URL, **form}
    sent = {k: names.get(v, v) if isinstance(v, str) else v for k, v in data.items()}
    response = await acct.http.post(
        acct.calls_path(), data={k: v for k, v in sent.items() if v is not None}
    )
    assert_twilio_error(response, 400, code)
    assert await acct.listed() == []


async def test_every_optional_parameter_in_range_is_accepted(app: FakeApp, acct: Account) -> None:
    """The counterpart of the codes above: each parameter at the edge of its range passes."""
    forms: list[dict[str, str | list[str]]] = [
        {"Method": "get", "FallbackUrl": route(app), "FallbackMethod": "GET"},
        {"StatusCallback": route(app), "StatusCallbackMethod": "get"},
        {"StatusCallbackEvent": ["initiated", "ringing answered", "completed"]},
        {"Timeout": "1"},
        {"Timeout": "600", "TimeLimit": "86400"},
        {"Timeout": "0060", "TimeLimit": "1"},
        {"SendDigits": "1234567890ABCD#*wW" + "1" * 14},
        {"MachineDetection": "DetectMessageEnd"},
        {"Twiml": "<Response>" + "x" * 3979 + "</Response>"},  # 4000 characters
        {"To": "client:alice"},
        {"To": "sip:alice@example.com"},
    ]
    placed = []
    for form in forms:
        data: dict[str, str | list[str]] = {"From": acct.number, "Url": route(app, HOLD), **form}
        if "Twiml" in form:
            del data["Url"]
        to = str(data.pop("To", handset()))
        placed.append((await acct.place(to, **data))["sid"])
    assert sorted(await acct.listed()) == sorted(placed)


async def test_create_answers_201_queued_with_the_call_resource(
    api: Api, app: FakeApp, acct: Account
) -> None:
    """Every field of the Call resource, exactly: the spec's fields, no more, no less."""
    callee = handset()
    now = format_datetime(await clock(api))
    response = await acct.http.post(
        acct.calls_path(), data={"To": callee, "From": acct.number, "Url": route(app, HOLD)}
    )
    assert response.status_code == 201, response.text
    call = response.json()
    sid = call["sid"]
    assert re.fullmatch(r"CA[0-9a-f]{32}", sid)
    base = f"/2010-04-01/Accounts/{acct.sid}/Calls/{sid}"

    def formatted(number: str) -> str:
        return f"({number[2:5]}) {number[5:8]}-{number[8:]}"

    assert call == {
        "account_sid": acct.sid,
        "answered_by": None,
        "api_version": "2010-04-01",
        "caller_name": None,
        "date_created": now,
        "date_updated": now,
        "direction": "outbound-api",
        "duration": None,
        "end_time": None,
        "forwarded_from": None,
        "from": acct.number,
        "from_formatted": formatted(acct.number),
        "group_sid": None,
        "parent_call_sid": None,
        "phone_number_sid": acct.number_sid,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": sid,
        "start_time": None,
        "status": "queued",
        "subresource_uris": {name: f"{base}/{path}.json" for name, path in SUBRESOURCES.items()},
        "to": callee,
        "to_formatted": formatted(callee),
        "trunk_sid": None,
        "uri": f"{base}.json",
    }
    assert set(call) == set(api.spec.components["schemas"][SCHEMA]["properties"])
    assert await acct.call(sid) == call


async def test_a_call_that_ran_reads_its_times_duration_and_price(
    api: Api, app: FakeApp, acct: Account
) -> None:
    """Fetched after it ended: started when dialed, answered after one ring, 61 s of talk
    billed as two started minutes."""
    started = await clock(api)
    call = await acct.place(
        handset(),
        From=acct.number,
        Twiml='<Response><Pause length="61"/></Response>',
    )
    await advance(api, 0)
    ringing = await acct.call(call["sid"])
    assert (ringing["status"], ringing["start_time"]) == ("ringing", format_datetime(started))
    await advance(api, 1)
    assert (await acct.call(call["sid"]))["status"] == "in-progress"
    await advance(api, 61)
    ended = await acct.call(call["sid"])
    assert ended["status"] == "completed"
    assert ended["duration"] == "61"
    assert ended["price"] == "-0.02800" and ended["price_unit"] == "USD"
    assert ended["end_time"] == format_datetime(await clock(api))
    assert ended["date_updated"] == ended["end_time"]


async def test_from_a_subaccounts_number_is_21210_for_its_parent(api: Api) -> None:
    """A number is one account's caller ID: the parent cannot call from its child's number
    (nor the child from its parent's)."""
    parent = await api.top_level_account()
    async with api.client(parent) as http:
        response = await http.post("/2010-04-01/Accounts.json", data={"FriendlyName": "child"})
        child = (response.json()["sid"], response.json()["auth_token"])
    childs, parents = await api.buy_number(child), await api.buy_number(parent)
    for caller, number in ((parent, childs), (child, parents)):
        async with api.client(caller) as http:
            response = await http.post(
                api.path("Calls.json", caller[0]),
                data={"To": handset(), "From": number, "Twiml": HOLD},
            )
            assert_twilio_error(response, 400, 21210)
            listed = await http.get(api.path("Calls.json", caller[0]))
            assert listed.json()["calls"] == []


async def test_an_application_sid_runs_the_applications_voice_url(
    api: Api, app: FakeApp, acct: Account
) -> None:
    """The application's VoiceUrl and VoiceMethod are fetched when the call is answered; the
    Url, Method and FallbackUrl given with it are ignored, as Twilio does."""
    voice = route(app, say("From the application"))
    ignored = route(app, say("From the Url"))
    response = await acct.http.post(
        acct.api.path("Applications.json", acct.sid),
        data={"VoiceUrl": voice, "VoiceMethod": "GET"},
    )
    assert response.status_code == 201, response.text
    application = response.json()["sid"]
    call = await acct.place(
        handset(),
        From=acct.number,
        ApplicationSid=application,
        Url=ignored,
        Method="POST",
        FallbackUrl=ignored,
    )
    assert call["status"] == "queued"
    await advance(api, 0)
    await advance(api, 1)
    fetched = hits(app, voice, call["sid"])
    assert [(h.method, h.params["CallStatus"]) for h in fetched] == [("GET", "in-progress")]
    assert fetched[0].params["From"] == acct.number
    assert hits(app, ignored, call["sid"]) == []
    await advance(api, 5)
    assert (await acct.call(call["sid"]))["status"] == "completed"
    said = [e["text"] for e in await acct.transcript(call["sid"]) if e["kind"] == "say"]
    assert said == ["From the application"]


async def alert_codes(acct: Account) -> list[int]:
    response = await acct.http.get(acct.api.path("Notifications.json", acct.sid))
    assert response.status_code == 200, response.text
    return [int(n["error_code"]) for n in response.json()["notifications"]]


async def test_twiml_that_does_not_parse_plays_the_application_error(
    api: Api, acct: Account
) -> None:
    """A Twiml parameter is accepted as given and compiled when the call is answered; one
    that does not parse is Twilio's application error there, with a 12100 alert."""
    call = await acct.place(handset(), From=acct.number, Twiml="this is not TwiML")
    await advance(api, 0)
    await advance(api, 5)
    assert (await acct.call(call["sid"]))["status"] == "completed"
    said = [e["text"] for e in await acct.transcript(call["sid"]) if e["kind"] == "say"]
    assert said == ["We are sorry, an application error has occurred. Goodbye."]
    assert 12100 in await alert_codes(acct)


async def test_a_pause_length_in_superscript_digits_is_a_warning(api: Api, acct: Account) -> None:
    """A superscript two is a digit to ``str.isdigit`` but no number: 13910, and the default
    length, as for any bad length."""
    call = await acct.place(
        handset(), From=acct.number, Twiml='<Response><Pause length="²"/></Response>'
    )
    await advance(api, 0)
    await advance(api, 5)
    assert (await acct.call(call["sid"]))["status"] == "completed"
    assert 13910 in await alert_codes(acct)


# -- fetch ----------------------------------------------------------------------------------------


async def test_fetch_a_missing_call_is_twilios_404(acct: Account) -> None:
    for sid in (new_sid("CA"), "CA123", "nonsense"):
        response = await acct.http.get(acct.calls_path(sid))
        assert_twilio_error(response, 404, 20404)
        assert response.json()["message"] == (
            f"The requested resource {acct.calls_path(sid)} was not found"
        )


async def test_a_listed_call_reads_as_its_fetch(api: Api, acct: Account) -> None:
    live = await acct.live_call()
    ended = await acct.ended_call()
    response = await acct.http.get(acct.calls_path())
    listed = {c["sid"]: c for c in response.json()["calls"]}
    assert set(listed) == {live["sid"], ended["sid"]}
    for sid, body in listed.items():
        assert body == await acct.call(sid)


# -- list -----------------------------------------------------------------------------------------


async def test_list_filters_by_to_from_status_and_parent(api: Api, acct: Account) -> None:
    """To, From, Status and ParentCallSid narrow the list; filters combine; a filter nothing
    matches is an empty page, and an unknown Status is refused."""
    second, _ = await acct.buy()
    busy, person, dialed = handset(), handset(), handset()
    await acct.behave(busy, "busy")
    refused = await acct.place(busy, From=acct.number, Twiml=HOLD)
    bridging = await acct.place(
        person, From=second, Twiml=f"<Response><Dial><Number>{dialed}</Number></Dial></Response>"
    )
    holding = await acct.place(person, From=acct.number, Twiml=HOLD)
    await advance(api, 0)
    await advance(api, 1)  # both answered; the Dial rings its leg
    await advance(api, 1)  # the leg answers
    await acct.update(bridging["sid"], Status="completed")  # and ends with its parent
    await advance(api, 0)
    waiting = await acct.place(busy, From=second, Twiml=HOLD)  # not dialed yet
    children = await acct.listed(ParentCallSid=bridging["sid"])
    assert len(children) == 1
    child = await acct.call(children[0])
    assert (child["direction"], child["to"], child["from"]) == ("outbound-dial", dialed, second)
    assert (child["status"], child["parent_call_sid"]) == ("completed", bridging["sid"])
    r, b, h, c, w = refused["sid"], bridging["sid"], holding["sid"], child["sid"], waiting["sid"]
    assert set(await acct.listed()) == {r, b, h, c, w}

    async def matching(**query: str) -> set[str]:
        return set(await acct.listed(**query))

    assert await matching(To=busy) == {r, w}
    assert await matching(To=person) == {b, h}
    assert await matching(To=dialed) == {c}
    assert await matching(From=acct.number) == {r, h}
    assert await matching(From=second) == {b, c, w}
    assert await matching(Status="busy") == {r}
    assert await matching(Status="queued") == {w}
    assert await matching(Status="in-progress") == {h}
    assert await matching(Status="completed") == {b, c}
    assert await matching(Status="canceled") == set()
    assert await matching(To=busy, Status="queued") == {w}
    assert await matching(From=second, Status="completed") == {b, c}
    assert await matching(From=second, ParentCallSid=b) == {c}
    assert await matching(ParentCallSid=h) == set()
    assert await matching(To=handset()) == set()
    response = await acct.http.get(acct.calls_path(), params={"Status": "answered"})
    assert_twilio_error(response, 400, 20422)


async def test_a_bridged_dial_leg_reads_in_progress(api: Api, acct: Account) -> None:
    dialed = handset()
    parent = await acct.place(
        handset(),
        From=acct.number,
        Twiml=f"<Response><Dial><Number>{dialed}</Number></Dial></Response>",
    )
    await advance(api, 0)
    await advance(api, 1)  # the parent answers and dials
    (leg,) = await acct.listed(ParentCallSid=parent["sid"])
    assert (await acct.call(leg))["status"] == "ringing"
    await advance(api, 1)  # the leg answers: bridged
    heard = [e["kind"] for e in await acct.transcript(parent["sid"])]
    assert heard == ["dial", "dial-answered"]
    bridged = await acct.call(leg)
    assert (bridged["status"], bridged["end_time"]) == ("in-progress", None)
    assert await acct.listed(Status="in-progress") == [leg, parent["sid"]]  # newest first


async def test_a_dialed_leg_is_changed_through_its_parent(api: Api, acct: Account) -> None:
    """A <Dial>'s leg runs on its parent's steps: updates and live input sent to the leg are
    refused with 21220 (not a server error), and the parent still hangs both up."""
    dialed = handset()
    parent = await acct.place(
        handset(),
        From=acct.number,
        Twiml=f"<Response><Dial><Number>{dialed}</Number></Dial></Response>",
    )
    await advance(api, 0)
    await advance(api, 1)
    (leg,) = await acct.listed(ParentCallSid=parent["sid"])
    for form in ({"Status": "canceled"}, {"Status": "completed"}, {"Twiml": say("x")}):
        assert_twilio_error(await acct.update(leg, **form), 400, 21220)
    for what, data in (("Hangup", None), ("Digits", {"Digits": "1"}), ("Speech", {"Text": "x"})):
        response = await acct.http.post(f"{V1}/Calls/{leg}/{what}", data=data)
        assert_twilio_error(response, 400, 21220)
    await advance(api, 1)
    await acct.update(parent["sid"], Status="completed")
    await advance(api, 0)
    assert (await acct.call(parent["sid"]))["status"] == "completed"
    assert (await acct.call(leg))["status"] == "completed"


async def test_list_filters_by_start_and_end_day(api: Api, acct: Account) -> None:
    """StartTime and EndTime pick UTC days (``<`` on or before, ``>`` on or after): a call
    that started before midnight and ended after it is on one day for each filter. A call
    not dialed yet has no start time and no StartTime filter finds it."""
    now = await clock(api)
    midnight = datetime(now.year, now.month, now.day, tzinfo=now.tzinfo).timestamp() + 86400
    to_midnight = int(midnight - now.timestamp())
    busy = handset()
    await acct.behave(busy, "busy")
    early = await acct.place(busy, From=acct.number, Twiml=HOLD)
    spanning = await acct.place(
        handset(),
        From=acct.number,
        Twiml=f'<Response><Pause length="{to_midnight + 60}"/></Response>',
        TimeLimit="86400",
    )
    await advance(api, 0)
    await advance(api, to_midnight + 120)
    late = await acct.place(busy, From=acct.number, Twiml=HOLD)
    await advance(api, 0)
    waiting = await acct.place(busy, From=acct.number, Twiml=HOLD)
    assert (await acct.call(spanning["sid"]))["status"] == "completed"
    day1 = now.date().isoformat()
    day2 = (await clock(api)).date().isoformat()
    assert day1 != day2

    async def matching(**query: str) -> set[str]:
        return set(await acct.listed(**query))

    e, s, la = early["sid"], spanning["sid"], late["sid"]
    assert await matching(StartTime=day1) == {e, s}
    assert await matching(StartTime=day2) == {la}
    assert await matching(**{"StartTime>": day2}) == {la}
    assert await matching(**{"StartTime<": day1}) == {e, s}
    assert await matching(**{"StartTime>": day1}) == {e, s, la}
    assert await matching(EndTime=day1) == {e}
    assert await matching(EndTime=day2) == {s, la}
    assert await matching(**{"EndTime<": day1}) == {e}
    assert await matching(StartTime=day1, EndTime=day2) == {s}
    assert waiting["sid"] in await matching()
    response = await acct.http.get(acct.calls_path(), params={"StartTime": "yesterday"})
    assert_twilio_error(response, 400, 20422)


async def test_paging_walks_every_call_once_newest_first(api: Api, acct: Account) -> None:
    """Five calls two at a time: three pages, relative URIs carrying the filter and the page
    size, nothing skipped or repeated, and the walk in (date_created, sid) order, newest first."""
    callee = handset()
    sids = []
    for n in range(5):
        sids.append((await acct.place(callee, From=acct.number, Twiml=HOLD))["sid"])
        if n == 2:
            await advance(api, 1)  # two instants, so the order is by time and then by SID
    other = await acct.place(handset(), From=acct.number, Twiml=HOLD)
    path = acct.calls_path()
    pages = []
    response = await acct.http.get(path, params={"To": callee, "PageSize": "2"})
    while True:
        assert response.status_code == 200, response.text
        pages.append(response.json())
        next_uri = pages[-1]["next_page_uri"]
        if next_uri is None:
            break
        assert next_uri.startswith(path + "?")
        response = await acct.http.get(next_uri)
    assert [p["page"] for p in pages] == [0, 1, 2]
    assert [(p["start"], p["end"]) for p in pages] == [(0, 1), (2, 3), (4, 4)]
    walked = [c["sid"] for p in pages for c in p["calls"]]
    assert walked == sorted(sids[3:], reverse=True) + sorted(sids[:3], reverse=True)
    assert other["sid"] not in walked
    for p in pages:
        for key in ("uri", "first_page_uri", "next_page_uri", "previous_page_uri"):
            if p[key] is None:
                continue
            parts = urlsplit(p[key])
            assert parts.path == path and not parts.netloc
            query = parse_qs(parts.query)
            assert query["To"] == [callee] and query["PageSize"] == ["2"], p[key]
    assert pages[0]["previous_page_uri"] is None
    assert_twilio_error(await acct.http.get(path, params={"PageSize": "1001"}), 400, 20007)


# -- update ---------------------------------------------------------------------------------------


async def test_cancel_a_queued_call(api: Api, app: FakeApp, acct: Account) -> None:
    """Canceled before it left the queue: it never rings, reports canceled to its status
    callback once, and stays canceled when its first step comes due."""
    status = route(app)
    call = await acct.place(handset(), From=acct.number, Twiml=HOLD, StatusCallback=status)
    response = await acct.update(call["sid"], Status="canceled")
    assert response.status_code == 200, response.text
    canceled = response.json()
    assert (canceled["status"], canceled["duration"]) == ("canceled", "0")
    assert canceled["end_time"] is not None
    await advance(api, 0)
    await advance(api, 30)
    assert await acct.call(call["sid"]) == canceled
    reported = hits(app, status, call["sid"])
    assert [(h.params["CallStatus"], h.params["SequenceNumber"]) for h in reported] == [
        ("canceled", "0")
    ]
    assert await acct.transcript(call["sid"]) == []


async def test_cancel_a_ringing_call(api: Api, app: FakeApp, acct: Account) -> None:
    """Status=canceled while it rings: canceled at once, the completed event reported, the
    document never fetched, the answer never coming."""
    status, voice = route(app), route(app, HOLD)
    callee = handset()
    await acct.behave(callee, "answer", AnswerAfter="20")
    call = await acct.place(callee, From=acct.number, Url=voice, StatusCallback=status)
    await advance(api, 0)
    await advance(api, 3)
    assert (await acct.call(call["sid"]))["status"] == "ringing"
    response = await acct.update(call["sid"], Status="canceled")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "canceled"
    await advance(api, 0)
    await advance(api, 30)
    assert (await acct.call(call["sid"]))["status"] == "canceled"
    assert hits(app, voice, call["sid"]) == []
    reported = hits(app, status, call["sid"])
    assert [h.params["CallStatus"] for h in reported] == ["canceled"]
    assert reported[0].params["CallDuration"] == "0"


async def test_completed_ends_a_call_not_answered_yet_as_canceled(api: Api, acct: Account) -> None:
    callee = handset()
    await acct.behave(callee, "no-answer")
    call = await acct.place(callee, From=acct.number, Twiml=HOLD)
    await advance(api, 0)
    response = await acct.update(call["sid"], Status="completed")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "canceled"


async def test_a_status_callback_given_with_the_cancel_reports_it(
    api: Api, app: FakeApp, acct: Account
) -> None:
    """StatusCallback in the same update as Status=canceled: the cancel is reported there."""
    status = route(app)
    call = await acct.place(handset(), From=acct.number, Twiml=HOLD)
    response = await acct.update(
        call["sid"], Status="canceled", StatusCallback=status, StatusCallbackMethod="GET"
    )
    assert response.status_code == 200, response.text
    await advance(api, 0)
    reported = hits(app, status, call["sid"])
    assert [(h.method, h.params["CallStatus"]) for h in reported] == [("GET", "canceled")]


async def test_canceled_leaves_an_answered_call_alone(api: Api, acct: Account) -> None:
    """Status=canceled affects only queued or ringing calls, as on Twilio."""
    call = await acct.live_call()
    response = await acct.update(call["sid"], Status="canceled")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "in-progress"
    await advance(api, 5)
    assert (await acct.call(call["sid"]))["status"] == "in-progress"


async def test_completed_hangs_up_an_answered_call(api: Api, app: FakeApp, acct: Account) -> None:
    status = route(app)
    call = await acct.live_call(StatusCallback=status)
    await advance(api, 4)
    response = await acct.update(call["sid"], Status="completed")
    assert response.status_code == 200, response.text
    await advance(api, 0)
    ended = await acct.call(call["sid"])
    assert (ended["status"], ended["duration"]) == ("completed", "4")
    events = await acct.transcript(call["sid"])
    assert events[-1] == {"at": 4.0, "kind": "hangup", "by": "api"}
    reported = hits(app, status, call["sid"])
    assert [(h.params["CallStatus"], h.params["CallDuration"]) for h in reported] == [
        ("completed", "4")
    ]


async def test_redirect_a_live_call_to_a_url(api: Api, app: FakeApp, acct: Account) -> None:
    moved = route(app, say("You were moved"))
    call = await acct.live_call()
    await advance(api, 2)
    response = await acct.update(call["sid"], Url=moved, Method="GET")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "in-progress"
    await advance(api, 0)
    fetched = hits(app, moved, call["sid"])
    assert [(h.method, h.params["CallStatus"]) for h in fetched] == [("GET", "in-progress")]
    await advance(api, 10)
    assert (await acct.call(call["sid"]))["status"] == "completed"
    events = await acct.transcript(call["sid"])
    assert [e["kind"] for e in events] == ["pause", "redirect", "say", "hangup"]
    assert events[1] == {"at": 2.0, "kind": "redirect", "url": moved}
    assert events[2]["text"] == "You were moved"


async def test_redirect_a_live_call_to_twiml(api: Api, acct: Account) -> None:
    call = await acct.live_call()
    await advance(api, 3)
    response = await acct.update(call["sid"], Twiml=say("New instructions"))
    assert response.status_code == 200, response.text
    await advance(api, 0)
    await advance(api, 10)
    assert (await acct.call(call["sid"]))["status"] == "completed"
    events = await acct.transcript(call["sid"])
    assert [e["kind"] for e in events] == ["pause", "redirect", "say", "hangup"]
    assert events[1]["at"] == 3.0 and events[2]["text"] == "New instructions"


async def test_a_redirect_before_the_answer_is_what_runs_on_it(
    api: Api, app: FakeApp, acct: Account
) -> None:
    first = route(app, say("The first document"))
    callee = handset()
    await acct.behave(callee, "answer", AnswerAfter="5")
    call = await acct.place(callee, From=acct.number, Url=first)
    await advance(api, 0)
    response = await acct.update(call["sid"], Twiml=say("The second document"))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ringing"
    await advance(api, 5)
    await advance(api, 10)
    assert hits(app, first, call["sid"]) == []
    said = [e["text"] for e in await acct.transcript(call["sid"]) if e["kind"] == "say"]
    assert said == ["The second document"]


async def test_a_redirect_while_the_answer_is_being_worked_wins(
    api: Api, app: FakeApp, acct: Account
) -> None:
    """The step answering the call has fetched the old TwiML when the redirect commits: that
    step is discarded when recorded and the call answers again with the new TwiML, rather
    than the redirect being lost (the step saved over it with the document it had read)."""
    first = route(app, say("The first document"))
    call = await acct.place(handset(), From=acct.number, Url=first)
    await advance(api, 0)  # ringing; the handset answers after one ring
    ctx: Context = api.transport.app.state.ctx  # type: ignore[attr-defined]
    worker = ctx.worker
    assert isinstance(ctx.clock, FakeClock)
    ctx.clock.advance(1)  # the answer is due, and nothing has run it yet
    groups = await ctx.db.run(worker._lease, queue.WEBHOOK_LANE, ctx.now_micros(), 256, {})
    outcomes = await worker._work_groups(queue.WEBHOOK_LANE, groups)
    assert hits(app, first, call["sid"]), "the step at work fetched the first document"
    response = await acct.update(call["sid"], Twiml=say("The second document"))
    assert response.status_code == 200, response.text
    await ctx.db.run(worker._record, outcomes, ctx.now_micros())
    await advance(api, 0)
    await advance(api, 10)
    said = [e["text"] for e in await acct.transcript(call["sid"]) if e["kind"] == "say"]
    assert said == ["The second document"]
    assert (await acct.call(call["sid"]))["status"] == "completed"


async def test_a_time_limit_set_on_a_live_call_ends_it(api: Api, acct: Account) -> None:
    """TimeLimit counts from the answer; one the call has already passed ends it now."""
    call = await acct.live_call()
    other = await acct.live_call()
    await advance(api, 10)  # the first call has run 11 s, the other 10 s
    response = await acct.update(call["sid"], TimeLimit="30")
    assert response.status_code == 200, response.text
    response = await acct.update(other["sid"], TimeLimit="5")
    assert response.status_code == 200, response.text
    await advance(api, 0)
    assert (await acct.call(other["sid"]))["duration"] == "10"
    await advance(api, 18)
    assert (await acct.call(call["sid"]))["status"] == "in-progress"
    await advance(api, 1)
    ended = await acct.call(call["sid"])
    assert (ended["status"], ended["duration"]) == ("completed", "30")
    for sid in (call["sid"], other["sid"]):
        last = (await acct.transcript(sid))[-1]
        assert (last["kind"], last["by"]) == ("hangup", "time-limit")


async def test_a_new_status_callback_gets_the_later_events(
    api: Api, app: FakeApp, acct: Account
) -> None:
    before, after = route(app), route(app)
    call = await acct.live_call(StatusCallback=before)
    response = await acct.update(call["sid"], StatusCallback=after, StatusCallbackMethod="GET")
    assert response.status_code == 200, response.text
    await acct.update(call["sid"], Status="completed")
    await advance(api, 0)
    assert hits(app, before, call["sid"]) == []
    reported = hits(app, after, call["sid"])
    assert [(h.method, h.params["CallStatus"]) for h in reported] == [("GET", "completed")]


UPDATES_OF_AN_ENDED_CALL = [
    {"Status": "canceled"},
    {"Status": "completed"},
    {"Url": "https://example.com/next"},
    {"Twiml": say("Too late")},
    {"StatusCallback": "https://example.com/status"},
    {"StatusCallbackMethod": "GET"},
    {"FallbackUrl": "https://example.com/fallback"},
    {"TimeLimit": "60"},
    {},
]


@pytest.mark.parametrize("form", UPDATES_OF_AN_ENDED_CALL, ids=lambda f: ",".join(f) or "empty")
async def test_any_update_of_an_ended_call_is_21220(acct: Account, form: dict[str, str]) -> None:
    for call in (await acct.ended_call(), await acct.live_call()):
        if call["status"] != "busy":
            await acct.update(call["sid"], Status="completed")
            await advance(acct.api, 0)
        before = await acct.call(call["sid"])
        assert before["status"] in ("busy", "completed")
        response = await acct.update(call["sid"], **form)
        assert_twilio_error(response, 400, 21220)
        assert await acct.call(call["sid"]) == before


UPDATE_ERRORS = [
    ({"Url": "https://example.com/next", "Twiml": say("both")}, 20422),
    ({"Url": "not a url"}, 21205),
    ({"Twiml": "<Response>" + "x" * 4000 + "</Response>"}, 21205),
    ({"Url": "https://example.com/next", "Method": "PUT"}, 21209),
    ({"StatusCallback": "example.com/status"}, 21205),
    ({"StatusCallbackMethod": "DELETE"}, 21209),
    ({"FallbackUrl": "ftp://example.com/"}, 21205),
    ({"FallbackMethod": "PATCH"}, 21209),
    ({"TimeLimit": "0"}, 20001),
    ({"TimeLimit": "soon"}, 20001),
    ({"TimeLimit": "⁵"}, 20001),
    ({"Status": "ringing"}, 21220),
    ({"Status": "busy"}, 21220),
]


@pytest.mark.parametrize(("form", "code"), UPDATE_ERRORS)
async def test_update_validation_codes(
    api: Api, acct: Account, form: dict[str, str], code: int
) -> None:
    """A refused update changes nothing: the call runs on as before."""
    call = await acct.live_call()
    before = await acct.call(call["sid"])
    response = await acct.update(call["sid"], **form)
    assert_twilio_error(response, 400, code)
    assert await acct.call(call["sid"]) == before
    await advance(api, 5)
    assert (await acct.call(call["sid"]))["status"] == "in-progress"
    assert [e["kind"] for e in await acct.transcript(call["sid"])] == ["pause"]


async def test_update_of_a_missing_call_is_404(acct: Account) -> None:
    response = await acct.update(new_sid("CA"), Status="canceled")
    assert_twilio_error(response, 404, 20404)


async def test_a_cancel_that_raced_a_step_decides_on_what_the_step_wrote(
    api: Api, acct: Account
) -> None:
    """The update read the call queued, but its first step committed before the cancel's
    guarded write (two transactions on PostgreSQL): the cancel reads the call again and
    cancels it ringing, rather than answering 200 with nothing done."""
    callee = handset()
    await acct.behave(callee, "no-answer")
    call = await acct.place(callee, From=acct.number, Twiml=HOLD)
    ctx: Context = api.transport.app.state.ctx  # type: ignore[attr-defined]
    stale = await ctx.db.read(calls_repo.get_call, acct.sid, call["sid"])
    await advance(api, 0)  # the step: queued -> ringing, a new version
    assert (await acct.call(call["sid"]))["status"] == "ringing"
    change = validate_update(UpdateCall(status="canceled"))
    await ctx.db.run(dispatch.change_call, stale, change, ctx.now_micros())
    assert (await acct.call(call["sid"]))["status"] == "canceled"


async def test_a_handset_hanging_up_before_the_answer_cancels_the_call(
    api: Api, app: FakeApp, acct: Account
) -> None:
    """Hangup from the control API while the call rings: canceled at once (reported to the
    status callback), not an input left waiting for an answer that never reads it."""
    status = route(app)
    callee = handset()
    await acct.behave(callee, "answer", AnswerAfter="30")
    call = await acct.place(callee, From=acct.number, Twiml=HOLD, StatusCallback=status)
    with anyio.fail_after(10):
        await advance(api, 0)
        await advance(api, 2)
        response = await acct.http.post(f"{V1}/Calls/{call['sid']}/Hangup")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "canceled"
        await advance(api, 0)
        await advance(api, 60)
    ended = await acct.call(call["sid"])
    assert (ended["status"], ended["duration"]) == ("canceled", "0")
    assert [h.params["CallStatus"] for h in hits(app, status, call["sid"])] == ["canceled"]
    assert await acct.transcript(call["sid"]) == []


# -- delete ---------------------------------------------------------------------------------------


async def test_a_live_call_cannot_be_deleted(api: Api, acct: Account) -> None:
    callee = handset()
    await acct.behave(callee, "no-answer")
    ringing = await acct.place(callee, From=acct.number, Twiml=HOLD)
    live = await acct.live_call()
    queued = await acct.place(handset(), From=acct.number, Twiml=HOLD)
    for call, status in ((queued, "queued"), (ringing, "ringing"), (live, "in-progress")):
        before = await acct.call(call["sid"])
        assert before["status"] == status
        response = await acct.http.delete(acct.calls_path(call["sid"]))
        assert_twilio_error(response, 409, 20009)
        assert await acct.call(call["sid"]) == before


async def test_an_ended_call_is_deleted_with_its_transcript(api: Api, acct: Account) -> None:
    call = await acct.live_call()
    await acct.update(call["sid"], Status="completed")
    await advance(api, 0)
    kept = await acct.ended_call()
    assert await acct.transcript(call["sid"])
    response = await acct.http.delete(acct.calls_path(call["sid"]))
    assert response.status_code == 204 and response.content == b""
    assert_twilio_error(await acct.http.get(acct.calls_path(call["sid"])), 404, 20404)
    assert_twilio_error(await acct.http.delete(acct.calls_path(call["sid"])), 404, 20404)
    assert_twilio_error(await acct.update(call["sid"], Status="completed"), 404, 20404)
    transcript = await acct.http.get(f"{V1}/Calls/{call['sid']}/Transcript")
    assert_twilio_error(transcript, 404, 20404)
    assert await acct.listed() == [kept["sid"]]


# -- another account's calls ----------------------------------------------------------------------


def anonymised(response: httpx.Response, sid: str) -> tuple[int, str]:
    """The status and body with the SID named instead."""
    return response.status_code, response.text.replace(sid, "{sid}")


OTHERS = ["sibling", "child to parent"]


@pytest.mark.parametrize("relation", OTHERS)
async def test_another_accounts_call_answers_as_a_missing_one(api: Api, relation: str) -> None:
    """Fetch, update, delete and the control API, named by the owner's real call and by a SID
    nobody has, through the caller's own account path and through the owner's: the same
    answers (404 on the caller's own path), and the owner's calls untouched."""
    if relation == "sibling":
        owner_auth, caller_auth = await api.subaccount("owner"), await api.subaccount("caller")
    else:
        owner_auth = await api.top_level_account()
        async with api.client(owner_auth) as http:
            response = await http.post("/2010-04-01/Accounts.json", data={"FriendlyName": "kid"})
        caller_auth = (response.json()["sid"], response.json()["auth_token"])
    async for owner in open_account(api, owner_auth):
        live, ended = await owner.live_call(), await owner.ended_call()
        live_before, ended_before = await owner.call(live["sid"]), await owner.call(ended["sid"])
        heard_before = await owner.transcript(live["sid"])
        async for caller in open_account(api, caller_auth):
            own_path = "/2010-04-01/Accounts/{account}/Calls/{sid}.json"
            requests: list[tuple[str, str, dict[str, str] | None]] = [
                ("GET", own_path, None),
                ("POST", own_path, {"Status": "completed"}),
                ("POST", own_path, {"Status": "canceled"}),
                ("POST", own_path, {"Twiml": say("taken over")}),
                ("POST", own_path, {"StatusCallback": "https://example.com/taken"}),
                ("POST", own_path, {}),
                ("DELETE", own_path, None),
                ("POST", V1 + "/Calls/{sid}/Digits", {"Digits": "1"}),
                ("POST", V1 + "/Calls/{sid}/Speech", {"Text": "taken over"}),
                ("POST", V1 + "/Calls/{sid}/Hangup", None),
                ("GET", V1 + "/Calls/{sid}/Transcript", None),
            ]
            for method, template, data in requests:
                for account in (caller.sid, owner.sid):
                    if "{account}" not in template and account == owner.sid:
                        continue
                    for theirs in (live["sid"], ended["sid"]):
                        ghost = new_sid("CA")
                        answers = []
                        for sid in (theirs, ghost):
                            path = template.format(account=account, sid=sid)
                            response = await caller.http.request(method, path, data=data)
                            answers.append(anonymised(response, sid))
                        assert answers[0] == answers[1], (method, template, account, data)
                        if account == caller.sid:
                            assert answers[0][0] == 404, answers[0]
        assert await owner.call(live["sid"]) == live_before
        assert await owner.call(ended["sid"]) == ended_before
        assert await owner.transcript(live["sid"]) == heard_before
        await advance(api, 5)
        assert (await owner.call(live["sid"]))["status"] == "in-progress"
