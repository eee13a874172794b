"""Start-up benchmark: time until ``/healthz`` answers, and resident memory while idle.

Each run starts ``python -m telephonist serve`` on a fresh data directory (a new SQLite
database) and a free port, and measures, for that one process:

* ``healthz_s``: from spawning the process to the first ``200`` from ``GET /healthz``;
* ``cpu_s``: the CPU time (user + system) the process had used by then: on a shared machine
  it moves much less than the wall-clock figure;
* ``idle_mb``: its resident set (``VmRSS``) once it has been idle for ``--settle`` seconds;
* ``search_ms``: the first ``AvailablePhoneNumbers/US/Local`` search (``AreaCode=415``);
* ``create_ms``: the first ``Messages`` create (after buying the sender it needs);
* ``busy_mb``: its resident set after that traffic, once idle again;
* ``peak_mb``: its high-water mark (``VmHWM``) over the whole run.

``--python`` names the interpreter to start, as a command (split like a shell would): give it
more than once to compare interpreters or checkouts, e.g. a baseline before a change. Runs
alternate between them (A B A B ...) so that a machine whose speed drifts treats them alike.
Each figure is printed as median, min and max over ``--runs`` runs per interpreter.

    .venv/bin/python bench/bench_startup.py
    .venv/bin/python bench/bench_startup.py --runs 20 \\
        --python "env -u PYTHONPATH old/.venv/bin/python" --python .venv/bin/python

Linux only (``/proc/PID/status``). The child inherits this environment: ``PYTHONPATH`` included,
so clear it (``env -u PYTHONPATH ...``) for an interpreter that must import its own install.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import secrets
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

FIGURES = ("healthz_s", "cpu_s", "idle_mb", "search_ms", "create_ms", "busy_mb", "peak_mb")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from ``/proc/PID/stat``."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, field: str) -> int:
    """A ``kB`` figure from ``/proc/PID/status`` (``VmRSS``, ``VmHWM``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class Client:
    """One keep-alive connection with Basic credentials: the bench itself stays light, so that
    it does not compete with the server it is timing for the machine's cores."""

    def __init__(self, port: int, sid: str, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.auth = "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()
        self.sid = sid

    def call(self, method: str, path: str, form: dict[str, str] | None = None) -> Any:
        headers = {"Authorization": self.auth}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, f"/2010-04-01/Accounts/{self.sid}/{path}", body, headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data)

    def close(self) -> None:
        self.conn.close()


def wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll ``/healthz`` every few milliseconds until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.005)
    raise RuntimeError(f"no answer from /healthz within {timeout} s")


def one_run(command: list[str], settle: float, log: Path) -> dict[str, float]:
    port = free_port()
    sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    data_dir = tempfile.mkdtemp(prefix="telephonist-startup-")
    env = {
        **os.environ,
        "TELEPHONIST_DATA_DIR": data_dir,
        "TELEPHONIST_PORT": str(port),
        "TELEPHONIST_ACCOUNT_SID": sid,
        "TELEPHONIST_AUTH_TOKEN": token,
    }
    out = log.open("ab")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*command, "-m", "telephonist", "serve"], env=env, stdout=out, stderr=out
    )
    try:
        wait_healthy(port, proc, timeout=60)
        figures = {"healthz_s": time.perf_counter() - started, "cpu_s": cpu_seconds(proc.pid)}
        time.sleep(settle)
        figures["idle_mb"] = status_kb(proc.pid, "VmRSS") / 1024
        client = Client(port, sid, token)
        try:
            began = time.perf_counter()
            found = client.call("GET", "AvailablePhoneNumbers/US/Local.json?AreaCode=415")
            figures["search_ms"] = (time.perf_counter() - began) * 1000
            sender = found["available_phone_numbers"][0]["phone_number"]
            client.call("POST", "IncomingPhoneNumbers.json", {"PhoneNumber": sender})
            began = time.perf_counter()
            client.call(
                "POST", "Messages.json", {"From": sender, "To": "+14155550123", "Body": "hi"}
            )
            figures["create_ms"] = (time.perf_counter() - began) * 1000
        finally:
            client.close()
        time.sleep(settle)
        figures["busy_mb"] = status_kb(proc.pid, "VmRSS") / 1024
        figures["peak_mb"] = status_kb(proc.pid, "VmHWM") / 1024
        return figures
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per interpreter")
    parser.add_argument(
        "--python",
        action="append",
        help="interpreter command to start (repeatable); default: this interpreter",
    )
    parser.add_argument(
        "--settle", type=float, default=2.0, help="idle seconds before reading VmRSS"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    commands = [shlex.split(p) for p in args.python or [sys.executable]]
    log = Path(tempfile.mkdtemp(prefix="telephonist-startup-log-")) / "servers.log"
    results: list[dict[str, list[float]]] = [{f: [] for f in FIGURES} for _ in commands]
    for _ in range(args.runs):
        for command, result in zip(commands, results, strict=True):
            for name, value in one_run(command, args.settle, log).items():
                result[name].append(value)
    report = [
        {"python": shlex.join(c), **{f: summary(r[f]) for f in FIGURES}}
        for c, r in zip(commands, results, strict=True)
    ]
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{args.runs} runs each, settle {args.settle} s; median [min - max]; server log: {log}")
    for entry in report:
        print(f"\n{entry['python']}")
        for name in FIGURES:
            s = entry[name]
            print(f"  {name:10s} {s['median']:8.3f}  [{s['min']:.3f} - {s['max']:.3f}]")


if __name__ == "__main__":
    main()
