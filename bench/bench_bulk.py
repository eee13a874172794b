"""Bulk send benchmark: 10,000 recipients over a pool of 20, killed with SIGKILL and resumed.

`telephonist serve` and one `telephonist worker` run on a fresh SQLite database (real clock).
A Messaging Service gets 20 long codes; `TELEPHONIST_MPS_LONG_CODE` (``--mps``) sets each
one's rate, so the pool sends 20 x mps messages/s. `telephonist bulk send` is given a CSV of
10,000 distinct handsets and a few bad rows (invalid numbers, duplicates, an empty `to`), with
`--rate` set to the pool's rate; once its results file has ``--kill-at`` lines the process is
killed with SIGKILL, then the same command is run again to completion.

Checked: every valid row has exactly one message on the server (every message of the account,
listed page by page, counted by `to`), the results file has one line per row, a SID for every
valid row (the SID of that row's message), and the bad rows with their codes. Rows that were
in flight at the kill (their message exists, the results file has no line for them) must come
back in the second run with the SID the server already had: a replay by Idempotency-Key.

    .venv/bin/python bench/bench_bulk.py                  # 10,000 rows, 20 numbers at 5 msg/s
    .venv/bin/python bench/bench_bulk.py --mps 10 --kill-at 2000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import free_port, server_env, start_processes, stop

# Rows that are reported, not sent: (to, the error_code the results file must show).
BAD_ROWS = [
    ("+1415", "21211"),  # too short to be a number
    ("not-a-number", "21211"),
    ("+15005550001", "21211"),  # Twilio's magic "invalid number"
    ("+14155550002", "duplicate"),  # the same handset as an earlier row
    ("+1 415 555 0003", "duplicate"),  # the same again, written another way
    ("", "missing-to"),
]


def handset(i: int) -> str:
    return f"+1415555{i:04d}"


def write_recipients(path: Path, count: int) -> tuple[dict[int, str], dict[int, str]]:
    """The CSV: ``count`` distinct handsets with the bad rows spread among them. Answers
    {row: to} of the valid rows and {row: expected error_code} of the bad ones."""
    spread = {(k + 1) * count // (len(BAD_ROWS) + 1): bad for k, bad in enumerate(BAD_ROWS)}
    valid: dict[int, str] = {}
    bad: dict[int, str] = {}
    row = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["to", "name"])
        for i in range(count):
            if i in spread:
                to, code = spread[i]
                row += 1
                writer.writerow([to, f"bad {row}"])
                bad[row] = code
            row += 1
            writer.writerow([handset(i), f"person {i}"])
            valid[row] = handset(i)
    return valid, bad


def make_service(base: str, auth: tuple[str, str], numbers: int) -> tuple[str, list[str]]:
    """A Messaging Service with ``numbers`` bought 415 long codes in its pool."""
    with httpx.Client(base_url=base, auth=auth, timeout=30) as http:
        r = http.post("/v1/Services", data={"FriendlyName": "bulk bench"})
        r.raise_for_status()
        service = str(r.json()["sid"])
        pool = []
        for _ in range(numbers):
            r = http.post(
                f"/2010-04-01/Accounts/{auth[0]}/IncomingPhoneNumbers.json",
                data={"AreaCode": "415"},
            )
            r.raise_for_status()
            number = r.json()
            http.post(
                f"/v1/Services/{service}/PhoneNumbers", data={"PhoneNumberSid": number["sid"]}
            ).raise_for_status()
            pool.append(str(number["phone_number"]))
    return service, pool


def all_messages(base: str, auth: tuple[str, str]) -> list[dict[str, Any]]:
    """Every message of the account, following ``next_page_uri`` to the last page."""
    messages: list[dict[str, Any]] = []
    uri: str | None = f"/2010-04-01/Accounts/{auth[0]}/Messages.json?PageSize=1000"
    with httpx.Client(base_url=base, auth=auth, timeout=60) as http:
        while uri:
            r = http.get(uri)
            r.raise_for_status()
            page = r.json()
            messages += page["messages"]
            uri = page.get("next_page_uri")
    return messages


def read_results(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process ``pid`` has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (every process, every core) so far."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS


def reap(proc: subprocess.Popen[bytes]) -> tuple[int, float]:
    """Wait for ``proc``: its exit status and the CPU seconds it used."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


def count_lines(path: Path) -> int:
    try:
        return max(path.read_bytes().count(b"\n") - 1, 0)  # minus the header
    except FileNotFoundError:
        return 0


class Watch:
    """Polls the results file's line count while a run goes: when the first and the last new
    line appeared, so the sending rate leaves the CLI's start-up out."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.start_lines = count_lines(path)
        self.lines = self.start_lines
        self.first: float | None = None
        self.last: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.poll()

    def poll(self) -> None:
        n = count_lines(self.path)
        if n != self.lines:
            now = time.monotonic()
            if self.first is None:
                self.first = now
            self.last = now
            self.lines = n

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def bulk_command(args: argparse.Namespace, csv_path: Path, service: str, rate: float) -> list[str]:
    return [
        sys.executable,
        "-m",
        "telephonist",
        "bulk",
        "send",
        str(csv_path),
        "--service",
        service,
        "--body",
        "Hi {name}",
        "--rate",
        f"{rate:g}",
        "--concurrency",
        str(args.concurrency),
        "--quiet",
    ]


def run_bench(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = server_env(TELEPHONIST_MPS_LONG_CODE=f"{args.mps:g}")
    auth = (env["TELEPHONIST_ACCOUNT_SID"], env["TELEPHONIST_AUTH_TOKEN"])
    procs = start_processes(str(tmp / "data"), port, env, None, 1, tmp / "server.log")
    try:
        service, pool = make_service(base, auth, args.numbers)
        pool_rate = args.numbers * args.mps
        rate = args.rate or pool_rate
        csv_path = tmp / "recipients.csv"
        results_path = tmp / "recipients.results.csv"
        valid, bad = write_recipients(csv_path, args.rows)
        command = bulk_command(args, csv_path, service, rate)
        cli_env = {**env, "TELEPHONIST_PUBLIC_URL": base}

        log = tmp / "bulk.log"
        server_pids = [p.pid for p in procs]

        def launch() -> subprocess.Popen[bytes]:
            with log.open("ab") as out:
                return subprocess.Popen(command, env=cli_env, stdout=out, stderr=out)

        # First run, killed with SIGKILL once the results file has --kill-at lines.
        began = time.monotonic()
        cpu_before = [cpu_seconds(p) for p in server_pids], machine_busy()
        watch1 = Watch(results_path)
        first = launch()
        while count_lines(results_path) < args.kill_at:
            if first.poll() is not None:
                raise SystemExit(f"the first run ended before the kill: {log.read_text()}")
            time.sleep(0.005)
        first.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        _, cli_cpu1 = reap(first)
        cpu1 = _cpu(server_pids, cpu_before, cli_cpu1, killed_at - began)
        watch1.poll()
        watch1.stop()

        # What the kill left: the rows the results file settles, and the server's messages.
        after_kill = {int(r["row"]): r for r in read_results(results_path)}
        row_of = {to: row for row, to in valid.items()}
        on_server = {m["to"]: m["sid"] for m in all_messages(base, auth)}
        unrecorded = {
            row_of[to]: sid
            for to, sid in on_server.items()
            if to in row_of and row_of[to] not in after_kill
        }
        errored = [n for n, r in after_kill.items() if r["status"] == "error"]
        sent_run1 = sum(1 for n, r in after_kill.items() if n in valid and r["sid"])

        # Second run, to completion.
        resumed = time.monotonic()
        cpu_before = [cpu_seconds(p) for p in server_pids], machine_busy()
        watch2 = Watch(results_path)
        second = launch()
        code, cli_cpu2 = reap(second)
        ended = time.monotonic()
        cpu2 = _cpu(server_pids, cpu_before, cli_cpu2, ended - resumed)
        watch2.poll()
        watch2.stop()
        if code != 0:
            raise SystemExit(f"the second run failed ({code}): {log.read_text()}")

        messages = all_messages(base, auth)
    finally:
        stop(procs)

    by_to = Counter(m["to"] for m in messages)
    sid_of = {m["to"]: m["sid"] for m in messages}
    final = read_results(results_path)
    rows = [int(r["row"]) for r in final]
    by_row = {int(r["row"]): r for r in final}
    problems: list[str] = []
    missing = [to for to in valid.values() if by_to[to] == 0]
    twice = {to: n for to, n in by_to.items() if n > 1}
    strays = [to for to in by_to if to not in row_of]
    if missing:
        problems.append(f"{len(missing)} valid rows have no message (first: {missing[:3]})")
    if twice:
        problems.append(
            f"{len(twice)} recipients have more than one message: {list(twice.items())[:3]}"
        )
    if strays:
        problems.append(f"{len(strays)} messages to recipients of no valid row: {strays[:3]}")
    if rows != sorted(set(rows)) or set(rows) != set(valid) | set(bad):
        problems.append(f"the results file has {len(rows)} lines for {len(valid) + len(bad)} rows")
    no_sid = [n for n in valid if not by_row.get(n, {}).get("sid")]
    wrong_sid = [
        n
        for n in valid
        if n in by_row and by_row[n]["sid"] and by_row[n]["sid"] != sid_of.get(valid[n])
    ]
    if no_sid:
        problems.append(
            f"{len(no_sid)} valid rows have no sid in the results (first: {no_sid[:3]})"
        )
    if wrong_sid:
        problems.append(f"{len(wrong_sid)} rows name another sid than their message's")
    bad_seen = {
        n: (by_row.get(n, {}).get("status"), by_row.get(n, {}).get("error_code")) for n in bad
    }
    for n, code in bad.items():
        if bad_seen[n] != ("rejected", code):
            problems.append(f"bad row {n}: {bad_seen[n]}, expected rejected {code}")
    replayed = [n for n, sid in unrecorded.items() if by_row.get(n, {}).get("sid") == sid]
    if len(replayed) != len(unrecorded):
        problems.append(f"{len(unrecorded) - len(replayed)} in-flight rows got a new sid on rerun")

    sent_run2 = sum(1 for n in valid if n not in after_kill or not after_kill[n]["sid"])
    return {
        "rows": len(valid) + len(bad),
        "valid_rows": len(valid),
        "bad_rows": {str(n): f"{s} {c}" for n, (s, c) in bad_seen.items()},
        "pool": len(pool),
        "mps_per_number": args.mps,
        "pool_rate": pool_rate,
        "cli_rate": rate,
        "concurrency": args.concurrency,
        "kill_at_lines": args.kill_at,
        "run1": {
            "sent": sent_run1,
            "wall_s": killed_at - began,
            "rate": _rate(sent_run1, watch1.first, killed_at),
            "cores": cpu1,
        },
        "in_flight_at_kill": len(unrecorded),
        "in_flight_replayed": len(replayed),
        "error_rows_after_kill": len(errored),
        "run2": {
            "sent": sent_run2,
            "wall_s": ended - resumed,
            "rate": _rate(sent_run2, watch2.first, watch2.last),
            "cores": cpu2,
        },
        "total_wall_s": ended - began,
        "between_runs_s": resumed - killed_at,
        "messages_on_server": len(messages),
        "statuses": dict(Counter(m["status"] for m in messages)),
        "problems": problems,
        "pass": not problems,
    }


def _cpu(
    pids: list[int], before: tuple[list[float], float], cli: float, wall: float
) -> dict[str, float]:
    """Cores kept busy over a run: the CLI, the server, the worker, the whole machine."""
    (procs, machine) = before
    server, worker = (cpu_seconds(p) - b for p, b in zip(pids, procs, strict=True))
    return {
        "cli": cli / wall,
        "server": server / wall,
        "worker": worker / wall,
        "machine": (machine_busy() - machine) / wall,
    }


def _rate(rows: int, first: float | None, last: float | None) -> float | None:
    if first is None or last is None or last <= first:
        return None
    return rows / (last - first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="valid recipients")
    parser.add_argument("--numbers", type=int, default=20, help="long codes in the pool")
    parser.add_argument("--mps", type=float, default=5.0, help="TELEPHONIST_MPS_LONG_CODE")
    parser.add_argument(
        "--rate", type=float, default=None, help="bulk --rate (default: the pool's)"
    )
    parser.add_argument("--concurrency", type=int, default=4, help="bulk --concurrency")
    parser.add_argument("--kill-at", type=int, default=3000, help="results lines before SIGKILL")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="telephonist-bench-") as tmp:
        os.makedirs(Path(tmp) / "data")
        r = run_bench(args, Path(tmp))
    if args.json:
        print(json.dumps(r, indent=2))
        return
    print(
        f"pool                   {r['pool']} long codes x {r['mps_per_number']:g} msg/s "
        f"(TELEPHONIST_MPS_LONG_CODE) = {r['pool_rate']:g} msg/s; "
        f"bulk --rate {r['cli_rate']:g}, --concurrency {r['concurrency']}"
    )
    print(f"rows                   {r['rows']} ({r['valid_rows']} valid, {len(r['bad_rows'])} bad)")
    for name in ("run1", "run2"):
        run = r[name]
        shown = f"{run['rate']:.1f} rows/s" if run["rate"] else "-"
        what = (
            f"killed (SIGKILL) at {r['kill_at_lines']} results lines"
            if name == "run1"
            else f"to the end; {r['in_flight_replayed']} of them replays"
        )
        print(
            f"{'first run' if name == 'run1' else 'second run':<22} {run['sent']} rows sent in "
            f"{run['wall_s']:.1f} s, {shown} ({what})"
        )
    for name in ("run1", "run2"):
        c = r[name]["cores"]
        print(
            f"cores busy             {name}: cli {c['cli']:.2f}, server {c['server']:.2f}, "
            f"worker {c['worker']:.2f}, machine {c['machine']:.2f} of {os.cpu_count()}"
        )
    for name in ("run1", "run2"):
        if r[name]["rate"]:
            print(f"achieved / limit       {name}: {r[name]['rate'] / r['pool_rate']:.2f}")
    print(
        f"in flight at the kill  {r['in_flight_at_kill']} rows had a message and no results line; "
        f"{r['in_flight_replayed']} came back with that same sid (replayed by key); "
        f"{r['error_rows_after_kill']} error rows retried"
    )
    print(
        f"total wall time        {r['total_wall_s']:.1f} s (first run start to second run end; "
        f"{r['between_runs_s']:.1f} s of it the bench listing the messages between the runs)"
    )
    print(f"messages on the server {r['messages_on_server']}  {r['statuses']}")
    print(f"bad rows               {r['bad_rows']}")
    for problem in r["problems"]:
        print(f"  problem: {problem}")
    print(f"every valid row sent exactly once: {'PASS' if r['pass'] else 'FAIL'}")


if __name__ == "__main__":
    main()
