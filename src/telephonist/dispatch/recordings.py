"""Storing a recording: the one path, taken inside the transaction of the step that made it.

A ``<Record>`` that heard something ends with ``Recorded(micros, digits)``; the step that runs
it stores the recording here and adds the returned ``RecordingSid``, ``RecordingUrl`` (after
prefixing the server's base URL) and ``RecordingDuration`` to the action request. Only the
recording's description is stored: its WAV is generated when fetched.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from telephonist.domain import recordings as rules
from telephonist.domain.sids import new_sid
from telephonist.storage.repositories import recordings as repo


def store_recording(
    conn: Connection,
    *,
    account_sid: str,
    call_sid: str,
    micros: int,
    now: int,
    source: str,
    started: int | None = None,
    sid: str | None = None,
    channels: int = 1,
    track: str | None = None,
) -> dict[str, Any]:
    """Store a completed recording of ``micros`` of audio that ended at ``now``.

    ``source`` is one of :data:`~telephonist.domain.recordings.SOURCES` (``"RecordVerb"`` for
    ``<Record>``); ``started`` is when it began (``now - micros`` unless told); ``sid`` is its
    SID when the caller minted one already (a call's step tells the action first). Returns the
    stored row (its columns) plus the three parameters an action request carries:
    ``RecordingSid``, ``RecordingUrl`` -- a path, ``/2010-04-01/Accounts/{AC}/Recordings/{RE}``,
    for the caller to prefix with the server's base URL -- and ``RecordingDuration`` (whole
    seconds, as a string). ``channels`` is 2 for a dual-channel recording (each party on its
    own channel: ``RecordingChannels=dual``, ``<Dial record="record-from-answer-dual">``).

    An empty recording is not stored (Twilio keeps none, and ``<Record>`` falls through
    without an action): ``micros`` must be positive, else :class:`ValueError`.
    """
    if micros <= 0:
        raise ValueError(f"a recording holds audio; got {micros} microseconds")
    if source not in rules.SOURCES:
        raise ValueError(f"unknown recording source {source!r}")
    sid = sid or new_sid("RE")
    seconds = rules.whole_seconds(micros)
    row: dict[str, Any] = {
        "sid": sid,
        "account_sid": account_sid,
        "call_sid": call_sid,
        "status": "completed",
        "source": source,
        "channels": channels,
        "track": rules.track_of(source, track),
        "start_time": now - micros if started is None else started,
        "duration": seconds,
        "audio_micros": micros,
        "price": rules.price(micros),
        "price_unit": "USD",
        "error_code": None,
        "date_created": now,
        "date_updated": now,
    }
    repo.insert_recording(conn, row)
    return {
        **row,
        "RecordingSid": sid,
        "RecordingUrl": rules.media_path(account_sid, sid),
        "RecordingDuration": str(seconds),
    }
