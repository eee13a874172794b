"""Calls that run: an IVR built with the SDK's VoiceResponse, driven by simulated handsets.

Every request the app receives is checked with the official SDK's RequestValidator; the test
asserts on what the app received and on the call's transcript (what the caller heard and did).
"""

from __future__ import annotations

import io
import itertools
import wave
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.responses import Response
from twilio.twiml.voice_response import Gather, VoiceResponse

from telephonist.settings import Settings
from telephonist.testing import running_server
from tests.conftest import database_url_for, make_http, sdk_client
from tests.contract.oracle import Spec
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


def say(*texts: str, hangup: bool = False) -> str:
    """A document that says ``texts`` (and hangs up), built with the SDK."""
    response = VoiceResponse()
    for text in texts:
        response.say(text)
    if hangup:
        response.hangup()
    return str(response)


def dial(number: str, action: str) -> str:
    response = VoiceResponse()
    response.dial(number, action=action)
    return str(response)


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


def test_wrong_digit_redirects_back_to_the_menu(sim: Sim) -> None:
    """A wrong key sends the caller back to the menu (Redirect); the right one goes on."""
    sender, callee = sim.number(), handset()
    behave(sim, callee, Script="wait 1; press 9; wait 5; press 2")

    def chosen(hit: Hit) -> str:
        response = VoiceResponse()
        if hit.params["Digits"] not in ("1", "2"):
            response.say("Sorry, that is not an option.")
            response.redirect(sim.app.url("/loop/menu"))
        else:
            response.say("Connecting you to support.")
        return str(response)

    sim.app.on("/loop/menu", lambda hit: menu(sim.app.url("/loop/chosen")))
    sim.app.on("/loop/chosen", chosen)
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/loop/menu"))
    sim.advance(0)
    sim.advance(1)
    sim.advance(30)
    assert sim.client.calls(call.sid).fetch().status == "completed"
    digits = [
        h.params["Digits"] for h in sim.app.at("/loop/chosen") if h.params["CallSid"] == call.sid
    ]
    assert digits == ["9", "2"]
    assert len([h for h in sim.app.at("/loop/menu") if h.params["CallSid"] == call.sid]) == 2
    events = transcript(sim, call.sid)
    assert [e["text"] for e in events if e["kind"] == "say"] == [
        "Press 1 for sales, 2 for support.",
        "Sorry, that is not an option.",
        "Press 1 for sales, 2 for support.",
        "Connecting you to support.",
    ]
    assert "redirect" in kinds(events)


def test_speech_input_reaches_the_action(sim: Sim) -> None:
    sender, callee = sim.number(), handset()
    behave(sim, callee, Script='wait 0.5; say "billing please"')

    def ask(hit: Hit) -> str:
        response = VoiceResponse()
        gather = Gather(input="speech", action=sim.app.url("/speech/heard"))
        gather.say("How can we help?")
        response.append(gather)
        return str(response)

    sim.app.on("/speech/ask", ask)
    sim.app.on("/speech/heard", lambda hit: say("Thanks"))
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/speech/ask"))
    sim.advance(0)
    sim.advance(1)
    sim.advance(10)
    heard = [h for h in sim.app.at("/speech/heard") if h.params["CallSid"] == call.sid]
    assert [h.params["SpeechResult"] for h in heard] == ["billing please"]
    assert heard[0].signature_valid and float(heard[0].params["Confidence"]) > 0
    assert sim.client.calls(call.sid).fetch().status == "completed"


def test_inbound_call_from_a_handset(sim: Sim) -> None:
    """A handset dials one of the app's numbers: its VoiceUrl is asked (ringing), its TwiML
    runs, the caller presses digits from its script, and the number's StatusCallback hears
    the end."""
    caller = handset()
    number = sim.number(
        voice_url=sim.app.url("/in/voice"), status_callback=sim.app.url("/in/status")
    )
    sim.app.on("/in/voice", lambda hit: menu(sim.app.url("/in/chosen")))
    sim.app.on("/in/chosen", lambda hit: say("Bye", hangup=True))
    response = sim.http.post(
        f"/telephonist/v1/Handsets/{caller}/Calls", data={"To": number, "Script": "wait 1; press 1"}
    )
    assert response.status_code == 201, response.text
    sid = response.json()["sid"]
    assert response.json()["direction"] == "inbound"
    sim.advance(0)
    sim.advance(5)
    first = [h for h in sim.app.at("/in/voice") if h.params["CallSid"] == sid]
    assert len(first) == 1 and first[0].signature_valid
    params = first[0].params
    assert (params["CallStatus"], params["Direction"], params["From"], params["To"]) == (
        "ringing",
        "inbound",
        caller,
        number,
    )
    assert params["FromState"] == "CA" and params["ToCountry"] == "US"
    assert [h.params["Digits"] for h in sim.app.at("/in/chosen") if h.params["CallSid"] == sid] == [
        "1"
    ]
    call = sim.client.calls(sid).fetch()
    assert call.status == "completed" and call.direction == "inbound"
    assert call.price is not None and call.price.startswith("-")
    ended = [h for h in sim.app.at("/in/status") if h.params["CallSid"] == sid]
    assert [h.params["CallStatus"] for h in ended] == ["completed"]


def test_a_number_without_voice_url_plays_the_welcome(sim: Sim) -> None:
    caller, number = handset(), sim.number()
    response = sim.http.post(f"/telephonist/v1/Handsets/{caller}/Calls", data={"To": number})
    sid = response.json()["sid"]
    sim.advance(0)
    sim.advance(30)
    events = transcript(sim, sid)
    assert events[0]["kind"] == "say" and "Configure your number's voice U R L" in events[0]["text"]
    assert events[-1]["kind"] == "hangup"


def test_dial_to_a_busy_handset_reports_busy_to_the_action(sim: Sim) -> None:
    sender, callee, busy = sim.number(), handset(), handset()
    behave(sim, busy, "busy")

    def dial(hit: Hit) -> str:
        response = VoiceResponse()
        response.dial(busy, action=sim.app.url("/dialbusy/after"))
        return str(response)

    sim.app.on("/dialbusy/start", dial)
    sim.app.on("/dialbusy/after", lambda hit: say("They are busy"))
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/dialbusy/start"))
    sim.advance(0)
    sim.advance(1)
    sim.advance(5)
    after = [h for h in sim.app.at("/dialbusy/after") if h.params["CallSid"] == call.sid]
    assert len(after) == 1
    assert after[0].params["DialCallStatus"] == "busy"
    child_sid = after[0].params["DialCallSid"]
    child = sim.client.calls(child_sid).fetch()
    assert (child.parent_call_sid, child.direction, child.status, child.to) == (
        call.sid,
        "outbound-dial",
        "busy",
        busy,
    )
    assert [c.sid for c in sim.client.calls.list(parent_call_sid=call.sid)] == [child_sid]


def test_dial_bridges_two_handsets(sim: Sim) -> None:
    """The dialed handset answers after 2 s and hangs up 10 s later: the action sees
    completed with the bridged duration, and both legs end completed."""
    sender, callee, agent = sim.number(), handset(), handset()
    behave(sim, agent, AnswerAfter="2", Script="wait 10; hangup")
    sim.app.on(
        "/bridge/start",
        lambda hit: dial(agent, sim.app.url("/bridge/after")),
    )
    sim.app.on("/bridge/after", lambda hit: say(hangup=True))
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/bridge/start"))
    sim.advance(0)
    sim.advance(1)
    sim.advance(2)
    assert sim.client.calls(call.sid).fetch().status == "in-progress"
    sim.advance(10)
    after = [h for h in sim.app.at("/bridge/after") if h.params["CallSid"] == call.sid]
    assert len(after) == 1
    params = after[0].params
    assert (params["DialCallStatus"], params["DialCallDuration"], params["DialBridged"]) == (
        "completed",
        "10",
        "true",
    )
    child = sim.client.calls(params["DialCallSid"]).fetch()
    assert (child.status, child.duration, child._from) == ("completed", "10", sender)
    parent = sim.client.calls(call.sid).fetch()
    assert parent.status == "completed" and parent.duration == "12"
    events = transcript(sim, call.sid)
    assert kinds(events) == ["dial", "dial-answered", "dial-end", "hangup"]


def test_the_api_redirects_a_live_call(sim: Sim) -> None:
    sender, callee = sim.number(), handset()
    hold = VoiceResponse()
    hold.pause(length=60)
    sim.app.on("/redirect/hold", lambda hit: str(hold))
    sim.app.on("/redirect/new", lambda hit: say("You were moved"))
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/redirect/hold"))
    sim.advance(0)
    sim.advance(1)
    sim.advance(5)
    updated = sim.client.calls(call.sid).update(url=sim.app.url("/redirect/new"), method="POST")
    assert updated.status == "in-progress"
    sim.advance(0)
    sim.advance(5)
    assert sim.client.calls(call.sid).fetch().status == "completed"
    events = transcript(sim, call.sid)
    assert kinds(events) == ["pause", "redirect", "say", "hangup"]
    assert events[1]["at"] == 5.0


def test_a_call_canceled_while_ringing(sim: Sim) -> None:
    sender, callee = sim.number(), handset()
    behave(sim, callee, AnswerAfter="20")
    call = sim.client.calls.create(
        to=callee,
        from_=sender,
        url=sim.app.url("/cancel/never"),
        status_callback=sim.app.url("/cancel/status"),
        status_callback_event=["initiated", "ringing", "answered", "completed"],
    )
    sim.advance(0)
    sim.advance(3)
    assert sim.client.calls(call.sid).fetch().status == "ringing"
    canceled = sim.client.calls(call.sid).update(status="canceled")
    assert canceled.status == "canceled"
    sim.advance(30)
    assert sim.client.calls(call.sid).fetch().status == "canceled"
    assert not [h for h in sim.app.at("/cancel/never") if h.params.get("CallSid") == call.sid]
    hits = [h for h in sim.app.at("/cancel/status") if h.params["CallSid"] == call.sid]
    assert [(h.params["CallStatus"], h.params["SequenceNumber"]) for h in hits] == [
        ("initiated", "0"),
        ("ringing", "1"),
        ("canceled", "2"),
    ]
    assert all(h.signature_valid for h in hits)


def test_machine_detection_reports_answered_by(sim: Sim) -> None:
    sender, machine, person = sim.number(), handset(), handset()
    behave(sim, machine, "machine")
    sim.app.on("/amd/voice", lambda hit: say("Hello"))
    calls = {
        who: sim.client.calls.create(
            to=who, from_=sender, url=sim.app.url("/amd/voice"), machine_detection="Enable"
        )
        for who in (machine, person)
    }
    sim.advance(0)
    sim.advance(1)
    sim.advance(5)
    answered = {
        h.params["To"]: h.params["AnsweredBy"]
        for h in sim.app.at("/amd/voice")
        if h.params["CallSid"] in {c.sid for c in calls.values()}
    }
    assert answered == {machine: "machine_start", person: "human"}
    assert sim.client.calls(calls[machine].sid).fetch().answered_by == "machine_start"


def test_all_status_events_in_order_and_the_final_one_once(sim: Sim) -> None:
    sender, callee = sim.number(), handset()
    sim.app.on("/events/voice", lambda hit: say("one two three four five"))
    call = sim.client.calls.create(
        to=callee,
        from_=sender,
        url=sim.app.url("/events/voice"),
        status_callback=sim.app.url("/events/status"),
        status_callback_event="initiated ringing answered completed",
    )
    sim.advance(0)
    sim.advance(1)
    sim.advance(5)
    sim.advance(60)
    hits = [h for h in sim.app.at("/events/status") if h.params["CallSid"] == call.sid]
    assert [h.params["CallStatus"] for h in hits] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert [h.params["SequenceNumber"] for h in hits] == ["0", "1", "2", "3"]
    final = hits[-1].params
    assert (final["CallDuration"], final["Duration"], final["CallbackSource"]) == (
        "2",
        "1",
        "call-progress-events",
    )
    assert "CallDuration" not in hits[2].params


def test_an_app_that_fails_plays_the_application_error(sim: Sim) -> None:
    sender, callee = sim.number(), handset()
    sim.app.on("/broken/voice", lambda hit: "<Response><Say>unclosed")
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/broken/voice"))
    sim.advance(0)
    sim.advance(1)
    events = transcript(sim, call.sid)
    assert kinds(events) == ["say", "hangup"]
    assert "application error" in events[0]["text"]
    assert sim.client.calls(call.sid).fetch().status == "completed"
    alerts = [n.error_code for n in sim.client.notifications.list() if n.call_sid == call.sid]
    assert alerts == ["12100"]


def test_busy_and_no_answer_callees(sim: Sim) -> None:
    sender, busy, silent = sim.number(), handset(), handset()
    behave(sim, busy, "busy")
    behave(sim, silent, "no-answer")
    a = sim.client.calls.create(to=busy, from_=sender, url=sim.app.url("/none"))
    b = sim.client.calls.create(to=silent, from_=sender, url=sim.app.url("/none"), timeout=15)
    sim.advance(0)
    assert sim.client.calls(a.sid).fetch().status == "busy"
    sim.advance(14)
    assert sim.client.calls(b.sid).fetch().status == "ringing"
    sim.advance(1)
    ended = sim.client.calls(b.sid).fetch()
    assert (ended.status, ended.duration, ended.price) == ("no-answer", "0", None)


def test_a_redirect_loop_is_cut_with_11215(sim: Sim) -> None:
    """A document that only redirects to itself takes no call time: after ten documents at one
    instant the loop is cut, alert 11215, and the call ends with the application error."""
    sender, callee = sim.number(), handset()

    def again(hit: Hit) -> str:
        response = VoiceResponse()
        response.redirect(sim.app.url("/spin/again"))
        return str(response)

    sim.app.on("/spin/again", again)
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/spin/again"))
    sim.advance(0)
    sim.advance(1)
    assert sim.client.calls(call.sid).fetch().status == "completed"
    hits = [h for h in sim.app.at("/spin/again") if h.params["CallSid"] == call.sid]
    assert len(hits) == 11
    codes = [n.error_code for n in sim.client.notifications.list() if n.call_sid == call.sid]
    assert codes == ["11215"]
    assert kinds(transcript(sim, call.sid))[-2:] == ["say", "hangup"]


def test_fallback_url_answers_when_the_url_fails(sim: Sim) -> None:
    sender, callee = sim.number(), handset()
    sim.app.on("/fb/voice", lambda hit: Response("boom", status_code=500))
    sim.app.on("/fb/fallback", lambda hit: say("Fallback speaking"))
    call = sim.client.calls.create(
        to=callee,
        from_=sender,
        url=sim.app.url("/fb/voice"),
        fallback_url=sim.app.url("/fb/fallback"),
    )
    sim.advance(0)
    sim.advance(1)
    fallback = [h for h in sim.app.at("/fb/fallback") if h.params["CallSid"] == call.sid]
    assert len(fallback) == 1 and fallback[0].signature_valid
    assert fallback[0].params["ErrorCode"] == "11200"
    assert fallback[0].params["ErrorUrl"] == sim.app.url("/fb/voice")
    assert transcript(sim, call.sid)[0]["text"] == "Fallback speaking"


def test_an_app_that_fails_mid_call_ends_it_once(sim: Sim) -> None:
    """The menu works, the action answers 500: the caller hears the application error, the
    call ends completed, and the final status callback is posted exactly once."""
    sender, callee = sim.number(), handset()
    behave(sim, callee, Script="wait 1; press 1")
    sim.app.on("/mid/menu", lambda hit: menu(sim.app.url("/mid/broken")))
    sim.app.on("/mid/broken", lambda hit: Response("no", status_code=500))
    call = sim.client.calls.create(
        to=callee,
        from_=sender,
        url=sim.app.url("/mid/menu"),
        status_callback=sim.app.url("/mid/status"),
    )
    sim.advance(0)
    sim.advance(1)
    sim.advance(60)
    events = transcript(sim, call.sid)
    assert kinds(events)[-2:] == ["say", "hangup"] and "application error" in events[-2]["text"]
    statuses = [
        h.params["CallStatus"] for h in sim.app.at("/mid/status") if h.params["CallSid"] == call.sid
    ]
    assert statuses == ["completed"]
    codes = [n.error_code for n in sim.client.notifications.list() if n.call_sid == call.sid]
    assert codes == ["11200"]


def test_live_digits_and_hangup_through_the_control_api(sim: Sim) -> None:
    sender, callee = sim.number(), handset()
    sim.app.on("/live/menu", lambda hit: menu(sim.app.url("/live/chosen")))
    sim.app.on("/live/chosen", lambda hit: say("Please hold") + "")
    hold = VoiceResponse()
    hold.say("Please hold")
    hold.pause(length=600)
    sim.app.on("/live/chosen", lambda hit: str(hold))
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/live/menu"))
    sim.advance(0)
    sim.advance(1)
    sim.advance(0.5)
    pressed = sim.http.post(f"/telephonist/v1/Calls/{call.sid}/Digits", data={"Digits": "2"})
    assert pressed.status_code == 200, pressed.text
    sim.advance(0)
    digits = [
        h.params["Digits"] for h in sim.app.at("/live/chosen") if h.params["CallSid"] == call.sid
    ]
    assert digits == ["2"]
    sim.advance(30)
    hung = sim.http.post(f"/telephonist/v1/Calls/{call.sid}/Hangup")
    assert hung.status_code == 200
    sim.advance(0)
    ended = sim.client.calls(call.sid).fetch()
    assert (ended.status, ended.duration) == ("completed", "31")
    events = transcript(sim, call.sid)
    assert events[-1] == {"at": 30.5, "kind": "hangup", "by": "caller"}
    late = sim.http.post(f"/telephonist/v1/Calls/{call.sid}/Digits", data={"Digits": "1"})
    assert late.status_code == 400 and late.json()["code"] == 21220


def test_a_malformed_script_is_refused_naming_the_step(sim: Sim) -> None:
    response = sim.http.post(
        f"/telephonist/v1/Handsets/{handset()}/CallBehavior",
        data={"Behavior": "answer", "Script": "wait 1; press 12x; hangup"},
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert "step 2" in body["message"] and "press 12x" in body["message"]


def test_a_long_ivr_runs_on_the_manual_clock(sim: Sim) -> None:
    """Three hundred verbs and an hour of pauses: the call runs to its end in one advance."""
    sender, callee = sim.number(), handset()
    long = VoiceResponse()
    for n in range(150):
        long.say(f"Step {n}")
        long.pause(length=24)
    sim.app.on("/long/voice", lambda hit: str(long))
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/long/voice"))
    sim.advance(0)
    sim.advance(1)
    sim.advance(4 * 3600)
    ended = sim.client.calls(call.sid).fetch()
    assert ended.status == "completed"
    assert ended.duration == "3720"  # 150 x (24 s of pause + 0.8 s to say "Step n")
    assert len(transcript(sim, call.sid)) == 301


def test_cookies_an_app_sets_travel_with_the_rest_of_the_call(sim: Sim) -> None:
    """Twilio keeps an app's cookies for the duration of a call: a session-based IVR works."""
    sender, callee, other = sim.number(), handset(), handset()
    behave(sim, callee, Script="wait 1; press 1")
    behave(sim, other, Script="wait 1; press 1")

    def start(hit: Hit) -> Response:
        response = Response(menu(sim.app.url("/cookie/next")), media_type="application/xml")
        response.set_cookie("ivr", f"session-{hit.params['To'][-4:]}")
        return response

    sim.app.on("/cookie/start", start)
    sim.app.on("/cookie/next", lambda hit: say("ok"))
    first = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/cookie/start"))
    second = sim.client.calls.create(to=other, from_=sender, url=sim.app.url("/cookie/start"))
    sim.advance(0)
    sim.advance(1)
    sim.advance(5)
    cookies = {h.params["CallSid"]: h.headers.get("cookie") for h in sim.app.at("/cookie/next")}
    assert cookies == {
        first.sid: f"ivr=session-{callee[-4:]}",
        second.sid: f"ivr=session-{other[-4:]}",
    }
    assert all("cookie" not in h.headers for h in sim.app.at("/cookie/start"))


def test_dial_to_one_of_the_servers_numbers_runs_its_voice_url(sim: Sim) -> None:
    """The dialed number's own app answers (an inbound call there, signed, Direction inbound),
    talks for 2 s and hangs up: the dialing call's action hears completed, bridged."""
    sender, callee = sim.number(), handset()
    desk = sim.number(voice_url=sim.app.url("/desk/voice"))
    sim.app.on("/owned/start", lambda hit: dial(desk, sim.app.url("/owned/after")))
    sim.app.on("/desk/voice", lambda hit: say("Front desk speaking", hangup=True))
    sim.app.on("/owned/after", lambda hit: say("Thanks for waiting"))
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/owned/start"))
    sim.advance(0)
    sim.advance(1)
    sim.advance(10)
    desk_hits = [h for h in sim.app.at("/desk/voice") if h.params["From"] == sender]
    assert len(desk_hits) == 1 and desk_hits[0].signature_valid
    assert (desk_hits[0].params["Direction"], desk_hits[0].params["To"]) == ("inbound", desk)
    after = [h for h in sim.app.at("/owned/after") if h.params["CallSid"] == call.sid]
    assert len(after) == 1
    params = after[0].params
    assert (params["DialCallStatus"], params["DialBridged"], params["DialCallDuration"]) == (
        "completed",
        "true",
        "2",  # "Front desk speaking": 1.2 s, a started second counting
    )
    leg = sim.client.calls(params["DialCallSid"]).fetch()
    assert (leg.direction, leg.parent_call_sid, leg.status) == (
        "outbound-dial",
        call.sid,
        "completed",
    )
    inbound = sim.client.calls(desk_hits[0].params["CallSid"]).fetch()
    assert (inbound.direction, inbound.status, inbound.to) == ("inbound", "completed", desk)
    assert kinds(transcript(sim, call.sid)) == [
        "dial",
        "dial-answered",
        "dial-end",
        "say",
        "hangup",
    ]


def test_hanging_up_on_a_dialed_number_hangs_up_its_app_too(sim: Sim) -> None:
    sender, callee = sim.number(), handset()
    behave(sim, callee, Script="wait 5; hangup")
    desk = sim.number(voice_url=sim.app.url("/hold/voice"))
    hold = VoiceResponse()
    hold.pause(length=600)
    sim.app.on("/hold/start", lambda hit: dial(desk, sim.app.url("/hold/after")))
    sim.app.on("/hold/voice", lambda hit: str(hold))
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/hold/start"))
    sim.advance(0)
    sim.advance(1)
    sim.advance(10)
    inbound_sid = next(
        h.params["CallSid"] for h in sim.app.at("/hold/voice") if h.params["From"] == sender
    )
    inbound = sim.client.calls(inbound_sid).fetch()
    assert (inbound.status, inbound.duration) == ("completed", "5")
    assert transcript(sim, inbound_sid)[-1] == {"at": 5.0, "kind": "hangup", "by": "remote"}
    assert sim.client.calls(call.sid).fetch().status == "completed"


def test_a_call_placed_to_one_of_the_servers_numbers_runs_both_apps(sim: Sim) -> None:
    """``calls.create(to=<own number>)``: the number's VoiceUrl answers an inbound call there
    (signed, Direction inbound, From the caller ID), the API call answers when it does and
    runs its own TwiML, and when the number's app hangs up after its 1.2 s of speech, the API
    call ends too (2 s, a started second counting)."""
    sender = sim.number()
    desk = sim.number(voice_url=sim.app.url("/own-api/desk"))
    sim.app.on("/own-api/desk", lambda hit: say("Front desk speaking", hangup=True))
    hold = VoiceResponse()
    hold.pause(length=600)
    sim.app.on("/own-api/caller", lambda hit: str(hold))
    call = sim.client.calls.create(to=desk, from_=sender, url=sim.app.url("/own-api/caller"))
    for seconds in (0, 0, 0, 5):
        sim.advance(seconds)
    desk_hits = [h for h in sim.app.at("/own-api/desk") if h.params["From"] == sender]
    assert len(desk_hits) == 1 and desk_hits[0].signature_valid
    assert (desk_hits[0].params["Direction"], desk_hits[0].params["To"]) == ("inbound", desk)
    caller_hits = [h for h in sim.app.at("/own-api/caller") if h.params["CallSid"] == call.sid]
    assert len(caller_hits) == 1 and caller_hits[0].params["CallStatus"] == "in-progress"
    placed = sim.client.calls(call.sid).fetch()
    assert (placed.direction, placed.status, placed.duration) == ("outbound-api", "completed", "2")
    inbound = sim.client.calls(desk_hits[0].params["CallSid"]).fetch()
    assert (inbound.direction, inbound.status, inbound._from) == ("inbound", "completed", sender)
    assert transcript(sim, call.sid)[-1] == {"at": 1.2, "kind": "hangup", "by": "remote"}


def test_hanging_up_a_call_to_one_of_the_servers_numbers_ends_its_app_too(sim: Sim) -> None:
    """The API call's own TwiML ends after its Say: the call at the number hangs up too."""
    sender = sim.number()
    desk = sim.number(voice_url=sim.app.url("/own-hold/desk"))
    hold = VoiceResponse()
    hold.pause(length=600)
    sim.app.on("/own-hold/desk", lambda hit: str(hold))
    call = sim.client.calls.create(to=desk, from_=sender, twiml=say("Goodbye", hangup=True))
    for seconds in (0, 0, 0, 5):
        sim.advance(seconds)
    inbound_sid = next(
        h.params["CallSid"] for h in sim.app.at("/own-hold/desk") if h.params["From"] == sender
    )
    assert sim.client.calls(call.sid).fetch().status == "completed"
    inbound = sim.client.calls(inbound_sid).fetch()
    assert inbound.status == "completed"
    assert transcript(sim, inbound_sid)[-1]["by"] == "remote"


def test_a_call_to_a_number_whose_app_rejects_it_is_busy(sim: Sim) -> None:
    sender = sim.number()

    def reject(hit: Hit) -> str:
        response = VoiceResponse()
        response.reject(reason="busy")
        return str(response)

    desk = sim.number(voice_url=sim.app.url("/own-reject/desk"))
    sim.app.on("/own-reject/desk", reject)
    call = sim.client.calls.create(to=desk, from_=sender, twiml=say("never heard"))
    for seconds in (0, 0, 0):
        sim.advance(seconds)
    placed = sim.client.calls(call.sid).fetch()
    assert (placed.status, placed.duration) == ("busy", "0")
    assert transcript(sim, call.sid) == []


def test_number_status_callbacks_report_each_leg(sim: Sim) -> None:
    """``<Number statusCallback statusCallbackEvent>``: the agent's leg reports initiated,
    ringing, answered and completed (its own CallSid, ParentCallSid, Direction outbound-dial,
    signed, in sequence); a busy second number with the default events reports only its end;
    ``sendDigits`` is played to the agent once it answers."""
    sender, callee, agent, busy = sim.number(), handset(), handset(), handset()
    behave(sim, agent, AnswerAfter="2", Script="wait 3; hangup")
    behave(sim, busy, "busy")

    def start(hit: Hit) -> str:
        response = VoiceResponse()
        dial = response.dial(action=sim.app.url("/legs/after"))
        dial.number(
            agent,
            status_callback=sim.app.url("/legs/agent"),
            status_callback_event="initiated ringing answered completed",
            send_digits="1234#",
        )
        dial.number(busy, status_callback=sim.app.url("/legs/busy"))
        return str(response)

    sim.app.on("/legs/start", start)
    sim.app.on("/legs/after", lambda hit: say(hangup=True))
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/legs/start"))
    for seconds in (0, 1, 2, 3):
        sim.advance(seconds)
    after = [h for h in sim.app.at("/legs/after") if h.params["CallSid"] == call.sid]
    assert len(after) == 1
    leg = after[0].params["DialCallSid"]
    agent_hits = [h for h in sim.app.at("/legs/agent") if h.params.get("ParentCallSid") == call.sid]
    assert [(h.params["CallStatus"], h.params["SequenceNumber"]) for h in agent_hits] == [
        ("initiated", "0"),
        ("ringing", "1"),
        ("in-progress", "2"),
        ("completed", "3"),
    ]
    assert all(h.signature_valid for h in agent_hits)
    assert {(h.params["CallSid"], h.params["Direction"], h.params["To"]) for h in agent_hits} == {
        (leg, "outbound-dial", agent)
    }
    assert agent_hits[-1].params["CallDuration"] == "3"
    busy_hits = [h for h in sim.app.at("/legs/busy") if h.params.get("ParentCallSid") == call.sid]
    assert [h.params["CallStatus"] for h in busy_hits] == ["busy"]
    assert busy_hits[0].params["CallSid"] != leg
    sent = [e for e in transcript(sim, call.sid) if e["kind"] == "send-digits"]
    assert sent == [{"at": 2.0, "kind": "send-digits", "digits": "1234#", "call_sid": leg}]


def dial_in(sim: Sim, handset_number: str, to: str, **extra: str) -> str:
    response = sim.http.post(
        f"/telephonist/v1/Handsets/{handset_number}/Calls", data={"To": to, **extra}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["sid"])


def test_an_inbound_call_rejected_busy_by_its_first_document_is_busy(sim: Sim) -> None:
    def reject(hit: Hit) -> str:
        response = VoiceResponse()
        response.reject(reason="busy")
        return str(response)

    sim.app.on("/reject/busy", reject)
    number = sim.number(voice_url=sim.app.url("/reject/busy"))
    sid = dial_in(sim, handset(), number)
    sim.advance(0)
    events = transcript(sim, sid)
    assert kinds(events) == ["hangup"] and events[0]["reason"] == "busy"
    call = sim.client.calls(sid).fetch()
    assert (call.status, call.duration, call.price) == ("busy", "0", None)


def test_dial_end_names_the_leg_when_the_document_goes_on(sim: Sim) -> None:
    sender, callee = sim.number(), handset()
    behave(sim, callee, "answer", Script="wait 2; hangup")
    twiml = VoiceResponse()
    twiml.dial(callee)
    twiml.say("The other side hung up.")
    call = sim.client.calls.create(to=handset(), from_=sender, twiml=str(twiml))
    sim.advance(0)
    sim.advance(10)
    events = transcript(sim, call.sid)
    assert kinds(events) == ["dial", "dial-answered", "dial-end", "say", "hangup"]
    dial, end = events[0], events[2]
    assert (end["status"], end.get("call_sid"), end.get("duration")) == (
        "completed",
        dial["call_sid"],
        "2",
    )


def enqueue_alerts(sim: Sim) -> str:
    """A call whose document holds an <Enqueue> (skipped with alert 13750); its SID."""
    call = sim.client.calls.create(
        to=handset(), from_=sim.number(), twiml="<Response><Enqueue>support</Enqueue></Response>"
    )
    sim.advance(0)
    sim.advance(2)
    return str(call.sid)


def test_a_calls_alerts_name_the_call(sim: Sim) -> None:
    sid = enqueue_alerts(sim)
    server = sim.server
    # Read without the contract check, which these alerts fail on their own (below).
    listing = httpx.get(
        f"{server.base_url}/2010-04-01/Accounts/{server.account_sid}/Notifications.json",
        auth=(server.account_sid, server.auth_token),
    ).json()["notifications"]
    mine = [n for n in listing if n["error_code"] == "13750" and "Enqueue" in n["message_text"]]
    assert [n["call_sid"] for n in mine] == [sid]


def test_a_calls_alerts_keep_the_notification_contract(sim: Sim) -> None:
    enqueue_alerts(sim)
    assert any(n.error_code == "13750" for n in sim.client.notifications.list())


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<Response><Say>&lol3;</Say></Response>"
)


@pytest.mark.parametrize(
    ("path", "answer", "code"),
    [
        ("/hostile/huge", "<Response><Say>" + "a " * 2_500_000 + "</Say></Response>", "11750"),
        ("/hostile/laughs", BILLION_LAUGHS, "12100"),
        ("/hostile/plain", Response("press one", media_type="text/plain"), "12300"),
        ("/hostile/json", Response('{"say": "hi"}', media_type="application/json"), "12300"),
    ],
)
def test_hostile_answers_end_the_call_with_an_alert(
    sim: Sim, path: str, answer: object, code: str
) -> None:
    """A 5 MB document, an entity bomb, or something that is not TwiML: the call hears the
    application error and ends, the alert names the code, and nothing is expanded or run."""
    sender, callee = sim.number(), handset()
    sim.app.on(path, lambda hit: answer)
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url(path))
    sim.advance(0)
    sim.advance(1)
    assert sim.client.calls(call.sid).fetch().status == "completed"
    assert kinds(transcript(sim, call.sid)) == ["say", "hangup"]
    codes = [n.error_code for n in sim.client.notifications.list() if n.call_sid == call.sid]
    assert codes == [code]


def test_an_app_that_hangs_or_refuses_never_stalls_the_server(sim: Sim) -> None:
    """A voice URL that hangs past the webhook timeout (11200) and one that refuses (11205):
    both calls end with the application error while the API keeps answering."""
    sender = sim.number()

    async def hang(hit: object) -> str:
        import asyncio

        await asyncio.sleep(3)
        return "<Response/>"

    sim.app.on("/stall/hang", hang)
    hanging = sim.client.calls.create(to=handset(), from_=sender, url=sim.app.url("/stall/hang"))
    refused = sim.client.calls.create(to=handset(), from_=sender, url="http://127.0.0.1:9/never")
    sim.advance(0)
    sim.advance(1)
    for call, code in ((hanging, "11200"), (refused, "11205")):
        assert sim.client.calls(call.sid).fetch().status == "completed"
        codes = [n.error_code for n in sim.client.notifications.list() if n.call_sid == call.sid]
        assert codes == [code], call.sid
    assert sim.client.calls.list(limit=1)


def test_twilios_test_numbers_answer_as_on_twilio(sim: Sim) -> None:
    """From +15005550006 passes without being owned; the magic To numbers get their codes."""
    from twilio.base.exceptions import TwilioRestException

    ok = sim.client.calls.create(to=handset(), from_="+15005550006", twiml=say("test"))
    assert ok.status == "queued"
    for to, code in (("+15005550002", 21214), ("+15005550004", 21216)):
        with pytest.raises(TwilioRestException) as caught:
            sim.client.calls.create(to=to, from_="+15005550006", twiml=say("test"))
        assert (caught.value.code, caught.value.status) == (code, 400)
    with pytest.raises(TwilioRestException) as unowned:
        sim.client.calls.create(to=handset(), from_="+14155550999", twiml=say("test"))
    assert unowned.value.code == 21210


def test_unknown_and_misplaced_verbs_warn_and_the_call_goes_on(sim: Sim) -> None:
    """An unknown element, a verb nested where Twilio forbids it and an unsupported verb:
    warnings (12200, 13750) name the request, and the rest of the document runs."""
    sender, callee = sim.number(), handset()
    document = (
        "<Response><Wiggle/><Say>first</Say>"
        "<Gather><Dial>+14155550100</Dial><Say>inside</Say></Gather>"
        "<Enqueue>support</Enqueue><Say>last</Say></Response>"
    )
    sim.app.on("/odd/voice", lambda hit: Response(document, media_type="text/xml"))
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/odd/voice"))
    sim.advance(0)
    sim.advance(1)
    sim.advance(30)
    said = [e["text"] for e in transcript(sim, call.sid) if e["kind"] == "say"]
    assert said == ["first", "inside", "last"]
    alerts = [n for n in sim.client.notifications.list() if n.call_sid == call.sid]
    assert sorted(n.error_code for n in alerts) == ["12200", "12200", "13750"]
    assert {n.request_url for n in alerts} == {sim.app.url("/odd/voice")}
    assert sim.client.calls(call.sid).fetch().status == "completed"


def test_record_with_its_callback_and_a_downloadable_wav(sim: Sim) -> None:
    """The caller speaks after the beep: the action gets RecordingUrl/Sid/Duration, the
    recording status callback arrives signed, and the URL serves a WAV of that length."""

    sender, callee = sim.number(), handset()
    behave(sim, callee, Script='wait 2; say "please call me back tomorrow morning"; wait 8')

    def voicemail(hit: Hit) -> str:
        response = VoiceResponse()
        response.say("Leave a message")
        response.record(
            action=sim.app.url("/vm/done"),
            timeout=3,
            recording_status_callback=sim.app.url("/vm/recording"),
        )
        return str(response)

    sim.app.on("/vm/voice", voicemail)
    sim.app.on("/vm/done", lambda hit: say("Goodbye", hangup=True))
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/vm/voice"))
    sim.advance(0)
    sim.advance(1)
    sim.advance(20)
    done = [h for h in sim.app.at("/vm/done") if h.params["CallSid"] == call.sid]
    assert len(done) == 1 and done[0].signature_valid
    params = done[0].params
    sid, url = params["RecordingSid"], params["RecordingUrl"]
    callback = [h for h in sim.app.at("/vm/recording") if h.params["CallSid"] == call.sid]
    assert len(callback) == 1 and callback[0].signature_valid
    assert (callback[0].params["RecordingSid"], callback[0].params["RecordingStatus"]) == (
        sid,
        "completed",
    )
    recording = sim.client.recordings(sid).fetch()
    assert (recording.call_sid, recording.duration) == (call.sid, params["RecordingDuration"])
    assert [r.sid for r in sim.client.calls(call.sid).recordings.list()] == [sid]
    audio = httpx.get(url)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/x-wav"
    with wave.open(io.BytesIO(audio.content)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    # The beep comes at 1.2 s (after "Leave a message"); the caller speaks from 2 s for 2.4 s,
    # and the silence after the speech is trimmed: 3.2 s of audio.
    assert seconds == pytest.approx(3.2, abs=0.001) and params["RecordingDuration"] == "4"
    entry = next(e for e in transcript(sim, call.sid) if e["kind"] == "record")
    assert entry["recording_sid"] == sid


def test_call_prices_follow_the_configured_rates(
    backend: str, tmp_path: Path, spec: Spec, request: pytest.FixtureRequest
) -> None:
    """A 61-second call bills two started minutes at the configured outbound rate."""
    with database_url_for(backend, tmp_path, request) as db:
        settings = Settings(db=db, data_dir=str(tmp_path), clock="manual", call_price_outbound=0.02)
        with (
            running_server(settings) as server,
            make_http(server, spec, (server.account_sid, server.auth_token)) as http,
        ):
            client = sdk_client(server, spec)
            sender = client.incoming_phone_numbers.create(area_code="415").phone_number
            hold = VoiceResponse()
            hold.pause(length=61)
            call = client.calls.create(to=handset(), from_=sender, twiml=str(hold))
            for seconds in (0, 1, 61):
                http.post("/telephonist/v1/Clock", data={"Advance": str(seconds)})
            ended = client.calls(call.sid).fetch()
    assert (ended.duration, ended.price, ended.price_unit) == ("61", "-0.04000", "USD")


def test_record_true_records_the_whole_call(sim: Sim) -> None:
    """Record=true on the create: the answered call becomes a recording of its length, named
    in the final status callback and posted to RecordingStatusCallback."""
    sender, callee = sim.number(), handset()
    hold = VoiceResponse()
    hold.pause(length=7)
    call = sim.client.calls.create(
        to=callee,
        from_=sender,
        twiml=str(hold),
        record=True,
        recording_status_callback=sim.app.url("/whole/recording"),
        status_callback=sim.app.url("/whole/status"),
    )
    sim.advance(0)
    sim.advance(1)
    sim.advance(7)
    final = [h for h in sim.app.at("/whole/status") if h.params["CallSid"] == call.sid]
    assert [h.params["CallStatus"] for h in final] == ["completed"]
    sid = final[0].params["RecordingSid"]
    assert final[0].params["RecordingDuration"] == "7"
    posted = [h for h in sim.app.at("/whole/recording") if h.params["CallSid"] == call.sid]
    assert [(h.params["RecordingSid"], h.params["RecordingSource"]) for h in posted] == [
        (sid, "OutboundAPI")
    ]
    assert posted[0].signature_valid
    recording = sim.client.recordings(sid).fetch()
    assert (recording.call_sid, recording.duration, recording.source) == (
        call.sid,
        "7",
        "OutboundAPI",
    )


def test_dial_record_from_answer_dual_tells_the_action_and_posts_each_event(sim: Sim) -> None:
    """``<Dial record="record-from-answer-dual">``: the agent answers after 2 s and talks 9 s.
    The recording runs from the answer (9 s, two channels), the Dial action receives
    RecordingUrl/Sid/Duration, and the callback gets ``in-progress`` at the answer, then
    ``completed``, both signed, as recordingStatusCallbackEvent asked."""
    sender, callee, agent = sim.number(), handset(), handset()
    behave(sim, agent, AnswerAfter="2", Script="wait 9; hangup")

    def start(hit: Hit) -> str:
        response = VoiceResponse()
        response.dial(
            agent,
            action=sim.app.url("/dialrec/after"),
            record="record-from-answer-dual",
            recording_status_callback=sim.app.url("/dialrec/recording"),
            recording_status_callback_event="in-progress completed",
        )
        return str(response)

    sim.app.on("/dialrec/start", start)
    sim.app.on("/dialrec/after", lambda hit: say(hangup=True))
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/dialrec/start"))
    sim.advance(0)
    sim.advance(1)
    sim.advance(2)
    started = [h for h in sim.app.at("/dialrec/recording") if h.params["CallSid"] == call.sid]
    assert [h.params["RecordingStatus"] for h in started] == ["in-progress"]
    sim.advance(9)
    after = [h for h in sim.app.at("/dialrec/after") if h.params["CallSid"] == call.sid]
    assert len(after) == 1
    sid = after[0].params["RecordingSid"]
    assert after[0].params["RecordingDuration"] == "9"
    assert after[0].params["RecordingUrl"].endswith(f"/Recordings/{sid}")
    posted = [h for h in sim.app.at("/dialrec/recording") if h.params["CallSid"] == call.sid]
    assert [(h.params["RecordingStatus"], h.params["RecordingSid"]) for h in posted] == [
        ("in-progress", sid),
        ("completed", sid),
    ]
    assert all(h.signature_valid for h in posted)
    assert (posted[1].params["RecordingChannels"], posted[1].params["RecordingSource"]) == (
        "2",
        "DialVerb",
    )
    recording = sim.client.recordings(sid).fetch()
    assert (recording.call_sid, recording.duration, recording.channels, recording.source) == (
        call.sid,
        "9",
        2,
        "DialVerb",
    )
    with wave.open(io.BytesIO(httpx.get(after[0].params["RecordingUrl"]).content)) as wav:
        assert (wav.getnchannels(), wav.getnframes() / wav.getframerate()) == (2, 9.0)


def test_dial_record_from_ringing_includes_the_ringing(sim: Sim) -> None:
    """``record-from-ringing``: the recording starts when the leg rings, so 3 s of ringing
    and 4 s of talk make 7 s, mono, and no callback is posted where none was asked for."""
    sender, callee, agent = sim.number(), handset(), handset()
    behave(sim, agent, AnswerAfter="3", Script="wait 4; hangup")

    def start(hit: Hit) -> str:
        response = VoiceResponse()
        response.dial(agent, action=sim.app.url("/ringrec/after"), record="record-from-ringing")
        return str(response)

    sim.app.on("/ringrec/start", start)
    sim.app.on("/ringrec/after", lambda hit: say(hangup=True))
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/ringrec/start"))
    for seconds in (0, 1, 3, 4):
        sim.advance(seconds)
    after = [h for h in sim.app.at("/ringrec/after") if h.params["CallSid"] == call.sid]
    assert len(after) == 1 and after[0].params["RecordingDuration"] == "7"
    recording = sim.client.recordings(after[0].params["RecordingSid"]).fetch()
    assert (recording.duration, recording.channels) == ("7", 1)


def test_a_dial_without_record_tells_the_action_no_recording(sim: Sim) -> None:
    """The default, do-not-record: the action carries no Recording* parameter and the call
    has no recording (this fails if every Dial were recorded)."""
    sender, callee, agent = sim.number(), handset(), handset()
    behave(sim, agent, AnswerAfter="1", Script="wait 2; hangup")
    sim.app.on("/norec/start", lambda hit: dial(agent, sim.app.url("/norec/after")))
    sim.app.on("/norec/after", lambda hit: say(hangup=True))
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/norec/start"))
    for seconds in (0, 1, 1, 2):
        sim.advance(seconds)
    after = [h for h in sim.app.at("/norec/after") if h.params["CallSid"] == call.sid]
    assert len(after) == 1 and not [k for k in after[0].params if k.startswith("Recording")]
    assert sim.client.calls(call.sid).recordings.list() == []


def test_record_true_with_channels_track_and_events(sim: Sim) -> None:
    """RecordingChannels=dual, RecordingTrack=inbound and RecordingStatusCallbackEvent
    in-progress + completed on the create: the callback hears the recording begin at the
    answer and end with the call, and the recording keeps channels and track."""
    sender, callee = sim.number(), handset()
    hold = VoiceResponse()
    hold.pause(length=5)
    call = sim.client.calls.create(
        to=callee,
        from_=sender,
        twiml=str(hold),
        record=True,
        recording_channels="dual",
        recording_track="inbound",
        recording_status_callback=sim.app.url("/opts/recording"),
        recording_status_callback_event=["in-progress", "completed"],
    )
    sim.advance(0)
    sim.advance(1)
    begun = [h for h in sim.app.at("/opts/recording") if h.params["CallSid"] == call.sid]
    assert [h.params["RecordingStatus"] for h in begun] == ["in-progress"]
    sim.advance(5)
    posted = [h for h in sim.app.at("/opts/recording") if h.params["CallSid"] == call.sid]
    assert [h.params["RecordingStatus"] for h in posted] == ["in-progress", "completed"]
    assert posted[0].params["RecordingSid"] == posted[1].params["RecordingSid"]
    assert posted[0].params["RecordingUrl"] == posted[1].params["RecordingUrl"]
    assert [(h.params["RecordingChannels"], h.params["RecordingTrack"]) for h in posted] == [
        ("2", "inbound"),
        ("2", "inbound"),
    ]
    recording = sim.client.recordings(posted[1].params["RecordingSid"]).fetch()
    assert (recording.channels, recording.duration) == (2, "5")


def test_an_empty_record_posts_absent_when_asked(sim: Sim) -> None:
    """A ``<Record>`` that hears nothing keeps no recording and falls through; with
    recordingStatusCallbackEvent="absent" its callback says so (none is posted without it)."""
    sender, callee = sim.number(), handset()

    def silent(hit: Hit) -> str:
        response = VoiceResponse()
        response.record(
            timeout=2,
            action=sim.app.url("/absent/done"),
            recording_status_callback=sim.app.url("/absent/recording"),
            recording_status_callback_event="absent",
            play_beep=False,
        )
        response.hangup()
        return str(response)

    sim.app.on("/absent/voice", silent)
    call = sim.client.calls.create(to=callee, from_=sender, url=sim.app.url("/absent/voice"))
    for seconds in (0, 1, 5):
        sim.advance(seconds)
    posted = [h for h in sim.app.at("/absent/recording") if h.params["CallSid"] == call.sid]
    assert [h.params["RecordingStatus"] for h in posted] == ["absent"]
    assert sim.app.at("/absent/done") == [] or all(
        h.params["CallSid"] != call.sid for h in sim.app.at("/absent/done")
    )
    assert sim.client.calls(call.sid).recordings.list() == []
