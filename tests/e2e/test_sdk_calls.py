"""The Calls resource through the official Python SDK: create, fetch, list (``list()``,
``stream()``, ``page()`` across pages, and the filters), update (cancel, hang up, redirect with
a ``VoiceResponse``) and delete, on a server whose clock the test moves.

The app the calls fetch from checks every request's signature with the SDK's validator, so
calls whose requests are asserted on are placed by the account the app knows (the server's
default one, from numbers and to handsets of the test's own); listings are read in a
subaccount of the test's own, where no other test's calls can appear.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from tests.conftest import make_http, sdk_client
from tests.contract.oracle import Spec
from tests.e2e.conftest import Sim

_handsets = itertools.count(1)


def handset() -> str:
    """A handset number no other test uses."""
    return f"+1628300{next(_handsets):04d}"


def hold(seconds: int = 600) -> str:
    response = VoiceResponse()
    response.pause(length=seconds)
    return str(response)


@dataclass
class Tenant:
    """A subaccount of the test's own: its SDK client, control API client and a number."""

    client: Client
    http: httpx.Client
    number: str

    def behave(self, number: str, behavior: str = "answer", **extra: str) -> None:
        response = self.http.post(
            f"/telephonist/v1/Handsets/{number}/CallBehavior",
            data={"Behavior": behavior, **extra},
        )
        assert response.status_code == 200, response.text

    def transcript(self, sid: str) -> list[dict[str, Any]]:
        response = self.http.get(f"/telephonist/v1/Calls/{sid}/Transcript")
        assert response.status_code == 200, response.text
        return list(response.json()["events"])


@pytest.fixture
def tenant(sim: Sim, spec: Spec) -> Iterator[Tenant]:
    sub = sim.client.api.v2010.accounts.create(friendly_name="calls")
    client = sdk_client(sim.server, spec, sub.sid, sub.auth_token)
    number = str(client.incoming_phone_numbers.create(area_code="415").phone_number)
    with make_http(sim.server, spec, (sub.sid, sub.auth_token)) as http:
        yield Tenant(client, http, number)


def now(sim: Sim) -> datetime:
    text = sim.http.get("/telephonist/v1/Clock").json()["now"]
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_create_and_fetch(sim: Sim) -> None:
    """The created call reads as Twilio's: queued, outbound-api, from the number (and its SID),
    dates parsed by the SDK; fetched again it is the same call, and once answered its app
    gets a signed request."""
    number = sim.client.incoming_phone_numbers.create(area_code="415")
    callee = handset()
    sim.app.on("/sdk/create/voice", lambda hit: hold())
    created = sim.client.calls.create(
        to=callee, from_=number.phone_number, url=sim.app.url("/sdk/create/voice")
    )
    assert created.sid.startswith("CA") and len(created.sid) == 34
    assert created.status == "queued" and created.direction == "outbound-api"
    assert (created.to, created._from) == (callee, number.phone_number)
    assert created.to_formatted == f"({callee[2:5]}) {callee[5:8]}-{callee[8:]}"
    assert created.phone_number_sid == number.sid
    assert created.account_sid == sim.server.account_sid
    assert created.date_created == now(sim) and created.date_created.tzinfo is not None
    assert created.start_time is None and created.end_time is None
    assert created.duration is None and created.price is None and created.queue_time == "0"
    assert created.uri == f"/2010-04-01/Accounts/{sim.server.account_sid}/Calls/{created.sid}.json"
    assert created.subresource_uris["recordings"].endswith(f"/Calls/{created.sid}/Recordings.json")
    fetched = sim.client.calls(created.sid).fetch()
    assert fetched.sid == created.sid and fetched.status == "queued"
    assert fetched.date_created == created.date_created
    sim.advance(0)
    sim.advance(1)
    answered = sim.client.calls(created.sid).fetch()
    assert answered.status == "in-progress"
    assert answered.start_time == created.date_created
    hits = [h for h in sim.app.at("/sdk/create/voice") if h.params["CallSid"] == created.sid]
    assert len(hits) == 1 and hits[0].signature_valid
    assert sim.client.calls(created.sid).update(status="completed").sid == created.sid
    sim.advance(0)
    ended = sim.client.calls(created.sid).fetch()
    assert (ended.status, ended.duration) == ("completed", "0")


def test_list_stream_and_page(sim: Sim, tenant: Tenant) -> None:
    """list() walks every page, newest first; stream() stops at its limit; page() hands out
    pages of the size asked for until next_page() is None."""
    sids = []
    for n in range(7):
        call = tenant.client.calls.create(to=handset(), from_=tenant.number, twiml=hold())
        sids.append(call.sid)
        if n % 3 == 2:
            sim.advance(1)
    listed = tenant.client.calls.list(page_size=3)
    assert sorted(c.sid for c in listed) == sorted(sids)
    keys = [(c.date_created, c.sid) for c in listed]
    assert keys == sorted(keys, reverse=True)
    assert [c.sid for c in tenant.client.calls.stream(page_size=2, limit=5)] == [
        c.sid for c in listed[:5]
    ]
    assert [c.sid for c in tenant.client.calls.list(limit=4)] == [c.sid for c in listed[:4]]
    page = tenant.client.calls.page(page_size=3)
    walked, sizes = [], []
    while page is not None:
        records = list(page)
        sizes.append(len(records))
        walked += [c.sid for c in records]
        page = page.next_page()
    assert sizes == [3, 3, 1]
    assert walked == [c.sid for c in listed]


def test_list_filters(sim: Sim, tenant: Tenant) -> None:
    """to, from_, status, parent_call_sid and the start/end time filters (sent as datetimes
    by the SDK, read as their UTC day)."""
    second = str(tenant.client.incoming_phone_numbers.create(area_code="415").phone_number)
    busy, person = handset(), handset()
    tenant.behave(busy, "busy")
    start = now(sim)
    to_midnight = (start.replace(hour=0, minute=0, second=0) + timedelta(days=1)) - start
    if to_midnight < timedelta(minutes=5):  # every call here starts and ends on one day
        sim.advance(to_midnight.total_seconds() + 1)
    today = now(sim)
    refused = tenant.client.calls.create(to=busy, from_=tenant.number, twiml=hold())
    answered = tenant.client.calls.create(to=person, from_=second, twiml=hold(10))
    sim.advance(0)
    sim.advance(20)
    sim.advance(86400)
    tomorrow = now(sim)
    late = tenant.client.calls.create(to=busy, from_=second, twiml=hold())
    sim.advance(0)

    def matching(**filters: Any) -> set[str]:
        return {c.sid for c in tenant.client.calls.list(**filters)}

    assert matching(to=busy) == {refused.sid, late.sid}
    assert matching(from_=second) == {answered.sid, late.sid}
    assert matching(to=busy, from_=second) == {late.sid}
    assert matching(status="busy") == {refused.sid, late.sid}
    assert matching(status="completed") == {answered.sid}  # its document ran out
    assert matching(status="in-progress") == set()
    assert matching(parent_call_sid=answered.sid) == set()
    assert matching(start_time=today) == {refused.sid, answered.sid}
    assert matching(start_time=tomorrow) == {late.sid}
    assert matching(start_time_after=tomorrow) == {late.sid}
    assert matching(start_time_before=today) == {refused.sid, answered.sid}
    assert matching(end_time=today) == {refused.sid, answered.sid}
    assert matching(end_time=tomorrow - timedelta(days=2)) == set()
    assert matching(to=handset()) == set()


def test_cancel_a_ringing_call(sim: Sim, tenant: Tenant) -> None:
    callee = handset()
    tenant.behave(callee, "no-answer")
    call = tenant.client.calls.create(to=callee, from_=tenant.number, twiml=hold())
    sim.advance(0)
    assert tenant.client.calls(call.sid).fetch().status == "ringing"
    canceled = tenant.client.calls(call.sid).update(status="canceled")
    assert canceled.status == "canceled" and canceled.end_time is not None
    sim.advance(120)
    assert tenant.client.calls(call.sid).fetch().status == "canceled"


def test_redirect_with_a_voice_response(sim: Sim, tenant: Tenant) -> None:
    """update(twiml=VoiceResponse(...)): the new TwiML runs on the live call from now on."""
    call = tenant.client.calls.create(to=handset(), from_=tenant.number, twiml=hold())
    sim.advance(0)
    sim.advance(1)
    sim.advance(2)
    moved = VoiceResponse()
    moved.say("You were moved")
    moved.hangup()
    updated = tenant.client.calls(call.sid).update(twiml=moved)
    assert updated.status == "in-progress"
    sim.advance(0)
    sim.advance(10)
    ended = tenant.client.calls(call.sid).fetch()
    assert ended.status == "completed"
    events = tenant.transcript(call.sid)
    assert [e["kind"] for e in events] == ["pause", "redirect", "say", "hangup"]
    assert events[1]["at"] == 2.0 and events[2]["text"] == "You were moved"


def test_redirect_with_a_url_and_method(sim: Sim) -> None:
    number = sim.number()
    sim.app.on("/sdk/redirect/next", lambda hit: "<Response><Say>Next</Say></Response>")
    call = sim.client.calls.create(to=handset(), from_=number, twiml=hold())
    sim.advance(0)
    sim.advance(1)
    sim.client.calls(call.sid).update(url=sim.app.url("/sdk/redirect/next"), method="GET")
    sim.advance(0)
    hits = [h for h in sim.app.at("/sdk/redirect/next") if h.params["CallSid"] == call.sid]
    assert [(h.method, h.signature_valid) for h in hits] == [("GET", True)]


def test_delete(sim: Sim, tenant: Tenant) -> None:
    """A live call cannot be deleted (20009, 409); an ended one can, and is then gone."""
    call = tenant.client.calls.create(to=handset(), from_=tenant.number, twiml=hold())
    with pytest.raises(TwilioRestException) as live:
        tenant.client.calls(call.sid).delete()
    assert (live.value.status, live.value.code) == (409, 20009)
    tenant.client.calls(call.sid).update(status="canceled")
    assert tenant.client.calls(call.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        tenant.client.calls(call.sid).fetch()
    assert (gone.value.status, gone.value.code) == (404, 20404)
    assert tenant.client.calls.list() == []


def test_errors_arrive_as_rest_exceptions(sim: Sim, tenant: Tenant) -> None:
    with pytest.raises(TwilioRestException) as no_url:
        tenant.client.calls.create(to=handset(), from_=tenant.number)
    assert (no_url.value.status, no_url.value.code) == (400, 21205)
    with pytest.raises(TwilioRestException) as not_ours:
        tenant.client.calls.create(to=handset(), from_="+14155550199", twiml=hold())
    assert not_ours.value.code == 21210
    call = tenant.client.calls.create(to=handset(), from_=tenant.number, twiml=hold())
    tenant.client.calls(call.sid).update(status="canceled")
    with pytest.raises(TwilioRestException) as ended:
        tenant.client.calls(call.sid).update(twiml=hold())
    assert (ended.value.status, ended.value.code) == (400, 21220)
    assert ended.value.msg
