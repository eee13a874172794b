"""The default account every server starts with.

Its credentials come from ``TELEPHONIST_ACCOUNT_SID``/``TELEPHONIST_AUTH_TOKEN`` when set (so CI
can know them in advance); otherwise they are generated once and kept in the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from telephonist.domain.errors import TelephonistError
from telephonist.domain.sids import is_sid, new_auth_token, new_sid
from telephonist.storage.schema import accounts


@dataclass(frozen=True)
class DefaultAccount:
    sid: str
    auth_token: str


class BadCredentialsSetting(TelephonistError, ValueError):
    pass


def ensure_default_account(conn: Connection, sid: str, token: str, now: int) -> DefaultAccount:
    if sid and not is_sid(sid, "AC"):
        raise BadCredentialsSetting("TELEPHONIST_ACCOUNT_SID must be AC followed by 32 hex digits")
    if token and len(token) != 32:
        raise BadCredentialsSetting("TELEPHONIST_AUTH_TOKEN must be 32 characters")
    current = (
        conn.execute(select(accounts).where(accounts.c.is_default.is_(True))).mappings().first()
    )
    if current is not None and (not sid or current["sid"] == sid):
        if token and token != current["auth_token"]:
            conn.execute(
                update(accounts)
                .where(accounts.c.sid == current["sid"])
                .values(auth_token=token, date_updated=now)
            )
        return DefaultAccount(current["sid"], token or current["auth_token"])
    if current is not None:
        # A different default SID was asked for: the old one stays, as an ordinary account.
        conn.execute(
            update(accounts).where(accounts.c.sid == current["sid"]).values(is_default=False)
        )
    existing = (
        conn.execute(select(accounts).where(accounts.c.sid == sid)).mappings().first()
        if sid
        else None
    )
    if existing is not None:
        conn.execute(
            update(accounts)
            .where(accounts.c.sid == sid)
            .values(is_default=True, auth_token=token or existing["auth_token"], date_updated=now)
        )
        return DefaultAccount(sid, token or existing["auth_token"])
    account = DefaultAccount(sid or new_sid("AC"), token or new_auth_token())
    conn.execute(
        insert(accounts).values(
            sid=account.sid,
            owner_account_sid=None,
            friendly_name="telephonist default account",
            status="active",
            type="Full",
            auth_token=account.auth_token,
            is_default=True,
            date_created=now,
            date_updated=now,
        )
    )
    return account
