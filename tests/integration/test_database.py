"""The database runner: concurrency where the database allows it, queueing where it does not."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from telephonist.storage.database import Database
from tests.conftest import opened_database


@pytest.fixture
def postgres(postgres_admin_url: str) -> Iterator[Database]:
    with opened_database(None, postgres_admin_url) as db:
        yield db


def test_postgresql_transactions_run_side_by_side(postgres: Database) -> None:
    """Two transactions that each wait for the other inside must both finish: nothing in the
    process serialises them (only SQLite's writers queue)."""
    barrier = threading.Barrier(2, timeout=10)

    def meet(conn: Connection) -> int:
        conn.execute(text("SELECT 1"))
        barrier.wait()
        return 1

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(postgres.transaction, meet) for _ in range(2)]
        assert [f.result(timeout=20) for f in futures] == [1, 1]


def test_sqlite_writers_in_two_processes_queue_on_the_writer_lock(tmp_path: Path) -> None:
    """Two Database objects on one file (as a server and a worker are) take turns: while one
    holds a transaction open, the other waits for it instead of failing."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    first, second = Database(url), Database(url)
    try:
        first.transaction(lambda c: c.execute(text("CREATE TABLE t (n INTEGER)")))
        inside = threading.Event()
        release = threading.Event()
        order: list[str] = []

        def hold(conn: Connection) -> None:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            order.append("first in")
            inside.set()
            release.wait(10)
            order.append("first out")

        def write(conn: Connection) -> None:
            order.append("second in")
            conn.execute(text("INSERT INTO t VALUES (2)"))

        with ThreadPoolExecutor(2) as pool:
            holding = pool.submit(first.transaction, hold)
            assert inside.wait(10)
            writing = pool.submit(second.transaction, write)
            release.set()
            holding.result(10)
            writing.result(10)
        assert order == ["first in", "first out", "second in"]
        assert first.transaction(lambda c: c.execute(text("SELECT count(*) FROM t")).scalar()) == 2
    finally:
        first.close()
        second.close()
