"""Messages and their media as the API reads and changes them.

Creating a message is not here: it is one path for every caller
(:func:`telephonist.dispatch.pipeline.send_message`), and status changes go through the
dispatcher's :class:`~telephonist.dispatch.pipeline.Outbox`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, select, update

from telephonist.domain.sids import is_sid
from telephonist.storage.repositories.listing import Listing, during
from telephonist.storage.schema import media, media_content, messages


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


def scheduled_count(conn: Connection, account_sid: str, *, since: int, limit: int) -> int:
    """How many of the account's messages created at ``since`` or later are ``scheduled``,
    counted up to ``limit`` (the answer is at most that).

    ``since`` bounds the read to the scheduling window: a message created earlier is due
    already, so it is on its way out of ``scheduled`` and the limit need not count it. The
    read walks the account's recent messages by the (account, date created) index, not its
    whole history.
    """
    recent = (
        select(messages.c.sid)
        .where(messages.c.account_sid == account_sid)
        .where(messages.c.date_created >= since)
        .where(messages.c.status == "scheduled")
        .limit(limit)
        .subquery()
    )
    return int(conn.execute(select(func.count()).select_from(recent)).scalar_one())


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
