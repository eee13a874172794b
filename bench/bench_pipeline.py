"""End-to-end pipeline benchmark: API create -> simulated carrier -> `delivered` callback.

N messages spread over many senders are created through the REST API at 32 concurrent
connections; the simulator delivers with zero delay; a local receiver takes the status
callbacks. Printed: end-to-end messages/s (first create to last `delivered` callback), the
create rate, and p50/p99 latency from create to the `delivered` callback. A second phase
checks rate-limit accuracy: one long code, left alone for 30 s, must send 30 +/- 1.

    .venv/bin/python bench/bench_pipeline.py                 # SQLite, server + one worker process
    .venv/bin/python bench/bench_pipeline.py --workers 0     # one process: the server's own worker
    .venv/bin/python bench/bench_pipeline.py --db postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rawhttp import Connection, build_request, field, run, serve


def server_env(**extra: str) -> dict[str, str]:
    """The environment of the telephonist processes: fresh credentials, quiet logs."""
    return {
        **os.environ,
        "TELEPHONIST_ACCOUNT_SID": "AC" + secrets.token_hex(16),
        "TELEPHONIST_AUTH_TOKEN": secrets.token_hex(16),
        "TELEPHONIST_LOG_LEVEL": "warning",
        # The pipeline's own cost: every bench message is US long code to US handset, which the
        # default (warn) would flag with an alert each; A2P checks are measured on their own.
        "TELEPHONIST_A2P_ENFORCEMENT": "off",
        **extra,
    }


def start_receiver(messages: int, timeout: float) -> tuple[int, Any, Any]:
    """A callback receiver process on a free port, waiting for ``messages`` deliveries:
    answers (port, process, results queue)."""
    rport = free_port()
    results: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    rec = mp.Process(target=receiver, args=(rport, messages, "delivered", timeout, results))
    rec.start()
    time.sleep(0.5)  # let the receiver bind before callbacks can arrive
    return rport, rec, results


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_processes(
    data_dir: str, port: int, env: dict[str, str], db: str | None, workers: int, log: Path
) -> list[subprocess.Popen[bytes]]:
    base = [sys.executable, "-m", "telephonist"]
    where = ["--db", db] if db else ["--data-dir", data_dir]
    out = open(log, "ab")  # noqa: SIM115 - lives as long as the processes
    procs = [
        subprocess.Popen(
            [
                *base,
                "serve",
                "--port",
                str(port),
                *where,
                "--worker" if workers == 0 else "--no-worker",
            ],
            env=env,
            stdout=out,
            stderr=out,
        )
    ]
    wait_healthy(f"http://127.0.0.1:{port}")
    for _ in range(workers):
        procs.append(subprocess.Popen([*base, "worker", *where], env=env, stdout=out, stderr=out))
    # A worker announces itself once it is migrated and warm; a deployment under load has
    # long been past that point, so the clock starts after it.
    deadline = time.monotonic() + 60
    while log.read_bytes().count(b"telephonist worker") < workers:
        if time.monotonic() > deadline:
            raise SystemExit("worker processes did not start")
        time.sleep(0.1)
    return procs


@contextlib.contextmanager
def fresh_database(url: str | None) -> Iterator[str | None]:
    """For a PostgreSQL URL, a new empty database on that server, dropped afterwards."""
    if not url or not url.startswith("postgres"):
        yield url
        return
    import psycopg

    name = "telephonist_bench_" + secrets.token_hex(4)
    admin = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin)
    try:
        yield parts._replace(path="/" + name).geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_healthy(base: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"server at {base} did not start")


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def receiver(port: int, expected: int, status: str, timeout: float, results: mp.Queue) -> None:  # type: ignore[type-arg]
    """Runs in its own process: records when each message's ``status`` callback arrived."""
    seen: dict[str, float] = {}
    counts: dict[str, int] = {}
    done = asyncio.Event()

    def on_request(head: bytes, body: bytes) -> None:
        got = field(body, b"MessageStatus")
        counts[got] = counts.get(got, 0) + 1
        if got == status:
            seen.setdefault(field(body, b"MessageSid"), time.monotonic())
            if len(seen) >= expected:
                done.set()

    async def main() -> None:
        server = await serve("127.0.0.1", port, on_request)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout)
        server.close()

    run(main())
    results.put({"seen": seen, "counts": counts})


async def create_all(
    port: int, auth: tuple[str, str], senders: list[str], n: int, callback: str, concurrency: int
) -> tuple[dict[str, float], float, int]:
    """Create ``n`` messages; answers {sid: start time}, the create duration, errors."""
    path = f"/2010-04-01/Accounts/{auth[0]}/Messages.json"
    starts: dict[str, float] = {}
    errors = 0
    counter = iter(range(n))

    async def client() -> None:
        nonlocal errors
        conn = await Connection.open("127.0.0.1", port)
        try:
            for i in counter:
                body = urlencode(
                    {
                        "To": f"+1415555{i % 10000:04d}",
                        "From": senders[i % len(senders)],
                        "Body": f"benchmark message {i}",
                        "StatusCallback": callback,
                    }
                ).encode()
                raw = build_request("POST", f"127.0.0.1:{port}", path, body=body, auth=auth)
                started = time.monotonic()
                status, reply = await conn.request(raw)
                if status == 201:
                    starts[json.loads(reply)["sid"]] = started
                else:
                    errors += 1
        finally:
            conn.close()

    began = time.monotonic()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return starts, time.monotonic() - began, errors


def buy(base: str, auth: tuple[str, str], count: int) -> list[str]:
    numbers = []
    with httpx.Client(base_url=base, auth=auth, timeout=30) as http:
        for _ in range(count):
            r = http.post(
                f"/2010-04-01/Accounts/{auth[0]}/IncomingPhoneNumbers.json",
                data={"AreaCode": "415"},
            )
            r.raise_for_status()
            numbers.append(r.json()["phone_number"])
    return numbers


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def throughput(args: argparse.Namespace, tmp: str, env: dict[str, str]) -> dict[str, Any]:
    port = free_port()
    env = {**env, "TELEPHONIST_MPS_LONG_CODE": "1000000"}
    with fresh_database(args.db) as db:
        return _throughput(args, tmp, env, port, db)


def _throughput(
    args: argparse.Namespace, tmp: str, env: dict[str, str], port: int, db: str | None
) -> dict[str, Any]:
    procs = start_processes(tmp, port, env, db, args.workers, Path(tmp) / "server.log")
    try:
        base = f"http://127.0.0.1:{port}"
        auth = (env["TELEPHONIST_ACCOUNT_SID"], env["TELEPHONIST_AUTH_TOKEN"])
        senders = buy(base, auth, args.senders)
        rport, rec, results = start_receiver(args.messages, args.timeout)
        starts, create_seconds, errors = run(
            create_all(
                port, auth, senders, args.messages, f"http://127.0.0.1:{rport}/cb", args.concurrency
            )
        )
        got = results.get(timeout=args.timeout + 10)
        rec.join()
    finally:
        stop(procs)
    delivered: dict[str, float] = got["seen"]
    latencies = [
        (delivered[sid] - start) * 1000 for sid, start in starts.items() if sid in delivered
    ]
    first = min(starts.values())
    last = max(delivered.values()) if delivered else first
    return {
        "messages": args.messages,
        "accepted": len(starts),
        "create_errors": errors,
        "delivered_callbacks": len(delivered),
        "callbacks_by_status": got["counts"],
        "create_per_s": len(starts) / create_seconds,
        "end_to_end_per_s": len(delivered) / (last - first) if delivered else 0.0,
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p99_ms": percentile(latencies, 0.99) if latencies else None,
    }


def rate_accuracy(args: argparse.Namespace, tmp: str, env: dict[str, str]) -> dict[str, Any]:
    port = free_port()
    data = os.path.join(tmp, "rate")
    procs = start_processes(data, port, env, None, 0, Path(tmp) / "rate.log")
    try:
        base = f"http://127.0.0.1:{port}"
        auth = (env["TELEPHONIST_ACCOUNT_SID"], env["TELEPHONIST_AUTH_TOKEN"])
        sender = buy(base, auth, 1)[0]
        rport = free_port()
        results: mp.Queue = mp.Queue()  # type: ignore[type-arg]
        rec = mp.Process(target=receiver, args=(rport, 10_000, "sent", 31.0, results))
        rec.start()
        time.sleep(0.5)
        began = time.monotonic()
        with httpx.Client(base_url=base, auth=auth, timeout=30) as http:
            for i in range(45):
                http.post(
                    f"/2010-04-01/Accounts/{auth[0]}/Messages.json",
                    data={
                        "To": f"+1415556{i:04d}",
                        "From": sender,
                        "Body": "tick",
                        "StatusCallback": f"http://127.0.0.1:{rport}/cb",
                    },
                )
        got = results.get(timeout=60)
        rec.join()
    finally:
        stop(procs)
    times = sorted(got["seen"].values())
    window = [t for t in times if t - began <= 30.0]
    return {"sent_in_30s": len(window), "target": "30 +/- 1"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="`telephonist worker` processes beside the API server (0: the server's own worker)",
    )
    parser.add_argument("--db", default=None, help="database URL (default: SQLite file)")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--skip-rate", action="store_true", help="skip the 30 s rate check")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--a2p",
        choices=("off", "warn", "enforce"),
        default="off",
        help="A2P 10DLC enforcement (default off: the pipeline alone; warn adds an alert each)",
    )
    args = parser.parse_args()
    env = server_env(TELEPHONIST_A2P_ENFORCEMENT=args.a2p)
    with tempfile.TemporaryDirectory(prefix="telephonist-bench-") as tmp:
        result = {"throughput": throughput(args, tmp, env)}
        if not args.skip_rate:
            result["rate"] = rate_accuracy(args, tmp, env)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    t = result["throughput"]
    print(
        f"messages accepted      {t['accepted']} of {t['messages']} "
        f"(create errors: {t['create_errors']})"
    )
    print(f"delivered callbacks    {t['delivered_callbacks']}  {t['callbacks_by_status']}")
    print(f"create rate            {t['create_per_s']:.0f} /s")
    target = "PASS" if t["end_to_end_per_s"] >= 1000 else "MISS"
    print(
        f"end to end             {t['end_to_end_per_s']:.0f} messages/s  (target >= 1000: {target})"
    )
    if t["p50_ms"] is not None:
        print(f"create -> delivered    p50 {t['p50_ms']:.0f} ms   p99 {t['p99_ms']:.0f} ms")
    if "rate" in result:
        r = result["rate"]
        verdict = "PASS" if 29 <= r["sent_in_30s"] <= 31 else "MISS"
        print(f"one long code, 30 s    {r['sent_in_30s']} sent (target 30 +/- 1: {verdict})")


if __name__ == "__main__":
    main()
