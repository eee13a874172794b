"""What Twilio does with voice TwiML, as a pure state machine on the call clock.

A document is first *compiled* (:func:`compile_voice`) into a flat program of instructions:
``<Say loop="2">`` becomes one instruction that takes two utterances' time, a ``<Gather>``
becomes an opening, its prompts and a wait for input. Running it (:func:`advance`) takes the
program, a small :class:`Position` (which instruction, since when, what a Gather has heard so
far) and one event -- the call started, digits, speech, the clock reached a time, the caller
hung up -- and answers the new position and what happened, as plain data: transcript entries,
a request for more TwiML (a Gather's ``action``, a ``<Redirect>``), the end of the call, and
the time at which it wants the next clock event. Nothing here sleeps, fetches or stores: the
caller keeps :class:`Position` in the database, so a call survives a restart and can move
between workers, and a test drives hours of IVR in microseconds of wall time.

Time on a call: a ``<Say>`` lasts 0.4 s per word (at least
0.4 s) per loop, a ``<Play>`` of a URL 1 s per loop, a ``<Play digits>`` 0.5 s per ``w``,
a ``<Pause>`` its ``length``; ``loop="0"`` (Twilio: "until the call ends") repeats 1,000 times.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TypeAlias

from telephonist.domain import recordings as recording_rules
from telephonist.twiml.parse import (
    INVALID_URL,
    SCHEMA_WARNING,
    XML_WHITESPACE,
    Node,
    TwimlWarning,
    attribute,
    capped,
    method_of,
    resolve_url,
)
from telephonist.twiml.vocabulary import UNSUPPORTED_VOICE

MICROS = 1_000_000
SAY_MICROS_PER_WORD = 400_000
PLAY_MICROS_PER_LOOP = MICROS
PAUSE_DIGIT_MICROS = MICROS // 2
FOREVER_LOOPS = 1000
DEFAULT_CONFIDENCE = "0.9"

VERB_NOT_SUPPORTED = 13750
GATHER_INVALID_FINISH_ON_KEY = 13310
GATHER_INVALID_METHOD = 13312
GATHER_INVALID_TIMEOUT = 13313
GATHER_INVALID_NUM_DIGITS = 13314
GATHER_INVALID_INPUT = 13326
GATHER_INVALID_ACTION_ON_EMPTY = 13338
PLAY_INVALID_LOOP = 13410
PLAY_INVALID_DIGITS = 13430
SAY_INVALID_LOOP = 13510
DIAL_INVALID_METHOD = 13210
DIAL_INVALID_TIMEOUT = 13212
DIAL_INVALID_HANGUP_ON_STAR = 13213
DIAL_INVALID_TIME_LIMIT = 13216
DIAL_INVALID_RECORD = 13217
RECORD_INVALID_METHOD = 13610
RECORD_INVALID_TIMEOUT = 13611
RECORD_INVALID_MAX_LENGTH = 13612
RECORD_INVALID_FINISH_ON_KEY = 13613
RECORD_INVALID_PLAY_BEEP = 13616
RECORD_INVALID_STATUS_CALLBACK_EVENT = 13621
RECORD_INVALID_TRIM = 13699
REDIRECT_INVALID_METHOD = 13710
PAUSE_INVALID_LENGTH = 13910

_DTMF = re.compile(r"[0-9*#w]+")
_KEYS = frozenset("0123456789*#")
DIAL_RECORD = frozenset(
    {
        "do-not-record",
        "record-from-answer",
        "record-from-ringing",
        "record-from-answer-dual",
        "record-from-ringing-dual",
    }
)
DEFAULT_DIAL_TIME_LIMIT = 14400


# -- the program ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Speak:
    """Something the caller hears: ``kind`` "say" (``detail``: text, voice, language) or
    "play" (url or digits); ``micros`` is how long it takes; ``in_gather`` lets input cut it."""

    kind: str
    detail: Mapping[str, str]
    micros: int
    in_gather: bool = False


@dataclass(frozen=True)
class Silence:
    micros: int
    in_gather: bool = False


@dataclass(frozen=True)
class GatherOpen:
    """Input is collected from here on; the matching :class:`GatherWait` is at ``wait``."""

    wait: int


@dataclass(frozen=True)
class GatherWait:
    """After the prompts: wait ``timeout`` for input, then send it to ``action``."""

    action: str
    method: str
    dtmf: bool
    speech: bool
    timeout: int
    num_digits: int | None
    finish_on_key: str
    action_on_empty: bool


@dataclass(frozen=True)
class Redirect:
    url: str
    method: str


@dataclass(frozen=True)
class Target:
    """One party a ``<Dial>`` rings: ``kind`` "number", "client" or "sip"."""

    kind: str
    address: str
    url: str | None = None  # TwiML run on the callee before bridging (whisper)
    send_digits: str | None = None
    # The leg's own status callback (``statusCallback``, ``…Method``, ``…Event``).
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: frozenset[str] = frozenset({"completed"})


RECORDING_EVENTS = recording_rules.EVENTS
LEG_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})
"""What a ``<Number statusCallbackEvent>`` may ask for, as on a call's create."""


@dataclass(frozen=True)
class RecordingCallback:
    """A verb's ``recordingStatusCallback``, its method and the events it asks for
    (``recordingStatusCallbackEvent``, space-separated; ``completed`` unless told)."""

    url: str | None = None
    method: str = "POST"
    events: frozenset[str] = frozenset({"completed"})


@dataclass(frozen=True)
class DialVerb:
    targets: tuple[Target, ...]
    action: str | None
    method: str
    timeout: int
    time_limit: int
    caller_id: str | None
    hangup_on_star: bool
    record: str
    recording: RecordingCallback = field(default_factory=RecordingCallback)


@dataclass(frozen=True)
class RecordVerb:
    action: str
    method: str
    timeout: int  # silence that ends the recording (0: none)
    max_length: int
    finish_on_key: str
    play_beep: bool
    trim: str
    status_callback: str | None = None  # recordingStatusCallback
    status_callback_method: str = "POST"
    status_callback_events: frozenset[str] = frozenset({"completed"})


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Reject:
    reason: str  # "rejected" | "busy"


@dataclass(frozen=True)
class Unsupported:
    tag: str


Instruction: TypeAlias = (
    Speak
    | Silence
    | GatherOpen
    | GatherWait
    | Redirect
    | DialVerb
    | RecordVerb
    | Hangup
    | Reject
    | Unsupported
)


@dataclass(frozen=True)
class Program:
    instructions: tuple[Instruction, ...]
    warnings: tuple[TwimlWarning, ...] = ()


def compile_voice(root: Node, document_url: str | None) -> Program:
    """Flatten a parsed voice document; bad attribute values warn and take Twilio's default.

    ``document_url`` is where the document came from (None for inline ``Twiml``): relative
    URLs resolve against it, and a Gather without ``action`` posts back to it.
    """
    out: list[Instruction] = []
    warnings: list[TwimlWarning] = []
    for node in root.children:
        if not _compile(node, document_url, out, warnings):
            break
    return Program(tuple(out), capped(warnings))


def _compile(
    node: Node, base: str | None, out: list[Instruction], warnings: list[TwimlWarning]
) -> bool:
    """Add ``node``'s instructions; False when nothing after it can run."""
    tag = node.tag
    if tag in ("Say", "Play", "Pause"):
        out.append(_prompt(node, warnings, in_gather=False))
    elif tag == "Gather":
        opening = len(out)
        out.append(GatherOpen(-1))
        for child in node.children:
            out.append(_prompt(child, warnings, in_gather=True))
        out[opening] = GatherOpen(len(out))
        out.append(_gather(node, base, warnings))
    elif tag == "Redirect":
        method = method_of(node, REDIRECT_INVALID_METHOD, warnings)
        target = _url(node.text.strip(XML_WHITESPACE), base, "<Redirect> to", warnings)
        if target is None:  # as for messaging: the document stops here
            return False
        out.append(Redirect(target, method))
    elif tag == "Dial":
        out.append(_dial(node, base, warnings))
    elif tag == "Record":
        out.append(_record(node, base, warnings))
    elif tag == "Hangup":
        out.append(Hangup())
    elif tag == "Reject":
        reason = node.attrs.get("reason", "rejected")
        if reason not in ("rejected", "busy"):
            warnings.append((SCHEMA_WARNING, f"<Reject reason={reason!r}>; 'rejected' used"))
            reason = "rejected"
        out.append(Reject(reason))
    else:  # the vocabulary admits nothing else but verbs not simulated (or not yet)
        out.append(Unsupported(tag))
    return True


def _prompt(node: Node, warnings: list[TwimlWarning], *, in_gather: bool) -> Instruction:
    if node.tag == "Pause":
        seconds = _number(node, "length", 1, PAUSE_INVALID_LENGTH, warnings)
        return Silence(seconds * MICROS, in_gather)
    text = node.text.strip(XML_WHITESPACE)
    if node.tag == "Say":
        loops = _loops(node, SAY_INVALID_LOOP, warnings)
        words = max(1, len(text.split()))
        detail = {"text": text}
        for name in ("voice", "language"):
            if name in node.attrs:
                detail[name] = node.attrs[name]
        return Speak("say", detail, loops * words * SAY_MICROS_PER_WORD, in_gather)
    loops = _loops(node, PLAY_INVALID_LOOP, warnings)
    digits = node.attrs.get("digits")
    if digits is not None and not text:
        if not _DTMF.fullmatch(digits):
            warnings.append((PLAY_INVALID_DIGITS, f"<Play digits={digits!r}>"))
            digits = ""
        return Speak("play", {"digits": digits}, digits.count("w") * PAUSE_DIGIT_MICROS, in_gather)
    return Speak("play", {"url": text}, loops * PLAY_MICROS_PER_LOOP, in_gather)


def _gather(node: Node, base: str | None, warnings: list[TwimlWarning]) -> GatherWait:
    attrs = node.attrs
    kinds = set(attrs.get("input", "dtmf").split())
    if not kinds or not kinds <= {"dtmf", "speech"}:
        warnings.append((GATHER_INVALID_INPUT, f"<Gather input={attrs['input']!r}>"))
        kinds = {"dtmf"}
    finish = attrs.get("finishOnKey", "#")
    if len(finish) > 1 or (finish and finish not in _KEYS):
        warnings.append((GATHER_INVALID_FINISH_ON_KEY, f"<Gather finishOnKey={finish!r}>"))
        finish = "#"
    num_digits: int | None = None
    if "numDigits" in attrs:
        value = _number(node, "numDigits", 0, GATHER_INVALID_NUM_DIGITS, warnings)
        num_digits = value if value >= 1 else None
    empty = attrs.get("actionOnEmptyResult", "false").lower()
    if empty not in ("true", "false"):
        warnings.append((GATHER_INVALID_ACTION_ON_EMPTY, f"actionOnEmptyResult={empty!r}"))
        empty = "false"
    return GatherWait(
        action=_url(attribute(node, "action"), base, "<Gather> action", warnings) or (base or ""),
        method=method_of(node, GATHER_INVALID_METHOD, warnings),
        dtmf="dtmf" in kinds,
        speech="speech" in kinds,
        timeout=_number(node, "timeout", 5, GATHER_INVALID_TIMEOUT, warnings) * MICROS,
        num_digits=num_digits,
        finish_on_key=finish,
        action_on_empty=empty == "true",
    )


def _dial(node: Node, base: str | None, warnings: list[TwimlWarning]) -> Instruction:
    attrs = node.attrs
    targets: list[Target] = []
    for child in node.children:
        if child.tag in ("Conference", "Queue"):
            return Unsupported(f"Dial><{child.tag}")
        events = (child.attrs.get("statusCallbackEvent") or "completed").replace(",", " ")
        targets.append(
            Target(
                child.tag.lower(),
                child.text.strip(XML_WHITESPACE),
                _url(attribute(child, "url"), base, f"<{child.tag}> url", warnings),
                child.attrs.get("sendDigits"),
                _url(
                    attribute(child, "statusCallback"),
                    base,
                    f"<{child.tag}> statusCallback",
                    warnings,
                ),
                "GET"
                if (child.attrs.get("statusCallbackMethod") or "").upper() == "GET"
                else "POST",
                frozenset(e for e in events.split() if e in LEG_EVENTS) or frozenset({"completed"}),
            )
        )
    text = node.text.strip(XML_WHITESPACE)
    if text and not targets:
        targets.append(Target("number", text))
    hang = attrs.get("hangupOnStar", "false").lower()
    if hang not in ("true", "false"):
        warnings.append((DIAL_INVALID_HANGUP_ON_STAR, f"<Dial hangupOnStar={hang!r}>"))
        hang = "false"
    record = attrs.get("record", "do-not-record")
    if record in ("true", "false"):  # the old spelling
        record = "record-from-answer" if record == "true" else "do-not-record"
    if record not in DIAL_RECORD:
        warnings.append((DIAL_INVALID_RECORD, f"<Dial record={record!r}>"))
        record = "do-not-record"
    limit = _number(node, "timeLimit", DEFAULT_DIAL_TIME_LIMIT, DIAL_INVALID_TIME_LIMIT, warnings)
    return DialVerb(
        targets=tuple(targets),
        action=_url(attribute(node, "action"), base, "<Dial> action", warnings),
        method=method_of(node, DIAL_INVALID_METHOD, warnings),
        timeout=_number(node, "timeout", 30, DIAL_INVALID_TIMEOUT, warnings) * MICROS,
        time_limit=limit * MICROS,
        caller_id=attrs.get("callerId") or None,
        hangup_on_star=hang == "true",
        record=record,
        recording=_recording_callback(node, base, "<Dial>", warnings),
    )


def _record(node: Node, base: str | None, warnings: list[TwimlWarning]) -> RecordVerb:
    attrs = node.attrs
    finish = attrs.get("finishOnKey", "1234567890*#")
    if any(key not in _KEYS for key in finish):
        warnings.append((RECORD_INVALID_FINISH_ON_KEY, f"<Record finishOnKey={finish!r}>"))
        finish = "1234567890*#"
    beep = attrs.get("playBeep", "true").lower()
    if beep not in ("true", "false"):
        warnings.append((RECORD_INVALID_PLAY_BEEP, f"<Record playBeep={beep!r}>"))
        beep = "true"
    trim = attrs.get("trim", "trim-silence")
    if trim not in ("trim-silence", "do-not-trim"):
        warnings.append((RECORD_INVALID_TRIM, f"<Record trim={trim!r}>"))
        trim = "trim-silence"
    action = _url(attribute(node, "action"), base, "<Record> action", warnings)
    callback = _recording_callback(node, base, "<Record>", warnings)
    max_length = _number(node, "maxLength", 3600, RECORD_INVALID_MAX_LENGTH, warnings)
    return RecordVerb(
        # Without action, Twilio requests the current document again (which loops).
        action=action or (base or ""),
        method=method_of(node, RECORD_INVALID_METHOD, warnings),
        timeout=_number(node, "timeout", 5, RECORD_INVALID_TIMEOUT, warnings) * MICROS,
        max_length=(max_length or 3600) * MICROS,
        finish_on_key=finish,
        play_beep=beep == "true",
        trim=trim,
        status_callback=callback.url,
        status_callback_method=callback.method,
        status_callback_events=callback.events,
    )


def _recording_callback(
    node: Node, base: str | None, verb: str, warnings: list[TwimlWarning]
) -> RecordingCallback:
    """``recordingStatusCallback``, ``…Method`` and ``…Event`` of ``<Record>`` or ``<Dial>``.
    Unknown event names are dropped (none left: ``completed``, Twilio's default)."""
    url = _url(
        attribute(node, "recordingStatusCallback"),
        base,
        f"{verb} recordingStatusCallback",
        warnings,
    )
    asked_method = (attribute(node, "recordingStatusCallbackMethod") or "").upper()
    method = "GET" if asked_method == "GET" else "POST"
    asked = (attribute(node, "recordingStatusCallbackEvent") or "").replace(",", " ").split()
    unknown = [e for e in asked if e not in RECORDING_EVENTS]
    if unknown:
        warnings.append(
            (RECORD_INVALID_STATUS_CALLBACK_EVENT, f"{verb} recordingStatusCallbackEvent={unknown}")
        )
    events = frozenset(e for e in asked if e in RECORDING_EVENTS) or frozenset({"completed"})
    return RecordingCallback(url, method, events)


def _number(node: Node, name: str, default: int, code: int, warnings: list[TwimlWarning]) -> int:
    raw = node.attrs.get(name)
    if raw is None:
        return default
    value = raw.strip(XML_WHITESPACE)
    # ASCII digits only: str.isdigit() also takes superscripts, which int() refuses.
    if not (value.isascii() and value.isdigit()) or len(value) > 6:
        warnings.append((code, f"<{node.tag} {name}={raw!r}>; {default} used"))
        return default
    return int(value)


def _loops(node: Node, code: int, warnings: list[TwimlWarning]) -> int:
    loops = _number(node, "loop", 1, code, warnings)
    return FOREVER_LOOPS if loops == 0 else min(loops, FOREVER_LOOPS)


def _url(
    written: str | None, base: str | None, what: str, warnings: list[TwimlWarning]
) -> str | None:
    """An http(s) URL resolved against the document's; one that is not warns 11100 and is
    treated as absent (the verb's default applies)."""
    if not written:
        return None
    url = resolve_url(written, base or "")
    if url is None:
        warnings.append((INVALID_URL, f"{what} {written!r} is not an http(s) URL; ignored"))
    return url


# -- running it ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where a running program stands; small and plain, so it is stored with the call.

    ``pc`` is the instruction running since ``since`` (microseconds on the call clock);
    ``digits``/``heard_at`` are what the current Gather has collected and when the last came.
    ``done`` is set once the program has handed control away (a request, a hang-up).
    """

    pc: int = 0
    since: int = 0
    digits: str = ""
    heard_at: int | None = None
    done: bool = False


@dataclass(frozen=True)
class Heard:
    """A transcript entry: ``kind`` and its fields, at ``at`` on the call clock."""

    at: int
    kind: str
    detail: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """Fetch TwiML from ``url`` with ``params`` and run it instead of this program."""

    url: str
    method: str
    params: Mapping[str, str]


@dataclass(frozen=True)
class End:
    """The call ends: ``how`` is "hangup" (TwiML or end of document) or "rejected"/"busy"."""

    how: str


@dataclass(frozen=True)
class Alert:
    code: int
    detail: str


@dataclass(frozen=True)
class PlaceDial:
    """Ring ``dial.targets`` (the first to answer is bridged); answer with :class:`DialEnded`."""

    dial: DialVerb


@dataclass(frozen=True)
class EndDial:
    """The caller pressed ``*`` on a ``hangupOnStar`` Dial: hang up the dialed party."""


@dataclass(frozen=True)
class StartRecording:
    """A ``<Record>`` begins: the runner names its recording now (its ``in-progress``
    status callback, if asked for, goes out at this moment)."""

    play_beep: bool
    callback: RecordingCallback = field(default_factory=RecordingCallback)


@dataclass(frozen=True)
class Recorded:
    """A ``<Record>`` ended with ``micros`` of audio (silence trimmed as asked) and the key that
    ended it ("" if none). Unless the recording is empty (``micros`` 0, which falls through),
    the :class:`Request` for the action follows it: the runner stores the recording and adds
    RecordingUrl, RecordingSid and RecordingDuration to that request."""

    micros: int
    digits: str
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: frozenset[str] = frozenset({"completed"})


Effect: TypeAlias = Heard | Request | End | Alert | PlaceDial | EndDial | StartRecording | Recorded


@dataclass(frozen=True)
class Start:
    at: int


@dataclass(frozen=True)
class Tick:
    at: int


@dataclass(frozen=True)
class Digits:
    at: int
    digits: str


@dataclass(frozen=True)
class Speech:
    at: int
    text: str


@dataclass(frozen=True)
class DialEnded:
    """The dialed leg is over: DialCallStatus ``status``, its call and how long it talked."""

    at: int
    status: str
    call_sid: str | None = None
    duration: int = 0  # seconds bridged


Event: TypeAlias = Start | Tick | Digits | Speech | DialEnded


@dataclass(frozen=True)
class Outcome:
    position: Position
    effects: tuple[Effect, ...]
    wake_at: int | None  # when to send the next Tick; None: nothing happens until input


def advance(program: Program, position: Position, event: Event) -> Outcome:
    """Apply ``event`` to a program standing at ``position``."""
    effects: list[Effect] = []
    pos = position
    if pos.done:
        return Outcome(pos, (), None)
    if isinstance(event, Start):
        pos = replace(pos, pc=0, since=event.at)
        pos = _enter(program, pos, event.at, effects)
    elif isinstance(event, Digits):
        pos = _digits(program, pos, event, effects)
    elif isinstance(event, Speech):
        pos = _speech(program, pos, event, effects)
    elif isinstance(event, DialEnded):
        pos = _dial_ended(program, pos, event, effects)
    pos = _run_until(program, pos, event.at, effects)
    return Outcome(pos, tuple(effects), None if pos.done else _due(program, pos))


def _instruction(program: Program, pos: Position) -> Instruction | None:
    if pos.pc < len(program.instructions):
        return program.instructions[pos.pc]
    return None


def _due(program: Program, pos: Position) -> int | None:
    """When the instruction at ``pos`` finishes on its own."""
    ins = _instruction(program, pos)
    if isinstance(ins, Speak | Silence):
        return pos.since + ins.micros
    if isinstance(ins, GatherWait):
        return (pos.heard_at if pos.heard_at is not None else pos.since) + ins.timeout
    if isinstance(ins, DialVerb):
        return None  # the dialed leg decides, with a DialEnded event
    if isinstance(ins, RecordVerb):
        hard = pos.since + ins.max_length
        if ins.timeout == 0:
            return hard
        quiet = (pos.heard_at if pos.heard_at is not None else pos.since) + ins.timeout
        return min(hard, quiet)
    return pos.since  # instantaneous instructions run at once


def _run_until(program: Program, pos: Position, now: int, effects: list[Effect]) -> Position:
    """Finish every instruction due by ``now``, entering the next ones."""
    while not pos.done:
        due = _due(program, pos)
        if due is None or due > now:
            return pos
        pos = _finish(program, pos, due, effects)
    return pos


def _finish(program: Program, pos: Position, at: int, effects: list[Effect]) -> Position:
    ins = _instruction(program, pos)
    if isinstance(ins, GatherWait):
        if pos.digits or ins.action_on_empty:
            params = {"Digits": pos.digits, "FinishedOnKey": ""} if pos.digits else {}
            return _submit(ins, pos, at, effects, params)
        effects.append(Heard(at, "gather-end", {"result": "timeout"}))
        return _next(program, replace(pos, digits="", heard_at=None), at, effects)
    if isinstance(ins, RecordVerb):
        return _recorded(program, ins, pos, at, "", effects)
    return _next(program, pos, at, effects)


def _next(program: Program, pos: Position, at: int, effects: list[Effect]) -> Position:
    return _enter(program, replace(pos, pc=pos.pc + 1, since=at), at, effects)


def _enter(program: Program, pos: Position, at: int, effects: list[Effect]) -> Position:
    """Start the instruction at ``pos``; run instantaneous ones straight through."""
    while True:
        ins = _instruction(program, pos)
        if ins is None:
            effects.append(Heard(at, "hangup", {"by": "twiml", "reason": "end of document"}))
            effects.append(End("hangup"))
            return replace(pos, done=True)
        if isinstance(ins, Speak):
            effects.append(Heard(at, ins.kind, ins.detail))
            return pos
        if isinstance(ins, Silence):
            effects.append(Heard(at, "pause", {"seconds": _seconds(ins.micros)}))
            return pos
        if isinstance(ins, GatherOpen):
            effects.append(Heard(at, "gather-start"))
            pos = replace(pos, pc=pos.pc + 1, since=at, digits="", heard_at=None)
            continue
        if isinstance(ins, GatherWait):
            return pos
        if isinstance(ins, Redirect):
            effects.append(Heard(at, "redirect", {"url": ins.url}))
            effects.append(Request(ins.url, ins.method, {}))
            return replace(pos, done=True)
        if isinstance(ins, DialVerb):
            to = ",".join(t.address for t in ins.targets)
            effects.append(Heard(at, "dial", {"to": to}))
            effects.append(PlaceDial(ins))
            return pos
        if isinstance(ins, RecordVerb):
            effects.append(Heard(at, "record-start", {"beep": str(ins.play_beep).lower()}))
            callback = RecordingCallback(
                ins.status_callback, ins.status_callback_method, ins.status_callback_events
            )
            effects.append(StartRecording(ins.play_beep, callback))
            return replace(pos, heard_at=None)
        if isinstance(ins, Hangup):
            effects.append(Heard(at, "hangup", {"by": "twiml"}))
            effects.append(End("hangup"))
            return replace(pos, done=True)
        if isinstance(ins, Reject):
            effects.append(Heard(at, "hangup", {"by": "twiml", "reason": ins.reason}))
            effects.append(End(ins.reason))
            return replace(pos, done=True)
        effects.append(Alert(VERB_NOT_SUPPORTED, f"<{ins.tag}> is not supported; skipped"))
        pos = replace(pos, pc=pos.pc + 1, since=at)


def _gather_of(program: Program, pos: Position) -> tuple[int, GatherWait] | None:
    """The Gather collecting input at ``pos`` (in its prompts or its wait), if any."""
    ins = _instruction(program, pos)
    if isinstance(ins, GatherWait):
        return pos.pc, ins
    if isinstance(ins, Speak | Silence) and ins.in_gather:
        for index in range(pos.pc + 1, len(program.instructions)):
            candidate = program.instructions[index]
            if isinstance(candidate, GatherWait):
                return index, candidate
    return None


def _digits(program: Program, pos: Position, event: Digits, effects: list[Effect]) -> Position:
    pos = _run_until(program, pos, event.at, effects)
    effects.append(Heard(event.at, "digits", {"digits": event.digits}))
    ins = None if pos.done else _instruction(program, pos)
    if isinstance(ins, DialVerb):
        if ins.hangup_on_star and "*" in event.digits:
            effects.append(EndDial())
        return pos
    if isinstance(ins, RecordVerb):
        key = next((k for k in event.digits if k in ins.finish_on_key), None)
        if key is None:
            return pos
        return _recorded(program, ins, pos, event.at, key, effects)
    found = None if pos.done else _gather_of(program, pos)
    if found is None or not found[1].dtmf:
        return pos
    index, gather = found
    # Input cuts the prompts short: the Gather is waiting from now on.
    pos = replace(pos, pc=index, since=event.at)
    collected = pos.digits
    for key in event.digits:
        if key == gather.finish_on_key:
            params = {"Digits": collected, "FinishedOnKey": key}
            return _submit(gather, pos, event.at, effects, params)
        collected += key
        if gather.num_digits is not None and len(collected) >= gather.num_digits:
            params = {"Digits": collected, "FinishedOnKey": ""}
            return _submit(gather, pos, event.at, effects, params)
    return replace(pos, digits=collected, heard_at=event.at)


def _speech(program: Program, pos: Position, event: Speech, effects: list[Effect]) -> Position:
    pos = _run_until(program, pos, event.at, effects)
    effects.append(Heard(event.at, "speech", {"text": event.text}))
    if not pos.done and isinstance(_instruction(program, pos), RecordVerb):
        # Speech is what a recording holds (as long as it takes to say, at the Say rate);
        # the recording goes on until the silence after it.
        spoken_until = event.at + max(1, len(event.text.split())) * SAY_MICROS_PER_WORD
        return replace(pos, heard_at=spoken_until)
    found = None if pos.done else _gather_of(program, pos)
    if found is None or not found[1].speech:
        return pos
    index, gather = found
    params = {"SpeechResult": event.text, "Confidence": DEFAULT_CONFIDENCE}
    return _submit(gather, replace(pos, pc=index), event.at, effects, params)


def _dial_ended(
    program: Program, pos: Position, event: DialEnded, effects: list[Effect]
) -> Position:
    ins = _instruction(program, pos)
    if pos.done or not isinstance(ins, DialVerb):
        return pos  # a late report of a leg this program no longer waits for
    ended = {"status": event.status}
    if event.call_sid:
        ended.update(call_sid=event.call_sid, duration=str(event.duration))
    effects.append(Heard(event.at, "dial-end", ended))
    if ins.action is None:
        return _next(program, pos, event.at, effects)
    params = {"DialCallStatus": event.status, "DialBridged": "false"}
    if event.call_sid:
        params["DialCallSid"] = event.call_sid
        params["DialCallDuration"] = str(event.duration)
        params["DialBridged"] = "true" if event.duration > 0 else "false"
    effects.append(Request(ins.action, ins.method, params))
    return replace(pos, since=event.at, done=True)


def _recorded(
    program: Program,
    ins: RecordVerb,
    pos: Position,
    at: int,
    key: str,
    effects: list[Effect],
) -> Position:
    """End a recording. Its audio runs from the start to the last speech (trim-silence) or to
    now; one that heard nothing is empty and falls through to the next verb, as on Twilio."""
    # A recording is entered with heard_at None; speech sets it to when the speech ended.
    if pos.heard_at is None:
        effects.append(Heard(at, "record", {"seconds": "0"}))
        effects.append(
            Recorded(
                0, key, ins.status_callback, ins.status_callback_method, ins.status_callback_events
            )
        )
        return _next(program, pos, at, effects)
    micros = (pos.heard_at if ins.trim == "trim-silence" else at) - pos.since
    effects.append(Heard(at, "record", {"seconds": _seconds(micros)}))
    effects.append(
        Recorded(
            micros, key, ins.status_callback, ins.status_callback_method, ins.status_callback_events
        )
    )
    effects.append(Request(ins.action, ins.method, {"Digits": key} if key else {}))
    return replace(pos, since=at, heard_at=None, done=True)


def _submit(
    gather: GatherWait,
    pos: Position,
    at: int,
    effects: list[Effect],
    params: Mapping[str, str],
) -> Position:
    effects.append(Heard(at, "gather-end", dict(params)))
    effects.append(Request(gather.action, gather.method, dict(params)))
    return replace(pos, since=at, done=True)


def _seconds(micros: int) -> str:
    whole, rest = divmod(micros, MICROS)
    return str(whole) if not rest else f"{whole}.{rest:06d}".rstrip("0")


__all__ = [
    "RECORDING_EVENTS",
    "UNSUPPORTED_VOICE",
    "Alert",
    "DialEnded",
    "Digits",
    "End",
    "EndDial",
    "Event",
    "Heard",
    "Outcome",
    "PlaceDial",
    "Position",
    "Program",
    "Recorded",
    "RecordingCallback",
    "Request",
    "Speech",
    "Start",
    "StartRecording",
    "Tick",
    "advance",
    "compile_voice",
]
