"""SIGTERM while webhooks hang: `serve` and `worker` stop within their bound, hand back what
they hold, and nothing is lost or sent twice.

Both processes share a database; every message's status callback goes to a target that takes
requests and never answers (with a webhook timeout far longer than the test). Given SIGTERM,
each process gives its requests in flight ``stop_seconds`` and then cancels them and releases
their leases, so no task is left leased, and a fresh server delivers every callback once the
target answers. The launcher's own record of hand-overs shows no message handed over twice.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import func, select

from telephonist.domain.sids import new_auth_token, new_sid
from telephonist.storage.schema import tasks
from tests.e2e.hanging import HangingTarget
from tests.integration.procs import Processes, reader, wait_for

STOP_SECONDS = 1.0
# The documented bound: stop_seconds for API requests in flight, as long again for webhook
# requests, and a little to record and close; far below the 120 s webhook timeout.
BOUND = 2 * STOP_SECONDS + 3
MESSAGES = 30


def test_sigterm_with_hanging_webhooks_stops_in_time_and_hands_back(
    database_url: str, tmp_path: Path
) -> None:
    auth = (new_sid("AC"), new_auth_token())
    env = {
        "TELEPHONIST_ACCOUNT_SID": auth[0],
        "TELEPHONIST_AUTH_TOKEN": auth[1],
        "TELEPHONIST_MPS_LONG_CODE": "100000",
        "TELEPHONIST_LOG_LEVEL": "warning",
        "TELEPHONIST_WEBHOOK_TIMEOUT": "120",
        "TELEPHONIST_STOP_SECONDS": str(STOP_SECONDS),
    }
    engine = reader(database_url)
    log = tmp_path / "handovers.log"
    try:
        with (
            HangingTarget() as hanging,
            Processes(tmp_path, env, lease_seconds=60.0, handover_log=log) as procs,
        ):
            server = procs.serve(database_url)
            worker = procs.worker(database_url)
            wait_for(
                lambda: b"telephonist worker" in worker.log_path.read_bytes(),
                "the worker to start",
                30,
                procs.tails,
            )
            with httpx.Client(base_url=server.base_url, auth=auth, timeout=30) as http:
                number = http.post(
                    f"/2010-04-01/Accounts/{auth[0]}/IncomingPhoneNumbers.json",
                    data={"AreaCode": "415"},
                ).json()["phone_number"]
                for i in range(MESSAGES):
                    created = http.post(
                        f"/2010-04-01/Accounts/{auth[0]}/Messages.json",
                        data={
                            "To": f"+1415555{i:04d}",
                            "From": number,
                            "Body": "callback to a hanging app",
                            "StatusCallback": hanging.url,
                        },
                    )
                    assert created.status_code == 201, created.text
            wait_for(
                lambda: hanging.requests >= MESSAGES, "every callback to hang", 30, procs.tails
            )
            for proc in (server, worker):
                proc.popen.send_signal(signal.SIGTERM)
            began = time.monotonic()
            for proc in (server, worker):
                remaining = BOUND - (time.monotonic() - began)
                try:
                    code = proc.popen.wait(timeout=max(remaining, 0.1))
                except Exception:
                    raise AssertionError(f"{proc.name} still running\n{procs.tails()}") from None
                # uvicorn re-raises the signal once it has shut down, as servers should.
                assert code in (0, -signal.SIGTERM), procs.tails()
            with engine.connect() as conn:
                leased = conn.execute(
                    select(func.count()).where(tasks.c.lease_owner.is_not(None))
                ).scalar_one()
                waiting = conn.execute(
                    select(func.count()).where(tasks.c.kind == "webhook")
                ).scalar_one()
            assert (leased, waiting) == (0, MESSAGES)
            # Once the app answers, a fresh server delivers each message's two callbacks.
            held = hanging.requests
            hanging.answer()
            procs.serve(database_url)

            def drained() -> bool:
                with engine.connect() as conn:
                    return (
                        conn.execute(
                            select(func.count()).select_from(tasks).where(tasks.c.kind == "webhook")
                        ).scalar_one()
                        == 0
                    )

            wait_for(drained, "the handed-back callbacks", 30, procs.tails)
            assert hanging.requests == held + 2 * MESSAGES
        total: Counter[str] = Counter()
        for by_process in procs.handovers().values():
            total.update(by_process)
        assert len(total) == MESSAGES and set(total.values()) == {1}
    finally:
        engine.dispose()
