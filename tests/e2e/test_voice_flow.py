"""Calls that run: an IVR built with the SDK's VoiceResponse, driven by simulated handsets.

Every request the app receives is checked with the official SDK's RequestValidator; the test
asserts on what the app received and on the call's transcript (what the caller heard and did).
"""

from __future__ import annotations

import itertools
from typing import Any

from twilio.twiml.voice_response import Gather, VoiceResponse

from tests.e2e.app import Hit
from tests.e2e.conftest import Sim

_handsets = itertools.count(1)


def handset() -> str:
    """A handset number no other test of this module uses."""
    return f"+1415555{next(_handsets):04d}"


def behave(sim: Sim, number: str, behavior: str = "answer", **extra: str) -> None:
    response = sim.http.post(
        f"/telephonist/v1/Handsets/{number}/CallBehavior", data={"Behavior": behavior, **extra}
    )
    assert response.status_code == 200, response.text


def transcript(sim: Sim, sid: str) -> list[dict[str, Any]]:
    response = sim.http.get(f"/telephonist/v1/Calls/{sid}/Transcript")
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["kind"] for e in events]


def menu(action: str) -> str:
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=action, timeout=5)
    gather.say("Press 1 for sales, 2 for support.")
    response.append(gather)
    response.say("We did not get that.")
    return str(response)


def test_outbound_ivr_digits_action_say_hangup(sim: Sim) -> None:
    """The callee answers after one ring and presses 1 during the menu: the app's action gets
    Digits=1, its Say plays, the call ends completed with one signed status callback."""
    sender = sim.number()
    callee = handset()
    behave(sim, callee, "answer", Script="wait 1; press 1")

    def chosen(hit: Hit) -> str:
        response = VoiceResponse()
        response.say(f"You chose {hit.params['Digits']}. Goodbye.")
        response.hangup()
        return str(response)

    sim.app.on("/ivr/menu", lambda hit: menu(sim.app.url("/ivr/chosen")))
    sim.app.on("/ivr/chosen", chosen)
    call = sim.client.calls.create(
        to=callee,
        from_=sender,
        url=sim.app.url("/ivr/menu"),
        status_callback=sim.app.url("/ivr/status"),
    )
    assert call.status == "queued"
    sim.advance(0)
    sim.advance(1)  # one ring: answered, the menu is fetched
    sim.advance(10)
    fetched = sim.client.calls(call.sid).fetch()
    assert fetched.status == "completed"
    menu_hits = [h for h in sim.app.at("/ivr/menu") if h.params["CallSid"] == call.sid]
    assert len(menu_hits) == 1 and menu_hits[0].signature_valid
    assert menu_hits[0].params["CallStatus"] == "in-progress"
    assert menu_hits[0].params["Direction"] == "outbound-api"
    chosen_hits = [h for h in sim.app.at("/ivr/chosen") if h.params["CallSid"] == call.sid]
    assert [h.params["Digits"] for h in chosen_hits] == ["1"]
    events = transcript(sim, call.sid)
    assert kinds(events) == [
        "gather-start",
        "say",
        "digits",
        "gather-end",
        "say",
        "hangup",
    ]
    assert events[2]["at"] == 1.0 and events[2]["digits"] == "1"
    status = [h for h in sim.app.at("/ivr/status") if h.params["CallSid"] == call.sid]
    assert [h.params["CallStatus"] for h in status] == ["completed"]
    assert status[0].signature_valid and status[0].params["CallDuration"] == fetched.duration
