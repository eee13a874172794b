"""Applications: each account's named sets of voice and messaging URLs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from telephonist.storage.repositories.listing import Listing
from telephonist.storage.schema import applications


def insert_application(conn: Connection, row: Mapping[str, Any]) -> None:
    conn.execute(insert(applications).values(dict(row)))


def get_application(conn: Connection, account_sid: str, sid: str) -> RowMapping | None:
    """The account's application ``sid``; None when it is missing or another account's."""
    return (
        conn.execute(
            select(applications)
            .where(applications.c.sid == sid)
            .where(applications.c.account_sid == account_sid)
        )
        .mappings()
        .first()
    )


def update_application(
    conn: Connection, account_sid: str, sid: str, values: Mapping[str, Any]
) -> RowMapping | None:
    """Change the application's columns and answer the row as it now is (None: no such
    application of this account)."""
    conn.execute(
        update(applications)
        .where(applications.c.sid == sid)
        .where(applications.c.account_sid == account_sid)
        .values(dict(values))
    )
    return get_application(conn, account_sid, sid)


def delete_application(conn: Connection, account_sid: str, sid: str) -> bool:
    """False when the account has no such application."""
    result = conn.execute(
        delete(applications)
        .where(applications.c.sid == sid)
        .where(applications.c.account_sid == account_sid)
    )
    return bool(result.rowcount)


def owned_among(conn: Connection, account_sid: str, sids: Sequence[str]) -> set[str]:
    """Which of ``sids`` are applications of ``account_sid``."""
    if not sids:
        return set()
    rows = conn.execute(
        select(applications.c.sid)
        .where(applications.c.sid.in_(list(sids)))
        .where(applications.c.account_sid == account_sid)
    )
    return {r[0] for r in rows}


def application_listing(account_sid: str, *, friendly_name: str | None = None) -> Listing:
    """The account's applications, oldest first; ``friendly_name`` matches exactly."""
    query = select(applications).where(applications.c.account_sid == account_sid)
    if friendly_name is not None:
        query = query.where(applications.c.friendly_name == friendly_name)
    return Listing(query, applications.c.date_created, applications.c.sid, descending=False)
