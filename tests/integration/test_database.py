"""The database runner: concurrency where the database allows it, queueing where it does not."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from telephonist.storage.database import Database
from tests.conftest import opened_database
from tests.integration.procs import wait_for


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
    """Two Database objects on one file (as a server and a worker are) take turns on the writer
    lock: while one holds a transaction open the lock is taken, and the other waits on it, not
    on SQLite's busy handler, which is switched off here so that waiting anywhere else fails."""
    if not os.path.exists("/proc/locks"):
        pytest.skip("needs Linux's table of file locks to see the second writer queue")
    path = tmp_path / "w.db"
    first, second = Database(f"sqlite:///{path}"), Database(f"sqlite:///{path}")
    event.listen(second.engine, "connect", _no_busy_handler)
    try:
        first.transaction(lambda c: c.execute(text("CREATE TABLE t (n INTEGER)")))
        lock_file = f"{path}-writer"
        probe = os.open(lock_file, os.O_RDWR)
        inside = threading.Event()
        release = threading.Event()

        def hold(conn: Connection) -> None:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            inside.set()
            assert release.wait(10)

        def write(conn: Connection) -> int:
            conn.execute(text("INSERT INTO t VALUES (2)"))
            return int(conn.execute(text("SELECT count(*) FROM t")).scalar_one())

        with ThreadPoolExecutor(2) as pool:
            holding = pool.submit(first.transaction, hold)
            try:
                assert inside.wait(10)
                with pytest.raises(BlockingIOError):  # what a third process's writer would meet
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                writing = pool.submit(second.transaction, write)
                wait_for(
                    lambda: writing.done() or _waiters(lock_file) > 0, "the writer to queue", 10
                )
                assert not writing.done(), writing.exception()
            finally:
                release.set()
            holding.result(10)
            assert writing.result(10) == 2  # it ran after the first committed
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # and nobody holds the lock now
        os.close(probe)
    finally:
        first.close()
        second.close()


def _no_busy_handler(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA busy_timeout=0")


def _waiters(path: str) -> int:
    """Requests blocked on the ``flock`` of ``path``, from the kernel's table of locks."""
    inode = f":{os.stat(path).st_ino} "
    with open("/proc/locks") as table:
        return sum(1 for line in table if "->" in line and inode in line)
