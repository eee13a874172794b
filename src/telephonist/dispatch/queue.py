"""The task queue, in the database.

A task is due at ``due_at``. A worker *leases* a batch of due tasks (``FOR UPDATE SKIP LOCKED``
on PostgreSQL, so concurrent workers never take the same row; SQLite has one writer at a time),
does the work outside any transaction, and then *finishes* the task in the transaction that
records the outcome. Finishing checks the lease is still ours: if a worker stalled past its
lease and another took the task over, the late result is discarded. A crash mid-work leaves the
task leased until the lease runs out; then it is due again. Outcomes are therefore recorded
exactly once, and work whose effects live in this database (the simulated carrier) happens
exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    and_,
    bindparam,
    delete,
    insert,
    null,
    or_,
    select,
    update,
)

from telephonist.storage.prepared import Prepared
from telephonist.storage.schema import tasks

# Statements on the hot path are built once, with bound parameters, so SQLAlchemy compiles
# them once instead of building and cache-keying a new statement per call.
_INSERT_ONE = Prepared(
    insert(tasks).values({c.name: bindparam(c.name) for c in tasks.columns if c.name != "id"})
)

SEND = "send"
# A Messaging Service message waiting for its sender to be chosen from the pool.
ROUTE = "route"
RECEIPT = "receipt"
WEBHOOK = "webhook"
INBOUND = "inbound"
CALL = "call"

# Each task belongs to a lane, and each lane has its own capacity in the worker: hand-overs to
# the carrier (and carrier timers) never wait behind webhooks to slow apps.
SEND_LANE = "send"
WEBHOOK_LANE = "webhook"
_WEBHOOK_KINDS = frozenset({WEBHOOK, INBOUND, CALL})


def lane_of(kind: str) -> str:
    return WEBHOOK_LANE if kind in _WEBHOOK_KINDS else SEND_LANE


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    kind: str
    ref: str
    due_at: int
    # The payload as stored (JSON). It is decoded on first use rather than when leased: a
    # lease runs under the writer lock, and most payloads are only needed by the work that
    # follows it, outside the lock.
    raw_payload: str
    attempts: int
    # Whose work this is (the account), so one account's backlog can be held to its share.
    partition_key: str | None = None
    _decoded: list[dict[str, Any]] = field(default_factory=list, compare=False, repr=False)

    @property
    def payload(self) -> dict[str, Any]:
        if not self._decoded:
            self._decoded.append(json.loads(self.raw_payload))
        return self._decoded[0]


def enqueue(
    conn: Connection,
    kind: str,
    ref: str,
    due_at: int,
    payload: dict[str, Any],
    now: int,
    *,
    partition_key: str | None = None,
) -> None:
    task = {
        "kind": kind,
        "ref": ref,
        "due_at": due_at,
        "payload": payload,
        "created_at": now,
        "partition_key": partition_key,
    }
    _INSERT_ONE.execute(conn, _new_row(task))


def enqueue_many(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Insert tasks given as ``kind, ref, due_at, payload, created_at`` (and optionally
    ``lane``, ``partition_key``)."""
    _INSERT_ONE.execute_many(conn, [_new_row(row) for row in rows])


def _new_row(task: dict[str, Any]) -> dict[str, Any]:
    """A task as stored: its payload as JSON, never attempted, not leased."""
    return {
        "lane": lane_of(task["kind"]),
        "partition_key": task["payload"].get("account_sid"),
        **task,
        "payload": json.dumps(task["payload"]),
        "attempts": 0,
        "lease_until": None,
        "lease_owner": None,
    }


# What a leased or taken task is read back as (see :func:`_tasks`).
_TASK_COLUMNS = (
    tasks.c.id,
    tasks.c.kind,
    tasks.c.ref,
    tasks.c.due_at,
    tasks.c.payload,
    tasks.c.attempts,
    tasks.c.partition_key,
)


def _tasks(rows: list[tuple[Any, ...]]) -> list[Task]:
    """Rows of :data:`_TASK_COLUMNS` as tasks, oldest due first."""
    rows.sort(key=lambda r: (r[3], r[0]))
    return [Task(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]


def _claim_statement(excluding: bool) -> Prepared:
    due = (
        select(tasks.c.id)
        .where(tasks.c.lane == bindparam("lane"))
        .where(tasks.c.due_at <= bindparam("now"))
        .where(or_(tasks.c.lease_until.is_(None), tasks.c.lease_until <= bindparam("now")))
    )
    if excluding:
        due = due.where(
            or_(
                tasks.c.partition_key.is_(None),
                tasks.c.partition_key.not_in(bindparam("busy", expanding=True)),
            )
        )
    return Prepared(
        update(tasks)
        .where(
            tasks.c.id.in_(
                due.order_by(tasks.c.due_at, tasks.c.id)
                .limit(bindparam("limit", type_=Integer))
                .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer anyway
                .scalar_subquery()
            )
        )
        .values(lease_until=bindparam("until"), lease_owner=bindparam("owner"))
        .returning(*_TASK_COLUMNS)
    )


_CLAIM = _claim_statement(excluding=False)
_CLAIM_EXCLUDING = _claim_statement(excluding=True)
_FINISH = Prepared(
    delete(tasks)
    .where(tasks.c.id.in_(bindparam("ids", expanding=True)))
    .where(tasks.c.lease_owner == bindparam("owner"))
    .returning(tasks.c.id)
)


def claim(
    conn: Connection,
    *,
    now: int,
    owner: str,
    lease_micros: int,
    limit: int,
    lane: str = SEND_LANE,
    busy: Iterable[str] = (),
) -> list[Task]:
    """Lease up to ``limit`` due tasks of ``lane``, oldest due first, in one statement.

    Tasks whose partition (account) is in ``busy`` are left for later: that account already
    has its share of this worker's capacity.
    """
    params: dict[str, Any] = {
        "now": now,
        "limit": limit,
        "until": now + lease_micros,
        "owner": owner,
        "lane": lane,
    }
    busy = list(busy)
    if busy:
        return _tasks(_CLAIM_EXCLUDING.rows(conn, {**params, "busy": busy}))
    return _tasks(_CLAIM.rows(conn, params))


_TAKE_DUE = Prepared(
    delete(tasks)
    .where(tasks.c.kind == bindparam("kind"))
    .where(tasks.c.ref.in_(bindparam("refs", expanding=True)))
    .where(tasks.c.due_at <= bindparam("until"))
    .where(tasks.c.lease_owner.is_(None))
    .returning(*_TASK_COLUMNS)
)


def take_due(conn: Connection, kind: str, refs: Iterable[str], until: int) -> list[Task]:
    """Remove and answer the unleased ``kind`` tasks about ``refs`` due by ``until``, for a
    handler that settles them in the caller's transaction instead of a batch of their own."""
    refs = list(refs)
    if not refs:
        return []
    return _tasks(_TAKE_DUE.rows(conn, {"kind": kind, "refs": refs, "until": until}))


def finish_many(conn: Connection, batch: Iterable[Task], owner: str) -> set[int]:
    """Delete the tasks we still hold; answers the ids that were ours to finish."""
    ids = [t.id for t in batch]
    if not ids:
        return set()
    return {row[0] for row in _FINISH.rows(conn, {"ids": ids, "owner": owner})}


_RELEASE = Prepared(
    update(tasks)
    .where(tasks.c.id.in_(bindparam("ids", expanding=True)))
    .where(tasks.c.lease_owner == bindparam("owner"))
    .values(lease_owner=null(), lease_until=null())
)


def release(conn: Connection, batch: Iterable[Task], owner: str) -> None:
    """Hand back tasks we hold but will not work (a worker stopping), due again at once for
    whichever worker leases next, without waiting for the lease to run out."""
    ids = [t.id for t in batch]
    if ids:
        _RELEASE.execute(conn, {"ids": ids, "owner": owner})


def retry_at(
    conn: Connection, task: Task, owner: str, due_at: int, payload: dict[str, Any] | None = None
) -> bool:
    """Release a task we hold, due again at ``due_at``, one attempt older."""
    values: dict[str, Any] = {
        "due_at": due_at,
        "attempts": task.attempts + 1,
        "lease_until": None,
        "lease_owner": None,
    }
    if payload is not None:
        values["payload"] = json.dumps(payload)
    result = conn.execute(
        update(tasks)
        .where(and_(tasks.c.id == task.id, tasks.c.lease_owner == owner))
        .values(values)
    )
    return result.rowcount == 1


def next_due(conn: Connection) -> int | None:
    """When the earliest task falls due (leased ones count from their lease's end)."""
    found: list[int] = []
    for lane in (SEND_LANE, WEBHOOK_LANE):
        row = conn.execute(
            select(tasks.c.due_at, tasks.c.lease_until)
            .where(tasks.c.lane == lane)
            .order_by(tasks.c.due_at)
            .limit(1)
        ).first()
        if row is not None:
            found.append(int(max(row.due_at, row.lease_until or 0)))
    return min(found) if found else None
