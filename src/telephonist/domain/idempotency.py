"""Idempotent creates (a telephonist extension): the rules for an ``Idempotency-Key``.

A create that carries the header is done at most once per key and account within
:data:`WINDOW_MICROS` of the server's clock. A retry with the same parameters is answered the
resource the first request made; the same key with other parameters is refused (20409, 409),
since the key would otherwise stand for two different requests. Parameters compare by
:func:`request_hash`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from telephonist.domain.errors import TwilioError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
WINDOW_MICROS = 24 * 3600 * 1_000_000
"""How long a key holds: a day on the server's clock, after which it names nothing."""

CONFLICT = 20409
"""Twilio's generic "Conflict"; the catalogue has no code for idempotency keys."""


def check_key(key: str) -> str:
    """``key`` if it may be used, else 20422 (400): empty, too long or not printable ASCII."""
    if not key:
        raise TwilioError(20422, f"{HEADER} must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise TwilioError(20422, f"{HEADER} must be at most {MAX_KEY_LENGTH} characters long")
    if not (key.isascii() and key.isprintable()):
        raise TwilioError(20422, f"{HEADER} must be printable ASCII")
    return key


def request_hash(resource: str, pairs: Iterable[tuple[str, str]]) -> str:
    """A digest of what a create asked for: the resource and its parameters, sorted by name
    (repeated parameters keep their order, which matters: ``MediaUrl`` is a list)."""
    canonical = sorted(pairs, key=lambda pair: pair[0])  # stable: a name's values stay in order
    text = json.dumps([resource, canonical], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def conflict(key: str) -> TwilioError:
    return TwilioError(
        CONFLICT,
        f"{HEADER} {key!r} was already used with different parameters; "
        "a retry must repeat the original request exactly",
    )
