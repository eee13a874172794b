"""The idempotency-key repository on SQLite and PostgreSQL: claims, expiry, and a race.

Two creates with one key that run at once on PostgreSQL meet at the primary key: the second
claim waits for the first transaction and then answers its row, rather than failing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from telephonist.domain.idempotency import WINDOW_MICROS
from telephonist.domain.sids import new_sid
from telephonist.storage.database import Database
from telephonist.storage.migrate import upgrade
from telephonist.storage.repositories import idempotency
from tests.conftest import opened_database

T0 = 1_900_000_000_000_000
ACCOUNT = "AC" + "1" * 32


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url: str | None = f"sqlite:///{tmp_path / 'k.db'}"
        admin = None
    else:
        url, admin = None, request.getfixturevalue("postgres_admin_url")
    with opened_database(url, admin) as db:
        upgrade(db.engine)
        yield db


def claim(
    conn: Connection, key: str, *, at: int = T0, digest: str = "h1", account: str = ACCOUNT
) -> dict[str, Any] | None:
    return idempotency.claim(conn, account, key, request_hash=digest, resource="Message", now=at)


def store(db: Database, key: str, *, at: int = T0, digest: str = "h1") -> str:
    """Claim ``key`` and name a new resource under it, as a create does; its SID."""
    sid = new_sid("SM")

    def work(conn: Connection) -> None:
        assert claim(conn, key, at=at, digest=digest) is None
        idempotency.attach(conn, ACCOUNT, key, sid)

    db.transaction(work)
    return sid


def test_a_claimed_key_answers_its_row_until_a_day_has_passed(database: Database) -> None:
    sid = store(database, "k")
    held = database.transaction(lambda c: claim(c, "k", at=T0 + WINDOW_MICROS - 1, digest="x"))
    assert held is not None
    assert (held["sid"], held["request_hash"], held["resource"]) == (sid, "h1", "Message")
    # Another account's key of the same name is free.
    assert database.transaction(lambda c: claim(c, "k", account="AC" + "2" * 32)) is None
    # A day on, the old row is taken over: the key is claimed afresh, with the new digest.
    later = T0 + WINDOW_MICROS
    newer = store(database, "k", at=later, digest="h2")
    held = database.transaction(lambda c: claim(c, "k", at=later))
    assert held is not None and (held["sid"], held["request_hash"]) == (newer, "h2")
    assert held["created_at"] == later


def test_a_refused_create_leaves_no_claim(database: Database) -> None:
    def refused(conn: Connection) -> None:
        assert claim(conn, "k") is None
        raise RuntimeError("the create was refused")

    with pytest.raises(RuntimeError):
        database.transaction(refused)
    assert database.transaction(claim, "k") is None


def test_expired_keys_are_deleted(database: Database) -> None:
    store(database, "old")
    store(database, "new", at=T0 + 1)
    assert database.transaction(idempotency.delete_expired, T0 + WINDOW_MICROS) == 1
    assert database.transaction(lambda c: claim(c, "old", at=T0 + 1)) is None  # gone: free
    assert database.transaction(lambda c: claim(c, "new", at=T0 + 1)) is not None


def test_a_racing_claim_waits_for_the_winner_and_answers_it(
    postgres_admin_url: str,
) -> None:
    """The loser's claim blocks on the winner's uncommitted row, then answers it once the
    winner commits: no unique violation reaches the handler."""
    with opened_database(None, postgres_admin_url) as db:
        upgrade(db.engine)
        sid = new_sid("SM")
        outcome: dict[str, Any] = {}

        def lose() -> None:
            try:
                outcome["held"] = db.transaction(claim, "k")
            except Exception as exc:  # handed to the assertion below
                outcome["error"] = exc

        with db.engine.connect() as winner, db.engine.connect() as watcher:
            with winner.begin():
                assert claim(winner, "k") is None
                loser = threading.Thread(target=lose)
                loser.start()
                wait_until_a_backend_waits_on_a_lock(watcher)
                idempotency.attach(winner, ACCOUNT, "k", sid)
            loser.join(timeout=60)
        assert "error" not in outcome, outcome
        assert outcome["held"]["sid"] == sid


def wait_until_a_backend_waits_on_a_lock(conn: Connection) -> None:
    """Return once another session of this database is blocked by a lock (each look is a
    query of its own, so the watcher sees the others as they are now)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with conn.begin():
            if conn.execute(query).scalar():
                return
    raise AssertionError("the second claim never waited for the first")
