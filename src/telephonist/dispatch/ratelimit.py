"""Per-sender throughput, the way carriers meter it: segments per second per sender.

Each sender has a ``next_free`` instant. Queuing a message reserves the next slot: the message
is due at ``max(now, next_free)`` and ``next_free`` moves on by ``segments / mps`` seconds. The
reservation is part of the transaction that stores the message, so concurrent API processes
never hand out the same slot, and one sender's backlog never delays another's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, case, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from telephonist.storage.prepared import Prepared
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
    next_free: int  # the sender's next free instant once this slot is taken


def reserve(conn: Connection, sender: str, segments: int, mps: float, now: int) -> Slot:
    """Take the sender's next slot for ``segments`` segments."""
    cost = round(max(segments, 1) * 1_000_000 / mps)
    # One statement takes the slot: the UPDATE locks the sender's row (PostgreSQL) or runs
    # under the single writer (SQLite), so concurrent reservations never share a slot.
    row = _TAKE.execute(conn, {"s": sender, "now": now, "cost": cost})
    if row is None:
        if conn.dialect.name == "postgresql":
            conn.execute(_PG_ENSURE, {"sender": sender, "next_free": now})
            row = _TAKE.execute(conn, {"s": sender, "now": now, "cost": cost})
            assert row is not None
        else:
            conn.execute(_INSERT, {"sender": sender, "next_free": now + cost})
            return Slot(now, 0, now + cost)
    due = int(row[0]) - cost
    return Slot(due, due - now, int(row[0]))


def release(conn: Connection, sender: str, segments: int, mps: float) -> None:
    """Give a slot back (a message that will not be sent after all)."""
    cost = round(max(segments, 1) * 1_000_000 / mps)
    conn.execute(
        update(senders)
        .where(senders.c.sender == sender)
        .values(next_free=senders.c.next_free - cost)
    )


_TAKE = Prepared(
    update(senders)
    .where(senders.c.sender == bindparam("s"))
    .values(
        next_free=case(
            (senders.c.next_free > bindparam("now"), senders.c.next_free), else_=bindparam("now")
        )
        + bindparam("cost")
    )
    .returning(senders.c.next_free)
)
_INSERT = insert(senders)
_PG_ENSURE = pg_insert(senders).on_conflict_do_nothing()


def next_free(conn: Connection, names: list[str]) -> dict[str, int]:
    """When each of these senders' next slot frees (absent: free now)."""
    if not names:
        return {}
    rows = conn.execute(
        select(senders.c.sender, senders.c.next_free).where(senders.c.sender.in_(names))
    )
    return {str(sender): int(at) for sender, at in rows}
