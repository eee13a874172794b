"""Telephonist as real operating-system processes, for tests that kill them.

``Processes`` starts ``telephonist serve`` and ``telephonist worker`` through a small launcher
script that shortens the dispatch worker's lease (so tasks a killed process held fall due again
in seconds, not a minute), logs each process's stderr to a file, and kills whatever is still
running when the ``with`` block ends.

Given a ``handover_log``, the launcher also keeps the carrier's own record of what it was
handed: every message the simulated carrier accepts is appended to that file (process id,
message SID) the moment ``submit`` returns, outside the database and outside any transaction.
Unlike ``carrier_log``, whose unique column makes a second row impossible, this file shows a
message handed over twice. Each line is one ``write`` to a file opened for appending, so lines
from several processes never interleave and a SIGKILL loses none that were written.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx
from sqlalchemy import Engine, create_engine

from telephonist.storage.database import normalise_url

# The CLI, unchanged, with a worker lease of argv[1] seconds and, when argv[2] names a file,
# every message the simulated carrier delivers for the first time logged there.
LAUNCHER = """\
import os
import sys

from telephonist.cli import main
from telephonist.providers.simulator import store
from telephonist.providers.simulator.carrier import Simulator

os.environ["TELEPHONIST_WORKER_LEASE_SECONDS"] = sys.argv.pop(1)
handover_log = sys.argv.pop(1)
if handover_log:
    fd = os.open(handover_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    submit = Simulator.submit

    async def logged_submit(self, batch, *args, **kwargs):
        # What the carrier had before: a repeated hand-over (same idempotency key) that it
        # answers without delivering again is not a new delivery.
        before = await self.db.read(store.handed_over, [m.sid for m in batch])
        outcomes = await submit(self, batch, *args, **kwargs)
        for message, outcome in zip(batch, outcomes):
            if type(outcome).__name__ == "Accepted" and message.sid not in before:
                os.write(fd, f"{os.getpid()} {message.sid}\\n".encode())
        return outcomes

    Simulator.submit = logged_submit
main()
"""


def reader(url: str) -> Engine:
    """A plain engine for the test's own reads (the app's engine takes SQLite's write lock)."""
    url = normalise_url(url)
    args = {"timeout": 30} if url.startswith("sqlite") else {}
    return create_engine(url, connect_args=args)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    predicate: Callable[[], bool],
    what: str,
    timeout: float,
    describe: Callable[[], str] | None = None,
) -> None:
    """Poll ``predicate()`` every 50 ms until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            detail = describe() if describe is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{detail}")
        time.sleep(0.05)


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]
    base_url: str = ""

    @property
    def pid(self) -> int:
        return self.popen.pid

    def kill9(self) -> None:
        """SIGKILL: no shutdown, no flush, no lease given back."""
        if self.popen.poll() is None:
            os.kill(self.popen.pid, signal.SIGKILL)

    def reap(self) -> None:
        self.kill9()
        self.popen.wait(timeout=30)
        self.log_file.close()

    def tail(self, lines: int = 30) -> str:
        self.log_file.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        status = self.popen.poll()
        state = "running" if status is None else f"exit {status}"
        return "\n".join(
            [f"--- {self.name} (pid {self.pid}, {state}) {self.log_path}", *text[-lines:]]
        )


class Processes:
    """Starts telephonist processes; on exit kills every one still running."""

    def __init__(
        self,
        tmp_path: Path,
        env: dict[str, str],
        *,
        lease_seconds: float,
        handover_log: Path | None = None,
    ) -> None:
        self.tmp_path = tmp_path
        self.launcher = tmp_path / "launcher.py"
        self.launcher.write_text(LAUNCHER)
        self.lease = str(lease_seconds)
        self.handover_log = handover_log
        # Only the settings given here: none inherited from the developer's shell.
        base = {k: v for k, v in os.environ.items() if not k.startswith("TELEPHONIST_")}
        self.env = {**base, **env}
        self.started: list[Proc] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for proc in self.started:
            proc.reap()

    def start(self, name: str, *args: str) -> Proc:
        log_path = self.tmp_path / f"{len(self.started)}-{name}.log"
        log_file = log_path.open("wb")
        popen = subprocess.Popen(
            [sys.executable, str(self.launcher), self.lease, str(self.handover_log or ""), *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
        )
        proc = Proc(name, popen, log_path, log_file)
        self.started.append(proc)
        return proc

    def serve(self, db: str) -> Proc:
        """``telephonist serve`` on a free port, returned once ``/healthz`` answers."""
        port = free_port()
        proc = self.start("serve", "serve", "--db", db, "--port", str(port))
        proc.base_url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            if proc.popen.poll() is not None:
                raise AssertionError(f"server exited while starting\n{proc.tail()}")
            try:
                return httpx.get(proc.base_url + "/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(healthy, "the server's /healthz", 30, proc.tail)
        return proc

    def worker(self, db: str) -> Proc:
        return self.start("worker", "worker", "--db", db)

    def handovers(self) -> dict[int, Counter[str]]:
        """What the simulated carrier accepted, per process id: message SID -> times."""
        by_process: dict[int, Counter[str]] = {}
        if self.handover_log is None or not self.handover_log.exists():
            return by_process
        for line in self.handover_log.read_text().splitlines():
            pid, sid = line.split()
            by_process.setdefault(int(pid), Counter())[sid] += 1
        return by_process

    def tails(self, lines: int = 30) -> str:
        return "\n".join(proc.tail(lines) for proc in self.started)
