"""Per-sender throughput, the way carriers meter it: segments per second per sender.

Each sender has a ``next_free`` instant. Queuing a message reserves the next slot: the message
is due at ``max(now, next_free)`` and ``next_free`` moves on by ``segments / mps`` seconds. The
reservation is part of the transaction that stores the message, so concurrent API processes
never hand out the same slot, and one sender's backlog never delays another's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert

from telephonist.storage.schema import senders

# Twilio's documented defaults, in segments per second.
DEFAULT_MPS: dict[str, float] = {
    "local": 1.0,
    "mobile": 1.0,
    "toll_free": 3.0,
    "short_code": 100.0,
    "alphanumeric": 10.0,
}


@dataclass(frozen=True, slots=True)
class Slot:
    due_at: int
    wait_micros: int


def reserve(conn: Connection, sender: str, segments: int, mps: float, now: int) -> Slot:
    """Take the sender's next slot for ``segments`` segments."""
    cost = int(round(max(segments, 1) * 1_000_000 / mps))
    stmt = select(senders.c.next_free).where(senders.c.sender == sender)
    if conn.dialect.name == "postgresql":
        # Make sure the row exists, so concurrent reservations serialise on its lock.
        conn.execute(_pg_insert_ignore(sender))
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        conn.execute(insert(senders).values(sender=sender, next_free=now + cost))
        return Slot(now, 0)
    due = max(now, row.next_free)
    conn.execute(update(senders).where(senders.c.sender == sender).values(next_free=due + cost))
    return Slot(due, due - now)


def release(conn: Connection, sender: str, segments: int, mps: float) -> None:
    """Give a slot back (a message that will not be sent after all)."""
    cost = int(round(max(segments, 1) * 1_000_000 / mps))
    conn.execute(update(senders).where(senders.c.sender == sender)
                 .values(next_free=senders.c.next_free - cost))


def _pg_insert_ignore(sender: str) -> Insert:
    return pg_insert(senders).values(sender=sender, next_free=0).on_conflict_do_nothing()
