"""Isolation benchmark: one account's hanging app must not slow another account down.

One `telephonist serve` (SQLite, its own worker, default webhook capacity). A healthy account
sends a round of messages with status callbacks to a fast local app and a round without
callbacks, first alone, then while another account has 500 callbacks hanging (a target that
takes requests and never answers; the webhook timeout is longer than the run). Printed, from
this one run: the healthy account's create -> `delivered` callback p50/p99 and the time until
all its plain sends are `delivered`, alone and loaded, and their ratios (targets: callback
p99 within 2x of alone, plain sends as fast as alone).

    .venv/bin/python bench/bench_isolation.py
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rawhttp import field, run, serve
from bench_pipeline import free_port, percentile, server_env, start_processes, stop


def targets(fast: int, hanging: int, results: mp.Queue) -> None:  # type: ignore[type-arg]
    """Runs in its own process: a fast app recording when each `delivered` callback came, and
    a target that holds every request it gets; reports on demand until told to stop."""
    seen: dict[str, float] = {}
    held = 0

    def on_request(head: bytes, body: bytes) -> None:
        if field(body, b"MessageStatus") == "delivered":
            seen.setdefault(field(body, b"MessageSid"), time.monotonic())

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal held
        with contextlib.suppress(Exception):
            await reader.readuntil(b"\r\n\r\n")
            held += 1
            await asyncio.Event().wait()  # never answers

    async def main() -> None:
        await serve("127.0.0.1", fast, on_request)
        await asyncio.start_server(hold, "127.0.0.1", hanging, backlog=4096)
        while True:
            results.put({"seen": dict(seen), "held": held})
            await asyncio.sleep(0.2)

    run(main())


class Targets:
    def __init__(self) -> None:
        self.fast, self.hanging = free_port(), free_port()
        self.queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
        self.proc = mp.Process(target=targets, args=(self.fast, self.hanging, self.queue))
        self.proc.start()
        self.last: dict[str, Any] = self.queue.get(timeout=30)

    def state(self) -> dict[str, Any]:
        """The latest report (drains the queue)."""
        with contextlib.suppress(Exception):
            while True:
                self.last = self.queue.get_nowait()
        return self.last

    def close(self) -> None:
        self.proc.kill()
        self.proc.join()


def subaccount(http: httpx.Client, sid: str, name: str) -> tuple[str, str]:
    r = http.post("/2010-04-01/Accounts.json", data={"FriendlyName": name})
    r.raise_for_status()
    return r.json()["sid"], r.json()["auth_token"]


def number(base: str, auth: tuple[str, str]) -> str:
    with httpx.Client(base_url=base, auth=auth, timeout=30) as http:
        r = http.post(
            f"/2010-04-01/Accounts/{auth[0]}/IncomingPhoneNumbers.json", data={"AreaCode": "415"}
        )
        r.raise_for_status()
        return str(r.json()["phone_number"])


async def round_of(
    base: str, auth: tuple[str, str], sender: str, n: int, callback: str | None, tag: int
) -> dict[str, float]:
    """Create ``n`` messages (16 at a time); answers {sid: create time}."""
    starts: dict[str, float] = {}
    counter = iter(range(n))
    async with httpx.AsyncClient(base_url=base, auth=auth, timeout=60) as http:

        async def client() -> None:
            for i in counter:
                data = {"To": f"+1415{tag:03d}{i:04d}", "From": sender, "Body": f"m{i}"}
                if callback:
                    data["StatusCallback"] = callback
                started = time.monotonic()
                r = await http.post(f"/2010-04-01/Accounts/{auth[0]}/Messages.json", data=data)
                r.raise_for_status()
                starts[r.json()["sid"]] = started

        await asyncio.gather(*(client() for _ in range(16)))
    return starts


async def all_delivered(base: str, auth: tuple[str, str], sids: list[str], timeout: float) -> float:
    """Poll until every message is `delivered`; answers when the last one was seen so."""
    pending = set(sids)
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base, auth=auth, timeout=60) as http:
        while pending and time.monotonic() < deadline:
            for sid in list(pending):
                r = await http.get(f"/2010-04-01/Accounts/{auth[0]}/Messages/{sid}.json")
                if r.json()["status"] == "delivered":
                    pending.discard(sid)
    if pending:
        raise SystemExit(f"{len(pending)} plain sends not delivered in {timeout:.0f} s")
    return time.monotonic()


def workload(
    base: str, auth: tuple[str, str], sender: str, t: Targets, n: int, tag: int
) -> dict[str, float]:
    callback = f"http://127.0.0.1:{t.fast}/cb"
    starts = run(round_of(base, auth, sender, n, callback, tag))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        seen = t.state()["seen"]
        if all(sid in seen for sid in starts):
            break
        time.sleep(0.1)
    else:
        raise SystemExit(
            "callbacks of the healthy account did not all arrive: "
            f"{len(set(seen) & set(starts))} of {len(starts)}"
        )
    latencies = [(seen[sid] - at) * 1000 for sid, at in starts.items()]
    began = time.monotonic()
    plain = run(round_of(base, auth, sender, n, None, tag + 1))
    ended = run(all_delivered(base, auth, list(plain), 120))
    return {
        "callback_p50_ms": statistics.median(latencies),
        "callback_p99_ms": percentile(latencies, 0.99),
        "plain_all_delivered_ms": (ended - began) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=200, help="per round, healthy account")
    parser.add_argument("--hanging", type=int, default=500, help="the other account's callbacks")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    env = server_env(TELEPHONIST_MPS_LONG_CODE="100000", TELEPHONIST_WEBHOOK_TIMEOUT="300")
    t = Targets()
    with tempfile.TemporaryDirectory(prefix="telephonist-bench-") as tmp:
        port = free_port()
        procs = start_processes(tmp, port, env, None, 0, Path(tmp) / "server.log")
        try:
            base = f"http://127.0.0.1:{port}"
            main_auth = (env["TELEPHONIST_ACCOUNT_SID"], env["TELEPHONIST_AUTH_TOKEN"])
            with httpx.Client(base_url=base, auth=main_auth, timeout=30) as http:
                healthy = subaccount(http, main_auth[0], "healthy")
                slow = subaccount(http, main_auth[0], "slow")
            healthy_from, slow_from = number(base, healthy), number(base, slow)
            alone = workload(base, healthy, healthy_from, t, args.messages, 100)
            hang = f"http://127.0.0.1:{t.hanging}/cb"
            run(round_of(base, slow, slow_from, args.hanging, hang, 300))
            deadline = time.monotonic() + 60
            while t.state()["held"] < 256 and time.monotonic() < deadline:
                time.sleep(0.1)
            held = t.state()["held"]
            loaded = workload(base, healthy, healthy_from, t, args.messages, 200)
            held_after = t.state()["held"]
        finally:
            stop(procs)
            t.close()
    result = {
        "alone": alone,
        "loaded": loaded,
        "hanging_requests_held": [held, held_after],
        "callback_p99_ratio": loaded["callback_p99_ms"] / alone["callback_p99_ms"],
        "plain_ratio": loaded["plain_all_delivered_ms"] / alone["plain_all_delivered_ms"],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"other account's callbacks hanging: {args.hanging} created, {held}..{held_after} held open"
    )
    print(f"{'healthy account':26}{'alone':>10}{'loaded':>10}{'ratio':>8}")
    for key, label in (
        ("callback_p50_ms", "callback p50 ms"),
        ("callback_p99_ms", "callback p99 ms"),
        ("plain_all_delivered_ms", "plain sends all ms"),
    ):
        print(f"{label:26}{alone[key]:10.0f}{loaded[key]:10.0f}{loaded[key] / alone[key]:8.2f}")
    cb = "PASS" if result["callback_p99_ratio"] <= 2.0 else "MISS"
    plain = "PASS" if result["plain_ratio"] <= 1.25 else "MISS"
    print(
        f"callback p99 within 2x of alone: {cb}   plain sends as fast as alone (<= 1.25x): {plain}"
    )


if __name__ == "__main__":
    main()
