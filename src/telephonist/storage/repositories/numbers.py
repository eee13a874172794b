"""Incoming phone numbers: the numbers accounts own, and which numbers are taken."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from telephonist.domain.errors import TelephonistError
from telephonist.storage.repositories.accounts import reachable_sids
from telephonist.storage.repositories.listing import Listing
from telephonist.storage.schema import incoming_numbers, messaging_service_numbers


class NumberTaken(TelephonistError):
    """The phone number already belongs to an account (a number has one owner at a time)."""


def owned_among(conn: Connection, numbers: Sequence[str]) -> set[str]:
    """Which of ``numbers`` some account owns."""
    if not numbers:
        return set()
    rows = conn.execute(
        select(incoming_numbers.c.phone_number).where(
            incoming_numbers.c.phone_number.in_(list(numbers))
        )
    )
    return {r[0] for r in rows}


def owned_within(conn: Connection, numbers: Sequence[str], account_sid: str) -> set[str]:
    """Which of ``numbers`` ``account_sid`` or one of its subaccounts owns.

    Another account's numbers are left out like numbers nobody owns, so a caller that asks
    about them learns nothing about who owns them.
    """
    if not numbers:
        return set()
    rows = conn.execute(
        select(incoming_numbers.c.phone_number)
        .where(incoming_numbers.c.phone_number.in_(list(numbers)))
        .where(incoming_numbers.c.account_sid.in_(reachable_sids(account_sid)))
    )
    return {r[0] for r in rows}


def owned_with_prefix(conn: Connection, prefix: str) -> set[str]:
    """Every owned number that starts with ``prefix`` (an E.164 country and area code)."""
    rows = conn.execute(
        select(incoming_numbers.c.phone_number).where(
            incoming_numbers.c.phone_number.like(prefix + "%")
        )
    )
    return {r[0] for r in rows}


def insert_number(conn: Connection, row: Mapping[str, Any]) -> None:
    """Store a bought number; :class:`NumberTaken` if someone owns it already.

    The unique phone number decides, not an earlier read, so two buyers racing for one number
    cannot both get it. The failed insert leaves the transaction to be rolled back.
    """
    try:
        conn.execute(insert(incoming_numbers).values(dict(row)))
    except IntegrityError as exc:
        raise NumberTaken(row["phone_number"]) from exc


def get_number(conn: Connection, account_sid: str, sid: str) -> RowMapping | None:
    return (
        conn.execute(
            select(incoming_numbers)
            .where(incoming_numbers.c.sid == sid)
            .where(incoming_numbers.c.account_sid == account_sid)
        )
        .mappings()
        .first()
    )


def update_number(conn: Connection, sid: str, values: Mapping[str, Any]) -> RowMapping | None:
    """Change the number's columns and answer the row as it now is. A number moved to another
    account leaves the Messaging Service pool it was in (the service stays with the old one)."""
    if "account_sid" in values:
        owner = conn.execute(
            select(incoming_numbers.c.account_sid).where(incoming_numbers.c.sid == sid)
        ).scalar()
        if owner != values["account_sid"]:
            _leave_pool(conn, sid)
    conn.execute(update(incoming_numbers).where(incoming_numbers.c.sid == sid).values(dict(values)))
    return (
        conn.execute(select(incoming_numbers).where(incoming_numbers.c.sid == sid))
        .mappings()
        .first()
    )


def delete_number(conn: Connection, account_sid: str, sid: str) -> bool:
    """Release the number, taking it out of its Messaging Service's pool; False when the
    account owns no such number."""
    if get_number(conn, account_sid, sid) is None:
        return False
    _leave_pool(conn, sid)
    result = conn.execute(
        delete(incoming_numbers)
        .where(incoming_numbers.c.sid == sid)
        .where(incoming_numbers.c.account_sid == account_sid)
    )
    return bool(result.rowcount)


def _leave_pool(conn: Connection, sid: str) -> None:
    conn.execute(
        delete(messaging_service_numbers).where(messaging_service_numbers.c.phone_number_sid == sid)
    )


def number_listing(
    account_sid: str,
    *,
    kind: str | None = None,
    friendly_name: str | None = None,
    phone_number: str | None = None,
    origin: str | None = None,
) -> Listing:
    """The account's numbers, oldest first; ``phone_number`` matches partially (see
    :func:`like_pattern`)."""
    query = select(incoming_numbers).where(incoming_numbers.c.account_sid == account_sid)
    if kind is not None:
        query = query.where(incoming_numbers.c.kind == kind)
    if friendly_name is not None:
        query = query.where(incoming_numbers.c.friendly_name == friendly_name)
    if phone_number is not None:
        query = query.where(incoming_numbers.c.phone_number.like(like_pattern(phone_number)))
    if origin is not None:
        query = query.where(incoming_numbers.c.origin == origin)
    return Listing(query, incoming_numbers.c.date_created, incoming_numbers.c.sid, descending=False)


def like_pattern(pattern: str) -> str:
    """Twilio matches PhoneNumber partially, with ``*`` for one character."""
    digits = "".join(ch for ch in pattern if ch.isdigit() or ch in "*+")
    escaped = digits.replace("%", "").replace("_", "")
    return "%" + escaped.replace("*", "_") + "%"
