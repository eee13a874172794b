"""The database runner: blocking SQLAlchemy work, off the event loop, one transaction per call.

Handlers hand a function ``fn(conn)`` to :meth:`Database.run` when it writes and to
:meth:`Database.read` when it only reads; it runs inside one transaction on a database thread
and its result comes back to the caller. Keeping each request's work in one call keeps thread
hops, and so latency, low.

**SQLite** follows the Datasette pattern. Writes go to exactly one thread per process, inside
``BEGIN IMMEDIATE``, and between processes (a server and ``telephonist worker`` on one file)
they queue on a ``flock`` (:class:`_WriterLock`). Reads go to a small pool of threads of their
own, each with its own connection in WAL mode, ``query_only``, in a short deferred
transaction: they take no lock and never wait for a writer, in this process or another. An
in-memory database cannot be shared between connections, so there reads run as writes do.

**The WAL stays bounded.** Checkpoints run on a thread of their own (:class:`_Checkpointer`)
every half second: passive ones, which copy committed pages back into the database without
blocking anyone, and, once the WAL holds more than :data:`WAL_RESTART_BYTES` (16 MiB; the
writer wakes the thread then), a ``RESTART`` under the writer lock that starts it over and
cuts the file back to 16 MiB. Should that thread fall behind, a commit that leaves the
``-wal`` file over :data:`WAL_LIMIT_BYTES` truncates it before the writer lets go of the lock.
So the ``-wal`` file stays under 64 MiB plus the pages of one transaction, and usually near
16 MiB. Checkpoints that block writers give reads that began before them
:data:`CHECKPOINT_GRACE_MS` (50 ms) to finish; telephonist's reads are short transactions, so
only a process outside telephonist that keeps one open can make them give up, and then the
bound grows by as much again before the next try rather than writers waiting on every commit.

**PostgreSQL** locks rows, not the database: reads and writes share one pool of threads and
connections, reads in ``READ ONLY`` transactions.

**Errors name no values.** Every engine hides a statement's parameters from its errors and
logs: they carry auth tokens and message bodies, and a failed statement's error is logged with
its traceback (a failing start prints it), so a token set to stay out of shared logs would
otherwise reach them that way.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

T = TypeVar("T")

_fcntl: Any
try:  # POSIX; elsewhere writers queue on SQLite's busy handler alone
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None

#: SQLite's WAL is started over once it holds this much (and its file cut back to it).
WAL_RESTART_BYTES = 16 * 1024 * 1024
#: The bound on the ``-wal`` file, give or take one transaction: past it, the commit truncates.
WAL_LIMIT_BYTES = 64 * 1024 * 1024
#: How long a checkpoint that blocks writers waits for reads that started before it.
CHECKPOINT_GRACE_MS = 50
_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (``postgres://``, ``postgresql://``) and pick our drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Database:
    """One engine plus the threads that use it (and, on SQLite, a second engine for reads)."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 16,
        readers: int = 4,
        checkpoint_interval: float | None = 0.5,
    ) -> None:
        """``readers`` read threads on SQLite; ``checkpoint_interval`` seconds between WAL
        checkpoints (``None``: only when :meth:`checkpoint` is called, and the backstop)."""
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self._local = threading.local()
        self._read_local = self._local
        self._read_engine: Engine | None = None
        self._readers: ThreadPoolExecutor | None = None
        self._checkpointer: _Checkpointer | None = None
        if self.is_sqlite:
            path = parsed.database or ""
            on_disk = bool(path) and path != ":memory:"
            if on_disk:
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            # In memory, every connection would be a database of its own: share one.
            pooling: dict[str, Any] = (
                {"pool_size": 1, "max_overflow": 1} if on_disk else {"poolclass": StaticPool}
            )
            self.engine: Engine = create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": 30},
                hide_parameters=True,
                **pooling,
            )
            _configure_sqlite_writer(self.engine)
            workers = 1
            self._writer: contextlib.AbstractContextManager[None] = _WriterLock(path)
            if on_disk:
                self._read_engine = create_engine(
                    self.url,
                    connect_args={"check_same_thread": False, "timeout": 30},
                    hide_parameters=True,
                    pool_size=readers,
                    max_overflow=0,
                )
                _configure_sqlite_reader(self._read_engine)
                self._read_local = threading.local()
                self._readers = ThreadPoolExecutor(
                    max_workers=readers, thread_name_prefix="telephonist-db-read"
                )
                self._checkpointer = _Checkpointer(path, self._writer, checkpoint_interval)
        else:
            self.engine = create_engine(
                self.url,
                pool_size=pool_size,
                max_overflow=4,
                pool_pre_ping=True,
                hide_parameters=True,
            )
            workers = pool_size
            # PostgreSQL locks rows, not the database: its transactions need no queue.
            self._writer = contextlib.nullcontext()
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="telephonist-db"
        )
        if not self.is_sqlite:
            self._readers = self._executor
        self._pending: list[
            tuple[
                Callable[..., Any], tuple[Any, ...], asyncio.Future[Any], asyncio.AbstractEventLoop
            ]
        ] = []
        self._lock = threading.Lock()
        self._connections: list[Connection] = []

    def transaction(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in one write transaction, here and now (blocking).

        Each database thread keeps its connection between calls: checking one out of the pool
        per transaction costs more than the small transactions it would carry.
        """
        conn = self._connection(self._local, self.engine)
        try:
            with self._writer:
                with conn.begin():
                    result = fn(conn, *args)
                if self._checkpointer is not None:
                    self._checkpointer.after_commit(conn)
                return result
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
        """Run the read-only ``fn(conn, *args)`` in one read-only transaction.

        On SQLite it runs on a read thread, beside the writer rather than behind it, and sees
        everything committed when it starts. ``fn`` must not write: the transaction refuses to.
        """
        if self._readers is None:  # an in-memory SQLite database: one connection sees it
            return await self.run(fn, *args)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._read, fn, *args)

    def _read(self, fn: Callable[..., T], *args: Any) -> T:
        engine = self._read_engine or self.engine
        conn = self._connection(self._read_local, engine)
        try:
            with _read_only(conn, postgres=not self.is_sqlite), conn.begin():
                return fn(conn, *args)
        except DBAPIError as exc:
            if exc.connection_invalidated:
                self._read_local.conn = None
            raise

    def _connection(self, local: threading.local, engine: Engine) -> Connection:
        conn: Connection | None = getattr(local, "conn", None)
        if conn is None or conn.invalidated or conn.closed:
            conn = engine.connect()
            local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def checkpoint(self) -> None:
        """Checkpoint SQLite's WAL now, as the checkpoint thread does every interval."""
        if self._checkpointer is not None:
            self._checkpointer.checkpoint()

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
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self._readers is not None and self._readers is not self._executor:
            self._readers.shutdown(wait=True)
        self._executor.shutdown(wait=True)
        if isinstance(self._writer, _WriterLock):
            self._writer.close()
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self.engine.dispose()
        if self._read_engine is not None:
            self._read_engine.dispose()


class _WriterLock:
    """Hands SQLite's write lock from one process to the next without sleeping.

    Every write transaction here starts with ``BEGIN IMMEDIATE``, and when another process
    holds the lock SQLite's busy handler polls with sleeps that grow to 100 ms: a server and a
    separate worker sharing one file would spend most of their time asleep. An exclusive
    ``flock`` on a file beside the database queues writers in the kernel instead, which wakes
    the next one the moment the last commits. It only schedules: SQLite's own locking still
    guarantees correctness, so a platform without ``flock`` (or a writer outside telephonist)
    is merely slower. Threads of one process queue on a mutex first, since ``flock`` does not
    tell them apart. Reads never take it.
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
    """Keeps SQLite's WAL short and its file bounded without making writers wait on the disk.

    SQLite's automatic checkpoint runs inside whichever commit crosses the threshold, and a
    checkpoint syncs the disk: the writer, and every request queued behind it, would stall.
    The writer's connections turn automatic checkpoints off and this class checkpoints instead,
    on a thread and a connection of its own (SQLite refuses to checkpoint inside a
    transaction), in two steps. A passive checkpoint copies committed pages back into the
    database while everyone carries on; but under steady writes it never catches up, so SQLite
    never starts the WAL over and the file only grows. So once the WAL holds more than
    :data:`WAL_RESTART_BYTES` (the writer wakes this thread when it does), a ``RESTART``
    checkpoint follows under the writer lock: little is left to copy by then, so writers wait
    milliseconds, and the next commit writes from the start of the file, which
    ``journal_size_limit`` cuts back to the same size.

    :meth:`after_commit` is the backstop for when this thread falls behind: a commit that
    leaves the file over :data:`WAL_LIMIT_BYTES` truncates it there and then.

    Both steps give a reader that began before them :data:`CHECKPOINT_GRACE_MS` to finish,
    then give up rather than hold writers back; after giving up they wait until the WAL has
    grown by as much again before trying, so a reader that never lets go (only a process
    outside telephonist can be one) costs writers one short wait per so many megabytes.
    """

    def __init__(
        self, path: str, writer: contextlib.AbstractContextManager[None], interval: float | None
    ) -> None:
        self._path = os.path.abspath(path)
        self._wal = self._path + "-wal"
        self._writer = writer
        self._conn: sqlite3.Connection | None = None
        self._frame = 4096 + 24  # bytes per WAL frame: a page and its header
        self._mutex = threading.Lock()
        self._restart_at = WAL_RESTART_BYTES
        self._truncate_at = WAL_LIMIT_BYTES
        self._stopped = threading.Event()
        self._due = threading.Event()
        self._thread: threading.Thread | None = None
        if interval is not None:
            self._thread = threading.Thread(
                target=self._run, args=(interval,), name="telephonist-checkpoint", daemon=True
            )
            self._thread.start()

    def checkpoint(self) -> None:
        """One round: passive, then ``RESTART`` under the writer lock if the WAL is long."""
        with self._mutex:
            if self._conn is None:
                self._conn = sqlite3.connect(
                    self._path, isolation_level=None, check_same_thread=False
                )
                self._conn.execute(f"PRAGMA busy_timeout={CHECKPOINT_GRACE_MS}")
                self._frame = int(self._conn.execute("PRAGMA page_size").fetchone()[0]) + 24
            # Under steady writes, "all copied" only means all that was there when it began.
            _, frames, _ = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            held = max(frames, 0) * self._frame
            with contextlib.suppress(FileNotFoundError):
                held = max(held, os.stat(self._wal).st_size)
            if held <= self._restart_at:
                return
            with self._writer:
                busy = self._conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()[0]
            self._restart_at = WAL_RESTART_BYTES if busy == 0 else held + WAL_RESTART_BYTES

    def after_commit(self, conn: Connection) -> None:
        """Called by the writer, the writer lock still held; costs one ``stat`` as a rule.

        It never raises: the transaction has committed, and a caller that saw an error would
        run it again.
        """
        try:
            size = os.stat(self._wal).st_size
        except OSError:
            return
        if size > self._restart_at:
            # The file is cut back to WAL_RESTART_BYTES at each restart: past that, it is due.
            self._due.set()
        if size <= self._truncate_at:
            return
        raw: Any = conn.connection.dbapi_connection
        busy = 1
        try:
            raw.execute(f"PRAGMA busy_timeout={CHECKPOINT_GRACE_MS}")
            try:
                busy = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            finally:
                raw.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        except sqlite3.Error:  # the commit stands; a later one tries again
            pass
        self._truncate_at = WAL_LIMIT_BYTES if busy == 0 else size + WAL_LIMIT_BYTES

    def _run(self, interval: float) -> None:
        while not self._stopped.is_set():
            self._due.wait(interval)
            self._due.clear()
            # A busy or closing database: try again next time.
            with contextlib.suppress(sqlite3.Error):
                self.checkpoint()

    def stop(self) -> None:
        self._stopped.set()
        self._due.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._mutex:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


@contextlib.contextmanager
def _read_only(conn: Connection, *, postgres: bool) -> Iterator[None]:
    """On PostgreSQL, the next transaction of ``conn`` starts ``READ ONLY`` (psycopg adds it to
    its ``BEGIN``: no extra round trip). SQLite's read connections are read-only already."""
    if not postgres:
        yield
        return
    raw: Any = conn.connection.dbapi_connection
    raw.read_only = True
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # a broken connection is replaced next call
            raw.read_only = False


def _configure_sqlite_writer(engine: Engine) -> None:
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
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        # When SQLite does start the WAL over, it cuts the file back to the bound.
        cursor.execute(f"PRAGMA journal_size_limit={WAL_RESTART_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_sqlite_reader(engine: Engine) -> None:
    """Read connections: ``query_only``, and a deferred ``BEGIN`` so that the statements of one
    call share one snapshot, which the commit at the end of the call lets go of (a snapshot
    held open would stop checkpoints from starting the WAL over)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")


__all__ = [
    "CHECKPOINT_GRACE_MS",
    "WAL_LIMIT_BYTES",
    "WAL_RESTART_BYTES",
    "Database",
    "normalise_url",
]
