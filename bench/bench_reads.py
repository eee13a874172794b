"""Read-under-write benchmark: GET latency on the API server while a worker process drains.

`telephonist serve --no-worker` is given N messages (they stay queued: the server dispatches
nothing), then GET latency is measured twice in the same run, with the same data: first with
no worker running (the baseline), then while a separate `telephonist worker` process drains
the N messages (sends, simulated delivery, status callbacks to a local receiver). The GETs are
`Messages/{sid}.json` and `Messages.json?PageSize=20`, alternately, at a fixed rate (200/s) on
a few keep-alive connections, as a console polling the API would. Printed: p50/p99 of each,
for both phases, and the ratio loaded/baseline; on SQLite also the largest `-wal` file seen.

It drives the server through the HTTP API and the CLI only, so it runs against any checkout:
`--python` names the interpreter that runs the server processes (a baseline venv, say).

    .venv/bin/python bench/bench_reads.py
    .venv/bin/python bench/bench_reads.py --python /path/to/baseline/.venv/bin/python
    .venv/bin/python bench/bench_reads.py --db postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rawhttp import Connection, build_request, run
from bench_pipeline import (
    buy,
    create_all,
    free_port,
    fresh_database,
    percentile,
    server_env,
    start_receiver,
    stop,
    wait_healthy,
)


def launch(
    python: str, command: list[str], where: list[str], env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen(
        [python, "-m", "telephonist", *command, *where], env=env, stdout=out, stderr=out
    )


def wait_for_worker(log: Path, timeout: float = 60.0) -> None:
    """A worker announces itself once it is migrated and warm."""
    deadline = time.monotonic() + timeout
    while b"telephonist worker" not in log.read_bytes():
        if time.monotonic() > deadline:
            raise SystemExit("the worker process did not start")
        time.sleep(0.05)


async def measure_gets(
    port: int,
    auth: tuple[str, str],
    sid: str,
    connections: int,
    rate: float,
    until: Any,
    wal: Path | None,
) -> dict[str, Any]:
    """GET one message and one list page, alternately, ``rate`` requests/s in all (as a
    console that polls would), until ``until()``; latencies in ms by kind, and the largest WAL
    file seen meanwhile. A fixed rate keeps the work the GETs take from the worker the same
    whether they are answered at once or late."""
    host = f"127.0.0.1:{port}"
    base = f"/2010-04-01/Accounts/{auth[0]}/Messages"
    requests = {
        "fetch": build_request("GET", host, f"{base}/{sid}.json", auth=auth),
        "list": build_request("GET", host, f"{base}.json?PageSize=20", auth=auth),
    }
    latencies: dict[str, list[float]] = {"fetch": [], "list": []}
    errors = 0
    largest_wal = 0
    stopping = False

    async def client(offset: float) -> None:
        nonlocal errors, stopping, largest_wal
        conn = await Connection.open("127.0.0.1", port)
        interval = connections / rate
        due = time.perf_counter() + offset * interval
        try:
            while not stopping:
                for kind, raw in requests.items():
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    due += interval
                    started = time.perf_counter()
                    status, _ = await conn.request(raw)
                    latencies[kind].append((time.perf_counter() - started) * 1000)
                    if status != 200:
                        errors += 1
                if until():
                    stopping = True
                if wal is not None:
                    with contextlib.suppress(FileNotFoundError):
                        largest_wal = max(largest_wal, wal.stat().st_size)
        finally:
            conn.close()

    began = time.monotonic()
    await asyncio.gather(*(client(i / connections) for i in range(connections)))
    seconds = time.monotonic() - began
    figures: dict[str, Any] = {"seconds": seconds, "errors": errors, "largest_wal": largest_wal}
    for kind, values in latencies.items():
        figures[kind] = {
            "n": len(values),
            "p50_ms": statistics.median(values),
            "p99_ms": percentile(values, 0.99),
        }
    return figures


def bench(args: argparse.Namespace, tmp: str, env: dict[str, str]) -> dict[str, Any]:
    with fresh_database(args.db) as db:
        where = ["--db", db] if db else ["--data-dir", tmp]
        wal = None if db else Path(tmp) / "telephonist.db-wal"
        port = free_port()
        log = Path(tmp) / "server.log"
        procs = [
            launch(args.python, ["serve", "--port", str(port), "--no-worker"], where, env, log)
        ]
        try:
            wait_healthy(f"http://127.0.0.1:{port}")
            auth = (env["TELEPHONIST_ACCOUNT_SID"], env["TELEPHONIST_AUTH_TOKEN"])
            senders = buy(f"http://127.0.0.1:{port}", auth, args.senders)
            rport, rec, results = start_receiver(args.messages, args.timeout)
            starts, _, create_errors = run(
                create_all(
                    port,
                    auth,
                    senders,
                    args.messages,
                    f"http://127.0.0.1:{rport}/cb",
                    args.concurrency,
                )
            )
            sid = next(iter(starts))
            deadline = time.monotonic() + args.baseline_seconds
            baseline = run(
                measure_gets(
                    port,
                    auth,
                    sid,
                    args.connections,
                    args.rate,
                    lambda: time.monotonic() > deadline,
                    wal,
                )
            )
            worker_log = Path(tmp) / "worker.log"
            procs.append(launch(args.python, ["worker"], where, env, worker_log))
            wait_for_worker(worker_log)
            give_up = time.monotonic() + args.timeout

            def drained() -> bool:
                return not results.empty() or time.monotonic() > give_up

            loaded = run(measure_gets(port, auth, sid, args.connections, args.rate, drained, wal))
            got = results.get(timeout=args.timeout + 10)
            rec.join()
        finally:
            stop(procs)
    return {
        "messages": args.messages,
        "accepted": len(starts),
        "create_errors": create_errors,
        "delivered_callbacks": len(got["seen"]),
        "baseline": baseline,
        "under_drain": loaded,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32, help="connections that create")
    parser.add_argument("--connections", type=int, default=4, help="connections that GET")
    parser.add_argument("--rate", type=float, default=200.0, help="GETs per second, in all")
    parser.add_argument("--baseline-seconds", type=float, default=5.0)
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter that runs the telephonist processes (default: this one)",
    )
    parser.add_argument("--db", default=None, help="database URL (default: SQLite file)")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # Senders' throughput limits would pace the drain; the benchmark is about reads.
    env = server_env(TELEPHONIST_MPS_LONG_CODE="1000000")
    with tempfile.TemporaryDirectory(prefix="telephonist-bench-") as tmp:
        result = bench(args, tmp, env)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"messages               {result['accepted']} created, "
        f"{result['delivered_callbacks']} delivered while measuring "
        f"(create errors: {result['create_errors']})"
    )
    base, load = result["baseline"], result["under_drain"]
    for phase, figures in (("no worker", base), ("worker draining", load)):
        line = "  ".join(
            f"{kind} p50 {figures[kind]['p50_ms']:.1f} ms p99 {figures[kind]['p99_ms']:.1f} ms"
            for kind in ("fetch", "list")
        )
        served = (figures["fetch"]["n"] + figures["list"]["n"]) / figures["seconds"]
        print(f"{phase:<22} {line}  ({served:.0f} GETs/s, {figures['errors']} errors)")
    ratios = "  ".join(
        f"{kind} p50 x{load[kind]['p50_ms'] / base[kind]['p50_ms']:.1f} "
        f"p99 x{load[kind]['p99_ms'] / base[kind]['p99_ms']:.1f}"
        for kind in ("fetch", "list")
    )
    print(f"{'draining / no worker':<22} {ratios}")
    print(f"drain took             {load['seconds']:.1f} s")
    if load["largest_wal"]:
        print(f"largest -wal file      {load['largest_wal'] / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
