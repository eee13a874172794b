"""Calls: Twilio's call statuses and the moves between them, and how a simulated handset
answers a call placed to it.

Every status change a call takes is checked against :data:`TRANSITIONS` and written as a
guarded ``UPDATE … WHERE status IN (sources(target))``, as messages are: a late or repeated
event (a hang-up racing the end of the TwiML, a task run twice after its lease ran out) can
never move a call backwards or out of a final status, so each call reports exactly one final
status.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from telephonist.domain import phone, scripts
from telephonist.domain import recordings as recording_rules
from telephonist.domain.errors import Rejected, TelephonistError
from telephonist.domain.messages import is_http_url

STATUSES: tuple[str, ...] = (
    "queued",
    "ringing",
    "in-progress",
    "completed",
    "busy",
    "failed",
    "no-answer",
    "canceled",
)
FINAL_STATUSES: frozenset[str] = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
DIRECTIONS: tuple[str, ...] = ("inbound", "outbound-api", "outbound-dial")

# outbound:  queued -> ringing -> in-progress -> completed, with busy / no-answer / failed /
# canceled possible before the answer. An inbound call starts ringing.
TRANSITIONS: dict[str, frozenset[str]] = {
    "queued": frozenset({"ringing", "canceled", "failed"}),
    "ringing": frozenset({"in-progress", "busy", "no-answer", "failed", "canceled"}),
    "in-progress": frozenset({"completed"}),
}

# StatusCallbackEvent names and the CallStatus each one reports (``initiated`` is a callback
# name, never a stored status).
EVENTS: tuple[str, ...] = ("initiated", "ringing", "answered", "completed")


def can_move(current: str, target: str) -> bool:
    """Whether a call in ``current`` may move to ``target``."""
    return target in TRANSITIONS.get(current, frozenset())


def sources(target: str) -> tuple[str, ...]:
    """Every status from which ``target`` can be reached, sorted (for guarded updates)."""
    return tuple(sorted(s for s, targets in TRANSITIONS.items() if target in targets))


def event_of(status: str) -> str:
    """The StatusCallbackEvent under which a move to ``status`` is reported."""
    if status in FINAL_STATUSES:
        return "completed"
    if status == "in-progress":
        return "answered"
    if status == "ringing":
        return "ringing"
    return "initiated"


# How a handset answers. ``reject`` rings, then declines: the caller sees ``busy``, as a
# declined call is reported; ``busy`` is busy at once.
BEHAVIORS: tuple[str, ...] = ("answer", "busy", "no-answer", "fail", "machine", "reject")
DEFAULT_ANSWER_AFTER_MICROS = 1_000_000  # one ring
DEFAULT_GREETING_MICROS = 5_000_000  # an answering machine's greeting before the beep
MAX_ANSWER_AFTER_SECONDS = 600


class InvalidBehavior(TelephonistError, ValueError):
    """A handset behaviour that cannot be set; ``parameter`` names the offending one."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True, slots=True)
class Behavior:
    """How a handset answers calls placed to it (the default: after one ring, silent)."""

    kind: str = "answer"
    answer_after: int = DEFAULT_ANSWER_AFTER_MICROS
    script: tuple[scripts.Step, ...] = ()

    def outcome(self) -> str:
        """The final status a call to this handset reaches when it is not answered, or
        ``in-progress`` when it is (by a person or a machine)."""
        return {
            "answer": "in-progress",
            "machine": "in-progress",
            "busy": "busy",
            "reject": "busy",
            "no-answer": "no-answer",
            "fail": "failed",
        }[self.kind]

    def answered_by(self) -> str | None:
        """What machine detection reports for this handset's answer (None: not answered)."""
        if self.kind == "answer":
            return "human"
        if self.kind == "machine":
            return "machine_start"
        return None

    def rings(self) -> bool:
        """Whether a call to this handset rings before its outcome."""
        return self.kind not in ("busy", "fail")


def behavior(kind: str, answer_after: str | None = None, script: str | None = None) -> Behavior:
    """A :class:`Behavior` from the control API's parameters, checked.

    Raises :class:`InvalidBehavior` (or :class:`~telephonist.domain.scripts.InvalidScript`
    for the script).
    """
    if kind not in BEHAVIORS:
        raise InvalidBehavior("Behavior", f"Behavior must be one of {', '.join(BEHAVIORS)}")
    after = DEFAULT_ANSWER_AFTER_MICROS
    if answer_after is not None:
        try:
            seconds = float(answer_after)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= MAX_ANSWER_AFTER_SECONDS:  # also refuses NaN
            raise InvalidBehavior(
                "AnswerAfter", f"AnswerAfter must be 0 to {MAX_ANSWER_AFTER_SECONDS} seconds"
            )
        after = round(seconds * 1_000_000)
    steps = scripts.parse(script) if script else ()
    if steps and kind not in ("answer", "machine"):
        raise InvalidBehavior("Script", f"A handset that answers {kind} runs no script")
    return Behavior(kind, after, steps)


# -- creating a call ---------------------------------------------------------------------

MAX_TWIML_CHARS = 4000
MAX_SEND_DIGITS = 32
MAX_TIMEOUT_SECONDS = 600
DEFAULT_TIMEOUT_SECONDS = 60
DEFAULT_TIME_LIMIT_SECONDS = 4 * 60 * 60
MAX_TIME_LIMIT_SECONDS = 24 * 60 * 60
METHODS = ("GET", "POST")
MACHINE_DETECTION = ("Enable", "DetectMessageEnd")
_APPLICATION_SID = re.compile(r"AP[0-9a-fA-F]{32}")
_SEND_DIGITS = re.compile(r"[0-9A-D#*wW]*")


class CallRejected(Rejected):
    """A call create refused with Twilio's ``code`` (and the message Twilio words, if any)."""


# Twilio's test numbers, honoured as Twilio does with test credentials (so suites written
# against them keep passing); the calls are otherwise stored and run like any other.
MAGIC_FROM_OK = "+15005550006"
"""A From that passes every check, owned or not."""
MAGIC_FROM_ERRORS: dict[str, int] = {"+15005550001": 21212}
MAGIC_TO_ERRORS: dict[str, int] = {
    "+15005550001": 21217,
    "+15005550002": 21214,
    "+15005550003": 21215,
    "+15005550004": 21216,
}


@dataclass(frozen=True, slots=True)
class PlaceCall:
    """A request to place a call, as it arrived (every value the raw text, or None)."""

    account_sid: str
    to: str | None
    from_: str | None
    url: str | None = None
    twiml: str | None = None
    application_sid: str | None = None
    method: str | None = None
    fallback_url: str | None = None
    fallback_method: str | None = None
    status_callback: str | None = None
    status_callback_method: str | None = None
    status_callback_event: tuple[str, ...] = ()
    timeout: str | None = None
    time_limit: str | None = None
    send_digits: str | None = None
    machine_detection: str | None = None
    record: str | None = None
    recording_status_callback: str | None = None
    recording_status_callback_method: str | None = None
    recording_status_callback_event: tuple[str, ...] = ()
    recording_channels: str | None = None
    recording_track: str | None = None
    trim: str | None = None


@dataclass(frozen=True, slots=True)
class CallRequest:
    """A checked :class:`PlaceCall`, before the caller ID's ownership is looked up."""

    to: str
    from_: str
    url: str | None
    twiml: str | None
    application_sid: str | None
    method: str
    fallback_url: str | None
    fallback_method: str
    status_callback: str | None
    status_callback_method: str
    events: frozenset[str]
    timeout: int
    time_limit: int
    send_digits: str | None
    machine_detection: str | None
    record: bool = False
    recording_status_callback: str | None = None
    recording_status_callback_method: str = "POST"
    recording_events: frozenset[str] = frozenset({"completed"})
    recording_channels: str = "mono"
    recording_track: str = "both"
    trim: str = "do-not-trim"


def validate_call(command: PlaceCall) -> CallRequest:
    """Check a call create as Twilio does, in one order; raises :class:`CallRejected`.

    ``Url`` wins over ``Twiml`` when both are given, as on Twilio; ``ApplicationSid`` stands
    in for both (its voice URL is looked up by the caller). ``SendDigits`` turns machine
    detection off, as Twilio documents.
    """
    if not command.to:
        raise CallRejected(21201)
    if not command.from_:
        raise CallRejected(21213)
    to = _party(command.to)
    if to is None:
        raise CallRejected(
            21211, f"The phone number you are attempting to call, {command.to}, is not valid."
        )
    from_ = (
        phone.parse_e164(command.from_)
        if not command.from_.startswith("client:")
        else command.from_
    )
    if from_ in MAGIC_FROM_ERRORS:
        raise CallRejected(MAGIC_FROM_ERRORS[from_])
    if to in MAGIC_TO_ERRORS:
        raise CallRejected(MAGIC_TO_ERRORS[to])
    if from_ is None:
        raise CallRejected(
            21212,
            f"The source phone number provided, {command.from_}, is not a valid phone number.",
        )
    url = command.url or None
    twiml = None if url else (command.twiml or None)
    application = command.application_sid or None
    if url is None and twiml is None and application is None:
        raise CallRejected(21205, "Url parameter is required.")
    if application is not None and not _APPLICATION_SID.fullmatch(application):
        raise CallRejected(21218)
    if url is not None and not is_http_url(url):
        raise CallRejected(21205, f"Url is not a valid URL: {url}")
    if twiml is not None and len(twiml) > MAX_TWIML_CHARS:
        raise CallRejected(21205, f"Twiml must be at most {MAX_TWIML_CHARS} characters")
    fallback = command.fallback_url or None
    if fallback is not None and not is_http_url(fallback):
        raise CallRejected(21205, f"FallbackUrl is not a valid URL: {fallback}")
    callback = command.status_callback or None
    if callback is not None and not is_http_url(callback):
        raise CallRejected(21205, f"StatusCallback is not a valid URL: {callback}")
    method = _method(command.method)
    fallback_method = _method(command.fallback_method)
    callback_method = _method(command.status_callback_method)
    events = status_callback_events(command.status_callback_event)
    timeout = _seconds(command.timeout, DEFAULT_TIMEOUT_SECONDS, 1, MAX_TIMEOUT_SECONDS, 21208)
    # The catalogue has no code for a bad TimeLimit on create: the generic invalid parameter.
    time_limit = _seconds(
        command.time_limit, DEFAULT_TIME_LIMIT_SECONDS, 1, MAX_TIME_LIMIT_SECONDS, 20001
    )
    digits = command.send_digits or None
    if digits is not None and (len(digits) > MAX_SEND_DIGITS or not _SEND_DIGITS.fullmatch(digits)):
        raise CallRejected(21206)
    recording_callback = command.recording_status_callback or None
    if recording_callback is not None and not is_http_url(recording_callback):
        raise CallRejected(
            21205, f"RecordingStatusCallback is not a valid URL: {recording_callback}"
        )
    amd = command.machine_detection or None
    if amd is not None and amd not in MACHINE_DETECTION:
        raise CallRejected(21234, f"MachineDetection must be one of {', '.join(MACHINE_DETECTION)}")
    return CallRequest(
        to=to,
        from_=from_,
        url=url,
        twiml=twiml,
        application_sid=application,
        method=method,
        fallback_url=fallback,
        fallback_method=fallback_method,
        status_callback=callback,
        status_callback_method=callback_method,
        events=events,
        timeout=timeout,
        time_limit=time_limit,
        send_digits=digits,
        machine_detection=None if digits else amd,
        record=_flag(command.record),
        recording_status_callback=recording_callback,
        recording_status_callback_method=_method(command.recording_status_callback_method),
        recording_events=recording_events(command.recording_status_callback_event),
        recording_channels=_choice(
            "RecordingChannels", command.recording_channels, RECORDING_CHANNELS
        ),
        recording_track=_choice("RecordingTrack", command.recording_track, RECORDING_TRACKS),
        trim=_choice("Trim", command.trim, TRIM),
    )


RECORDING_EVENTS = recording_rules.EVENTS
RECORDING_CHANNELS = ("mono", "dual")  # the first of each is the default
RECORDING_TRACKS = ("both", "inbound", "outbound")
TRIM = ("do-not-trim", "trim-silence")


def recording_events(values: tuple[str, ...]) -> frozenset[str]:
    """``RecordingStatusCallbackEvent``, repeated or space-separated as the SDKs send it;
    ``completed`` when absent. An unknown name is refused (20001)."""
    names = {name for value in values for name in value.replace(",", " ").split()}
    unknown = sorted(names - set(RECORDING_EVENTS))
    if unknown:
        raise CallRejected(
            20001,
            f"RecordingStatusCallbackEvent must be among {', '.join(RECORDING_EVENTS)}, "
            f"not {', '.join(unknown)}",
        )
    return frozenset(names) or frozenset({"completed"})


def _choice(name: str, value: str | None, allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` (the first when not given); anything else is 20001, the generic
    invalid parameter (the catalogue has no code of its own for these)."""
    if not value:
        return allowed[0]
    if value not in allowed:
        raise CallRejected(20001, f"{name} must be one of {', '.join(allowed)}, not {value}")
    return value


# -- changing a call ---------------------------------------------------------------------

UPDATE_STATUSES = ("canceled", "completed")


@dataclass(frozen=True, slots=True)
class UpdateCall:
    """A request to change a call, as it arrived (every value the raw text, or None)."""

    status: str | None = None
    url: str | None = None
    method: str | None = None
    twiml: str | None = None
    fallback_url: str | None = None
    fallback_method: str | None = None
    status_callback: str | None = None
    status_callback_method: str | None = None
    time_limit: str | None = None


@dataclass(frozen=True, slots=True)
class CallUpdate:
    """A checked :class:`UpdateCall`: None for what it leaves as it is."""

    status: str | None
    target: dict[str, str] | None  # a redirect: {"url", "method"} or {"twiml"}
    fallback_url: str | None
    fallback_method: str | None
    status_callback: str | None
    status_callback_method: str | None
    time_limit: int | None


def validate_update(command: UpdateCall) -> CallUpdate:
    """Check a call update with the codes a create uses for the same parameters; raises
    :class:`CallRejected`. ``Url`` and ``Twiml`` together are refused (on an update the two
    are mutually exclusive, where a create lets ``Url`` win)."""
    status = command.status or None
    if status is not None and status not in UPDATE_STATUSES:
        raise CallRejected(21220, f"Status must be canceled or completed, not {status!r}")
    url, twiml = command.url or None, command.twiml or None
    if url is not None and twiml is not None:
        raise CallRejected(20422, "Url and Twiml are mutually exclusive")
    target: dict[str, str] | None = None
    if url is not None:
        if not is_http_url(url):
            raise CallRejected(21205, f"Url is not a valid URL: {url}")
        target = {"url": url, "method": _method(command.method)}
    elif twiml is not None:
        if len(twiml) > MAX_TWIML_CHARS:
            raise CallRejected(21205, f"Twiml must be at most {MAX_TWIML_CHARS} characters")
        target = {"twiml": twiml}
    fallback = command.fallback_url or None
    if fallback is not None and not is_http_url(fallback):
        raise CallRejected(21205, f"FallbackUrl is not a valid URL: {fallback}")
    callback = command.status_callback or None
    if callback is not None and not is_http_url(callback):
        raise CallRejected(21205, f"StatusCallback is not a valid URL: {callback}")
    return CallUpdate(
        status=status,
        target=target,
        fallback_url=fallback,
        fallback_method=_method(command.fallback_method) if command.fallback_method else None,
        status_callback=callback,
        status_callback_method=(
            _method(command.status_callback_method) if command.status_callback_method else None
        ),
        time_limit=(
            _seconds(command.time_limit, 0, 1, MAX_TIME_LIMIT_SECONDS, 20001)
            if command.time_limit
            else None
        ),
    )


def status_callback_events(values: Iterable[str]) -> frozenset[str]:
    """``StatusCallbackEvent`` as the SDKs send it: repeated, space-separated, or both.

    None given means ``completed`` only; an unknown name is Twilio's 21626.
    """
    names = [name for value in values for name in value.split()]
    for name in names:
        if name not in EVENTS:
            raise CallRejected(21626, f"Invalid StatusCallbackEvent: {name}")
    return frozenset(names) or frozenset({"completed"})


def _party(value: str) -> str | None:
    """``To``: a phone number (E.164 after normalising), or a ``client:``/``sip:`` address."""
    if value.startswith(("client:", "sip:")):
        return value if len(value) > value.index(":") + 1 else None
    return phone.parse_e164(value)


def _flag(value: str | None) -> bool:
    """``Record``: true or false, as the SDKs send booleans; anything else is 20001."""
    if value is None or value == "":
        return False
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise CallRejected(20001, f"Record must be true or false, not {value}")
    return lowered == "true"


def _method(value: str | None) -> str:
    if not value:
        return "POST"
    method = value.upper()
    if method not in METHODS:
        raise CallRejected(21209, f"Method must be GET or POST, not {value}")
    return method


def _seconds(value: str | None, default: int, low: int, high: int, code: int) -> int:
    """A whole number of seconds in ``[low, high]``: ASCII digits only (``str.isdigit`` also
    takes superscripts, which ``int`` refuses), and never more of them than ``high`` has, so
    no text is too long for ``int``."""
    if value is None or value == "":
        return default
    digits = value.lstrip("0") or "0"
    if (
        not (value.isascii() and value.isdigit())
        or len(digits) > len(str(high))
        or not low <= int(digits) <= high
    ):
        raise CallRejected(code, f"must be a whole number of seconds from {low} to {high}")
    return int(digits)


__all__ = [
    "BEHAVIORS",
    "DIRECTIONS",
    "EVENTS",
    "FINAL_STATUSES",
    "STATUSES",
    "TRANSITIONS",
    "Behavior",
    "CallRejected",
    "CallRequest",
    "CallUpdate",
    "InvalidBehavior",
    "PlaceCall",
    "UpdateCall",
    "behavior",
    "can_move",
    "event_of",
    "sources",
    "status_callback_events",
    "validate_call",
    "validate_update",
]
