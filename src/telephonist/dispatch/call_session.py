"""One step of a call's life, as a pure function of its stored state and the clock.

A call is a row; each due ``call`` task runs one *step*: :class:`Session` takes the row (its
``state`` JSON), the handsets' behaviours, the live input waiting for it and *now*, and plays
everything that happens up to now in call-clock order -- ringing, the answer, the interpreter's
timers (:mod:`telephonist.twiml.voice`), the handset's script, digits and speech sent from
outside, a ``<Dial>``'s second leg, the time limit, a hang-up. When the call needs TwiML it
stops and answers a :class:`Fetch`; the handler fetches it (outside any transaction) and hands
the compiled program back with :meth:`Session.fetched`, and the step goes on. What the step
did comes out as plain data (column changes, transcript entries, status callbacks owed,
alerts, child calls) for the handler to write in one guarded transaction, and
:meth:`Session.wake_at` says when the next step is due.

Nothing here does I/O, so every rule of a call's timing is unit-tested on plain values, and a
restart resumes a call from exactly the state its last step wrote.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from telephonist.domain import scripts
from telephonist.domain.call_params import CallFacts
from telephonist.domain.calls import (
    DEFAULT_GREETING_MICROS,
    FINAL_STATUSES,
    Behavior,
    can_move,
    event_of,
)
from telephonist.domain.sids import new_sid
from telephonist.twiml import voice
from telephonist.twiml.parse import TwimlError
from telephonist.twiml.voice import Position, Program

MICROS = 1_000_000
APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."
MAX_FETCHES_PER_INSTANT = 10
"""Documents fetched at one instant of the call clock before the loop is cut (11215)."""
TOO_MANY_REDIRECTS = 11215
INTERNAL_ERROR = 20500
DIAL_CLIENT_UNSUPPORTED = 13227
REJECT_DELAY_MICROS = MICROS  # a declined call rings once, then reads busy


@dataclass(frozen=True, slots=True)
class Fetch:
    """The call needs TwiML from ``url`` (``params`` beyond the common voice ones) at ``at``.
    ``fallback`` is tried if it fails; ``initial`` marks the call's first document."""

    at: int
    url: str
    method: str
    params: tuple[tuple[str, str], ...] = ()
    fallback_url: str | None = None
    fallback_method: str = "POST"
    initial: bool = False


@dataclass(frozen=True, slots=True)
class Callback:
    """A status callback owed: the event's CallStatus, its sequence number and time."""

    status: str
    sequence: int
    at: int
    duration: int | None = None
    extra: tuple[tuple[str, str], ...] = ()  # the call's recording, on the final event


@dataclass(frozen=True)
class LegCallback:
    """A status callback owed for a ``<Dial>`` leg (its ``<Number statusCallback>``)."""

    url: str
    method: str
    facts: CallFacts
    sequence: int
    at: int
    duration: int | None = None


@dataclass
class Child:
    """A ``<Dial>``'s second leg, written as its own call (direction ``outbound-dial``)."""

    sid: str
    to: str
    from_: str
    created_at: int
    status: str = "ringing"
    answered_at: int | None = None
    end_time: int | None = None
    duration: int | None = None
    # A leg to one of the server's own numbers: the inbound call it makes there (which runs
    # that number's VoiceUrl and tells this call when it answers and ends).
    inbound_sid: str | None = None


@dataclass(frozen=True, slots=True)
class Recording:
    """A ``<Record>`` that heard something: stored as a Recording (its audio is ``micros`` long
    and ended at ``ended_at``), with its status callback if the verb asked for one."""

    sid: str
    micros: int
    ended_at: int
    url: str
    status_callback: str | None
    status_callback_method: str
    source: str = "RecordVerb"
    events: frozenset[str] = frozenset({"completed"})
    channels: int = 1
    track: str | None = None  # RecordingTrack (by source unless told)


@dataclass(frozen=True, slots=True)
class RecordingNote:
    """A recording status callback that stores nothing: ``in-progress`` when a recording
    begins, ``absent`` when one ends having heard nothing (each only if asked for)."""

    sid: str
    status: str
    at: int
    callback: str
    method: str
    source: str
    channels: int = 1
    url: str = ""  # the recording's URL (an absent one has none)
    track: str | None = None  # RecordingTrack (by source unless told)


APP = "app"
"""The plan for a party that is one of the server's numbers: its app answers, not a handset."""


def position_of(raw: list[Any] | None) -> Position:
    if not raw:
        return Position()
    pc, since, digits, heard_at, done = raw
    return Position(pc, since, digits, heard_at, bool(done))


def position_json(pos: Position) -> list[Any]:
    return [pos.pc, pos.since, pos.digits, pos.heard_at, pos.done]


def initial_state(phase: str) -> dict[str, Any]:
    return {"phase": phase, "seq": 0, "events": 0}


@dataclass
class Session:
    """A call's step. ``behavior_of(number)`` answers how a handset answers; ``compile``
    turns stored TwiML back into a program (the handler caches it)."""

    call: Mapping[str, Any]
    behavior_of: Callable[[str], Behavior]
    compile: Callable[[str, str | None], Program]
    inputs: list[tuple[int, int, str, str]]
    now: int
    changes: dict[str, Any] = field(default_factory=dict)
    transcript: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)
    alerts: list[tuple[int, str]] = field(default_factory=list)
    children: dict[str, Child] = field(default_factory=dict)
    base_url: str = ""
    """Where this server is reached: recording URLs given to apps are absolute."""
    recordings: list[Recording] = field(default_factory=list)
    notices: list[tuple[str, int, str, str]] = field(default_factory=list)
    """Input for other calls, ``(call sid, at, kind, value)``: the two ends of a ``<Dial>`` to
    one of the server's numbers tell each other when they answer and hang up."""
    used_inputs: list[int] = field(default_factory=list)
    recording_notes: list[RecordingNote] = field(default_factory=list)
    leg_callbacks: list[LegCallback] = field(default_factory=list)
    """Status callbacks owed for ``<Dial>`` legs, by their ``<Number statusCallback>``."""
    rung: list[tuple[str, str, str, int]] = field(default_factory=list)
    """Inbound calls this step placed at the server's own numbers, ``(sid, from, to, at)``: a
    call created through the API to one of them rings its app, which answers for it."""

    def __post_init__(self) -> None:
        self.config: dict[str, Any] = json.loads(self.call["config"])
        self.state: dict[str, Any] = json.loads(self.call["state"])
        self.status: str = self.call["status"]
        self.answered_at: int | None = self.call["answered_at"]
        self._program: Program | None = None
        self._fetches_at: tuple[int, int] = (-1, 0)
        self._pending = [i for i in self.inputs if i[1] <= self.now]
        self._first_event: int = self.state.get("events", 0)
        self._owed: Fetch | None = None

    # -- what the handler reads ----------------------------------------------------------

    @property
    def ended(self) -> bool:
        return bool(self.state["phase"] == "ended")

    def facts(self, status: str | None = None) -> CallFacts:
        return CallFacts(
            sid=self.call["sid"],
            account_sid=self.call["account_sid"],
            from_=self.call["from_"],
            to=self.call["to"],
            status=status or self.status,
            direction=self.call["direction"],
            parent_call_sid=self.call["parent_call_sid"],
            forwarded_from=self.call["forwarded_from"],
            caller_name=self.call["caller_name"],
            answered_by=self.changes.get("answered_by", self.call["answered_by"]),
        )

    def wake_at(self) -> int | None:
        """When the next step is due (None: only outside input can move the call)."""
        if self.ended:
            return None
        times = [t for t in self._times() if t is not None]
        return min(times) if times else None

    @property
    def cookies(self) -> str | None:
        """The cookies the app set during this call (a jar as JSON), sent with each later
        request of the call, as Twilio keeps them for a call's duration."""
        jar = self.state.get("cookies")
        return str(jar) if jar else None

    @cookies.setter
    def cookies(self, jar: str | None) -> None:
        if jar and not self.ended:
            self.state["cookies"] = jar
        else:
            self.state.pop("cookies", None)

    def document_request(self) -> tuple[str | None, str]:
        """The URL and method that fetched the document running now (no URL: TwiML given
        inline, which counts as POSTed)."""
        doc = self.state.get("doc")
        if not doc or not doc[1]:
            return (None, "POST")
        return (doc[1], doc[2] or "POST")

    def state_json(self) -> str:
        self.state["events"] = self._first_event + len(self.transcript)
        return json.dumps(self.state, separators=(",", ":"))

    def transcript_rows(self) -> list[dict[str, Any]]:
        """This step's transcript entries, numbered after the ones already stored."""
        sid = self.call["sid"]
        return [
            {
                "call_sid": sid,
                "position": self._first_event + n,
                "at": at,
                "kind": kind,
                "detail": detail,
            }
            for n, (at, kind, detail) in enumerate(self.transcript)
        ]

    def abort(self, at: int) -> None:
        """End the call now because its step could not run (a bug, with alert 20500): a call
        not yet answered fails; an answered one hears the application error and ends."""
        if self.ended:
            return
        self.alerts.append((INTERNAL_ERROR, "the call's step failed; the call was ended"))
        if self.status in ("queued", "ringing"):
            if self.status == "queued":
                self.status = "ringing"
            self._end(at, "failed", answered=False)
            return
        self._hear(at, "say", {"text": APPLICATION_ERROR, "voice": "man", "language": "en-US"})
        self._hear(at, "hangup", {"by": "twiml", "reason": "application error"})
        self._end(at, "completed")

    def cancel(self, at: int) -> None:
        """End a call that was never answered as ``canceled`` (an API update)."""
        self._end(at, "canceled", answered=False)

    # -- running ------------------------------------------------------------------------

    def run(self) -> Fetch | None:
        """Play everything due by now; stop at the first document the call needs."""
        if self._owed is not None:
            return self._take_owed()
        if self.state["phase"] in ("queued", "ringing", "inbound"):
            self._hang_up_unanswered()
        while not self.ended:
            phase = self.state["phase"]
            if phase == "queued":
                self._dial_out(min(self.call["date_created"], self.now))
                continue
            if phase == "ringing":
                news = self._own_number_news()
                if news is not None:
                    return news
                if self.state["phase"] != "ringing":  # that news answered or ended it
                    continue
                if self.state["ring_end"] > self.now:
                    return None
                fetch = self._ring_ends(self.state["ring_end"])
                if fetch is not None:
                    return fetch
                continue
            if phase == "inbound":
                return self._first_fetch(self.call["date_created"])
            fetch = self._live()
            return fetch
        return None

    def fetched(self, fetch: Fetch, document: tuple[str, str | None] | None) -> None:
        """The TwiML ``fetch`` asked for: ``(twiml, url)``, or None when it could not be had
        (the fetch recorded why); the call then hears Twilio's application error and ends."""
        at = fetch.at
        if self._count_fetch(at):
            document = None
        program = None
        if document is not None:
            try:
                program = self.compile(*document)
            except TwimlError as exc:  # inline TwiML (a create, an update) is parsed only now
                self.alerts.append((exc.code, exc.detail))
                document = None
        if self.state["phase"] == "inbound":
            if program is not None and _rejects(program):
                # <Reject> first: the call is never answered (nor billed).
                reject = program.instructions[0]
                assert isinstance(reject, voice.Reject)
                self._hear(at, "hangup", {"by": "twiml", "reason": reject.reason})
                self._end(at, "busy" if reject.reason == "busy" else "no-answer", answered=False)
                return
            # Twilio answers an inbound call by running its first document.
            self._answer(at)
        if document is None or program is None:
            self._hear(at, "say", {"text": APPLICATION_ERROR, "voice": "man", "language": "en-US"})
            self._hear(at, "hangup", {"by": "twiml", "reason": "application error"})
            self._end(at, "completed")
            return
        twiml, url = document
        self._program = program
        self.state["doc"] = [twiml, url, fetch.method if url else None]
        for code, detail in program.warnings:
            self.alerts.append((code, detail))
        # The document may ask for another at once (a <Redirect> first): run() hands it out.
        self._owed = self._effects(voice.advance(program, Position(), voice.Start(at)))

    # -- ringing ------------------------------------------------------------------------

    def _hang_up_unanswered(self) -> None:
        """A hang-up from the handset before the call is answered: the caller giving up on an
        inbound call (canceled), the callee declining an outbound one (busy)."""
        for ident, at, kind, value in self._pending:
            if kind == "hangup":
                self.used_inputs.append(ident)
                status = "canceled" if self.call["direction"] == "inbound" else "busy"
                self._hear(at, "hangup", {"by": value or "caller", "reason": "not answered"})
                if self.status == "queued":
                    self._callback("initiated", at)
                    self.status = "ringing"
                self._end(at, status, answered=False)
                return

    def _take_owed(self) -> Fetch | None:
        owed, self._owed = self._owed, None
        return owed

    def _dial_out(self, at: int) -> None:
        """An outbound call leaves the queue: it is initiated and rings the callee."""
        self._callback("initiated", at)
        self.changes["start_time"] = at
        callee = self.behavior_of(self.call["to"])
        if callee.kind == APP:
            self._ring_own_number(at)
            return
        if not callee.rings():
            # Busy (or failing) at once: the call never rings, and reports only its end.
            self.status = "ringing"
            self._end(at, callee.outcome(), answered=False)
            return
        self._move("ringing", at)
        timeout = int(self.config.get("timeout", 60)) * MICROS
        outcome = callee.outcome()
        if callee.kind == "reject":
            ring_end = at + REJECT_DELAY_MICROS
        elif outcome == "in-progress":
            ring_end = at + callee.answer_after
            if callee.answer_after > timeout:
                ring_end, outcome = at + timeout, "no-answer"
        else:
            ring_end = at + timeout
        # What the carrier planned is kept: the answer (a later step, maybe another worker's)
        # follows it, and the leg is never handed over twice.
        self.state.update(
            phase="ringing",
            ring_end=ring_end,
            outcome=outcome,
            callee=[callee.kind, scripts.format_script(callee.script)],
        )

    def _ring_own_number(self, at: int) -> None:
        """The callee is one of the server's numbers: an inbound call rings there and runs
        its VoiceUrl, and this call answers when that one does (its app answered), ends when
        it ends, and is not answered if it never is within the Timeout."""
        inbound = new_sid("CA")
        self.rung.append((inbound, self.call["from_"], self.call["to"], at))
        self._move("ringing", at)
        timeout = int(self.config.get("timeout", 60)) * MICROS
        self.state.update(
            phase="ringing",
            ring_end=at + timeout,
            outcome="no-answer",
            callee=[APP, ""],
            inbound=inbound,
        )

    def _own_number_news(self) -> Fetch | None:
        """While this call rings one of the server's numbers: that call answered (this one
        answers now) or ended unanswered (this one ends as it did)."""
        if self.state.get("inbound") is None:
            return None
        sid = self.call["sid"]
        for ident, at, kind, value in self._pending:
            if kind == "leg-answered" and value == sid:
                self.used_inputs.append(ident)
                self.state.update(outcome="in-progress", ring_end=at)
                return self._ring_ends(at)
            news = json.loads(value) if kind == "leg-ended" else None
            if news is not None and news["leg"] == sid:
                self.used_inputs.append(ident)
                status = news["status"]
                self.state["inbound"] = None  # that end is over: nothing to tell it
                self._end(
                    at, status if status in ("busy", "failed") else "no-answer", answered=False
                )
                return None
        return None

    def _ring_ends(self, at: int) -> Fetch | None:
        outcome = self.state["outcome"]
        if outcome != "in-progress":
            self._end(at, outcome, answered=False)
            return None
        kind, script = self.state["callee"]
        if kind == APP:  # the number's app speaks for that end: nothing scripted here
            kind = Behavior().kind
        callee = Behavior(kind, 0, scripts.parse(script) if script else ())
        amd = self.config.get("machine_detection")
        if amd:
            if callee.kind == "machine":
                answered_by = "machine_end_beep" if amd == "DetectMessageEnd" else "machine_start"
            else:
                answered_by = "human"
            self.changes["answered_by"] = answered_by
        start = at
        if callee.kind == "machine" and amd == "DetectMessageEnd":
            start = at + DEFAULT_GREETING_MICROS  # the TwiML runs after the beep
        self._answer(at)
        self._plan_script(callee.script, at)
        if callee.kind == "machine":
            self._hear(at, "machine-greeting", {"seconds": "5"})
        if self.config.get("send_digits"):
            self._hear(at, "send-digits", {"digits": self.config["send_digits"]})
        return self._first_fetch(start)

    def _first_fetch(self, at: int) -> Fetch | None:
        config = self.config
        if config.get("url"):
            return Fetch(
                at,
                config["url"],
                config.get("method", "POST"),
                fallback_url=config.get("fallback_url"),
                fallback_method=config.get("fallback_method", "POST"),
                initial=True,
            )
        if config.get("twiml"):
            self.fetched(Fetch(at, "", "POST", initial=True), (config["twiml"], None))
            return self._take_owed()
        self.fetched(Fetch(at, "", "POST", initial=True), None)
        return self._take_owed()

    def _answer(self, at: int) -> None:
        self._move("in-progress", at)
        self.answered_at = at
        self.changes["answered_at"] = at
        if self.config.get("record"):
            self.state["call_rec"] = self._recording_begins(
                at,
                self._call_recording(),
                "OutboundAPI",
                self._call_channels(),
                self.config.get("recording_track"),
            )
        if self.call["direction"] == "inbound":
            self.changes.setdefault("start_time", at)
            self._plan_script(
                scripts.parse(self.config["caller_script"])
                if self.config.get("caller_script")
                else (),
                at,
            )
            bridge = self.config.get("bridge")
            if bridge:
                self.notices.append((bridge["parent"], at, "leg-answered", bridge["leg"]))
        self.state["phase"] = "live"

    def _plan_script(self, steps: tuple[scripts.Step, ...], at: int) -> None:
        self.state["script"] = [[at + a.at, a.kind, a.value] for a in scripts.timeline(steps)]

    # -- a live call --------------------------------------------------------------------

    def program(self) -> Program:
        if self._program is None:
            twiml, url = self.state["doc"][:2]
            self._program = self.compile(twiml, url)
        return self._program

    def _times(self) -> list[int | None]:
        phase = self.state["phase"]
        if phase == "queued" or phase == "inbound":
            return [self.call["date_created"]]
        if phase == "ringing":
            return [self.state["ring_end"]]
        script = self.state.get("script") or []
        dial = self.state.get("dial")
        times: list[int | None] = [
            self.state.get("wake"),
            script[0][0] if script else None,
            self._pending[0][1] if self._pending else None,
            self._limit(),
        ]
        if dial:
            times.append(dial.get("answer_at") if dial["status"] == "ringing" else None)
            times.append(dial.get("end_at"))
        return times

    def _limit(self) -> int | None:
        if self.answered_at is None:
            return None
        return self.answered_at + int(self.config.get("time_limit", 14400)) * MICROS

    def _live(self) -> Fetch | None:
        while not self.ended:
            times = [t for t in self._times() if t is not None]
            if not times or min(times) > self.now:
                return None
            at = min(times)
            fetch = self._next_event(at)
            if fetch is not None:
                return fetch
        return None

    def _next_event(self, at: int) -> Fetch | None:
        state = self.state
        script = state.get("script") or []
        dial = state.get("dial")
        if self._limit() == at:
            self._hear(at, "hangup", {"by": "time-limit"})
            self._hang_up(at)
            return None
        if self._pending and self._pending[0][1] == at:
            ident, _, kind, value = self._pending.pop(0)
            self.used_inputs.append(ident)
            return self._input(at, kind, value)
        if script and script[0][0] == at:
            _, kind, value = script.pop(0)
            return self._input(at, kind, value)
        if dial and dial["status"] == "ringing" and dial.get("answer_at") == at:
            self._dial_answered(at)
            return None
        if dial and dial.get("end_at") == at:
            return self._dial_over(at, dial["end_status"])
        # the interpreter's own timer
        return self._advance(voice.Tick(at))

    def _input(self, at: int, kind: str, value: str) -> Fetch | None:
        if kind == "digits":
            return self._advance(voice.Digits(at, value))
        if kind == "speech":
            return self._advance(voice.Speech(at, value))
        if kind == "hangup":
            self._hear(at, "hangup", {"by": value or "caller"})
            self._hang_up(at)
            return None
        if kind in ("leg-answered", "leg-ended"):
            return self._leg_news(at, kind, value)
        if kind == "redirect":  # an API update: new TwiML now
            target = json.loads(value)
            self._hear(at, "redirect", {"url": target.get("url") or "twiml"})
            self.state["wake"] = None
            if target.get("url"):
                return Fetch(at, target["url"], target.get("method", "POST"))
            self.fetched(Fetch(at, "", "POST"), (target["twiml"], None))
            return self._take_owed()
        return None

    def _leg_news(self, at: int, kind: str, value: str) -> Fetch | None:
        """The call a ``<Dial>`` made to one of the server's numbers answered or ended, or the
        call at one of them this call was placed to (through the API) ended."""
        dial = self.state.get("dial")
        leg = value if kind == "leg-answered" else json.loads(value)["leg"]
        if leg == self.call["sid"] and self.state.get("inbound"):
            if kind == "leg-ended":
                self.state["inbound"] = None  # that end is over: nothing to tell it
                self._hear(at, "hangup", {"by": "remote"})
                self._hang_up(at)
            return None
        if not dial or dial.get("sid") != leg:
            return None  # news of a leg this call no longer waits for
        if kind == "leg-answered":
            if dial["status"] == "ringing":
                self._dial_answered(at)
            return None
        news = json.loads(value)
        status = "completed" if dial["status"] == "in-progress" else news["status"]
        dial["inbound"] = None  # that end is over: nothing to tell it
        return self._dial_over(at, status)

    def _advance(self, event: voice.Event, extra: Mapping[str, str] = {}) -> Fetch | None:
        """Run ``event``; ``extra`` parameters join the request it makes (a ``<Dial
        record>``'s recording, told to the Dial's action)."""
        pos = position_of(self.state.get("pos"))
        outcome = voice.advance(self.program(), pos, event)
        return self._effects(outcome, extra)

    def _effects(self, outcome: voice.Outcome, extra: Mapping[str, str] = {}) -> Fetch | None:
        self.state["pos"] = position_json(outcome.position)
        self.state["wake"] = outcome.wake_at
        fetch: Fetch | None = None
        recorded: dict[str, str] = {}
        for effect in outcome.effects:
            if isinstance(effect, voice.Heard):
                self._hear(effect.at, effect.kind, dict(effect.detail))
            elif isinstance(effect, voice.Alert):
                self.alerts.append((effect.code, effect.detail))
            elif isinstance(effect, voice.End):
                at = self.transcript[-1][0] if self.transcript else self.now
                self._end(at, "completed")
            elif isinstance(effect, voice.Request):
                at = self.transcript[-1][0] if self.transcript else self.now
                params = {**effect.params, **recorded, **extra}
                fetch = Fetch(at, effect.url, effect.method, tuple(params.items()))
            elif isinstance(effect, voice.StartRecording):
                self.state["rec_sid"] = self._recording_begins(
                    self._last_at(), effect.callback, "RecordVerb"
                )
            elif isinstance(effect, voice.Recorded):
                sid = self.state.pop("rec_sid", None) or new_sid("RE")
                if effect.micros > 0:
                    recorded = self._recorded(effect, sid)
                else:
                    self._recording_absent(
                        sid,
                        voice.RecordingCallback(
                            effect.status_callback,
                            effect.status_callback_method,
                            effect.status_callback_events,
                        ),
                        "RecordVerb",
                    )
            elif isinstance(effect, voice.PlaceDial):
                self._place_dial(effect.dial)
            elif isinstance(effect, voice.EndDial):
                dial = self.state.get("dial")
                if dial and dial["status"] == "in-progress":
                    dial.update(end_at=self._last_at(), end_status="completed")
        return fetch

    def _recording_url(self, sid: str) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{self.call['account_sid']}/Recordings/{sid}"

    def _recording_begins(
        self,
        at: int,
        callback: voice.RecordingCallback,
        source: str,
        channels: int = 1,
        track: str | None = None,
    ) -> str:
        """Name a recording as it begins (its SID is what the ``in-progress`` callback, if
        asked for, and the stored recording share)."""
        sid = new_sid("RE")
        if callback.url and "in-progress" in callback.events:
            self.recording_notes.append(
                RecordingNote(
                    sid,
                    "in-progress",
                    at,
                    callback.url,
                    callback.method,
                    source,
                    channels,
                    url=self._recording_url(sid),
                    track=track,
                )
            )
        return sid

    def _recording_absent(
        self,
        sid: str,
        callback: voice.RecordingCallback,
        source: str,
        channels: int = 1,
        track: str | None = None,
    ) -> None:
        """A recording that heard nothing is not kept; ``absent`` says so, if asked for."""
        if callback.url and "absent" in callback.events:
            self.recording_notes.append(
                RecordingNote(
                    sid,
                    "absent",
                    self._last_at(),
                    callback.url,
                    callback.method,
                    source,
                    channels,
                    track=track,
                )
            )

    def _recorded(self, effect: voice.Recorded, sid: str) -> dict[str, str]:
        """Keep a recording; answers what the ``<Record>`` action is told about it."""
        url = self._recording_url(sid)
        at = self._last_at()
        self.recordings.append(
            Recording(
                sid,
                effect.micros,
                at,
                url,
                effect.status_callback,
                effect.status_callback_method,
                events=effect.status_callback_events,
            )
        )
        if self.transcript and self.transcript[-1][1] == "record":
            self.transcript[-1][2]["recording_sid"] = sid
        return {
            "RecordingUrl": url,
            "RecordingSid": sid,
            "RecordingDuration": str(_whole_seconds(effect.micros)),
        }

    def _last_at(self) -> int:
        return self.transcript[-1][0] if self.transcript else self.now

    # -- <Dial> -------------------------------------------------------------------------

    def _place_dial(self, dial: voice.DialVerb) -> None:
        """Ring every ``<Number>`` of the Dial at once: the first to answer is bridged and the
        others are canceled; if none answers, the Dial ends when the last leg does (busy if
        every one was busy, failed if every one failed, else no-answer)."""
        at = self._last_at()
        numbers = [t for t in dial.targets if t.kind == "number"]
        for target in dial.targets:
            if target.kind != "number":
                status = "no-answer" if target.kind == "client" else "failed"
                self.alerts.append(
                    (
                        DIAL_CLIENT_UNSUPPORTED,
                        f"<Dial><{target.kind.capitalize()}> is not simulated; {status}",
                    )
                )
        if not numbers:
            kind = dial.targets[0].kind if dial.targets else "nothing"
            status = "no-answer" if kind == "client" else "failed"
            end_at = at + dial.timeout if status == "no-answer" else at
            self.state["dial"] = {
                "sid": None,
                "status": "ringing",
                "end_at": end_at,
                "end_status": status,
            }
            return
        # Twilio's default caller ID for a <Dial> is the calling party's number.
        from_ = dial.caller_id or self.call["from_"]
        legs = [self._leg(target, from_, at, dial) for target in numbers]
        if self.transcript and self.transcript[-1][1] == "dial":
            self.transcript[-1][2]["call_sid"] = legs[0]["sid"]
        answering = [leg for leg in legs if leg.get("answer_at") is not None]
        apps = [leg for leg in legs if leg.get("inbound")]
        if apps:  # an app answers as soon as its TwiML runs: before any handset
            winner = apps[0]
        elif answering:
            winner = min(answering, key=lambda leg: int(leg["answer_at"]))
        else:
            last = max(int(leg["end_at"]) for leg in legs)
            statuses = {leg["end_status"] for leg in legs}
            status = statuses.pop() if len(statuses) == 1 else "no-answer"
            winner = {**legs[0], "end_at": last, "end_status": status}
        winner = {**winner, "status": "ringing", "limit": dial.time_limit}
        winner["others"] = [leg for leg in legs if leg["sid"] != winner["sid"]]
        if dial.record != "do-not-record":
            callback = dial.recording
            winner["rec"] = {
                "mode": dial.record,
                "url": callback.url,
                "method": callback.method,
                "events": sorted(callback.events),
            }
            if dial.record.startswith("record-from-ringing"):
                self._dial_recording_begins(winner["rec"], at)
        self.state["dial"] = winner

    def _dial_recording_begins(self, rec: dict[str, Any], at: int) -> None:
        """``<Dial record>``: the recording starts when the legs ring or when one answers."""
        rec.update(
            sid=self._recording_begins(at, _callback_of(rec), "DialVerb", _channels_of(rec)),
            start=at,
        )

    def _dial_recorded(self, rec: dict[str, Any] | None, at: int) -> dict[str, str]:
        """Keep a ``<Dial record>``'s recording as the Dial ends; answers what its action is
        told (RecordingUrl, RecordingSid, RecordingDuration), as Twilio does."""
        if not rec or not rec.get("sid"):
            return {}
        callback, channels = _callback_of(rec), _channels_of(rec)
        micros = at - int(rec["start"])
        if micros <= 0:
            self._recording_absent(rec["sid"], callback, "DialVerb", channels)
            return {}
        url = self._recording_url(rec["sid"])
        self.recordings.append(
            Recording(
                rec["sid"],
                micros,
                at,
                url,
                callback.url,
                callback.method,
                source="DialVerb",
                events=callback.events,
                channels=channels,
            )
        )
        return {
            "RecordingUrl": url,
            "RecordingSid": rec["sid"],
            "RecordingDuration": str(_whole_seconds(micros)),
        }

    def _leg(
        self, target: voice.Target, from_: str, at: int, dial: voice.DialVerb
    ) -> dict[str, Any]:
        """One dialed leg, and how its handset will answer it."""
        to = target.address
        child = Child(sid=new_sid("CA"), to=to, from_=from_, created_at=at)
        self.children[child.sid] = child
        callee = self.behavior_of(to)
        leg: dict[str, Any] = {"sid": child.sid, "to": to, "from": from_, "created": at}
        if target.status_callback:
            leg["cb"] = {
                "url": target.status_callback,
                "method": target.status_callback_method,
                "events": sorted(target.status_callback_events),
                "seq": 0,
            }
            self._leg_event(leg, "initiated", at)
        if target.send_digits:
            leg["digits"] = target.send_digits
        if callee.kind == APP:
            # One of the server's numbers: an inbound call there runs its VoiceUrl, and says
            # when it answers and ends; unanswered, the Dial times out as for a handset.
            self._leg_event(leg, "ringing", at)
            child.inbound_sid = new_sid("CA")
            leg.update(inbound=child.inbound_sid, end_at=at + dial.timeout, end_status="no-answer")
            return leg
        outcome = callee.outcome()
        if callee.rings():
            self._leg_event(leg, "ringing", at)
        if not callee.rings():
            leg.update(end_at=at, end_status=outcome)
        elif callee.kind == "reject":
            leg.update(end_at=at + REJECT_DELAY_MICROS, end_status="busy")
        elif outcome == "in-progress" and callee.answer_after <= dial.timeout:
            leg.update(answer_at=at + callee.answer_after, end_at=None, end_status="completed")
            hangup = [a.at for a in scripts.timeline(callee.script) if a.kind == "hangup"]
            leg["hangup_after"] = hangup[0] if hangup else None
        else:
            leg.update(end_at=at + dial.timeout, end_status="no-answer")
        return leg

    def _dial_answered(self, at: int) -> None:
        dial = self.state["dial"]
        dial.update(status="in-progress", answered=at)
        hangup = dial.get("hangup_after")
        limit = at + int(dial.get("limit") or 14400 * MICROS)
        dial["end_at"] = min(limit, at + hangup) if hangup is not None else limit
        dial["end_status"] = "completed"
        rec = dial.get("rec")
        if rec and not rec.get("sid"):
            self._dial_recording_begins(rec, at)
        self._hear(at, "dial-answered", {"call_sid": dial["sid"]})
        self._leg_event(dial, "in-progress", at)
        if dial.get("digits"):  # <Number sendDigits>: played to the callee once it answers
            self._hear(at, "send-digits", {"digits": dial["digits"], "call_sid": dial["sid"]})
        self.children[dial["sid"]] = Child(
            sid=dial["sid"],
            to=dial["to"],
            from_=dial["from"],
            created_at=dial["created"],
            status="in-progress",
            answered_at=at,
        )

    def _dial_over(self, at: int, status: str) -> Fetch | None:
        dial = self.state.pop("dial")
        for leg in (dial, *dial.get("others", ())):
            if leg.get("inbound"):  # the call at the server's number hangs up with this end
                self.notices.append((leg["inbound"], at, "hangup", "remote"))
        duration = 0
        if dial.get("answered") is not None:
            duration = _whole_seconds(at - dial["answered"])
        if dial.get("sid"):
            self.children[dial["sid"]] = Child(
                sid=dial["sid"],
                to=dial["to"],
                from_=dial["from"],
                created_at=dial["created"],
                status=status,
                answered_at=dial.get("answered"),
                end_time=at,
                duration=duration,
            )
            self._leg_event(dial, status, at, duration)
        for other in dial.get("others", ()):
            # A leg nobody bridged: it ended on its own, or was canceled when another
            # answered (or when the Dial itself ended first).
            ends = other.get("end_at")
            cut = dial.get("answered", at)
            if ends is not None and ends <= cut:
                other_status, other_end = other["end_status"], ends
            else:
                other_status, other_end = "canceled", cut
            self.children[other["sid"]] = Child(
                sid=other["sid"],
                to=other["to"],
                from_=other["from"],
                created_at=other["created"],
                status=other_status,
                end_time=other_end,
                duration=0,
            )
            self._leg_event(other, other_status, other_end, 0)
        recorded = self._dial_recorded(dial.get("rec"), at)
        event = voice.DialEnded(at, status, dial.get("sid"), duration)
        return self._advance(event, recorded)

    # -- ending -------------------------------------------------------------------------

    def _hang_up(self, at: int) -> None:
        """The call ends now (caller, API or time limit); a leg being dialed ends with it, and
        whatever TwiML its ``<Dial>`` action would answer is never run."""
        dial = self.state.get("dial")
        if dial:
            self._dial_over(at, "completed" if dial["status"] == "in-progress" else "canceled")
        self._end(at, "completed")

    def _end(self, at: int, status: str, *, answered: bool = True) -> None:
        if self.ended:
            return
        duration = 0
        extra: tuple[tuple[str, str], ...] = ()
        if answered and self.answered_at is not None:
            duration = _whole_seconds(at - self.answered_at)
            if self.config.get("record"):
                extra = self._record_call(at)
        self._move(status, at, duration=duration, extra=extra)
        self.changes.update(end_time=at, duration=duration)
        bridge = self.config.get("bridge")
        if bridge:
            told = json.dumps({"leg": bridge["leg"], "status": status, "answered": answered})
            self.notices.append((bridge["parent"], at, "leg-ended", told))
        if self.state.get("inbound"):  # the call at one of the server's numbers ends with it
            self.notices.append((self.state["inbound"], at, "hangup", "remote"))
        if self.state["phase"] != "queued":  # a call canceled in the queue never started
            self.changes.setdefault("start_time", self.call["start_time"] or at)
        self.state = {"phase": "ended", "seq": self.state["seq"], "events": self.state["events"]}

    def _record_call(self, at: int) -> tuple[tuple[str, str], ...]:
        """``Record=true`` on the create: the whole answered call is a recording, named in
        the final status callback as Twilio does."""
        assert self.answered_at is not None
        sid = self.state.get("call_rec") or new_sid("RE")
        callback = self._call_recording()
        micros = at - self.answered_at
        if micros <= 0:
            self._recording_absent(
                sid,
                callback,
                "OutboundAPI",
                self._call_channels(),
                self.config.get("recording_track"),
            )
            return ()
        url = self._recording_url(sid)
        self.recordings.append(
            Recording(
                sid,
                micros,
                at,
                url,
                callback.url,
                callback.method,
                source="OutboundAPI",
                events=callback.events,
                channels=self._call_channels(),
                track=self.config.get("recording_track"),
            )
        )
        return (
            ("RecordingUrl", url),
            ("RecordingSid", sid),
            ("RecordingDuration", str(_whole_seconds(micros))),
        )

    def _call_recording(self) -> voice.RecordingCallback:
        """The create's RecordingStatusCallback, its method and events."""
        return voice.RecordingCallback(
            self.config.get("recording_status_callback"),
            self.config.get("recording_status_callback_method", "POST"),
            frozenset(self.config.get("recording_events") or ("completed",)),
        )

    def _call_channels(self) -> int:
        return 2 if self.config.get("recording_channels") == "dual" else 1

    def _move(
        self,
        status: str,
        at: int,
        *,
        duration: int | None = None,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> None:
        if not can_move(self.status, status):
            return
        self.status = status
        self.changes["status"] = status
        self.changes["date_updated"] = max(at, self.call["date_updated"])
        self._callback(status, at, duration, extra)

    def _callback(
        self,
        status: str,
        at: int,
        duration: int | None = None,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> None:
        event = "initiated" if status == "initiated" else event_of(status)
        if not self.config.get("status_callback") or event not in self.config.get("events", ()):
            return
        final = status in FINAL_STATUSES
        self.callbacks.append(
            Callback(status, self.state["seq"], at, duration if final else None, extra)
        )
        self.state["seq"] += 1

    def _leg_event(
        self, leg: dict[str, Any], status: str, at: int, duration: int | None = None
    ) -> None:
        """A ``<Dial>`` leg moved to ``status``: owe its ``<Number statusCallback>`` the event,
        if it asked for it (initiated, ringing, answered, completed)."""
        cb = leg.get("cb")
        if not cb:
            return
        event = "initiated" if status == "initiated" else event_of(status)
        if event not in cb["events"]:
            return
        facts = CallFacts(
            sid=leg["sid"],
            account_sid=self.call["account_sid"],
            from_=leg["from"],
            to=leg["to"],
            status=status,
            direction="outbound-dial",
            parent_call_sid=self.call["sid"],
            forwarded_from=None,
            caller_name=None,
            answered_by=None,
        )
        final = status in FINAL_STATUSES
        self.leg_callbacks.append(
            LegCallback(cb["url"], cb["method"], facts, cb["seq"], at, duration if final else None)
        )
        cb["seq"] += 1

    def _hear(self, at: int, kind: str, detail: dict[str, str]) -> None:
        self.transcript.append((at, kind, detail))

    def _count_fetch(self, at: int) -> bool:
        """Count a document fetched at ``at``; True once too many came at one instant."""
        last, count = self._fetches_at
        count = count + 1 if last == at else 1
        self._fetches_at = (at, count)
        if count > MAX_FETCHES_PER_INSTANT:
            self.alerts.append(
                (
                    TOO_MANY_REDIRECTS,
                    f"more than {MAX_FETCHES_PER_INSTANT} documents with no time between them",
                )
            )
            return True
        return False


def _rejects(program: Program) -> bool:
    return bool(program.instructions) and isinstance(program.instructions[0], voice.Reject)


def _whole_seconds(micros: int) -> int:
    """Twilio reports a call's duration in whole seconds, a started second counting."""
    return -(-micros // MICROS) if micros > 0 else 0


def _callback_of(rec: Mapping[str, Any]) -> voice.RecordingCallback:
    return voice.RecordingCallback(
        rec.get("url"), rec.get("method", "POST"), frozenset(rec["events"])
    )


def _channels_of(rec: Mapping[str, Any]) -> int:
    return 2 if str(rec["mode"]).endswith("-dual") else 1
