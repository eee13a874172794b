"""``Idempotency-Key`` on creates (a telephonist extension; Twilio's API has no such header).

A handler reads the key with :func:`requested` before it opens a transaction and does its
create through :func:`create_once` inside it. A retry is answered with the resource as it is
now (so a retried send shows the message's current status), with the create's ``201`` and an
``Idempotent-Replayed: true`` header; nothing is stored or queued again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection
from starlette.requests import Request

from telephonist.api.forms import Form
from telephonist.api.render import account_uri
from telephonist.domain import idempotency
from telephonist.errors import not_found
from telephonist.storage.repositories import idempotency as repo

REPLAY = {"Idempotent-Replayed": "true"}
"""The header a replayed answer carries (Stripe's name for it)."""

Row = TypeVar("Row", bound=Mapping[Any, Any])


@dataclass(frozen=True, slots=True)
class Key:
    """A create's key and the digest of what it asked for."""

    key: str
    request_hash: str
    resource: str  # "Message", "Call": also where it is found, /{resource}s/{sid}.json


_HEADER = idempotency.HEADER.lower().encode("latin-1")


def requested(request: Request, form: Form, resource: str) -> Key | None:
    """The request's key, if it sent one; 20422 (400) for an unusable one."""
    # Read off the raw ASGI headers (names arrive lower-cased): Starlette's ``Headers.get``
    # answers a missing header by raising and catching KeyError, on every create without one.
    header = next(
        (value.decode("latin-1") for name, value in request.scope["headers"] if name == _HEADER),
        None,
    )
    if header is None:
        return None
    return Key(
        idempotency.check_key(header),
        idempotency.request_hash(resource, form.pairs()),
        resource,
    )


def create_once(
    conn: Connection,
    account_sid: str,
    key: Key | None,
    *,
    now: int,
    create: Callable[[], Row],
    fetch: Callable[[str], Row | None],
) -> tuple[Row, bool]:
    """``create()``'s row, stored under ``key``; or, when a live key made one already, that
    resource as it is now (the flag is then True).

    Runs inside the create's transaction: ``create`` raising (a refused create) rolls the
    key back with everything else, so a corrected retry is a new attempt.
    """
    if key is None:
        return create(), False
    held = repo.claim(
        conn, account_sid, key.key, request_hash=key.request_hash, resource=key.resource, now=now
    )
    if held is None:
        row = create()
        repo.attach(conn, account_sid, key.key, row["sid"])
        return row, False
    if held["request_hash"] != key.request_hash:
        raise idempotency.conflict(key.key)
    sid = held["sid"]
    made = fetch(sid)
    if made is None:  # deleted since: the key still stands for it, and it is not sent again
        raise not_found(account_uri(account_sid, f"/{held['resource']}s/{sid}.json"))
    return made, True
