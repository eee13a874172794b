"""Reads: beside the writer, not behind it, and read-only."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from telephonist.storage.database import Database
from tests.conftest import opened_database

# Another process, as `telephonist worker` is: it opens the same file through Database, writes
# a row and then keeps its transaction, and so the writer lock, until told on stdin.
HOLDER = """\
import sys

from sqlalchemy import text

from telephonist.storage.database import Database

db = Database(sys.argv[1])


def hold(conn):
    conn.execute(text("INSERT INTO t VALUES (2)"))
    print("holding", flush=True)
    sys.stdin.readline()


db.transaction(hold)
print("committed", flush=True)
db.close()
"""


def count(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM t")).scalar_one())


def insert_and_count(conn: Connection) -> int:
    conn.execute(text("INSERT INTO t VALUES (3)"))
    return count(conn)


def test_a_read_answers_while_another_process_holds_a_long_write(tmp_path: Path) -> None:
    """While another process holds the writer lock, a read answers at once (and sees only what
    was committed) and a write waits, then runs after the other process commits."""
    url = f"sqlite:///{tmp_path / 'r.db'}"
    db = Database(url)
    db.transaction(lambda c: c.execute(text("CREATE TABLE t (n INTEGER)")))
    db.transaction(lambda c: c.execute(text("INSERT INTO t VALUES (1)")))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    lines = ThreadPoolExecutor(1)

    def next_line() -> str:
        assert holder.stdout is not None
        return lines.submit(holder.stdout.readline).result(timeout=30)

    try:
        assert next_line() == "holding\n"

        async def meanwhile() -> None:
            assert holder.stdin is not None
            write = asyncio.ensure_future(db.run(insert_and_count))
            try:
                assert await asyncio.wait_for(db.read(count), 5) == 1
                assert not write.done()
            finally:
                holder.stdin.write("\n")
                holder.stdin.flush()
            assert await asyncio.wait_for(write, 30) == 3

        asyncio.run(meanwhile())
        assert next_line() == "committed\n"
        assert holder.wait(30) == 0
    finally:
        holder.kill()
        holder.communicate()  # waits, and closes the pipes
        lines.shutdown()
        db.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        with opened_database(f"sqlite:///{tmp_path / 'd.db'}") as db:
            yield db
    else:
        with opened_database(None, request.getfixturevalue("postgres_admin_url")) as db:
            yield db


def test_a_read_sees_what_was_committed_before_it_and_cannot_write(database: Database) -> None:
    """Reads run in read-only transactions, so a handler that writes by mistake in one fails on
    both databases, instead of writing on one of them without the writer lock."""

    async def scenario() -> None:
        await database.run(lambda c: c.execute(text("CREATE TABLE t (n INTEGER)")))
        await database.run(lambda c: c.execute(text("INSERT INTO t VALUES (1)")))
        assert await database.read(count) == 1
        with pytest.raises(DBAPIError):
            await database.read(insert_and_count)
        assert await database.read(count) == 1
        assert await database.run(insert_and_count) == 2  # the connections are still good

    asyncio.run(scenario())


def test_an_in_memory_database_reads_what_it_wrote() -> None:
    """An in-memory SQLite database exists on one connection only: reads go there too."""
    db = Database("sqlite://")
    try:

        async def scenario() -> int:
            await db.run(lambda c: c.execute(text("CREATE TABLE t (n INTEGER)")))
            await db.run(lambda c: c.execute(text("INSERT INTO t VALUES (1)")))
            return await db.read(count)

        assert asyncio.run(scenario()) == 1
    finally:
        db.close()
