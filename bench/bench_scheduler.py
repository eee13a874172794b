"""Scheduler lateness benchmark: scheduled messages against the real clock.

One Messaging Service holds 100 long codes at 100 MPS each; the simulator delivers with zero
delay; a local receiver (another process) takes the status callbacks and stamps each `sent`
callback with ``time.time()`` when it arrives. Three phases, on the same processes:

- backlog (the baseline): N_B messages created through the service, unscheduled, while no
  worker process runs; a `telephonist worker` is then started, and the time from its
  announcement (migrated and warm) to the last `sent` callback is the time to drain them.
- A: N_A messages scheduled (`ScheduleType=fixed`) for one whole second a few seconds ahead;
  lateness of each = its `sent` callback's arrival - SendAt. Printed: p50/p99/max.
- B: N_B messages scheduled for one second; SendAt to the last `sent` callback, against the
  backlog's drain.

    .venv/bin/python bench/bench_scheduler.py                 # SQLite, server + one worker
    .venv/bin/python bench/bench_scheduler.py --db postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rawhttp import Connection, build_request, field, response, run, serve
from bench_pipeline import free_port, fresh_database, percentile, server_env, stop, wait_healthy

SENDERS = 100
MPS = 100


def receiver(port: int) -> None:
    """Runs in its own process: stamps each message's `sent` callback with the wall clock, and
    counts callbacks by status. ``GET /stats`` answers the counts, ``GET /dump`` the stamps."""
    sent: dict[str, float] = {}
    counts: dict[str, int] = {}

    def on_request(head: bytes, body: bytes) -> bytes | None:
        if head.startswith(b"GET /stats"):
            return response(json.dumps(counts).encode(), "application/json")
        if head.startswith(b"GET /dump"):
            return response(json.dumps(sent).encode(), "application/json")
        got = field(body, b"MessageStatus")
        if got == "sent":
            sent.setdefault(field(body, b"MessageSid"), time.time())
        counts[got] = counts.get(got, 0) + 1
        return None

    async def main() -> None:
        await serve("127.0.0.1", port, on_request)
        await asyncio.Event().wait()

    run(main())


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def create_all(
    port: int,
    auth: tuple[str, str],
    service: str,
    handsets: list[str],
    callback: str,
    concurrency: int,
    send_at: int | None,
) -> tuple[list[str], float, dict[int, int]]:
    """Create one message to each handset through the service (scheduled for ``send_at`` when
    given); answers the SIDs, when the last create was answered, and errors by status."""
    path = f"/2010-04-01/Accounts/{auth[0]}/Messages.json"
    sids: list[str] = []
    errors: dict[int, int] = {}
    counter = iter(enumerate(handsets))

    async def client() -> None:
        conn = await Connection.open("127.0.0.1", port)
        try:
            for i, to in counter:
                fields = {
                    "To": to,
                    "MessagingServiceSid": service,
                    "Body": f"scheduler benchmark {i}",
                    "StatusCallback": callback,
                }
                if send_at is not None:
                    fields |= {"ScheduleType": "fixed", "SendAt": iso(send_at)}
                body = urlencode(fields).encode()
                raw = build_request("POST", f"127.0.0.1:{port}", path, body=body, auth=auth)
                status, reply = await conn.request(raw)
                if status == 201:
                    sids.append(json.loads(reply)["sid"])
                else:
                    errors[status] = errors.get(status, 0) + 1
        finally:
            conn.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return sids, time.time(), errors


def wait_callbacks(rbase: str, sent: int, delivered: int, timeout: float) -> dict[str, int]:
    """Poll the receiver until it has seen ``sent`` `sent` and ``delivered`` `delivered`
    callbacks (the previous phase's trailing callbacks must not load the next one)."""
    deadline = time.monotonic() + timeout
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        counts = httpx.get(f"{rbase}/stats", timeout=5).json()
        if counts.get("sent", 0) >= sent and counts.get("delivered", 0) >= delivered:
            break
        time.sleep(0.2)
    return counts


def start_worker(
    base: list[str], where: list[str], env: dict[str, str], log: Path, count: int
) -> tuple[list[subprocess.Popen[bytes]], float]:
    """Start ``count`` worker processes; answers them and the wall time at which the last one
    announced itself (it leases right after the announcement)."""
    out = open(log, "ab")  # noqa: SIM115 - lives as long as the processes
    before = log.read_bytes().count(b"telephonist worker")
    procs = [
        subprocess.Popen([*base, "worker", *where], env=env, stdout=out, stderr=out)
        for _ in range(count)
    ]
    deadline = time.monotonic() + 60
    while log.read_bytes().count(b"telephonist worker") < before + count:
        if time.monotonic() > deadline:
            raise SystemExit("worker processes did not start")
        time.sleep(0.005)
    return procs, time.time()


def setup(base: str, auth: tuple[str, str]) -> str:
    """Buy the senders and put them all in one service's pool: answers the service SID."""
    with httpx.Client(base_url=base, auth=auth, timeout=30) as http:
        r = http.post("/v1/Services", data={"FriendlyName": "scheduler bench"})
        r.raise_for_status()
        service = str(r.json()["sid"])
        for _ in range(SENDERS):
            r = http.post(
                f"/2010-04-01/Accounts/{auth[0]}/IncomingPhoneNumbers.json",
                data={"AreaCode": "415"},
            )
            r.raise_for_status()
            r = http.post(
                f"/v1/Services/{service}/PhoneNumbers", data={"PhoneNumberSid": r.json()["sid"]}
            )
            r.raise_for_status()
    return service


def db_date_sent(data_dir: str, sids: list[str]) -> dict[str, float]:
    """On SQLite, each message's stored date_sent (microseconds) as epoch seconds: the
    hand-over itself, which the API shows only to the second."""
    path = Path(data_dir) / "telephonist.db"
    if not path.exists():
        found = list(Path(data_dir).glob("*.db"))
        if not found:
            return {}
        path = found[0]
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT sid, date_sent FROM messages WHERE date_sent IS NOT NULL")
        wanted = set(sids)
        return {sid: at / 1e6 for sid, at in rows if sid in wanted}


def bench(args: argparse.Namespace, tmp: str) -> dict[str, Any]:
    env = server_env(
        TELEPHONIST_MPS_LONG_CODE=str(MPS),
        TELEPHONIST_SCHEDULE_MIN_SECONDS="0",
        TELEPHONIST_CLOCK="system",
    )
    with fresh_database(args.db) as db:
        return _bench(args, tmp, env, db)


def _bench(
    args: argparse.Namespace, tmp: str, env: dict[str, str], db: str | None
) -> dict[str, Any]:
    port = free_port()
    rport = free_port()
    callback = f"http://127.0.0.1:{rport}/cb"
    rbase = f"http://127.0.0.1:{rport}"
    rec = mp.Process(target=receiver, args=(rport,), daemon=True)
    rec.start()
    base_cmd = [sys.executable, "-m", "telephonist"]
    where = ["--db", db] if db else ["--data-dir", tmp]
    log = Path(tmp) / "server.log"
    out = open(log, "ab")  # noqa: SIM115 - lives as long as the process
    # With no worker of its own: the backlog is created while nothing works the queue.
    procs = [
        subprocess.Popen(
            [*base_cmd, "serve", "--port", str(port), *where, "--no-worker"],
            env=env,
            stdout=out,
            stderr=out,
        )
    ]
    result: dict[str, Any] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base)
        time.sleep(0.3)  # let the receiver bind before callbacks can arrive
        auth = (env["TELEPHONIST_ACCOUNT_SID"], env["TELEPHONIST_AUTH_TOKEN"])
        service = setup(base, auth)
        n_a, n_b = args.messages_a, args.messages_b
        backlog_to = [f"+1415555{i:04d}" for i in range(n_b)]
        b_to = [f"+1415556{i:04d}" for i in range(n_b)]
        a_to = [f"+1415557{i:04d}" for i in range(n_a)]
        expected_sent = expected_delivered = 0

        # Baseline: a backlog of unscheduled service messages, then a worker starts.
        began = time.time()
        backlog, created, errors = run(
            create_all(port, auth, service, backlog_to, callback, args.concurrency, None)
        )
        create_rate = len(backlog) / (created - began)
        workers, start = start_worker(base_cmd, where, env, log, args.workers)
        procs += workers
        expected_sent += len(backlog)
        expected_delivered += len(backlog)
        counts = wait_callbacks(rbase, expected_sent, expected_delivered, args.timeout)
        stamps: dict[str, float] = httpx.get(f"{rbase}/dump", timeout=30).json()
        drained = [stamps[s] for s in backlog if s in stamps]
        result["backlog"] = {
            "created": len(backlog),
            "create_errors": errors,
            "create_per_s": create_rate,
            "sent": len(drained),
            "seconds": (max(drained) - start) if drained else math.inf,
        }

        # Phase A: N_A messages due at one second, a few seconds ahead.
        for phase, handsets in (("a", a_to), ("b", b_to)):
            lead = 3.0 + len(handsets) / create_rate * 2.0
            send_at = math.ceil(time.time() + lead)
            sids, created, errors = run(
                create_all(port, auth, service, handsets, callback, args.concurrency, send_at)
            )
            expected_sent += len(sids)
            expected_delivered += len(sids)
            counts = wait_callbacks(
                rbase, expected_sent, expected_delivered, args.timeout + (send_at - time.time())
            )
            stamps = httpx.get(f"{rbase}/dump", timeout=30).json()
            late = [stamps[s] - send_at for s in sids if s in stamps]
            entry: dict[str, Any] = {
                "created": len(sids),
                "create_errors": errors,
                "created_before_send_at_s": send_at - created,
                "sent": len(late),
            }
            if late:
                entry |= {
                    "p50_s": statistics.median(late),
                    "p99_s": percentile(late, 0.99),
                    "max_s": max(late),
                    "min_s": min(late),
                }
            if not db:
                stored = db_date_sent(tmp, sids)
                if stored:
                    handed = [at - send_at for at in stored.values()]
                    entry["date_sent"] = {
                        "p50_s": statistics.median(handed),
                        "p99_s": percentile(handed, 0.99),
                        "max_s": max(handed),
                    }
            result[phase] = entry
        result["callbacks_by_status"] = counts
    finally:
        stop(procs)
        rec.terminate()
        rec.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages-a", type=int, default=500)
    parser.add_argument("--messages-b", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--workers", type=int, default=1, help="`telephonist worker` processes (at least 1)"
    )
    parser.add_argument("--db", default=None, help="database URL (default: SQLite file)")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers must be at least 1: the backlog is built with no worker running")
    with tempfile.TemporaryDirectory(prefix="telephonist-bench-") as tmp:
        result = bench(args, tmp)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    bl, a, b = result["backlog"], result["a"], result["b"]
    print(
        f"senders                {SENDERS} long codes at {MPS} MPS in one service; "
        f"callbacks {result['callbacks_by_status']}"
    )
    for name, entry in (("backlog", bl), ("phase A", a), ("phase B", b)):
        errors = entry["create_errors"] or "none"
        margin = entry.get("created_before_send_at_s")
        ahead = f", last create {margin:.1f} s before SendAt" if margin is not None else ""
        print(
            f"{name:<22} {entry['created']} created (errors: {errors}), "
            f"{entry['sent']} sent callbacks{ahead}"
        )
    if "p99_s" in a:
        verdict = "PASS" if a["p99_s"] <= 1.0 and a["sent"] == a["created"] else "MISS"
        print(
            f"A: SendAt -> sent cb   p50 {a['p50_s']:.3f} s   p99 {a['p99_s']:.3f} s   "
            f"max {a['max_s']:.3f} s  (target p99 <= 1 s: {verdict})"
        )
        if "date_sent" in a:
            d = a["date_sent"]
            print(
                f"A: SendAt -> date_sent p50 {d['p50_s']:.3f} s   p99 {d['p99_s']:.3f} s   "
                f"max {d['max_s']:.3f} s  (stored hand-over, for reference)"
            )
    if "max_s" in b:
        ratio = b["max_s"] / bl["seconds"]
        verdict = "PASS" if ratio <= 1.2 and b["sent"] == b["created"] else "MISS"
        print(f"B: SendAt -> last sent {b['max_s']:.2f} s   (p50 {b['p50_s']:.2f} s)")
        print(
            f"backlog: start -> last {bl['seconds']:.2f} s   (creates {bl['create_per_s']:.0f}/s)"
        )
        print(f"ratio scheduled/backlog {ratio:.2f}  (target <= 1.2: {verdict})")
        if "date_sent" in b:
            print(f"B: SendAt -> last date_sent {b['date_sent']['max_s']:.2f} s (for reference)")


if __name__ == "__main__":
    main()
