"""Accounts, subaccounts and API keys: who may act on what.

An account is reachable by its own credentials and by its parent's; never by a sibling's or a
child's. API keys act for the account that owns them, but (like Twilio's Standard keys, the only
kind its Keys API creates) cannot use the Accounts or Keys resources, and never see an auth
token: a key is the credential one hands out and revokes, so holding one must not be a way to
the credential that outlives it. Only a parent changes a subaccount's status, and an account
that is not active reads what it has and changes nothing, so suspending a subaccount is
something the subaccount cannot undo.
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


def can_change(principal: Principal) -> bool:
    """May the caller change anything? Credentials of a suspended account still read (its
    messages, numbers, itself) but send, buy and change nothing: Twilio's 20005, "Account not
    active"."""
    return principal.status == "active"


def sees_auth_token(principal: Principal) -> bool:
    """May an account's ``auth_token`` be shown to this caller (who reaches the account)?

    Only to credentials that are an account's own Account SID and auth token: the account's
    own token already is the secret, and a parent holds its subaccounts' tokens on Twilio too.
    Never to an API key, whatever it may otherwise see.
    """
    return not principal.is_key


def status_change_refusal(
    principal: Principal, owner_account_sid: str | None, current: str, new: str
) -> int | None:
    """The Twilio code refusing ``principal`` a change of an account's status to ``new``, or
    ``None`` when it may. Codes and titles are those of Twilio's error dictionary:

    * 21477 "Unable to update Status for parent accounts": status updates are restricted to
      subaccounts (a top-level account suspending or closing itself would lock itself out);
    * 20006 "Access Denied": a subaccount's own credentials -- only its parent changes it;
    * 21479 "Unable to update Status for subaccount, subaccount has been closed": closed is
      final.
    """
    if owner_account_sid is None:
        return 21477
    if principal.account_sid != owner_account_sid:
        return 20006
    if not can_transition(current, new):
        return 21479
    return None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, expected_sha256: str) -> bool:
    """Compare in constant time, so timing tells an attacker nothing about the stored hash."""
    return hmac.compare_digest(hash_secret(secret), expected_sha256)


def token_matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
