"""The simulated carrier's own tables: what handsets received (``carrier_log``), the
scenario rules accounts attached to handset numbers and how handsets answer calls
(``call_behaviors``). Nothing outside the simulator reads or writes them; the control API and
the call steps go through these functions.

Both are scoped to accounts: a rule is its account's (and applies to its subaccounts' traffic
too), and a handset's inbox is read per account, so no account sees or changes another's.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, null, or_, select, union_all

from telephonist.domain.calls import Behavior
from telephonist.domain.scripts import format_script
from telephonist.domain.scripts import parse as parse_script
from telephonist.storage.prepared import Prepared
from telephonist.storage.repositories.accounts import reachable_sids
from telephonist.storage.schema import (
    accounts,
    carrier_log,
    messages,
    scenario_rules,
)
from telephonist.storage.schema import (
    call_behaviors as call_behaviors_table,
)

_LOG = Prepared(
    insert(carrier_log).values(
        {c.name: bindparam(c.name) for c in carrier_log.columns if c.name != "id"}
    )
)
# What the rules in force for a batch's accounts need, in one statement: each account with its
# parent, then the rules either set. A parent's rules come once however many of its
# subaccounts the batch holds.
_BATCH = ("accounts", "rule_owners", "parents")
_RULES_FOR = Prepared(
    union_all(
        select(
            accounts.c.sid,
            accounts.c.owner_account_sid,
            null().label("pattern"),
            null().label("scenario"),
        ).where(accounts.c.sid.in_(bindparam("accounts", expanding=True))),
        select(
            scenario_rules.c.account_sid,
            null(),
            scenario_rules.c.pattern,
            scenario_rules.c.scenario,
        ).where(
            or_(
                scenario_rules.c.account_sid.in_(bindparam("rule_owners", expanding=True)),
                scenario_rules.c.account_sid.in_(
                    select(accounts.c.owner_account_sid).where(
                        accounts.c.sid.in_(bindparam("parents", expanding=True))
                    )
                ),
            )
        ),
    )
)
_HANDED_OVER = Prepared(
    select(carrier_log.c.message_sid, carrier_log.c.scenario).where(
        carrier_log.c.message_sid.in_(bindparam("sids", expanding=True))
    )
)


@dataclass(frozen=True, slots=True)
class AccountRules:
    """The rules an account set and the ones it inherits from its parent."""

    inherited: list[tuple[str, str]] = field(default_factory=list)
    own: list[tuple[str, str]] = field(default_factory=list)


def rules_for(conn: Connection, account_sids: Collection[str]) -> dict[str, AccountRules]:
    """The rules in force for each of these accounts, in one query for a whole batch; an
    account that has none (nor its parent) is left out."""
    if not account_sids:
        return {}
    batch = sorted(account_sids)
    parents: dict[str, str | None] = {}
    by_owner: dict[str, list[tuple[str, str]]] = {}
    for sid, parent, pattern, name in _RULES_FOR.rows(conn, dict.fromkeys(_BATCH, batch)):
        if pattern is None:
            parents[sid] = parent
        else:
            by_owner.setdefault(sid, []).append((pattern, name))
    found: dict[str, AccountRules] = {}
    for sid, parent in parents.items():
        own = sorted(by_owner.get(sid, ()))
        inherited = sorted(by_owner.get(parent, ())) if parent else []
        if own or inherited:
            found[sid] = AccountRules(inherited, own)
    return found


def rules_in_force(conn: Connection, account_sid: str, parent_sid: str | None) -> list[Any]:
    """The rules ``account_sid`` set and those its parent set, by pattern."""
    owners = [account_sid] if parent_sid is None else [account_sid, parent_sid]
    return list(
        conn.execute(
            select(scenario_rules)
            .where(scenario_rules.c.account_sid.in_(owners))
            .order_by(scenario_rules.c.pattern)
        )
    )


def set_rule(conn: Connection, account_sid: str, pattern: str, scenario: str, now: int) -> None:
    """Attach (or replace) the account's rule for ``pattern``; other accounts' are untouched."""
    mine = (scenario_rules.c.account_sid == account_sid) & (scenario_rules.c.pattern == pattern)
    conn.execute(delete(scenario_rules).where(mine))
    conn.execute(
        insert(scenario_rules).values(
            account_sid=account_sid, pattern=pattern, scenario=scenario, created_at=now
        )
    )


def delete_rule(conn: Connection, account_sid: str, pattern: str) -> int:
    """Remove the account's own rule for ``pattern``: 0 when it has none, whoever else does."""
    deleted = conn.execute(
        delete(scenario_rules)
        .where(scenario_rules.c.account_sid == account_sid)
        .where(scenario_rules.c.pattern == pattern)
    )
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
    return list(
        conn.execute(
            select(carrier_log)
            .join(messages, messages.c.sid == carrier_log.c.message_sid)
            .where(carrier_log.c.handset == handset)
            .where(carrier_log.c.direction == "mt")
            .where(messages.c.account_sid.in_(reachable_sids(account_sid)))
            .order_by(carrier_log.c.id)
        ).mappings()
    )


# -- how handsets answer calls -------------------------------------------------------------


def set_call_behavior(
    conn: Connection, account_sid: str, pattern: str, behavior: Behavior, now: int
) -> None:
    """Attach (or replace) how the account's calls to ``pattern`` are answered."""
    mine = (call_behaviors_table.c.account_sid == account_sid) & (
        call_behaviors_table.c.pattern == pattern
    )
    conn.execute(delete(call_behaviors_table).where(mine))
    conn.execute(
        insert(call_behaviors_table).values(
            account_sid=account_sid,
            pattern=pattern,
            behavior=json.dumps(
                {
                    "kind": behavior.kind,
                    "answer_after": behavior.answer_after,
                    "script": format_script(behavior.script),
                }
            ),
            date_updated=now,
        )
    )


def call_behaviors(conn: Connection, account_sids: Collection[str]) -> dict[str, CallBehaviors]:
    """The handset behaviours in force for each account: its own and its parent's."""
    if not account_sids:
        return {}
    parents = dict(
        conn.execute(
            select(accounts.c.sid, accounts.c.owner_account_sid).where(
                accounts.c.sid.in_(sorted(account_sids))
            )
        ).all()
    )
    owners = set(parents) | {p for p in parents.values() if p}
    by_owner: dict[str, list[tuple[str, Behavior]]] = {}
    rows = conn.execute(
        select(
            call_behaviors_table.c.account_sid,
            call_behaviors_table.c.pattern,
            call_behaviors_table.c.behavior,
        ).where(call_behaviors_table.c.account_sid.in_(sorted(owners)))
    )
    for account, pattern, raw in rows:
        spec = json.loads(raw)
        steps = parse_script(spec["script"]) if spec["script"] else ()
        by_owner.setdefault(account, []).append(
            (pattern, Behavior(spec["kind"], spec["answer_after"], steps))
        )
    return {
        sid: CallBehaviors(by_owner.get(parent or "", []), by_owner.get(sid, []))
        for sid, parent in parents.items()
    }


@dataclass(frozen=True, slots=True)
class CallBehaviors:
    """How an account's calls are answered: the parent's rules, then its own (which win)."""

    inherited: list[tuple[str, Behavior]] = field(default_factory=list)
    own: list[tuple[str, Behavior]] = field(default_factory=list)

    def of(self, number: str) -> Behavior:
        """The longest matching pattern's behaviour (the account's own on a tie), else the
        default: answer after one ring, silent."""
        best: tuple[int, int, Behavior] | None = None
        for rank, rules in enumerate((self.inherited, self.own)):
            for pattern, found in rules:
                if fnmatchcase(number, pattern) and (
                    best is None or (len(pattern), rank) > (best[0], best[1])
                ):
                    best = (len(pattern), rank, found)
        return best[2] if best else Behavior()
