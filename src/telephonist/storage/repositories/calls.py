"""Calls: the rows, their transcripts and the live input waiting for a call's next step.

Every write of a call's runtime goes through :func:`save_steps` (a batch of steps) or
:func:`save_step` (an API cancel), guarded by the call's ``version``: the step that read
version *n* writes version *n + 1*, and a second run of the same step (its task's lease ran
out while it worked) finds *n + 1* and writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from telephonist.storage.prepared import Prepared
from telephonist.storage.repositories.listing import Listing, during
from telephonist.storage.schema import call_events, call_inputs, calls

# The statements every call runs, built once (see ``storage.prepared``).
_INSERT = Prepared(insert(calls).values({c.name: bindparam(c.name) for c in calls.columns}))
STEP_COLUMNS = (
    "status",
    "answered_by",
    "date_updated",
    "start_time",
    "answered_at",
    "end_time",
    "duration",
    "price",
    "state",
)
"""What a step may change: each step writes all of them, so one statement serves a batch."""
_SAVE = Prepared(
    update(calls)
    .where(calls.c.sid == bindparam("b_sid"))
    .where(calls.c.version == bindparam("b_version"))
    .values({name: bindparam(name) for name in STEP_COLUMNS} | {"version": bindparam("b_next")})
)
_VERSIONS = Prepared(
    select(calls.c.sid, calls.c.version)
    .where(calls.c.sid.in_(bindparam("sids", expanding=True)))
    .with_for_update()  # PostgreSQL: no cancel or other step moves them until we commit
)
_EVENTS = Prepared(
    insert(call_events).values({c.name: bindparam(c.name) for c in call_events.columns})
)
_INPUTS = Prepared(
    select(
        call_inputs.c.id,
        call_inputs.c.call_sid,
        call_inputs.c.at,
        call_inputs.c.kind,
        call_inputs.c.value,
    )
    .where(call_inputs.c.call_sid.in_(bindparam("sids", expanding=True)))
    .order_by(call_inputs.c.at, call_inputs.c.id)
)


def insert_call(conn: Connection, row: Mapping[str, Any]) -> None:
    _INSERT.execute(conn, row)


def get_call(conn: Connection, account_sid: str, sid: str) -> dict[str, Any] | None:
    """The account's call ``sid``; None when it is missing or another account's."""
    row = (
        conn.execute(
            select(calls).where(calls.c.sid == sid).where(calls.c.account_sid == account_sid)
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def calls_by_sid(conn: Connection, sids: Iterable[str]) -> dict[str, Mapping[str, Any]]:
    wanted = list(set(sids))
    if not wanted:
        return {}
    rows = conn.execute(select(calls).where(calls.c.sid.in_(wanted))).mappings()
    return {row["sid"]: dict(row) for row in rows}


def versions(conn: Connection, sids: Sequence[str]) -> dict[str, int]:
    """The calls' current versions, locked (on PostgreSQL) until the transaction ends."""
    if not sids:
        return {}
    return {sid: version for sid, version in _VERSIONS.rows(conn, {"sids": list(sids)})}


def save_steps(conn: Connection, steps: Sequence[Mapping[str, Any]]) -> None:
    """Write whole steps (``b_sid``, ``b_version``, ``b_next`` and every :data:`STEP_COLUMNS`)
    in one statement; each still only applies to its call at the version it read."""
    if steps:
        _SAVE.execute_many(conn, steps)


def save_step(conn: Connection, sid: str, version: int, values: Mapping[str, Any]) -> bool:
    """Write a step's changes if the call is still at ``version`` (and bump it)."""
    result = conn.execute(
        update(calls)
        .where(calls.c.sid == sid)
        .where(calls.c.version == version)
        .values({**values, "version": version + 1})
    )
    return result.rowcount == 1


def update_call(conn: Connection, sid: str, values: Mapping[str, Any]) -> None:
    """Change columns that no step writes (callbacks, a time limit), leaving the version."""
    conn.execute(update(calls).where(calls.c.sid == sid).values(dict(values)))


def delete_call(conn: Connection, account_sid: str, sid: str) -> bool:
    """Delete an ended call and its transcript; False when the account has no such call."""
    result = conn.execute(
        delete(calls).where(calls.c.sid == sid).where(calls.c.account_sid == account_sid)
    )
    if not result.rowcount:
        return False
    conn.execute(delete(call_events).where(call_events.c.call_sid == sid))
    conn.execute(delete(call_inputs).where(call_inputs.c.call_sid == sid))
    return True


def call_listing(
    account_sid: str,
    *,
    to: str | None = None,
    from_: str | None = None,
    parent_call_sid: str | None = None,
    status: str | None = None,
    started: tuple[int | None, int | None] = (None, None),
    ended: tuple[int | None, int | None] = (None, None),
) -> Listing:
    """The account's calls, newest first, narrowed as the list endpoint's filters ask."""
    query = select(calls).where(calls.c.account_sid == account_sid)
    if to is not None:
        query = query.where(calls.c.to == to)
    if from_ is not None:
        query = query.where(calls.c.from_ == from_)
    if parent_call_sid is not None:
        query = query.where(calls.c.parent_call_sid == parent_call_sid)
    if status is not None:
        query = query.where(calls.c.status == status)
    query = during(query, calls.c.start_time, *started)
    query = during(query, calls.c.end_time, *ended)
    return Listing(query, calls.c.date_created, calls.c.sid)


# -- transcripts ------------------------------------------------------------------------------


def add_events(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append transcript entries (``call_sid, position, at, kind, detail`` as a dict)."""
    if rows:
        _EVENTS.execute_many(
            conn,
            [{**row, "detail": json.dumps(row["detail"], separators=(",", ":"))} for row in rows],
        )


def transcript(conn: Connection, sid: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(call_events.c.at, call_events.c.kind, call_events.c.detail)
        .where(call_events.c.call_sid == sid)
        .order_by(call_events.c.position)
    )
    return [{"at": r.at, "kind": r.kind, **json.loads(r.detail)} for r in rows]


# -- live input -----------------------------------------------------------------------------------


def add_input(conn: Connection, sid: str, at: int, kind: str, value: str = "") -> None:
    conn.execute(insert(call_inputs).values(call_sid=sid, at=at, kind=kind, value=value))


def pending_inputs(
    conn: Connection, sids: Iterable[str]
) -> dict[str, list[tuple[int, int, str, str]]]:
    """Each call's waiting input as ``(id, at, kind, value)``, oldest first."""
    wanted = list(set(sids))
    found: dict[str, list[tuple[int, int, str, str]]] = {}
    if not wanted:
        return found
    for ident, sid, at, kind, value in _INPUTS.rows(conn, {"sids": wanted}):
        found.setdefault(sid, []).append((ident, at, kind, value))
    return found


def drop_inputs(conn: Connection, ids: Sequence[int]) -> None:
    if ids:
        conn.execute(delete(call_inputs).where(call_inputs.c.id.in_(list(ids))))
