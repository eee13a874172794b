"""Conversation cookie jars in the database: one row per (account, From, To).

The jar itself is :class:`telephonist.webhooks.cookies.CookieJar`; this module only stores it.
A worker loads the jars of a whole batch in one query and saves each jar a fetch changed.
Concurrent fetches of one conversation on different workers keep the last jar saved, which is
also what Twilio promises (no more than the latest value, and not always that).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import Connection, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from telephonist.storage.schema import conversation_cookies as table
from telephonist.webhooks.cookies import CookieJar


class Conversation(NamedTuple):
    """Whose cookies: the account, and the inbound message's From and To."""

    account_sid: str
    from_: str
    to: str


def load_jars(
    conn: Connection, conversations: Iterable[Conversation], now: int
) -> dict[Conversation, CookieJar]:
    """The live jars of ``conversations``; one without a row (or only dead cookies) is absent."""
    keys = list(set(conversations))
    if not keys:
        return {}
    rows = conn.execute(
        select(table.c.account_sid, table.c.from_, table.c.to, table.c.jar)
        .where(tuple_(table.c.account_sid, table.c.from_, table.c.to).in_(keys))
        .where(table.c.expires_at > now)
    )
    jars: dict[Conversation, CookieJar] = {}
    for account_sid, from_, to, text in rows:
        jar = CookieJar.from_json(text).live(now)
        if jar:
            jars[Conversation(account_sid, from_, to)] = jar
    return jars


def save_jar(conn: Connection, conversation: Conversation, jar: CookieJar, now: int) -> None:
    """Replace the conversation's jar with ``jar``; an empty jar removes the row.

    An upsert, not delete-then-insert: two workers saving one conversation at once must both
    succeed (the later wins) rather than one failing on the primary key.
    """
    live = jar.live(now)
    expires_at = live.expires_at
    if expires_at is None:
        conn.execute(
            delete(table)
            .where(table.c.account_sid == conversation.account_sid)
            .where(table.c.from_ == conversation.from_)
            .where(table.c.to == conversation.to)
        )
        return
    values = {"jar": live.to_json(), "expires_at": expires_at, "updated_at": now}
    upsert = pg_insert(table) if conn.dialect.name == "postgresql" else sqlite_insert(table)
    conn.execute(
        upsert.values(
            account_sid=conversation.account_sid,
            from_=conversation.from_,
            to=conversation.to,
            **values,
        ).on_conflict_do_update(index_elements=list(table.primary_key.columns), set_=values)
    )


def delete_expired(conn: Connection, now: int) -> int:
    """Remove the jars whose every cookie has expired; answers how many."""
    result = conn.execute(delete(table).where(table.c.expires_at <= now))
    return int(result.rowcount or 0)
