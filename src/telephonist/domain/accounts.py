"""Accounts, subaccounts and API keys: who may act on what.

An account is reachable by its own credentials and by its parent's; never by a sibling's or a
child's. API keys act for the account that owns them, but (like Twilio's standard keys) cannot
manage accounts or keys.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

AccountStatus = Literal["active", "suspended", "closed"]
STATUSES: frozenset[str] = frozenset({"active", "suspended", "closed"})


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    account_sid: str
    owner_account_sid: str | None
    status: str
    key_sid: str | None = None

    @property
    def is_key(self) -> bool:
        return self.key_sid is not None


def can_reach(principal: Principal, account_sid: str, owner_account_sid: str | None) -> bool:
    """May ``principal`` act on the account ``account_sid`` (whose parent is ``owner``)?"""
    return account_sid == principal.account_sid or owner_account_sid == principal.account_sid


def can_transition(current: str, new: str) -> bool:
    """Closed is forever, as on Twilio; active and suspended flip freely."""
    if new not in STATUSES:
        return False
    return current != "closed" or new == "closed"


def can_send(status: str) -> bool:
    return status == "active"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, expected_sha256: str) -> bool:
    """Compare in constant time, so timing tells an attacker nothing about the stored hash."""
    return hmac.compare_digest(hash_secret(secret), expected_sha256)


def token_matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
