"""kill -9 with messages scheduled: after the restart each is sent once, at its time, and the
one canceled before the kill stays canceled.

A real ``telephonist serve`` schedules messages through a Messaging Service a few seconds
ahead (the window's minimum is a setting, set to 0 here) and is SIGKILLed before they are due.
Restarted on the same database, it sends every one when it falls due: the simulated carrier
logs each hand-over exactly once, none before its ``SendAt``.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

from telephonist.domain.sids import new_auth_token, new_sid
from telephonist.storage.schema import messages
from tests.integration.procs import Processes, reader, wait_for

SCHEDULED = 12
AHEAD_SECONDS = 4
SETTLE_TIMEOUT = 60.0


def test_kill_9_with_messages_scheduled_sends_each_once_at_its_time(
    database_url: str, tmp_path: Path
) -> None:
    auth = (new_sid("AC"), new_auth_token())
    env = {
        "TELEPHONIST_ACCOUNT_SID": auth[0],
        "TELEPHONIST_AUTH_TOKEN": auth[1],
        "TELEPHONIST_LOG_LEVEL": "warning",
        "TELEPHONIST_SCHEDULE_MIN_SECONDS": "0",
        "TELEPHONIST_MPS_LONG_CODE": "100",
    }
    engine = reader(database_url)
    handover_log = tmp_path / "handovers.log"
    api = f"/2010-04-01/Accounts/{auth[0]}"
    try:
        with Processes(tmp_path, env, lease_seconds=2.0, handover_log=handover_log) as procs:
            first = procs.serve(database_url)
            with httpx.Client(base_url=first.base_url, auth=auth, timeout=30) as http:
                number = http.post(f"{api}/IncomingPhoneNumbers.json", data={"AreaCode": "415"})
                service = http.post("/v1/Services", data={"FriendlyName": "reminders"})
                mg = service.json()["sid"]
                added = http.post(
                    f"/v1/Services/{mg}/PhoneNumbers",
                    data={"PhoneNumberSid": number.json()["sid"]},
                )
                assert added.status_code == 201, added.text
                send_at = math.ceil(time.time()) + AHEAD_SECONDS
                stamp = datetime.fromtimestamp(send_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                sids = []
                for n in range(SCHEDULED):
                    response = http.post(
                        f"{api}/Messages.json",
                        data={
                            "To": f"+1415555{4000 + n:04d}",
                            "MessagingServiceSid": mg,
                            "Body": f"Reminder {n}",
                            "ScheduleType": "fixed",
                            "SendAt": stamp,
                        },
                    )
                    assert response.status_code == 201, response.text
                    assert response.json()["status"] == "scheduled"
                    sids.append(response.json()["sid"])
                canceled = http.post(f"{api}/Messages/{sids[0]}.json", data={"Status": "canceled"})
                assert canceled.json()["status"] == "canceled", canceled.text
            first.kill9()
            first.popen.wait(timeout=30)
            assert time.time() < send_at, "the kill came after the messages were due"
            procs.serve(database_url)

            def sent() -> bool:
                with engine.connect() as conn:
                    statuses = dict(
                        conn.execute(
                            select(messages.c.sid, messages.c.status).where(
                                messages.c.sid.in_(sids)
                            )
                        ).all()
                    )
                return all(statuses[sid] == "delivered" for sid in sids[1:])

            wait_for(sent, "the scheduled messages to be delivered", SETTLE_TIMEOUT, procs.tails)
            by_process = procs.handovers()
        with engine.connect() as conn:
            rows = {
                r.sid: r
                for r in conn.execute(
                    select(messages.c.sid, messages.c.status, messages.c.date_sent).where(
                        messages.c.sid.in_(sids)
                    )
                )
            }
    finally:
        engine.dispose()

    handed: Counter[str] = Counter()
    for counts in by_process.values():
        handed.update(counts)
    assert rows[sids[0]].status == "canceled" and handed[sids[0]] == 0
    assert {sid: handed[sid] for sid in sids[1:]} == dict.fromkeys(sids[1:], 1)
    assert all(rows[sid].date_sent >= send_at * 1_000_000 for sid in sids[1:])
