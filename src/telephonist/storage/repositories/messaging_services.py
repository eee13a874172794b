"""Messaging Services: each account's services and their sender pools."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import (
    Connection,
    RowMapping,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from telephonist.domain.errors import TelephonistError
from telephonist.domain.services import Pool, PoolNumber, PoolShortCode, settings_of, sorted_pool
from telephonist.storage.prepared import Prepared
from telephonist.storage.repositories.listing import Listing
from telephonist.storage.schema import (
    a2p_campaigns,
    incoming_numbers,
    messaging_service_alpha_senders,
    messaging_service_destination_alpha_senders,
    messaging_service_numbers,
    messaging_service_short_codes,
    messaging_services,
    opt_out_settings,
    opt_outs,
    short_codes,
    sticky_senders,
)

services = messaging_services
pool = messaging_service_numbers
alphas = messaging_service_alpha_senders
codes = messaging_service_short_codes
destination_alphas = messaging_service_destination_alpha_senders


class NumberInService(TelephonistError):
    """The phone number (or short code) is in a service's pool already (each is in one service
    at most); ``args[0]`` is that service's SID."""


class PoolFull(TelephonistError):
    """The service's pool holds as many numbers as it may (``args[0]``: that limit)."""


# -- Services ------------------------------------------------------------------------------------


def insert_service(conn: Connection, row: Mapping[str, Any]) -> None:
    conn.execute(insert(services).values(dict(row)))


def get_service(conn: Connection, account_sid: str, sid: str) -> RowMapping | None:
    """The account's service ``sid``; None when it is missing or another account's."""
    return (
        conn.execute(
            select(services)
            .where(services.c.sid == sid)
            .where(services.c.account_sid == account_sid)
        )
        .mappings()
        .first()
    )


def update_service(
    conn: Connection, account_sid: str, sid: str, values: Mapping[str, Any]
) -> RowMapping | None:
    """Change the service's columns and answer the row as it now is (None: no such service
    of this account)."""
    conn.execute(
        update(services)
        .where(services.c.sid == sid)
        .where(services.c.account_sid == account_sid)
        .values(dict(values))
    )
    return get_service(conn, account_sid, sid)


def delete_service(conn: Connection, account_sid: str, sid: str) -> bool:
    """Delete the service and its sender pool; False when the account has no such service."""
    if get_service(conn, account_sid, sid) is None:
        return False
    conn.execute(delete(pool).where(pool.c.service_sid == sid))
    conn.execute(delete(codes).where(codes.c.service_sid == sid))
    conn.execute(delete(alphas).where(alphas.c.service_sid == sid))
    conn.execute(delete(destination_alphas).where(destination_alphas.c.service_sid == sid))
    conn.execute(delete(sticky_senders).where(sticky_senders.c.service_sid == sid))
    conn.execute(delete(a2p_campaigns).where(a2p_campaigns.c.messaging_service_sid == sid))
    conn.execute(delete(opt_out_settings).where(opt_out_settings.c.service_sid == sid))
    conn.execute(
        delete(opt_outs).where(opt_outs.c.account_sid == account_sid).where(opt_outs.c.scope == sid)
    )
    result = conn.execute(
        delete(services).where(services.c.sid == sid).where(services.c.account_sid == account_sid)
    )
    return bool(result.rowcount)


def service_listing(account_sid: str) -> Listing:
    """The account's services, oldest first."""
    query = select(services).where(services.c.account_sid == account_sid)
    return Listing(query, services.c.date_created, services.c.sid, descending=False)


# -- The pool: phone numbers ---------------------------------------------------------------------

_POOL_COLUMNS = (
    pool.c.phone_number_sid,
    pool.c.service_sid,
    pool.c.account_sid,
    pool.c.date_created,
    pool.c.date_updated,
    incoming_numbers.c.phone_number,
    incoming_numbers.c.iso_country,
    incoming_numbers.c.cap_voice,
    incoming_numbers.c.cap_sms,
    incoming_numbers.c.cap_mms,
)


def _pool_query() -> Any:
    return select(*_POOL_COLUMNS).join(
        incoming_numbers, incoming_numbers.c.sid == pool.c.phone_number_sid
    )


def add_number(conn: Connection, row: Mapping[str, Any], *, limit: int) -> None:
    """Put a number in a service's pool; :class:`NumberInService` (with the SID of the service
    that has it) when a service has it already, :class:`PoolFull` when the pool holds
    ``limit`` numbers and short codes.

    The key on the number decides, not an earlier read, so two services racing for one number
    cannot both get it. The failed insert leaves the transaction to be rolled back.
    """
    holder = conn.execute(
        select(pool.c.service_sid).where(pool.c.phone_number_sid == row["phone_number_sid"])
    ).scalar()
    if holder is not None:
        raise NumberInService(holder)
    _check_room(conn, row["service_sid"], limit)
    try:
        conn.execute(insert(pool).values(dict(row)))
    except IntegrityError as exc:
        raise NumberInService(None) from exc


def _check_room(conn: Connection, service_sid: str, limit: int) -> None:
    """:class:`PoolFull` unless the pool has room for one more number or short code.

    The service's row is locked before its pool is counted (FOR UPDATE on PostgreSQL; SQLite
    has one writer), so two adds racing for the last place cannot both take it.
    """
    conn.execute(select(services.c.sid).where(services.c.sid == service_sid).with_for_update())
    if pool_size(conn, service_sid) >= limit:
        raise PoolFull(limit)


def pool_size(conn: Connection, service_sid: str) -> int:
    """How many phone numbers and short codes the service's pool holds (Twilio's limit
    counts both)."""
    numbers = select(func.count()).select_from(pool).where(pool.c.service_sid == service_sid)
    short = select(func.count()).select_from(codes).where(codes.c.service_sid == service_sid)
    return int(
        conn.execute(select(numbers.scalar_subquery() + short.scalar_subquery())).scalar_one()
    )


def get_pool_number(conn: Connection, service_sid: str, sid: str) -> RowMapping | None:
    """The pool entry of number ``sid`` in ``service_sid``, with the number's details."""
    return (
        conn.execute(
            _pool_query()
            .where(pool.c.service_sid == service_sid)
            .where(pool.c.phone_number_sid == sid)
        )
        .mappings()
        .first()
    )


def remove_number(conn: Connection, service_sid: str, sid: str) -> bool:
    """Take number ``sid`` out of the service's pool; False when it is not in it."""
    result = conn.execute(
        delete(pool).where(pool.c.service_sid == service_sid).where(pool.c.phone_number_sid == sid)
    )
    return bool(result.rowcount)


def forget_number(conn: Connection, sid: str) -> None:
    """Take number ``sid`` out of whichever pool holds it (it was released or changed owner)."""
    conn.execute(delete(pool).where(pool.c.phone_number_sid == sid))


def service_of_number(conn: Connection, number_sid: str) -> RowMapping | None:
    """The service whose pool holds number ``number_sid`` (None: no service's)."""
    return (
        conn.execute(
            select(services)
            .join(pool, pool.c.service_sid == services.c.sid)
            .where(pool.c.phone_number_sid == number_sid)
        )
        .mappings()
        .first()
    )


def pool_listing(service_sid: str) -> Listing:
    """The service's numbers, oldest in the pool first."""
    query = _pool_query().where(pool.c.service_sid == service_sid)
    return Listing(query, pool.c.date_created, pool.c.phone_number_sid, descending=False)


# -- The pool: short codes -----------------------------------------------------------------------

_CODE_COLUMNS = (
    codes.c.short_code_sid,
    codes.c.service_sid,
    codes.c.account_sid,
    codes.c.date_created,
    codes.c.date_updated,
    short_codes.c.short_code,
    short_codes.c.iso_country,
    short_codes.c.cap_mms,
)


def _codes_query() -> Any:
    return select(*_CODE_COLUMNS).join(short_codes, short_codes.c.sid == codes.c.short_code_sid)


def add_short_code(conn: Connection, row: Mapping[str, Any], *, limit: int) -> None:
    """Put a short code in a service's pool; :class:`NumberInService` (with the SID of the
    service that has it) when a service has it already, :class:`PoolFull` when the pool is
    full. The key on the short code decides a race, as for numbers."""
    held = conn.execute(
        select(codes.c.service_sid).where(codes.c.short_code_sid == row["short_code_sid"])
    ).scalar()
    if held is not None:
        raise NumberInService(held)
    _check_room(conn, row["service_sid"], limit)
    try:
        conn.execute(insert(codes).values(dict(row)))
    except IntegrityError as exc:
        raise NumberInService(None) from exc


def get_pool_short_code(conn: Connection, service_sid: str, sid: str) -> RowMapping | None:
    """The pool entry of short code ``sid`` in ``service_sid``, with the short code's details."""
    return (
        conn.execute(
            _codes_query()
            .where(codes.c.service_sid == service_sid)
            .where(codes.c.short_code_sid == sid)
        )
        .mappings()
        .first()
    )


def remove_short_code(conn: Connection, service_sid: str, sid: str) -> bool:
    """Take short code ``sid`` out of the service's pool; False when it is not in it."""
    result = conn.execute(
        delete(codes).where(codes.c.service_sid == service_sid).where(codes.c.short_code_sid == sid)
    )
    return bool(result.rowcount)


def service_of_short_code(conn: Connection, short_code_sid: str) -> RowMapping | None:
    """The service whose pool holds short code ``short_code_sid`` (None: no service's)."""
    return (
        conn.execute(
            select(services)
            .join(codes, codes.c.service_sid == services.c.sid)
            .where(codes.c.short_code_sid == short_code_sid)
        )
        .mappings()
        .first()
    )


def short_code_listing(service_sid: str) -> Listing:
    """The service's short codes, oldest in the pool first."""
    query = _codes_query().where(codes.c.service_sid == service_sid)
    return Listing(query, codes.c.date_created, codes.c.short_code_sid, descending=False)


# -- The pool: alphanumeric sender IDs, for every country and for one ---------------------------
#
# AlphaSenders and DestinationAlphaSenders are two resources of one shape (a destination alpha
# sender has a country, or "" for every country), so each read and write below serves both:
# ``table`` is ``alphas`` or ``destination_alphas``.


def add_alpha_sender(conn: Connection, row: Mapping[str, Any], table: Table = alphas) -> None:
    conn.execute(insert(table).values(dict(row)))


def alpha_sender_named(
    conn: Connection, service_sid: str, name: str, table: Table = alphas, country: str = ""
) -> RowMapping | None:
    """The service's alpha sender ``name`` (compared without regard to case); of a
    destination alpha sender, the one for ``country``."""
    query = select(table).where(table.c.service_sid == service_sid)
    if table is destination_alphas:
        query = query.where(table.c.iso_country == country)
    rows = conn.execute(query).mappings()
    return next((r for r in rows if r["alpha_sender"].lower() == name.lower()), None)


def get_alpha_sender(
    conn: Connection, service_sid: str, sid: str, table: Table = alphas
) -> RowMapping | None:
    return (
        conn.execute(
            select(table).where(table.c.service_sid == service_sid).where(table.c.sid == sid)
        )
        .mappings()
        .first()
    )


def remove_alpha_sender(
    conn: Connection, service_sid: str, sid: str, table: Table = alphas
) -> bool:
    result = conn.execute(
        delete(table).where(table.c.service_sid == service_sid).where(table.c.sid == sid)
    )
    return bool(result.rowcount)


def alpha_sender_listing(
    service_sid: str, table: Table = alphas, country: str | None = None
) -> Listing:
    """The service's alpha senders, oldest first; of destination alpha senders, those for
    ``country`` only when it is given."""
    query = select(table).where(table.c.service_sid == service_sid)
    if country is not None:
        query = query.where(table.c.iso_country == country)
    return Listing(query, table.c.date_created, table.c.sid, descending=False)


# -- Sending: the pool as sender selection sees it, and sticky senders ---------------------------


def pool_of(conn: Connection, service_sid: str) -> Pool:
    """Every sender of the service's pool (numbers with their kind and capabilities, short
    codes with their country, alphanumeric sender IDs)."""
    numbers = [
        PoolNumber(r.phone_number, r.kind, r.iso_country, bool(r.cap_sms), bool(r.cap_mms))
        for r in conn.execute(
            select(
                incoming_numbers.c.phone_number,
                incoming_numbers.c.kind,
                incoming_numbers.c.iso_country,
                incoming_numbers.c.cap_sms,
                incoming_numbers.c.cap_mms,
            )
            .join(pool, pool.c.phone_number_sid == incoming_numbers.c.sid)
            .where(pool.c.service_sid == service_sid)
        )
    ]
    names = conn.execute(
        select(alphas.c.alpha_sender).where(alphas.c.service_sid == service_sid)
    ).scalars()
    held = [
        PoolShortCode(r.short_code, r.iso_country, bool(r.cap_mms))
        for r in conn.execute(
            select(short_codes.c.short_code, short_codes.c.iso_country, short_codes.c.cap_mms)
            .join(codes, codes.c.short_code_sid == short_codes.c.sid)
            .where(codes.c.service_sid == service_sid)
        )
    ]
    by_country = conn.execute(
        select(destination_alphas.c.iso_country, destination_alphas.c.alpha_sender).where(
            destination_alphas.c.service_sid == service_sid
        )
    )
    return sorted_pool(numbers, list(names), held, [(r[0], r[1]) for r in by_country])


def mms_converters(conn: Connection, service_sids: Collection[str]) -> dict[str, bool]:
    """Each of these services' ``MmsConverter`` (a service deleted since is left out)."""
    if not service_sids:
        return {}
    rows = conn.execute(
        select(services.c.sid, services.c.config).where(services.c.sid.in_(sorted(service_sids)))
    )
    return {sid: bool(settings_of(config)["mms_converter"]) for sid, config in rows}


def has_senders(conn: Connection, service_sid: str) -> bool:
    """Whether the service's pool holds any number, short code or alphanumeric sender ID."""
    for table in (pool, codes, alphas, destination_alphas):
        found = conn.execute(
            select(table.c.service_sid).where(table.c.service_sid == service_sid).limit(1)
        ).first()
        if found is not None:
            return True
    return False


def sticky_sender(conn: Connection, service_sid: str, to: str) -> str | None:
    """The sender the service last used for ``to``."""
    row = _STICKY.execute(conn, {"service": service_sid, "to": to})
    return None if row is None else str(row[0])


def remember_sender(conn: Connection, service_sid: str, to: str, sender: str, now: int) -> None:
    """``sender`` is the service's sender for ``to`` from now on."""
    upsert = _REMEMBER_PG if conn.dialect.name == "postgresql" else _REMEMBER_SQLITE
    upsert.execute(conn, {"service": service_sid, "to": to, "sender": sender, "now": now})


# Prepared: the route step runs these for every message sent through a service.
_STICKY = Prepared(
    select(sticky_senders.c.sender)
    .where(sticky_senders.c.service_sid == bindparam("service"))
    .where(sticky_senders.c.to == bindparam("to"))
)


def _remember(upsert: Any) -> Prepared:
    return Prepared(
        upsert(sticky_senders)
        .values(
            service_sid=bindparam("service"),
            to=bindparam("to"),
            sender=bindparam("sender"),
            updated_at=bindparam("now"),
        )
        .on_conflict_do_update(
            index_elements=[sticky_senders.c.service_sid, sticky_senders.c.to],
            set_={"sender": bindparam("sender"), "updated_at": bindparam("now")},
        )
    )


_REMEMBER_PG = _remember(pg_insert)
_REMEMBER_SQLITE = _remember(sqlite_insert)
