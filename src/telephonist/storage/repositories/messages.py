"""Messages and their media as the API reads and changes them.

Creating a message is not here: it is one path for every caller
(:func:`telephonist.dispatch.pipeline.send_message`), and status changes go through the
dispatcher's :class:`~telephonist.dispatch.pipeline.Outbox`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from telephonist.domain.sids import is_sid
from telephonist.storage.repositories.listing import Listing, during
from telephonist.storage.schema import media, media_content, messages, scheduled_counts


def message_listing(
    account_sid: str,
    *,
    to: str | None = None,
    from_: str | None = None,
    sent_since: int | None = None,
    sent_until: int | None = None,
) -> Listing:
    """The account's messages, newest first, filtered as ``Messages.json`` is."""
    query = select(messages).where(messages.c.account_sid == account_sid)
    if to is not None:
        query = query.where(messages.c.to == to)
    if from_ is not None:
        query = query.where(messages.c.from_ == from_)
    query = during(query, messages.c.date_sent, sent_since, sent_until)
    return Listing(query, messages.c.date_created, messages.c.sid)


def take_scheduled_place(conn: Connection, account_sid: str, limit: int) -> bool:
    """Count one more of the account's messages as scheduled, unless it has ``limit`` already
    (False: then nothing is counted).

    One row per account carries the count, so the check costs the same however many messages
    the account has. The upsert takes that row's lock, so two creates racing for the last
    place cannot both get it, on either database.
    """
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    taken = conn.execute(
        upsert(scheduled_counts)
        .values(account_sid=account_sid, scheduled=1)
        .on_conflict_do_update(
            index_elements=[scheduled_counts.c.account_sid],
            set_={"scheduled": scheduled_counts.c.scheduled + 1},
        )
        .returning(scheduled_counts.c.scheduled)
    ).scalar_one()
    if taken <= limit:
        return True
    conn.execute(
        update(scheduled_counts)
        .where(scheduled_counts.c.account_sid == account_sid)
        .values(scheduled=scheduled_counts.c.scheduled - 1)
    )
    return False


def free_scheduled_places(conn: Connection, left: Mapping[str, int]) -> None:
    """``left[account]`` of each account's messages have left ``scheduled``."""
    for account_sid, count in sorted(left.items()):
        conn.execute(
            update(scheduled_counts)
            .where(scheduled_counts.c.account_sid == account_sid)
            .values(scheduled=scheduled_counts.c.scheduled - count)
        )


def scheduled_now(conn: Connection, account_sid: str) -> int:
    """How many of the account's messages are scheduled (the kept count)."""
    found = conn.execute(
        select(scheduled_counts.c.scheduled).where(scheduled_counts.c.account_sid == account_sid)
    ).scalar()
    return int(found or 0)


def get_message(conn: Connection, account_sid: str, sid: str) -> RowMapping | None:
    if not (is_sid(sid, "SM") or is_sid(sid, "MM")):
        return None
    return (
        conn.execute(
            select(messages)
            .where(messages.c.sid == sid)
            .where(messages.c.account_sid == account_sid)
        )
        .mappings()
        .first()
    )


def update_message(
    conn: Connection, sid: str, values: dict[str, Any], *, expected_status: str | None = None
) -> bool:
    """Change a message (only if still in ``expected_status``, when given); answers whether
    it was changed."""
    stmt = update(messages).where(messages.c.sid == sid)
    if expected_status is not None:
        stmt = stmt.where(messages.c.status == expected_status)
    return bool(conn.execute(stmt.values(values)).rowcount)


def delete_message(conn: Connection, sid: str) -> None:
    conn.execute(delete(media).where(media.c.message_sid == sid))
    conn.execute(delete(messages).where(messages.c.sid == sid))


def media_listing(
    message_sid: str, *, since: int | None = None, until: int | None = None
) -> Listing:
    query = during(
        select(media).where(media.c.message_sid == message_sid),
        media.c.date_created,
        since,
        until,
    )
    return Listing(query, media.c.date_created, media.c.sid)


def get_media(conn: Connection, account_sid: str, message_sid: str, sid: str) -> RowMapping | None:
    return (
        conn.execute(
            select(media)
            .where(media.c.sid == sid)
            .where(media.c.message_sid == message_sid)
            .where(media.c.account_sid == account_sid)
        )
        .mappings()
        .first()
    )


def delete_media(conn: Connection, account_sid: str, message_sid: str, sid: str) -> bool:
    result = conn.execute(
        delete(media)
        .where(media.c.sid == sid)
        .where(media.c.message_sid == message_sid)
        .where(media.c.account_sid == account_sid)
    )
    return bool(result.rowcount)


def media_bytes(
    conn: Connection, account_sid: str, message_sid: str, sid: str
) -> tuple[str, bytes] | None:
    """The stored bytes of one media item and their content type."""
    row = conn.execute(
        select(media.c.content_type, media_content.c.content)
        .join(media_content, media_content.c.media_sid == media.c.sid)
        .where(media.c.sid == sid)
        .where(media.c.message_sid == message_sid)
        .where(media.c.account_sid == account_sid)
    ).first()
    return None if row is None else (str(row.content_type), bytes(row.content))
