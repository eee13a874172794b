"""SQLite's WAL stays bounded under tens of thousands of writes, with reads going on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, text

from telephonist.storage.database import WAL_LIMIT_BYTES, WAL_RESTART_BYTES, Database

MESSAGES = 30_000
PER_TRANSACTION = 10
SCHEMA = [
    "CREATE TABLE m (sid TEXT PRIMARY KEY, account TEXT, created INTEGER, status TEXT, body TEXT)",
    "CREATE INDEX m_account ON m (account, created)",
    "CREATE INDEX m_status ON m (status, created)",
]
# One transaction's pages, at most: the slack a bound "plus one transaction" allows.
SLACK = 1024 * 1024


def insert(conn: Connection, first: int) -> None:
    rows = [
        {
            # Scattered keys, as SIDs are: each transaction dirties pages all over the index.
            "sid": f"SM{(n * 2654435761) % 2**32:08x}{n:024d}",
            "account": f"AC{n % 7}",
            "created": n,
            "status": ("queued", "sent", "delivered")[n % 3],
            "body": f"message {n} " + "x" * 140,
        }
        for n in range(first, first + PER_TRANSACTION)
    ]
    conn.execute(text("INSERT INTO m VALUES (:sid, :account, :created, :status, :body)"), rows)


def count(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM m")).scalar_one())


def drive(db: Database, wal: Path, between: Callable[[int], None]) -> int:
    """Write MESSAGES rows a few per transaction, reading now and then; the largest WAL seen."""

    async def main() -> int:
        for statement in SCHEMA:
            await db.run(lambda c, s=statement: c.exec_driver_sql(s))
        largest = 0
        for i, first in enumerate(range(0, MESSAGES, PER_TRANSACTION)):
            await db.run(insert, first)
            if i % 10 == 0:
                assert await db.read(count) == first + PER_TRANSACTION
            largest = max(largest, wal.stat().st_size)
            between(i)
        assert await db.read(count) == MESSAGES
        return largest

    return asyncio.run(main())


def test_the_wal_stays_under_its_limit_even_with_no_checkpoint_thread(tmp_path: Path) -> None:
    """With the checkpoint thread off, the commit that takes the WAL past WAL_LIMIT_BYTES
    truncates it: some 100 MB of WAL traffic leaves at most the limit plus one transaction."""
    db = Database(f"sqlite:///{tmp_path / 'w.db'}", checkpoint_interval=None)
    try:
        largest = drive(db, tmp_path / "w.db-wal", lambda i: None)
    finally:
        db.close()
    assert largest <= WAL_LIMIT_BYTES + SLACK


def test_checkpoint_rounds_keep_the_wal_under_its_restart_size(tmp_path: Path) -> None:
    """The rounds the checkpoint thread runs (here every 100 transactions, by hand, instead of
    every half second) keep the WAL under WAL_RESTART_BYTES, far from the hard limit: reads
    hold no snapshot that would stop it from starting over."""
    db = Database(f"sqlite:///{tmp_path / 'w.db'}", checkpoint_interval=None)
    try:
        largest = drive(
            db, tmp_path / "w.db-wal", lambda i: db.checkpoint() if i % 100 == 99 else None
        )
    finally:
        db.close()
    assert largest <= WAL_RESTART_BYTES
