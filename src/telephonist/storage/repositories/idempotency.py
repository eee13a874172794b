"""Idempotency keys: which resource a create's ``Idempotency-Key`` made, per account.

A create claims its key first (:func:`claim`), stores its resource, then names it
(:func:`attach`), all in one transaction: a key is stored exactly when its resource is. The
primary key decides between two requests racing with one key, not an earlier read: the
claim is an upsert that does nothing when a live row holds the key (on PostgreSQL it waits
for the other transaction to end), so the loser reads the winner's row instead of failing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from telephonist.domain.idempotency import WINDOW_MICROS
from telephonist.storage.schema import idempotency_keys as table


def claim(
    conn: Connection, account_sid: str, key: str, *, request_hash: str, resource: str, now: int
) -> dict[str, Any] | None:
    """Take ``key`` for a new create: None when taken here (the caller stores the resource
    and calls :func:`attach`), else the live row that holds it.

    A row older than the window holds nothing: it is taken over as if it were not there.
    """
    values = {"request_hash": request_hash, "resource": resource, "sid": None, "created_at": now}
    upsert = pg_insert(table) if conn.dialect.name == "postgresql" else sqlite_insert(table)
    taken = conn.execute(
        upsert.values(account_sid=account_sid, key=key, **values)
        .on_conflict_do_update(
            index_elements=list(table.primary_key.columns),
            set_=values,
            where=table.c.created_at <= now - WINDOW_MICROS,
        )
        .returning(table.c.created_at)  # a row only when inserted or taken over
    ).first()
    if taken is not None:
        return None
    row = (
        conn.execute(
            select(table).where(table.c.account_sid == account_sid).where(table.c.key == key)
        )
        .mappings()
        .one()
    )
    return dict(row)


def attach(conn: Connection, account_sid: str, key: str, sid: str) -> None:
    """Name the resource the create that claimed ``key`` stored."""
    conn.execute(
        update(table)
        .where(table.c.account_sid == account_sid)
        .where(table.c.key == key)
        .values(sid=sid)
    )


def delete_expired(conn: Connection, now: int) -> int:
    """Remove the keys older than the window; answers how many."""
    result = conn.execute(delete(table).where(table.c.created_at <= now - WINDOW_MICROS))
    return result.rowcount
