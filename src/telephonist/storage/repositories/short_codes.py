"""Short codes: the ones each account holds, and who holds a given short code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from telephonist.domain.errors import TelephonistError
from telephonist.storage.prepared import Prepared
from telephonist.storage.repositories.accounts import reachable_sids
from telephonist.storage.repositories.listing import Listing
from telephonist.storage.repositories.numbers import like_pattern
from telephonist.storage.schema import short_codes


class ShortCodeTaken(TelephonistError):
    """The short code already belongs to an account (a short code has one holder)."""


def insert_short_code(conn: Connection, row: Mapping[str, Any]) -> None:
    """Store a provisioned short code; :class:`ShortCodeTaken` if someone holds it already.

    The unique column decides, not an earlier read, so two accounts racing for one short code
    cannot both get it. The failed insert leaves the transaction to be rolled back.
    """
    try:
        conn.execute(insert(short_codes).values(dict(row)))
    except IntegrityError as exc:
        raise ShortCodeTaken(row["short_code"]) from exc


def get_short_code(conn: Connection, account_sid: str, sid: str) -> RowMapping | None:
    """The account's short code ``sid``; None when it is missing or another account's."""
    return (
        conn.execute(
            select(short_codes)
            .where(short_codes.c.sid == sid)
            .where(short_codes.c.account_sid == account_sid)
        )
        .mappings()
        .first()
    )


def update_short_code(
    conn: Connection, account_sid: str, sid: str, values: Mapping[str, Any]
) -> RowMapping | None:
    """Change the short code's columns and answer the row as it now is."""
    conn.execute(
        update(short_codes)
        .where(short_codes.c.sid == sid)
        .where(short_codes.c.account_sid == account_sid)
        .values(dict(values))
    )
    return get_short_code(conn, account_sid, sid)


def short_code_listing(
    account_sid: str, *, friendly_name: str | None = None, short_code: str | None = None
) -> Listing:
    """The account's short codes, oldest first; ``short_code`` matches partially, ``*`` for
    any one digit (as the PhoneNumber filter of IncomingPhoneNumbers)."""
    query = select(short_codes).where(short_codes.c.account_sid == account_sid)
    if friendly_name is not None:
        query = query.where(short_codes.c.friendly_name == friendly_name)
    if short_code is not None:
        query = query.where(short_codes.c.short_code.like(like_pattern(short_code)))
    return Listing(query, short_codes.c.date_created, short_codes.c.sid, descending=False)


def holder(conn: Connection, code: str) -> RowMapping | None:
    """The short code ``code``, whoever holds it (an inbound text names only the digits)."""
    return (
        conn.execute(select(short_codes).where(short_codes.c.short_code == code)).mappings().first()
    )


def held_within(conn: Connection, code: str, account_sid: str) -> RowMapping | None:
    """The short code ``code`` when ``account_sid`` or one of its subaccounts holds it;
    another account's is left out like one nobody holds."""
    return (
        conn.execute(
            select(short_codes)
            .where(short_codes.c.short_code == code)
            .where(short_codes.c.account_sid.in_(reachable_sids(account_sid)))
        )
        .mappings()
        .first()
    )


def sender(conn: Connection, account_sid: str, code: str) -> tuple[str, bool] | None:
    """(country, MMS-capable) of the account's short code ``code``, for a message sent from
    it; None when the account holds no such short code."""
    row = _SENDER.execute(conn, {"a": account_sid, "c": code})
    return None if row is None else (str(row[0]), bool(row[1]))


# Prepared: the create path runs it for every message sent from a short code.
_SENDER = Prepared(
    select(short_codes.c.iso_country, short_codes.c.cap_mms)
    .where(short_codes.c.account_sid == bindparam("a"))
    .where(short_codes.c.short_code == bindparam("c"))
)
