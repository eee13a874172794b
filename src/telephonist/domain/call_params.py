"""The parameters Twilio sends with every voice request, and with call status callbacks.

One function builds each set so that the voice URL, a Gather's action, a fallback and a status
callback of the same call always agree on the common part -- apps (and signature checks) see
the same names, spellings and order whichever request it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from telephonist.domain import API_VERSION, phone

CALLBACK_SOURCE = "call-progress-events"


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What the common voice parameters are made of."""

    sid: str
    account_sid: str
    from_: str
    to: str
    status: str
    direction: str
    parent_call_sid: str | None = None
    forwarded_from: str | None = None
    caller_name: str | None = None
    answered_by: str | None = None


def voice_params(call: CallFacts) -> list[tuple[str, str]]:
    """Every parameter Twilio sends to a voice URL (and, with more, to actions and callbacks).

    Place names come from the numbers themselves (libphonenumber's geocoder); a party that is
    not a phone number (``client:``, ``sip:``) has none. ``Caller``/``Called`` and their place
    names are the legacy aliases Twilio still sends.
    """
    caller = _place(call.from_)
    called = _place(call.to)
    params = [
        ("AccountSid", call.account_sid),
        ("ApiVersion", API_VERSION),
        ("CallSid", call.sid),
        ("CallStatus", call.status),
        ("Called", call.to),
        ("CalledCity", called[0]),
        ("CalledCountry", called[3]),
        ("CalledState", called[1]),
        ("CalledZip", called[2]),
        ("Caller", call.from_),
        ("CallerCity", caller[0]),
        ("CallerCountry", caller[3]),
        ("CallerState", caller[1]),
        ("CallerZip", caller[2]),
        ("Direction", call.direction),
        ("From", call.from_),
        ("FromCity", caller[0]),
        ("FromCountry", caller[3]),
        ("FromState", caller[1]),
        ("FromZip", caller[2]),
        ("To", call.to),
        ("ToCity", called[0]),
        ("ToCountry", called[3]),
        ("ToState", called[1]),
        ("ToZip", called[2]),
    ]
    if call.parent_call_sid:
        params.append(("ParentCallSid", call.parent_call_sid))
    if call.forwarded_from:
        params.append(("ForwardedFrom", call.forwarded_from))
    if call.caller_name:
        params.append(("CallerName", call.caller_name))
    if call.answered_by:
        params.append(("AnsweredBy", call.answered_by))
    return params


def status_params(
    call: CallFacts,
    *,
    sequence: int,
    timestamp: str,
    duration_seconds: int | None = None,
) -> list[tuple[str, str]]:
    """A call status callback: the voice parameters plus the progress fields.

    ``timestamp`` is the event's RFC 2822 time; ``duration_seconds`` is given on the final
    event only, and brings ``CallDuration`` (seconds) and ``Duration`` (billed minutes).
    """
    params = voice_params(call)
    params += [
        ("CallbackSource", CALLBACK_SOURCE),
        ("SequenceNumber", str(sequence)),
        ("Timestamp", timestamp),
    ]
    if duration_seconds is not None:
        params += [
            ("CallDuration", str(duration_seconds)),
            ("Duration", str(billed_minutes(duration_seconds))),
        ]
    return params


def billed_minutes(duration_seconds: int) -> int:
    """Calls are billed per started minute; a call that never connected bills none."""
    return -(-duration_seconds // 60) if duration_seconds > 0 else 0


def _place(number: str) -> tuple[str, str, str, str]:
    """(city, state, zip, country) of a phone number; empty for other parties."""
    if not number.startswith("+"):
        return ("", "", "", "")
    info = phone.info(number)
    return (info.city, info.state, info.zip, info.country or "")


__all__ = [
    "CALLBACK_SOURCE",
    "CallFacts",
    "billed_minutes",
    "status_params",
    "voice_params",
]
