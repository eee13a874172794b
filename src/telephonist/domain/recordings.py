"""Recordings: where they come from, how long the resource says they are, what they cost."""

from __future__ import annotations

from telephonist.domain import API_VERSION
from telephonist.domain.call_params import billed_minutes

#: What a RecordingStatusCallbackEvent may ask for (``completed`` unless told).
EVENTS = ("in-progress", "completed", "absent")

SOURCES = (
    "DialVerb",
    "Conference",
    "OutboundAPI",
    "Trunking",
    "RecordVerb",
    "StartCallRecordingAPI",
    "StartConferenceRecordingAPI",
)
"""How a recording was made (the Recording resource's ``source``)."""

PRICE_PER_MINUTE = 0.0025
"""Twilio's US list price per started minute recorded, in USD (negative in the resource)."""


def track_of(source: str, asked: str | None = None) -> str:
    """RecordingTrack: what was asked, else ``<Record>`` takes what the caller says and the
    other sources record both sides."""
    return asked or ("inbound" if source == "RecordVerb" else "both")


def whole_seconds(micros: int) -> int:
    """The ``duration`` (and ``RecordingDuration``) of ``micros`` of audio: whole seconds, a
    started second counting, as a call's duration is reported."""
    return -(-micros // 1_000_000) if micros > 0 else 0


def price(micros: int) -> str | None:
    """What a recording costs, per started minute; one holding no audio costs nothing."""
    minutes = billed_minutes(whole_seconds(micros))
    if not minutes:
        return None
    return f"-{PRICE_PER_MINUTE * minutes:.5f}"


def media_path(account_sid: str, sid: str) -> str:
    """The recording's audio, relative to the server (the ``RecordingUrl`` an app gets, and
    the resource's ``media_url``, once prefixed with the server's base URL). Without an
    extension it is the WAV file, as on Twilio."""
    return f"/{API_VERSION}/Accounts/{account_sid}/Recordings/{sid}"
