"""HTTP Basic authentication and account scoping.

Credentials are ``AccountSid:AuthToken`` or ``SKxxx:secret``. The account in the URL must be
the caller's own or one of its subaccounts; anything else is a 404, identical to the answer for
an account that does not exist, so SIDs of other accounts cannot be probed.

Looking credentials up on every request would cost a database round trip, so verified
principals are cached briefly. Any change to accounts or keys in this process clears the cache;
the short lifetime bounds staleness when another process made the change.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from telephonist.clock import monotonic
from telephonist.domain.accounts import Principal, can_reach, secret_matches, token_matches
from telephonist.errors import TwilioError, authentication_failed, not_found
from telephonist.storage.database import Database
from telephonist.storage.schema import accounts, api_keys

CACHE_SECONDS = 2.0
_NO_TOKEN = "0" * 32
_NO_SECRET = "0" * 64


@dataclass(frozen=True, slots=True)
class AccountRef:
    """The account a request acts on, as far as routing and permission checks need it."""

    sid: str
    owner_account_sid: str | None
    status: str


class Authenticator:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._principals: dict[tuple[str, bytes], tuple[float, Principal]] = {}
        self._accounts: dict[str, tuple[float, AccountRef | None]] = {}

    def invalidate(self) -> None:
        self._principals.clear()
        self._accounts.clear()

    async def authenticate(self, authorization: str | None) -> Principal:
        username, password = _parse_basic(authorization)
        key = (username, hashlib.sha256(password.encode("utf-8")).digest())
        hit = self._principals.get(key)
        now = monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = await self._db.run(_verify, username, password)
        if principal is None:
            raise authentication_failed()
        self._principals[key] = (now + CACHE_SECONDS, principal)
        return principal

    async def account(self, principal: Principal, account_sid: str, path: str) -> AccountRef:
        """The account named in the URL, if the principal may act on it; else 20404."""
        ref = await self.lookup(account_sid)
        if ref is None or not can_reach(principal, ref.sid, ref.owner_account_sid):
            raise not_found(path)
        return ref

    async def lookup(self, account_sid: str) -> AccountRef | None:
        hit = self._accounts.get(account_sid)
        now = monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        ref = await self._db.run(_load_account, account_sid)
        self._accounts[account_sid] = (now + CACHE_SECONDS, ref)
        return ref


def _parse_basic(authorization: str | None) -> tuple[str, str]:
    if not authorization or not authorization.lower().startswith("basic "):
        raise authentication_failed()
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise authentication_failed() from None
    username, sep, password = decoded.partition(":")
    if not sep or not username or not password:
        raise authentication_failed()
    return username, password


def _verify(conn: Connection, username: str, password: str) -> Principal | None:
    if username.startswith("SK"):
        row = conn.execute(
            select(
                api_keys.c.secret_sha256,
                accounts.c.sid,
                accounts.c.owner_account_sid,
                accounts.c.status,
            )
            .join(accounts, accounts.c.sid == api_keys.c.account_sid)
            .where(api_keys.c.sid == username)
        ).first()
        # Compare even for an unknown key, so timing does not tell which key SIDs exist.
        if not secret_matches(password, row.secret_sha256 if row else _NO_SECRET) or row is None:
            return None
        if row.status == "closed":
            return None
        return Principal(row.sid, row.owner_account_sid, row.status, key_sid=username)
    account = conn.execute(
        select(
            accounts.c.sid, accounts.c.owner_account_sid, accounts.c.status, accounts.c.auth_token
        ).where(accounts.c.sid == username)
    ).first()
    if not token_matches(password, account.auth_token if account else _NO_TOKEN) or not account:
        return None
    if account.status == "closed":
        return None
    return Principal(account.sid, account.owner_account_sid, account.status)


def _load_account(conn: Connection, account_sid: str) -> AccountRef | None:
    row: Any = conn.execute(
        select(accounts.c.sid, accounts.c.owner_account_sid, accounts.c.status).where(
            accounts.c.sid == account_sid
        )
    ).first()
    return AccountRef(row.sid, row.owner_account_sid, row.status) if row else None


def require_account_management(principal: Principal) -> None:
    """Standard API keys cannot manage accounts or keys (Twilio's rule)."""
    if principal.is_key:
        raise TwilioError(
            20006, 403, "API keys cannot manage accounts or keys; use the account's Auth Token"
        )
