"""Twilio SIDs: a two-letter prefix and 32 lowercase hex digits.

Prefixes used here: AC account, SK API key, PN incoming number, SC short code, SM/MM message,
ME media, MG messaging service, NO notification/alert.
"""

from __future__ import annotations

import random
import re
import secrets

_SID = re.compile(r"^[A-Z]{2}[0-9a-f]{32}$")


# SIDs name things; they are not secrets (credentials use :mod:`secrets`). A PRNG seeded from
# the OS per process is unique enough (128 bits) and avoids a system call per SID, which is
# measurable on the create path.
_rng = random.Random(secrets.randbits(128))


def new_sid(prefix: str) -> str:
    """A fresh random SID; 128 bits of randomness make collisions a non-concern."""
    if len(prefix) != 2 or not prefix.isupper():
        raise ValueError(f"bad SID prefix {prefix!r}")
    return f"{prefix}{_rng.getrandbits(128):032x}"


def is_sid(value: str, prefix: str | None = None) -> bool:
    """True when ``value`` looks like a SID (of ``prefix``, when given). Case-insensitive hex."""
    if len(value) != 34 or not _SID.match(value[:2] + value[2:].lower()):
        return False
    return prefix is None or value[:2] == prefix


def new_auth_token() -> str:
    """Auth tokens and API key secrets are 32 hex characters, like Twilio's."""
    return secrets.token_hex(16)
