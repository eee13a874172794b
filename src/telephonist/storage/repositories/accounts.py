"""Accounts and their API keys: what authentication, ``Accounts.json`` and ``Keys.json`` read
and write."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, delete, insert, or_, select, update

from telephonist.storage.repositories.listing import Listing
from telephonist.storage.schema import accounts, api_keys


@dataclass(frozen=True, slots=True)
class AccountRef:
    """The account a request acts on, as far as routing and permission checks need it."""

    sid: str
    owner_account_sid: str | None
    status: str


@dataclass(frozen=True, slots=True)
class Credential:
    """What checking a password needs: the account it unlocks and the secret to compare with.

    ``secret`` is the account's auth token, or the SHA-256 of an API key's secret (key secrets
    are never stored).
    """

    account_sid: str
    owner_account_sid: str | None
    status: str
    secret: str


def account_credential(conn: Connection, account_sid: str) -> Credential | None:
    row = conn.execute(
        select(
            accounts.c.sid, accounts.c.owner_account_sid, accounts.c.status, accounts.c.auth_token
        ).where(accounts.c.sid == account_sid)
    ).first()
    return Credential(row.sid, row.owner_account_sid, row.status, row.auth_token) if row else None


def key_credential(conn: Connection, key_sid: str) -> Credential | None:
    row = conn.execute(
        select(
            api_keys.c.secret_sha256,
            accounts.c.sid,
            accounts.c.owner_account_sid,
            accounts.c.status,
        )
        .join(accounts, accounts.c.sid == api_keys.c.account_sid)
        .where(api_keys.c.sid == key_sid)
    ).first()
    return (
        Credential(row.sid, row.owner_account_sid, row.status, row.secret_sha256) if row else None
    )


def account_ref(conn: Connection, sid: str) -> AccountRef | None:
    row = conn.execute(
        select(accounts.c.sid, accounts.c.owner_account_sid, accounts.c.status).where(
            accounts.c.sid == sid
        )
    ).first()
    return AccountRef(row.sid, row.owner_account_sid, row.status) if row else None


def get_account(conn: Connection, sid: str) -> RowMapping | None:
    return conn.execute(select(accounts).where(accounts.c.sid == sid)).mappings().first()


def insert_account(conn: Connection, row: Mapping[str, Any]) -> None:
    conn.execute(insert(accounts).values(dict(row)))


def update_account(conn: Connection, sid: str, changes: Mapping[str, Any]) -> None:
    conn.execute(update(accounts).where(accounts.c.sid == sid).values(dict(changes)))


def set_subaccounts_status(conn: Connection, owner_sid: str, status: str, now: int) -> None:
    """Give every subaccount of ``owner_sid`` that is not closed ``status``; closed is final."""
    conn.execute(
        update(accounts)
        .where(accounts.c.owner_account_sid == owner_sid)
        .where(accounts.c.status != "closed")
        .values(status=status, date_updated=now)
    )


def reachable_sids(account_sid: str) -> Select[tuple[str]]:
    """The accounts ``account_sid``'s credentials act on, itself and its subaccounts, as a
    subquery: what scopes another table's rows to a caller."""
    return select(accounts.c.sid).where(
        or_(accounts.c.sid == account_sid, accounts.c.owner_account_sid == account_sid)
    )


def account_listing(
    caller_sid: str, *, friendly_name: str | None = None, status: str | None = None
) -> Listing:
    """The caller's own account and its subaccounts, oldest first."""
    query = select(accounts).where(
        or_(accounts.c.sid == caller_sid, accounts.c.owner_account_sid == caller_sid)
    )
    if friendly_name is not None:
        query = query.where(accounts.c.friendly_name == friendly_name)
    if status is not None:
        query = query.where(accounts.c.status == status)
    return Listing(query, accounts.c.date_created, accounts.c.sid, descending=False)


# -- API keys -----------------------------------------------------------------------------------


def get_key(conn: Connection, account_sid: str, sid: str) -> RowMapping | None:
    return (
        conn.execute(
            select(api_keys)
            .where(api_keys.c.sid == sid)
            .where(api_keys.c.account_sid == account_sid)
        )
        .mappings()
        .first()
    )


def insert_key(conn: Connection, row: Mapping[str, Any]) -> None:
    conn.execute(insert(api_keys).values(dict(row)))


def rename_key(conn: Connection, sid: str, friendly_name: str, now: int) -> None:
    conn.execute(
        update(api_keys)
        .where(api_keys.c.sid == sid)
        .values(friendly_name=friendly_name, date_updated=now)
    )


def delete_key(conn: Connection, account_sid: str, sid: str) -> bool:
    """Delete the key; False when the account has no such key."""
    result = conn.execute(
        delete(api_keys).where(api_keys.c.sid == sid).where(api_keys.c.account_sid == account_sid)
    )
    return bool(result.rowcount)


def key_listing(account_sid: str) -> Listing:
    """The account's API keys, newest first."""
    query = select(api_keys).where(api_keys.c.account_sid == account_sid)
    return Listing(query, api_keys.c.date_created, api_keys.c.sid)
