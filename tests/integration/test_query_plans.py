"""What SQLite's planner makes of the reads on every message's create path: each reaches its
rows through an index by what it knows, whatever else the account holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from telephonist.dispatch import inbound, pipeline
from telephonist.storage.database import Database
from telephonist.storage.migrate import upgrade
from telephonist.storage.prepared import Prepared
from telephonist.storage.repositories import opt_outs
from tests.conftest import opened_database


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    with opened_database(f"sqlite:///{tmp_path / 'plans.db'}") as db:
        upgrade(db.engine)
        yield db


def plan(db: Database, statement: Prepared, params: dict[str, Any]) -> list[str]:
    """SQLite's query plan for the statement as it runs with ``params``, a line per step."""
    with db.engine.connect() as conn:
        sql, args = statement._bind(statement._get(conn), params)
        raw: Any = conn.connection.driver_connection
        return [str(row[3]) for row in raw.execute("EXPLAIN QUERY PLAN " + sql, args)]


def opt_out_reads(lines: list[str]) -> list[str]:
    return [line for line in lines if line.split(" ")[:2] == ["SEARCH", "opt_outs"]]


PARAMS = {"a": "AC" + "0" * 32, "to": "+14155550100", "from_": "+14155550199"}


def test_a_direct_sends_opt_out_check_reads_by_recipient(database: Database) -> None:
    """Without the (account, recipient) index the read walks every opt-out of the account
    (the primary key leads with the scope after the account)."""
    reads = opt_out_reads(plan(database, pipeline._SENDER_UNLESS_OPTED_OUT, PARAMS))
    assert reads and all("ix_opt_outs_recipient" in line for line in reads), reads
    assert all("recipient=?" in line for line in reads), reads


def test_the_opt_out_check_of_other_sends_reads_by_recipient(database: Database) -> None:
    params = {**PARAMS, "scopes": ["MG" + "0" * 32, PARAMS["from_"]]}
    reads = opt_out_reads(plan(database, opt_outs._BLOCKED, params))
    assert reads and all("recipient=?" in line for line in reads), reads


def test_receipts_find_their_messages_by_reference_through_the_index(database: Database) -> None:
    """The index holds only messages with a reference (a partial index); a lookup by
    reference still goes through it rather than reading every message."""
    lines = plan(database, inbound._BY_PROVIDER_SID, {"refs": ["r1", "r2"]})
    assert lines == ["SEARCH messages USING INDEX ix_messages_provider_sid (provider_sid=?)"], lines


def test_a_message_without_a_reference_has_no_entry_in_its_index(database: Database) -> None:
    with database.engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        (sql,) = raw.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_messages_provider_sid'"
        ).fetchone()
    assert "WHERE provider_sid IS NOT NULL" in sql
