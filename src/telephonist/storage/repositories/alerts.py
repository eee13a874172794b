"""Alerts as the API reads them: the ``Notifications.json`` list and instance.

Alerts are written where they happen (``dispatch.alerts.record_alert``); this module only reads.
"""

from __future__ import annotations

from sqlalchemy import Connection, RowMapping, select

from telephonist.storage.repositories.listing import Listing, during
from telephonist.storage.schema import notifications


def notification_listing(
    account_sid: str,
    *,
    log: str | None = None,
    since: int | None = None,
    until: int | None = None,
) -> Listing:
    """The account's alerts, newest first; ``log`` is ``"0"`` (errors) or ``"1"`` (warnings),
    and ``since``/``until`` bound the creation time (microseconds, ``until`` excluded)."""
    query = select(notifications).where(notifications.c.account_sid == account_sid)
    if log is not None:
        query = query.where(notifications.c.log == log)
    query = during(query, notifications.c.date_created, since, until)
    return Listing(query, notifications.c.date_created, notifications.c.sid)


def get_notification(conn: Connection, account_sid: str, sid: str) -> RowMapping | None:
    return (
        conn.execute(
            select(notifications)
            .where(notifications.c.sid == sid)
            .where(notifications.c.account_sid == account_sid)
        )
        .mappings()
        .first()
    )
