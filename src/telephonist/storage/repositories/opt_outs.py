"""Opt-outs: which handsets texted STOP to which sender scope of an account.

A scope is a Messaging Service SID when the number (or short code) texted is in a service's
pool, otherwise the number itself (E.164, or the short code's digits). A send is refused
(21610) when its recipient opted out of the service it is sent through, of the service whose
pool holds its ``From``, or of that ``From`` number itself.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    delete,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from telephonist.storage.prepared import Prepared
from telephonist.storage.repositories.accounts import reachable_sids
from telephonist.storage.schema import (
    incoming_numbers,
    messaging_service_numbers,
    messaging_service_short_codes,
    opt_out_settings,
    opt_outs,
    short_codes,
)


def _services_of(number: str) -> tuple[Select[Any], Select[Any]]:
    """The service holding the account's number, and the one holding its short code, named by
    the bind parameters ``a`` (the account) and ``number``."""
    pooled_number = (
        select(messaging_service_numbers.c.service_sid)
        .join(
            incoming_numbers, incoming_numbers.c.sid == messaging_service_numbers.c.phone_number_sid
        )
        .where(incoming_numbers.c.account_sid == bindparam("a"))
        .where(incoming_numbers.c.phone_number == bindparam(number))
    )
    pooled_code = (
        select(messaging_service_short_codes.c.service_sid)
        .join(short_codes, short_codes.c.sid == messaging_service_short_codes.c.short_code_sid)
        .where(short_codes.c.account_sid == bindparam("a"))
        .where(short_codes.c.short_code == bindparam(number))
    )
    return pooled_number, pooled_code


_SERVICE_OF_NUMBER = Prepared(union_all(*_services_of("n")))


def blocked_query(scoped: ColumnElement[bool]) -> Select[Any]:
    """The opt-out, if any, of the recipient ``to`` from a scope ``scoped`` names (a condition
    on ``opt_outs.c.scope``) or from the service whose pool holds ``from_``: one indexed read,
    whatever the scopes. Bind parameters: ``a`` (the account), ``to``, ``from_``.
    """
    return (
        select(opt_outs.c.scope)
        .where(opt_outs.c.account_sid == bindparam("a"))
        .where(opt_outs.c.recipient == bindparam("to"))
        .where(
            or_(
                scoped,
                *(opt_outs.c.scope.in_(pooled) for pooled in _services_of("from_")),
            )
        )
        .limit(1)
    )


# On the create path of every message.
_BLOCKED = Prepared(blocked_query(opt_outs.c.scope.in_(bindparam("scopes", expanding=True))))


def scope_of(conn: Connection, account_sid: str, number: str) -> str:
    """The sender scope of the account's number (or short code): its service's SID, or the
    number itself."""
    found = _SERVICE_OF_NUMBER.execute(conn, {"a": account_sid, "n": number})
    return str(found[0]) if found else number


def blocked(
    conn: Connection, account_sid: str, to: str, *, from_: str | None, service_sid: str | None
) -> bool:
    """Whether ``to`` opted out of a scope a message from ``from_`` (through ``service_sid``)
    is sent from."""
    scopes = [s for s in (from_, service_sid) if s]
    params = {"a": account_sid, "to": to, "scopes": scopes, "from_": from_}
    return _BLOCKED.execute(conn, params) is not None


def opt_out(conn: Connection, account_sid: str, scope: str, recipient: str, now: int) -> None:
    """``recipient`` is opted out of ``scope`` (again: the first opt-out's date stays)."""
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(
        upsert(opt_outs)
        .values(account_sid=account_sid, scope=scope, recipient=recipient, date_created=now)
        .on_conflict_do_nothing()
    )


def opt_in(conn: Connection, account_sid: str, scope: str, recipient: str) -> bool:
    """``recipient`` may be sent to from ``scope`` again; False when it was not opted out."""
    result = conn.execute(
        delete(opt_outs)
        .where(opt_outs.c.account_sid == account_sid)
        .where(opt_outs.c.scope == scope)
        .where(opt_outs.c.recipient == recipient)
    )
    return bool(result.rowcount)


def list_opt_outs(conn: Connection, account_sid: str) -> list[dict[str, Any]]:
    """The opt-outs of the account and its subaccounts, oldest first."""
    rows = conn.execute(
        select(opt_outs)
        .where(opt_outs.c.account_sid.in_(reachable_sids(account_sid)))
        .order_by(opt_outs.c.date_created, opt_outs.c.scope, opt_outs.c.recipient)
    ).mappings()
    return [dict(r) for r in rows]


# -- A service's own keywords and replies --------------------------------------------------------


def get_settings(conn: Connection, service_sid: str) -> dict[str, Any]:
    """What the service set of its keywords and replies (empty: the defaults throughout)."""
    value = conn.execute(
        select(opt_out_settings.c.config).where(opt_out_settings.c.service_sid == service_sid)
    ).scalar()
    return {} if value is None else dict(json.loads(value))


def set_settings(
    conn: Connection, account_sid: str, service_sid: str, config: dict[str, Any], now: int
) -> None:
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    text = json.dumps(config)
    conn.execute(
        upsert(opt_out_settings)
        .values(service_sid=service_sid, account_sid=account_sid, config=text, date_updated=now)
        .on_conflict_do_update(
            index_elements=[opt_out_settings.c.service_sid],
            set_={"config": text, "date_updated": now},
        )
    )
