"""The simulated carrier's own tables: what handsets received (``carrier_log``) and the
scenario rules attached to handset numbers. Nothing outside the simulator reads or writes
them; the control API goes through these functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, or_, select

from telephonist.storage.prepared import Prepared
from telephonist.storage.schema import (
    accounts,
    carrier_log,
    messages,
    scenario_rules,
)

_LOG = Prepared(
    insert(carrier_log).values(
        {c.name: bindparam(c.name) for c in carrier_log.columns if c.name != "id"}
    )
)
_RULES = Prepared(select(scenario_rules.c.pattern, scenario_rules.c.scenario))
_HANDED_OVER = Prepared(
    select(carrier_log.c.message_sid, carrier_log.c.scenario).where(
        carrier_log.c.message_sid.in_(bindparam("sids", expanding=True))
    )
)


def rules(conn: Connection) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in _RULES.rows(conn, {})]


def rule_rows(conn: Connection) -> list[Any]:
    return list(conn.execute(select(scenario_rules).order_by(scenario_rules.c.pattern)))


def set_rule(conn: Connection, pattern: str, scenario: str, now: int) -> None:
    conn.execute(delete(scenario_rules).where(scenario_rules.c.pattern == pattern))
    conn.execute(insert(scenario_rules).values(pattern=pattern, scenario=scenario, created_at=now))


def delete_rule(conn: Connection, pattern: str) -> int:
    deleted = conn.execute(delete(scenario_rules).where(scenario_rules.c.pattern == pattern))
    return int(deleted.rowcount)


def handed_over(conn: Connection, sids: Sequence[str]) -> dict[str, str]:
    """Which of these messages the carrier already has (a repeated hand-over), with the
    scenario each was handed over under."""
    if not sids:
        return {}
    return {r[0]: r[1] for r in _HANDED_OVER.rows(conn, {"sids": list(sids)})}


def log(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        _LOG.execute_many(conn, rows)


def inbox(conn: Connection, handset: str, account_sid: str) -> list[Any]:
    """What ``handset`` received from ``account_sid`` and its subaccounts, oldest first."""
    mine = select(accounts.c.sid).where(
        or_(accounts.c.sid == account_sid, accounts.c.owner_account_sid == account_sid)
    )
    return list(
        conn.execute(
            select(carrier_log)
            .join(messages, messages.c.sid == carrier_log.c.message_sid)
            .where(carrier_log.c.handset == handset)
            .where(carrier_log.c.direction == "mt")
            .where(messages.c.account_sid.in_(mine))
            .order_by(carrier_log.c.id)
        ).mappings()
    )
