"""API benchmark: Messages create against a bare endpoint of the same server, same run.

The server runs as its own process; the load generator (32 keep-alive connections on raw
asyncio, one request in flight each) runs in this one. Both endpoints are measured back to
back on the same server, and the figure that matters is their ratio, which the machine's speed
mostly cancels out of.

    .venv/bin/python bench/bench_api.py                      # SQLite, API only
    .venv/bin/python bench/bench_api.py --worker             # with the in-process worker
    .venv/bin/python bench/bench_api.py --db postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _rawhttp import Connection, build_request
from bench_pipeline import buy, free_port, fresh_database, server_env, start_processes, stop


async def load(
    port: int, make_request: object, seconds: float, concurrency: int, ok_status: int
) -> dict[str, float]:
    """Hammer for ``seconds``; answers requests/s, p50/p99 latency (ms) and errors."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    counter = itertools.count()

    async def client() -> None:
        nonlocal errors
        conn = await Connection.open("127.0.0.1", port)
        try:
            while time.monotonic() < deadline:
                raw = make_request(next(counter))  # type: ignore[operator]
                started = time.perf_counter()
                status, _ = await conn.request(raw)
                latencies.append((time.perf_counter() - started) * 1000)
                if status != ok_status:
                    errors += 1
        finally:
            conn.close()

    began = time.monotonic()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.monotonic() - began
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "errors": errors,
        "p50_ms": statistics.median(ordered),
        "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--db", default=None)
    parser.add_argument("--worker", action="store_true", help="run the in-process worker too")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # Throughput limits are the simulated carrier's business, not the API's.
    env = server_env(TELEPHONIST_MPS_LONG_CODE="1000000")
    auth = (env["TELEPHONIST_ACCOUNT_SID"], env["TELEPHONIST_AUTH_TOKEN"])
    with (
        tempfile.TemporaryDirectory(prefix="telephonist-bench-") as tmp,
        fresh_database(args.db) as db,
    ):
        port = free_port()
        procs = start_processes(
            tmp, port, env, db, 0 if args.worker else -1, Path(tmp) / "server.log"
        )
        try:
            host = f"127.0.0.1:{port}"
            senders = buy(f"http://{host}", auth, 50)
            bare = build_request("GET", host, "/healthz")
            path = f"/2010-04-01/Accounts/{auth[0]}/Messages.json"

            def create(i: int) -> bytes:
                body = urlencode(
                    {
                        "To": f"+1415555{i % 10000:04d}",
                        "From": senders[i % len(senders)],
                        "Body": f"benchmark message {i}",
                    }
                ).encode()
                return build_request("POST", host, path, body=body, auth=auth)

            results: dict[str, list[dict[str, float]]] = {"bare": [], "create": []}
            asyncio.run(load(port, lambda i: bare, 2, args.concurrency, 200))  # warm up
            asyncio.run(load(port, create, 2, args.concurrency, 201))
            for _ in range(args.rounds):
                results["bare"].append(
                    asyncio.run(load(port, lambda i: bare, args.duration, args.concurrency, 200))
                )
                results["create"].append(
                    asyncio.run(load(port, create, args.duration, args.concurrency, 201))
                )
        finally:
            stop(procs)

    def best(name: str) -> dict[str, float]:
        return max(results[name], key=lambda r: r["rps"])

    bare_r, create_r = best("bare"), best("create")
    ratio = create_r["rps"] / bare_r["rps"]
    summary = {
        "bare": bare_r,
        "create": create_r,
        "ratio": ratio,
        "backend": "postgresql" if args.db else "sqlite",
        "worker": args.worker,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(f"{'endpoint':<18}{'requests':>9}{'rps':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for label, r in (("bare /healthz", bare_r), ("Messages create", create_r)):
        print(
            f"{label:<18}{r['requests']:>9.0f}{r['rps']:>9.0f}{r['p50_ms']:>9.2f}"
            f"{r['p99_ms']:>9.2f}{r['errors']:>8.0f}"
        )
    print(
        f"ratio create/bare: {ratio:.2f} (target >= 0.35: "
        f"{'PASS' if ratio >= 0.35 else 'MISS'})   create p99: {create_r['p99_ms']:.1f} ms "
        f"(target <= 25 ms: {'PASS' if create_r['p99_ms'] <= 25 else 'MISS'})"
    )


if __name__ == "__main__":
    main()
