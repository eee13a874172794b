"""A call's steps as a pure function: ringing, answers, scripts, Dial legs, limits, callbacks."""

from __future__ import annotations

import json
from typing import Any

from twilio.twiml.voice_response import Gather, VoiceResponse

from telephonist.dispatch.call_session import (
    APPLICATION_ERROR,
    MAX_FETCHES_PER_INSTANT,
    Fetch,
    Session,
    initial_state,
)
from telephonist.dispatch.handlers.call import compiled
from telephonist.domain.calls import Behavior, behavior

S = 1_000_000
T0 = 1_700_000_000 * S
URL = "https://app.example/voice"


def row(**config: Any) -> dict[str, Any]:
    base = {"url": URL, "method": "POST", "timeout": 60, "time_limit": 14400}
    return {
        "sid": "CA" + "0" * 32,
        "account_sid": "AC" + "0" * 32,
        "parent_call_sid": None,
        "direction": config.pop("direction", "outbound-api"),
        "from_": "+14155550100",
        "to": "+14155550142",
        "status": "queued",
        "answered_by": None,
        "caller_name": None,
        "forwarded_from": None,
        "date_created": T0,
        "date_updated": T0,
        "start_time": None,
        "answered_at": None,
        "config": json.dumps({**base, **config}),
        "state": json.dumps(initial_state("queued")),
        "version": 0,
    }


def saved(call: dict[str, Any], session: Session) -> dict[str, Any]:
    """The row as the step would write it."""
    return {
        **call,
        **session.changes,
        "state": session.state_json(),
        "version": call["version"] + 1,
    }


class Line:
    """Runs a call step after step, as the worker would, answering fetches from ``docs``."""

    def __init__(self, call: dict[str, Any], behaviors: dict[str, Behavior] | None = None) -> None:
        self.call = call
        self.behaviors = behaviors or {}
        self.docs: dict[str, str] = {}
        self.fetched: list[Fetch] = []
        self.transcript: list[tuple[float, str, dict[str, str]]] = []
        self.callbacks: list[tuple[str, int, int | None]] = []
        self.alerts: list[int] = []
        self.children: dict[str, Any] = {}

    def step(self, now: int, inputs: list[tuple[int, int, str, str]] | None = None) -> Session:
        session = Session(
            self.call,
            lambda n: self.behaviors.get(n, Behavior()),
            compiled,
            inputs or [],
            now,
        )
        fetch = session.run()
        while fetch is not None:
            self.fetched.append(fetch)
            doc = self.docs.get(fetch.url)
            session.fetched(fetch, None if doc is None else (doc, fetch.url))
            fetch = session.run()
        zero = session.answered_at or T0
        self.transcript += [((at - zero) / S, kind, d) for at, kind, d in session.transcript]
        self.callbacks += [(c.status, c.sequence, c.duration) for c in session.callbacks]
        self.alerts += [code for code, _ in session.alerts]
        self.children.update(session.children)
        self.call = saved(self.call, session)
        return session

    def run(self, until: int) -> None:
        """Step at every wake-up until the call ends or ``until``."""
        now = T0
        while True:
            session = self.step(now)
            wake = session.wake_at()
            if wake is None or wake > until:
                return
            now = max(wake, now)

    def kinds(self) -> list[str]:
        return [kind for _, kind, _ in self.transcript]


def doc(response: VoiceResponse) -> str:
    return str(response)


def test_an_unconfigured_handset_answers_after_one_ring_and_the_document_runs_out() -> None:
    line = Line(
        row(
            status_callback="https://app.example/s",
            events=["initiated", "ringing", "answered", "completed"],
        )
    )
    line.docs[URL] = doc(_say("hello there"))
    line.run(T0 + 60 * S)
    assert line.call["status"] == "completed"
    assert line.call["answered_at"] == T0 + S
    assert line.kinds() == ["say", "hangup"]
    assert line.callbacks == [
        ("initiated", 0, None),
        ("ringing", 1, None),
        ("in-progress", 2, None),
        ("completed", 3, 1),  # 0.8 s of speech: one started second
    ]
    assert [f.initial for f in line.fetched] == [True]


def _say(*texts: str) -> VoiceResponse:
    response = VoiceResponse()
    for text in texts:
        response.say(text)
    return response


def test_ringing_outcomes() -> None:
    """busy and fail never ring; no-answer waits the Timeout; an answer later than the
    Timeout is no-answer; reject rings once and reads busy."""
    cases = {
        "busy": ("busy", 0),
        "fail": ("failed", 0),
        "no-answer": ("no-answer", 15),
        "reject": ("busy", 1),
        "late": ("no-answer", 15),
    }
    for name, (status, seconds) in cases.items():
        kind = "answer" if name == "late" else name
        after = "30" if name == "late" else None
        line = Line(row(timeout=15), {"+14155550142": behavior(kind, after)})
        line.run(T0 + 100 * S)
        assert (name, line.call["status"]) == (name, status)
        assert line.call["end_time"] == T0 + seconds * S, name
        assert line.call["duration"] == 0 and not line.fetched, name


def test_scripted_digits_submit_the_gather_and_the_action_replaces_the_document() -> None:
    menu = VoiceResponse()
    gather = Gather(num_digits=2, action="/chosen")
    gather.say("Enter your code")
    menu.append(gather)
    line = Line(
        row(), {"+14155550142": behavior("answer", "2", "wait 0.2; press 4; wait 0.3; press 2")}
    )
    line.docs[URL] = doc(menu)
    line.docs["https://app.example/chosen"] = doc(_say("ok"))
    line.run(T0 + 60 * S)
    assert line.fetched[1].url == "https://app.example/chosen"
    assert dict(line.fetched[1].params) == {"Digits": "42", "FinishedOnKey": ""}
    assert line.fetched[1].at == T0 + 2 * S + S // 2
    assert [t for t, kind, _ in line.transcript if kind == "digits"] == [0.2, 0.5]


def test_live_input_waits_its_turn_on_the_call_clock() -> None:
    """Input stamped between two timers is applied after the first and before the second."""
    menu = VoiceResponse()
    menu.pause(length=2)
    gather = Gather(num_digits=1, action="/chosen", timeout=5)
    menu.append(gather)
    line = Line(row())
    line.docs[URL] = doc(menu)
    line.docs["https://app.example/chosen"] = doc(_say("ok"))
    line.step(T0)
    line.step(T0 + S)  # answered
    line.step(T0 + 4 * S, [(7, T0 + 4 * S, "digits", "3")])
    assert line.kinds()[:4] == ["pause", "gather-start", "digits", "gather-end"]
    assert dict(line.fetched[-1].params)["Digits"] == "3"


def test_the_time_limit_ends_a_call() -> None:
    hold = VoiceResponse()
    hold.pause(length=600)
    line = Line(row(time_limit=30))
    line.docs[URL] = doc(hold)
    line.run(T0 + 3600 * S)
    assert line.call["status"] == "completed" and line.call["duration"] == 30
    assert line.transcript[-1][1:] == ("hangup", {"by": "time-limit"})


def test_a_failed_fetch_plays_the_application_error_once() -> None:
    line = Line(row())  # no document at URL: the fetch fails
    line.run(T0 + 60 * S)
    assert [d.get("text") for _, k, d in line.transcript if k == "say"] == [APPLICATION_ERROR]
    assert line.call["status"] == "completed"


def test_documents_that_take_no_time_are_cut_after_ten() -> None:
    spin = VoiceResponse()
    spin.redirect(URL)
    line = Line(row())
    line.docs[URL] = doc(spin)
    line.run(T0 + 60 * S)
    assert len(line.fetched) == MAX_FETCHES_PER_INSTANT + 1
    assert line.alerts == [11215] and line.call["status"] == "completed"


def test_dial_busy_no_answer_and_bridged() -> None:
    def dialing(to: str, behaviors: dict[str, Behavior], timeout: int = 30) -> Line:
        response = VoiceResponse()
        response.dial(to, action="/after", timeout=timeout)
        line = Line(row(), behaviors)
        line.docs[URL] = doc(response)
        line.docs["https://app.example/after"] = doc(VoiceResponse())
        line.run(T0 + 3600 * S)
        return line

    busy = dialing("+14155550199", {"+14155550199": behavior("busy")})
    assert dict(busy.fetched[-1].params)["DialCallStatus"] == "busy"
    quiet = dialing("+14155550199", {"+14155550199": behavior("no-answer")}, timeout=7)
    assert dict(quiet.fetched[-1].params)["DialCallStatus"] == "no-answer"
    assert quiet.fetched[-1].at == T0 + S + 7 * S
    bridged = dialing("+14155550199", {"+14155550199": behavior("answer", "3", "wait 20; hangup")})
    params = dict(bridged.fetched[-1].params)
    assert (params["DialCallStatus"], params["DialCallDuration"], params["DialBridged"]) == (
        "completed",
        "20",
        "true",
    )
    (child,) = bridged.children.values()
    assert (child.status, child.duration, child.to) == ("completed", 20, "+14155550199")


def test_the_caller_hanging_up_ends_a_dialed_leg_too() -> None:
    response = VoiceResponse()
    response.dial("+14155550199", action="/after")
    line = Line(
        row(),
        {
            "+14155550142": behavior("answer", None, "wait 5; hangup"),
            "+14155550199": behavior("answer", "1"),
        },
    )
    line.docs[URL] = doc(response)
    line.run(T0 + 3600 * S)
    (child,) = line.children.values()
    assert (child.status, child.duration) == ("completed", 4)
    assert line.call["duration"] == 5
    assert not [f for f in line.fetched if f.url.endswith("/after")]


def test_a_cancel_ends_once_and_a_later_step_does_nothing() -> None:
    call = row(status_callback="https://app.example/s", events=["completed"])
    session = Session(call, lambda n: Behavior(), compiled, [], T0)
    session.cancel(T0 + S)
    assert session.changes["status"] == "canceled"
    assert session.changes.get("start_time") is None  # it never left the queue
    assert [c.status for c in session.callbacks] == ["canceled"]
    ended = saved(call, session)
    again = Session(ended, lambda n: Behavior(), compiled, [], T0 + 2 * S)
    assert again.run() is None and again.callbacks == [] and again.wake_at() is None


def test_transcript_positions_continue_across_steps() -> None:
    line = Line(row())
    line.docs[URL] = doc(_say("one", "two", "three"))
    first = line.step(T0 + S)
    rows = first.transcript_rows()
    assert [r["position"] for r in rows] == [0]
    second = Session(line.call, lambda n: Behavior(), compiled, [], T0 + 2 * S)
    second.run()
    assert second.transcript_rows()[0]["position"] == 1


def _dial_many(behaviors: dict[str, Behavior], *numbers: str, timeout: int = 10) -> Line:
    from twilio.twiml.voice_response import Dial

    response = VoiceResponse()
    dial = Dial(action="/after", timeout=timeout)
    for number in numbers:
        dial.number(number)
    response.append(dial)
    line = Line(row(), behaviors)
    line.docs[URL] = doc(response)
    line.docs["https://app.example/after"] = doc(VoiceResponse())
    line.run(T0 + 3600 * S)
    return line


def test_a_dial_rings_every_number_and_bridges_the_first_to_answer() -> None:
    a, b = "+14155550171", "+14155550172"
    line = _dial_many(
        {a: behavior("answer", "5"), b: behavior("answer", "3", "wait 4; hangup")}, a, b
    )
    params = dict(line.fetched[-1].params)
    legs = {child.to: child for child in line.children.values()}
    assert params["DialCallSid"] == legs[b].sid and params["DialCallDuration"] == "4"
    assert (legs[a].status, legs[a].end_time) == ("canceled", T0 + S + 3 * S)
    assert legs[b].status == "completed"


def test_a_dial_nobody_answers_reports_what_the_legs_did() -> None:
    a, b = "+14155550173", "+14155550174"
    mixed = _dial_many({a: behavior("busy"), b: behavior("no-answer")}, a, b)
    assert dict(mixed.fetched[-1].params)["DialCallStatus"] == "no-answer"
    assert mixed.fetched[-1].at == T0 + S + 10 * S
    both = _dial_many({a: behavior("busy"), b: behavior("busy")}, a, b)
    assert dict(both.fetched[-1].params)["DialCallStatus"] == "busy"
    assert sorted(c.status for c in both.children.values()) == ["busy", "busy"]


def test_a_recording_is_kept_and_its_action_told_where_it_is() -> None:
    response = VoiceResponse()
    response.record(action="/recorded", timeout=3, recording_status_callback="/rec-status")
    line = Line(
        row(), {"+14155550142": behavior("answer", None, 'wait 1; say "leave it at the door"')}
    )
    line.docs[URL] = doc(response)
    line.docs["https://app.example/recorded"] = doc(_say("thanks"))
    sessions = []
    now = T0
    while True:
        session = line.step(now)
        sessions.append(session)
        wake = session.wake_at()
        if wake is None:
            break
        now = wake
    (recording,) = [r for s in sessions for r in s.recordings]
    params = dict(line.fetched[-1].params)
    assert params["RecordingSid"] == recording.sid and params["RecordingDuration"] == "3"
    assert params["RecordingUrl"].endswith(f"/Recordings/{recording.sid}")
    # From the beep: 1 s of silence and five words (2 s); the silence after them is trimmed.
    assert recording.micros == 3 * S
    assert recording.status_callback == "https://app.example/rec-status"
    record = next(d for _, kind, d in line.transcript if kind == "record")
    assert record["recording_sid"] == recording.sid


def test_a_step_that_cannot_run_ends_the_call_once() -> None:
    ringing = row(status_callback="https://app.example/s", events=["completed"])
    session = Session(ringing, lambda n: Behavior(), compiled, [], T0)
    session.abort(T0)
    assert (session.changes["status"], session.alerts[0][0]) == ("failed", 20500)
    assert [c.status for c in session.callbacks] == ["failed"]
    line = Line(row())
    line.docs[URL] = doc(_say("one two three"))
    line.step(T0 + S)
    live = Session(line.call, lambda n: Behavior(), compiled, [], T0 + 2 * S)
    live.abort(T0 + 2 * S)
    assert (
        live.changes["status"] == "completed" and live.transcript[0][2]["text"] == APPLICATION_ERROR
    )
    again = Session(saved(line.call, live), lambda n: Behavior(), compiled, [], T0 + 3 * S)
    again.abort(T0 + 3 * S)
    assert again.changes == {} and again.alerts == []


def test_inline_twiml_that_does_not_parse_is_the_application_error() -> None:
    line = Line(row(url=None, twiml="this is not TwiML"))
    line.run(T0 + 60 * S)
    assert line.call["status"] == "completed" and line.alerts == [12100]
    assert [d.get("text") for _, k, d in line.transcript if k == "say"] == [APPLICATION_ERROR]
