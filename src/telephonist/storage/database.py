"""The database runner: blocking SQLAlchemy work, off the event loop, one transaction per call.

Handlers hand a function ``fn(conn)`` to :meth:`Database.run`; it runs inside one transaction on
a worker thread and its result comes back to the caller. SQLite gets exactly one thread, so
there is a single writer and no lock contention inside the process (the Datasette pattern);
PostgreSQL gets a small pool. Keeping each request's work in one call keeps thread hops, and
so latency, low.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

T = TypeVar("T")

_fcntl: Any
try:  # POSIX; elsewhere writers queue on SQLite's busy handler alone
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (``postgres://``, ``postgresql://``) and pick our drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Database:
    """One engine plus the threads that use it."""

    def __init__(self, url: str, *, pool_size: int = 16) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            path = parsed.database or ""
            if path and path != ":memory:":
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self.engine: Engine = create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=1,
                max_overflow=1,
            )
            _configure_sqlite(self.engine)
            workers = 1
            self._writer: contextlib.AbstractContextManager[None] = _WriterLock(path)
            self._checkpointer = _Checkpointer(self.engine) if path != ":memory:" else None
        else:
            self.engine = create_engine(
                self.url, pool_size=pool_size, max_overflow=4, pool_pre_ping=True
            )
            workers = pool_size
            # PostgreSQL locks rows, not the database: its transactions need no queue.
            self._writer = contextlib.nullcontext()
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="telephonist-db"
        )
        self._local = threading.local()
        self._pending: list[
            tuple[
                Callable[..., Any], tuple[Any, ...], asyncio.Future[Any], asyncio.AbstractEventLoop
            ]
        ] = []
        self._lock = threading.Lock()
        self._connections: list[Connection] = []

    def transaction(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in one transaction, here and now (blocking).

        Each database thread keeps its connection between calls: checking one out of the pool
        per transaction costs more than the small transactions it would carry.
        """
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.invalidated or conn.closed:
            conn = self.engine.connect()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        try:
            with self._writer, conn.begin():
                return fn(conn, *args)
        except DBAPIError as exc:
            if exc.connection_invalidated:
                self._local.conn = None
            raise

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in one transaction on a database thread.

        On SQLite, calls that arrive while the writer is busy are *group-committed*: the
        writer runs every waiting call in one transaction and commits once. If any of them
        fails, the whole group is rolled back and each call is run again on its own, so a
        failure never leaks into a neighbour's transaction. ``fn`` must therefore be safe to
        run twice (it is: everything it writes is decided before the call).
        """
        loop = asyncio.get_running_loop()
        if not self.is_sqlite:
            return await loop.run_in_executor(self._executor, self.transaction, fn, *args)
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            self._pending.append((fn, args, future, loop))
        self._executor.submit(self._drain)
        return await future

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run the read-only ``fn(conn, *args)`` in one transaction.

        Handlers that only read call this rather than :meth:`run`, so reads never have to
        queue behind writes.
        """
        return await self.run(fn, *args)

    def _drain(self) -> None:
        with self._lock:
            group, self._pending = self._pending, []
        if not group:
            return
        outcomes: list[tuple[Any, BaseException | None]] = []
        try:

            def run_group(conn: Connection) -> None:
                for fn, args, _, _ in group:
                    outcomes.append((fn(conn, *args), None))

            self.transaction(run_group)
        except BaseException:
            outcomes = []
            for fn, args, _, _ in group:
                try:
                    outcomes.append((self.transaction(fn, *args), None))
                except BaseException as exc:  # handed to the caller, not swallowed
                    outcomes.append((None, exc))
        for (_, _, future, loop), (result, error) in zip(group, outcomes, strict=True):
            loop.call_soon_threadsafe(_settle, future, result, error)

    def close(self) -> None:
        if self.is_sqlite and self._checkpointer is not None:
            self._checkpointer.stop()
        self._executor.shutdown(wait=True)
        if isinstance(self._writer, _WriterLock):
            self._writer.close()
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self.engine.dispose()


class _WriterLock:
    """Hands SQLite's write lock from one process to the next without sleeping.

    Every transaction here writes (``BEGIN IMMEDIATE``), and when another process holds the
    lock SQLite's busy handler polls with sleeps that grow to 100 ms: a server and a separate
    worker sharing one file would spend most of their time asleep. An exclusive ``flock`` on a
    file beside the database queues writers in the kernel instead, which wakes the next one the
    moment the last commits. It only schedules: SQLite's own locking still guarantees
    correctness, so a platform without ``flock`` (or a reader outside telephonist) is merely
    slower. Threads of one process queue on a mutex first, since ``flock`` does not tell them
    apart.
    """

    def __init__(self, path: str) -> None:
        self._mutex = threading.Lock()
        self._fd: int | None = None
        if path and path != ":memory:" and _fcntl is not None:
            with contextlib.suppress(OSError):
                self._fd = os.open(os.path.abspath(path) + "-writer", os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> None:
        self._mutex.acquire()
        if self._fd is not None:
            try:
                _fcntl.flock(self._fd, _fcntl.LOCK_EX)
            except OSError:
                self._mutex.release()
                raise

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fd is not None:
                _fcntl.flock(self._fd, _fcntl.LOCK_UN)
        finally:
            self._mutex.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _Checkpointer:
    """Moves the WAL into the database file from a thread of its own.

    SQLite's automatic checkpoint runs inside whichever commit crosses the threshold, and a
    checkpoint syncs the disk: the writer, and every request queued behind it, would stall.
    The writer's connections turn automatic checkpoints off; this thread checkpoints passively
    (never blocking the writer) every half second instead.
    """

    def __init__(self, engine: Engine, interval: float = 0.5) -> None:
        self._engine = engine
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="telephonist-checkpoint", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                with self._engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # a busy or closing database: try again next time
                continue

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _configure_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers, and ``BEGIN IMMEDIATE`` so a writer never fails mid-way.

    pysqlite's own transaction handling issues a deferred BEGIN; two processes that both read
    then write would then deadlock-fail with SQLITE_BUSY. Taking the write lock up front lets
    ``busy_timeout`` queue them instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives process crashes (kill -9); only an OS crash can lose the
        # last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


__all__ = ["Database", "normalise_url"]
