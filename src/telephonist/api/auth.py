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

from sqlalchemy import Connection

from telephonist.clock import monotonic
from telephonist.domain.accounts import (
    Principal,
    can_change,
    can_reach,
    secret_matches,
    token_matches,
)
from telephonist.errors import TwilioError, authentication_failed, not_found
from telephonist.storage.database import Database
from telephonist.storage.repositories import accounts as repo
from telephonist.storage.repositories.accounts import AccountRef

CACHE_SECONDS = 2.0
_NO_TOKEN = "0" * 32
_NO_SECRET = "0" * 64


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
        principal = await self._db.read(_verify, username, password)
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
        ref = await self._db.read(repo.account_ref, account_sid)
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
    if not sep or not username or not password or "\x00" in decoded:
        # No credential holds a NUL, and PostgreSQL could not even look one up.
        raise authentication_failed()
    return username, password


def _verify(conn: Connection, username: str, password: str) -> Principal | None:
    if username.startswith("SK"):
        key = repo.key_credential(conn, username)
        # Compare even for an unknown key, so timing does not tell which key SIDs exist.
        if not secret_matches(password, key.secret if key else _NO_SECRET) or key is None:
            return None
        if key.status == "closed":
            return None
        return Principal(key.account_sid, key.owner_account_sid, key.status, key_sid=username)
    account = repo.account_credential(conn, username)
    if not token_matches(password, account.secret if account else _NO_TOKEN) or not account:
        return None
    if account.status == "closed":
        return None
    return Principal(account.account_sid, account.owner_account_sid, account.status)


def require_account_management(principal: Principal) -> None:
    """Only an account's own credentials (Account SID and auth token) reach the Accounts and
    Keys resources, whose answers carry auth tokens and mint new keys.

    Every key telephonist issues is what Twilio calls a Standard key (its Keys API creates no
    other kind): "access to all Twilio API resources, except for Accounts (/Accounts) or Keys".
    Twilio answers such a key there as it answers wrong credentials, 401 with 20003
    "Authenticate" (the reference's error table, 20003), so an SDK raises what it would raise
    against Twilio. Without this, a leaked key would be a way to every auth token it reaches.
    """
    if principal.is_key:
        raise TwilioError(
            20003,
            "Authenticate",
            detail="API keys cannot use the Accounts or Keys resources; "
            "use the Account SID and Auth Token.",
        )


def require_active(principal: Principal) -> None:
    """A suspended account's credentials read but do not send, buy or change: 20005 "Account
    not active" (the reference's error table; the code its message create path answers for
    an inactive account, and Twilio's error dictionary's title for it)."""
    if not can_change(principal):
        raise TwilioError(20005)


__all__ = [
    "CACHE_SECONDS",
    "AccountRef",
    "Authenticator",
    "require_account_management",
    "require_active",
]
