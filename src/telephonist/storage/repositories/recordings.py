"""Recordings: each account's rows, read whole or through a call, and the audio's length.

Storing one is :func:`telephonist.dispatch.recordings.store_recording`, the one path a call's
step and anything else that makes recordings take.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, false, insert, select

from telephonist.storage.repositories.listing import Listing, during
from telephonist.storage.schema import recordings


def insert_recording(conn: Connection, row: Mapping[str, Any]) -> None:
    conn.execute(insert(recordings).values(dict(row)))


def get_recording(
    conn: Connection, account_sid: str, sid: str, *, call_sid: str | None = None
) -> dict[str, Any] | None:
    """The account's recording ``sid`` (of ``call_sid``, when given); None when it is missing,
    another account's or another call's."""
    query = (
        select(recordings)
        .where(recordings.c.sid == sid)
        .where(recordings.c.account_sid == account_sid)
    )
    if call_sid is not None:
        query = query.where(recordings.c.call_sid == call_sid)
    row = conn.execute(query).mappings().first()
    return None if row is None else dict(row)


def audio_of(conn: Connection, account_sid: str, sid: str) -> tuple[int, int] | None:
    """How long the recording's audio is and on how many channels, or None when the account
    has no such recording."""
    row = conn.execute(
        select(recordings.c.audio_micros, recordings.c.channels)
        .where(recordings.c.sid == sid)
        .where(recordings.c.account_sid == account_sid)
    ).first()
    return None if row is None else (int(row[0]), int(row[1]))


def delete_recording(
    conn: Connection, account_sid: str, sid: str, *, call_sid: str | None = None
) -> bool:
    """False when the account (or ``call_sid``) has no such recording."""
    stmt = (
        delete(recordings)
        .where(recordings.c.sid == sid)
        .where(recordings.c.account_sid == account_sid)
    )
    if call_sid is not None:
        stmt = stmt.where(recordings.c.call_sid == call_sid)
    return bool(conn.execute(stmt).rowcount)


def recording_listing(
    account_sid: str,
    *,
    call_sid: str | None = None,
    conference_sid: str | None = None,
    since: int | None = None,
    until: int | None = None,
) -> Listing:
    """The account's recordings, newest first; ``since``/``until`` bound ``date_created``.

    No recording belongs to a conference (there are none), so asking for a conference's
    finds nothing.
    """
    query = select(recordings).where(recordings.c.account_sid == account_sid)
    if call_sid is not None:
        query = query.where(recordings.c.call_sid == call_sid)
    if conference_sid is not None:
        query = query.where(false())
    query = during(query, recordings.c.date_created, since, until)
    return Listing(query, recordings.c.date_created, recordings.c.sid)
