"""Voice benchmark: API create -> simulated handset -> three-step IVR -> `completed` callback.

End to end: N calls are created through the REST API at 32 concurrent connections, to handsets
that answer at once and press 1 (one ``CallBehavior`` for the whole range, a glob pattern).
Each call runs a three-step IVR against a local app process: the voice URL answers a
``<Gather numDigits="1">`` around a one-word ``<Say>``, the key press posts to ``/chosen``,
which answers one more ``<Say>`` (0.4 s of call time), and the end of that document hangs up.
The same app takes the ``completed`` status callbacks. Printed: the create rate, completed
calls/s (first create to last `completed` callback) and p50/p99 from create to that callback.

Baseline, on the same processes in the same run: the messaging pipeline (N messages, create to
`delivered` callback, as ``bench_pipeline.py`` measures), and the ratios calls/s / messages/s
and per-call / per-message cost (wall time, and CPU time of the telephonist processes).

Interpreter: in-process, a long document of Say/Pause/Gather verbs compiled with
``compile_voice`` and run with ``advance`` to its end, in microseconds per verb, against
``parse_document`` of the same bytes.

    .venv/bin/python bench/bench_voice.py                 # SQLite, server + one worker process
    .venv/bin/python bench/bench_voice.py --workers 0     # one process: the server's own worker
    .venv/bin/python bench/bench_voice.py --rounds 3      # baseline and calls alternated 3 times
    .venv/bin/python bench/bench_voice.py --db postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/bench_voice.py --only interpreter
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rawhttp import Connection, build_request, field, request_path, response, run, serve
from bench_pipeline import (
    buy,
    create_all,
    free_port,
    fresh_database,
    percentile,
    server_env,
    start_processes,
    start_receiver,
    stop,
)

TARGET_CALLS_PER_S = 200
HANDSETS = "+1415556"  # the called handsets: +14155560000 ... +14155569999
MENU = (
    b'<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="1" action="/chosen">'
    b"<Say>Hi</Say></Gather></Response>"
)
BYE = b'<?xml version="1.0" encoding="UTF-8"?><Response><Say>Bye</Say></Response>'
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- the app -------------------------------------------------------------------------------


def ivr_app(port: int, expected: int, timeout: float, results: mp.Queue) -> None:  # type: ignore[type-arg]
    """Runs in its own process: the IVR (``/voice``, ``/chosen``) and the status callback
    receiver (anything else), waiting for ``expected`` calls' `completed` callbacks."""
    completed: dict[str, float] = {}
    statuses: dict[str, int] = {}
    hits = {"voice": 0, "chosen": 0, "chosen_digits_1": 0}
    done = asyncio.Event()
    menu, bye = response(MENU), response(BYE)

    def on_request(head: bytes, body: bytes) -> bytes | None:
        path = request_path(head)
        if path == b"/voice":
            hits["voice"] += 1
            return menu
        if path == b"/chosen":
            hits["chosen"] += 1
            if field(body, b"Digits") == "1":
                hits["chosen_digits_1"] += 1
            return bye
        status = field(body, b"CallStatus")
        statuses[status] = statuses.get(status, 0) + 1
        if status == "completed":
            completed.setdefault(field(body, b"CallSid"), time.monotonic())
            if len(completed) >= expected:
                done.set()
        return None

    async def main() -> None:
        server = await serve("127.0.0.1", port, on_request)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout)
        server.close()

    run(main())
    results.put({"seen": completed, "counts": statuses, "hits": hits})


def start_app(calls: int, timeout: float) -> tuple[int, Any, Any]:
    aport = free_port()
    results: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    proc = mp.Process(target=ivr_app, args=(aport, calls, timeout, results))
    proc.start()
    time.sleep(0.5)  # let the app bind before the first call is answered
    return aport, proc, results


async def create_calls(
    port: int, auth: tuple[str, str], senders: list[str], n: int, app: str, concurrency: int
) -> tuple[dict[str, float], float, int]:
    """Create ``n`` calls; answers {sid: start time}, the create duration, errors."""
    path = f"/2010-04-01/Accounts/{auth[0]}/Calls.json"
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
                        "To": f"{HANDSETS}{i % 10000:04d}",
                        "From": senders[i % len(senders)],
                        "Url": f"{app}/voice",
                        "StatusCallback": f"{app}/status",
                        "StatusCallbackEvent": "completed",
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


# -- end to end ----------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> list[float]:
    """User + system CPU time used so far by each of the processes ``pids``."""
    used = []
    for pid in pids:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        used.append((int(fields[11]) + int(fields[12])) / CLOCK_TICKS)  # utime, stime
    return used


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (every process, every core) so far."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS  # all but idle and iowait


class Meter:
    """CPU time over a phase: the server's, the worker processes', the receiving app's, this
    load generator's and the whole machine's (what is left is other load on the machine)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.began = time.monotonic()
        self.own = time.process_time()
        self.machine = machine_busy()
        self.before = cpu_seconds(pids)

    def read(self, app_pid: int | None) -> dict[str, float]:
        now = cpu_seconds(self.pids)
        server = now[0] - self.before[0]
        workers = sum(now[1:]) - sum(self.before[1:])
        return {
            "wall": time.monotonic() - self.began,
            "server": server,
            "workers": workers,
            "total": server + workers,
            # The app has sent its results and is exiting (or a zombie): its times are final.
            "app": sum(cpu_seconds([app_pid])) if app_pid else 0.0,
            "client": time.process_time() - self.own,
            "machine": machine_busy() - self.machine,
        }


def figures(
    n: int, starts: dict[str, float], create_seconds: float, errors: int, got: dict[str, Any]
) -> dict[str, Any]:
    ended: dict[str, float] = got["seen"]
    latencies = [(ended[sid] - start) * 1000 for sid, start in starts.items() if sid in ended]
    first = min(starts.values()) if starts else 0.0
    last = max(ended.values()) if ended else first
    return {
        "n": n,
        "accepted": len(starts),
        "create_errors": errors,
        "done": len(ended),
        "callbacks_by_status": got["counts"],
        "create_per_s": len(starts) / create_seconds,
        "end_to_end_per_s": len(ended) / (last - first) if ended else 0.0,
        "elapsed_s": last - first,
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p99_ms": percentile(latencies, 0.99) if latencies else None,
    }


def messages_phase(ctx: dict[str, Any], n: int) -> dict[str, Any]:
    rport, rec, results = start_receiver(n, ctx["timeout"])
    meter = Meter(ctx["pids"])
    starts, create_seconds, errors = run(
        create_all(
            ctx["port"],
            ctx["auth"],
            ctx["senders"],
            n,
            f"http://127.0.0.1:{rport}/cb",
            ctx["concurrency"],
        )
    )
    got = results.get(timeout=ctx["timeout"] + 10)
    cpu = meter.read(rec.pid)
    rec.join()
    return {**figures(n, starts, create_seconds, errors, got), "cpu_s": cpu}


def calls_phase(ctx: dict[str, Any], n: int) -> dict[str, Any]:
    aport, app, results = start_app(n, ctx["timeout"])
    meter = Meter(ctx["pids"])
    starts, create_seconds, errors = run(
        create_calls(
            ctx["port"],
            ctx["auth"],
            ctx["senders"],
            n,
            f"http://127.0.0.1:{aport}",
            ctx["concurrency"],
        )
    )
    got = results.get(timeout=ctx["timeout"] + 10)
    cpu = meter.read(app.pid)
    app.join()
    return {**figures(n, starts, create_seconds, errors, got), "cpu_s": cpu, "hits": got["hits"]}


Phase = Callable[[dict[str, Any], int], dict[str, Any]]


def end_to_end(args: argparse.Namespace, tmp: str) -> list[dict[str, Any]]:
    env = {**server_env(), "TELEPHONIST_MPS_LONG_CODE": "1000000"}
    port = free_port()
    with fresh_database(args.db) as db:
        procs = start_processes(tmp, port, env, db, args.workers, Path(tmp) / "server.log")
        try:
            base = f"http://127.0.0.1:{port}"
            auth = (env["TELEPHONIST_ACCOUNT_SID"], env["TELEPHONIST_AUTH_TOKEN"])
            with httpx.Client(base_url=base, auth=auth, timeout=30) as http:
                r = http.post(
                    f"/telephonist/v1/Handsets/{HANDSETS}*/CallBehavior",
                    data={"Behavior": "answer", "AnswerAfter": "0", "Script": "press 1"},
                )
                r.raise_for_status()
            ctx = {
                "port": port,
                "auth": auth,
                "senders": buy(base, auth, args.senders),
                "pids": [p.pid for p in procs],
                "timeout": args.timeout,
                "concurrency": args.concurrency,
            }
            rounds = []
            for i in range(args.rounds):
                # Alternate which goes first: the database grows as the run goes on.
                order = ("messages", "calls") if i % 2 == 0 else ("calls", "messages")
                result: dict[str, Any] = {"order": order}
                for what in order:
                    phase: Phase = messages_phase if what == "messages" else calls_phase
                    result[what] = phase(ctx, args.calls)
                    time.sleep(1.0)  # let what the phase left (leases, WAL) settle
                rounds.append(result)
        finally:
            stop(procs)
    return rounds


# -- the interpreter -----------------------------------------------------------------------


def long_document(cycles: int) -> tuple[bytes, int]:
    """A document of ``cycles`` x (Say, Pause, Gather around a Say): answers it and its number
    of verbs (a Gather and the Say inside it count as two). No input comes, so each Gather
    times out and the document runs to its end."""
    cycle = (
        "<Say>press one for sales</Say>"
        '<Pause length="1"/>'
        '<Gather numDigits="1" timeout="2" action="/chosen"><Say>or hold</Say></Gather>'
    )
    body = '<?xml version="1.0" encoding="UTF-8"?><Response>' + cycle * cycles + "</Response>"
    return body.encode(), 4 * cycles


def interpreter(args: argparse.Namespace) -> dict[str, Any]:
    from telephonist.twiml.parse import Parsed, parse_document
    from telephonist.twiml.vocabulary import VOICE
    from telephonist.twiml.voice import Position, Program, Start, Tick, advance, compile_voice

    body, verbs = long_document(args.cycles)
    url = "http://app.invalid/voice"
    # Past 64 KiB (about 500 cycles) a webhook's answer is refused; here the size is ours.
    parsed = parse_document(body, "text/xml", vocabulary=VOICE, max_bytes=len(body))
    assert isinstance(parsed, Parsed) and not parsed.warnings
    root = parsed.root

    def parse() -> None:
        parse_document(body, "text/xml", vocabulary=VOICE, max_bytes=len(body))

    def compile_it() -> None:
        compile_voice(root, url)

    program = compile_voice(root, url)
    assert not program.warnings

    def run_to_end(program: Program = program) -> int:
        """One ``advance`` per event, as a call's steps do: the start, then each timer."""
        out = advance(program, Position(), Start(0))
        events = 1
        while out.wake_at is not None:
            out = advance(program, out.position, Tick(out.wake_at))
            events += 1
        assert out.position.done
        return events

    events = run_to_end()

    def one_tick(program: Program = program) -> None:
        """The start, then a single late tick that runs the whole document."""
        out = advance(program, Position(), Start(0))
        out = advance(program, out.position, Tick(10**15))
        assert out.position.done

    cases: dict[str, Callable[[], object]] = {
        "parse_document": parse,
        "compile_voice": compile_it,
        "advance, per event": run_to_end,
        "advance, one tick": one_tick,
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeats):
        # Interleaved, so the machine's load falls on each case alike; timed in this process's
        # CPU time, which other processes taking the cores do not inflate as they do wall time.
        for name, fn in cases.items():
            began = time.process_time()
            for _ in range(args.loops):
                fn()
            per_verb = (time.process_time() - began) / args.loops / verbs * 1e6
            samples[name].append(per_verb)
    base = samples["parse_document"]
    return {
        "verbs": verbs,
        "bytes": len(body),
        "instructions": len(program.instructions),
        "events": events,
        "us_per_verb": {
            name: {
                "median": statistics.median(s),
                "min": min(s),
                "max": max(s),
                # per repeat, against the baseline measured next to it
                "ratio_to_parse": statistics.median(v / b for v, b in zip(s, base, strict=True)),
            }
            for name, s in samples.items()
        },
    }


# -- output --------------------------------------------------------------------------------


def show_round(i: int, r: dict[str, Any]) -> dict[str, float]:
    m, c = r["messages"], r["calls"]
    print(f"round {i + 1} ({' then '.join(r['order'])})")
    for label, p, unit, status in (
        ("messages", m, "messages/s", "delivered"),
        ("calls", c, "calls/s", "completed"),
    ):
        print(
            f"  {label:9}accepted {p['accepted']} of {p['n']} (create errors {p['create_errors']}),"
            f" {status} callbacks {p['done']}  {p['callbacks_by_status']}"
        )
        print(
            f"  {'':9}create {p['create_per_s']:.0f}/s   end to end {p['end_to_end_per_s']:.0f} "
            f"{unit}   create -> {status} p50 {p['p50_ms'] or 0:.0f} ms  p99 "
            f"{p['p99_ms'] or 0:.0f} ms"
        )
        cpu = p["cpu_s"]
        each = {k: v / max(1, p["done"]) * 1e3 for k, v in cpu.items()}
        print(
            f"  {'':9}telephonist CPU per {label[:-1]} {each['total']:.2f} ms (server "
            f"{each['server']:.2f}, worker processes {each['workers']:.2f}); app "
            f"{each['app']:.2f}, load generator {each['client']:.2f}"
        )
        cores = {k: v / cpu["wall"] for k, v in cpu.items()}
        others = cores["machine"] - cores["total"] - cores["app"] - cores["client"]
        print(
            f"  {'':9}cores busy over the phase: machine {cores['machine']:.2f}, telephonist "
            f"{cores['total']:.2f} (server {cores['server']:.2f}, workers "
            f"{cores['workers']:.2f}), other load {max(0.0, others):.2f}"
        )
    hits = c["hits"]
    print(
        f"  {'':9}app: {hits['voice']} menus, {hits['chosen']} choices "
        f"({hits['chosen_digits_1']} with Digits=1)"
    )
    calls_s, msgs_s = c["end_to_end_per_s"], m["end_to_end_per_s"]
    ratio = calls_s / msgs_s if msgs_s else 0.0
    cpu_ratio = (c["cpu_s"]["total"] / max(1, c["done"])) / (
        m["cpu_s"]["total"] / max(1, m["done"])
    )
    verdict = "PASS" if calls_s >= TARGET_CALLS_PER_S else "MISS"
    print(
        f"  calls/s / messages/s {ratio:.3f}   per-call / per-message cost: wall "
        f"{1 / ratio if ratio else float('inf'):.2f}x, CPU {cpu_ratio:.2f}x   "
        f"(target >= {TARGET_CALLS_PER_S} calls/s: {verdict})"
    )
    return {"calls_s": calls_s, "msgs_s": msgs_s, "ratio": ratio, "cpu_ratio": cpu_ratio}


def show_interpreter(t: dict[str, Any]) -> None:
    print(
        f"interpreter: {t['verbs']} verbs ({t['bytes']} bytes, {t['instructions']} instructions,"
        f" {t['events']} events to the end), CPU us per verb, median [min - max] of repeats"
    )
    for name, s in t["us_per_verb"].items():
        print(
            f"  {name:20}{s['median']:7.2f} [{s['min']:.2f} - {s['max']:.2f}]   "
            f"x parse_document {s['ratio_to_parse']:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls, and baseline messages")
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="`telephonist worker` processes beside the API server (0: the server's own worker)",
    )
    parser.add_argument("--db", default=None, help="database URL (default: SQLite file)")
    parser.add_argument("--rounds", type=int, default=1, help="baseline + calls rounds, alternated")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--cycles", type=int, default=150, help="interpreter: 4 verbs each")
    parser.add_argument("--repeats", type=int, default=21, help="interpreter: samples per case")
    parser.add_argument("--loops", type=int, default=20, help="interpreter: runs per sample")
    parser.add_argument("--only", choices=("e2e", "interpreter"), default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {}
    if args.only != "interpreter":
        with tempfile.TemporaryDirectory(prefix="telephonist-bench-") as tmp:
            result["rounds"] = end_to_end(args, tmp)
    if args.only != "e2e":
        result["interpreter"] = interpreter(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    shown = [show_round(i, r) for i, r in enumerate(result.get("rounds", []))]
    if len(shown) > 1:
        print(
            f"median of {len(shown)} rounds: "
            f"{statistics.median(s['calls_s'] for s in shown):.0f} calls/s, "
            f"{statistics.median(s['msgs_s'] for s in shown):.0f} messages/s, ratio "
            f"{statistics.median(s['ratio'] for s in shown):.3f}, CPU per call / per message "
            f"{statistics.median(s['cpu_ratio'] for s in shown):.2f}x"
        )
    if "interpreter" in result:
        show_interpreter(result["interpreter"])


if __name__ == "__main__":
    main()
