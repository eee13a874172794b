"""kill -9 mid-call: every live call resumes after the restart and ends exactly once.

A real ``telephonist serve`` places calls that run a few seconds of TwiML against a real app,
and is SIGKILLed while they ring and talk, its worker holding leases. It is restarted on the
same database beside a ``telephonist worker``. Then: every call ends ``completed``; each
status event of a call is a distinct callback (initiated, ringing, answered, completed, with
sequence numbers 0-3), and a callback delivered again after the kill is the same event with
the same idempotency token (the webhook retry contract), never a second event; every
transcript is whole (no entry twice, none missing) and no call task is left behind.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import httpx
from sqlalchemy import func, select
from twilio.twiml.voice_response import VoiceResponse

from telephonist.domain.sids import new_auth_token, new_sid
from telephonist.storage.schema import call_events, calls, tasks
from tests.e2e.app import running_app
from tests.integration.procs import Processes, reader, wait_for

CALLS = 40
LEASE_SECONDS = 2.0
SETTLE_TIMEOUT = 90.0
EVENTS = ["initiated", "ringing", "in-progress", "completed"]


def test_kill_9_mid_call_resumes_every_call_and_ends_it_once(
    database_url: str, tmp_path: Path
) -> None:
    auth = (new_sid("AC"), new_auth_token())
    env = {
        "TELEPHONIST_ACCOUNT_SID": auth[0],
        "TELEPHONIST_AUTH_TOKEN": auth[1],
        "TELEPHONIST_LOG_LEVEL": "warning",
    }
    engine = reader(database_url)
    document = VoiceResponse()
    document.say("one two three four five six seven eight nine ten")  # 4 s
    document.pause(length=2)
    try:
        with (
            running_app(auth[1]) as app,
            Processes(tmp_path, env, lease_seconds=LEASE_SECONDS) as procs,
        ):
            app.on("/voice", lambda hit: str(document))
            first = procs.serve(database_url)
            api = f"/2010-04-01/Accounts/{auth[0]}"
            with httpx.Client(base_url=first.base_url, auth=auth, timeout=30) as http:
                sender = http.post(
                    f"{api}/IncomingPhoneNumbers.json", data={"AreaCode": "415"}
                ).json()["phone_number"]
                sids = []
                for n in range(CALLS):
                    response = http.post(
                        f"{api}/Calls.json",
                        data={
                            "To": f"+1415555{3000 + n:04d}",
                            "From": sender,
                            "Url": app.url("/voice"),
                            "StatusCallback": app.url("/status"),
                            "StatusCallbackEvent": "initiated ringing answered completed",
                        },
                    )
                    assert response.status_code == 201, response.text
                    sids.append(response.json()["sid"])

            def talking() -> bool:
                with engine.connect() as conn:
                    answered = conn.execute(
                        select(func.count())
                        .select_from(calls)
                        .where(calls.c.status == "in-progress")
                    ).scalar_one()
                return answered >= CALLS // 2

            # Kill while calls ring and talk: half of them answered, none over yet.
            wait_for(talking, "calls to be answered", SETTLE_TIMEOUT, procs.tails)
            first.kill9()
            first.popen.wait(timeout=30)
            procs.serve(database_url)
            procs.worker(database_url)

            def settled() -> bool:
                with engine.connect() as conn:
                    live = conn.execute(
                        select(func.count()).select_from(calls).where(calls.c.status != "completed")
                    ).scalar_one()
                    left = conn.execute(
                        select(func.count())
                        .select_from(tasks)
                        .where(tasks.c.kind.in_(["call", "webhook"]))
                    ).scalar_one()
                return live == 0 and left == 0

            wait_for(settled, "every call to end", SETTLE_TIMEOUT, procs.tails)
            hits = list(app.at("/status"))
        with engine.connect() as conn:
            transcripts: dict[str, list[tuple[int, str]]] = defaultdict(list)
            for sid, position, kind in conn.execute(
                select(call_events.c.call_sid, call_events.c.position, call_events.c.kind).order_by(
                    call_events.c.call_sid, call_events.c.position
                )
            ):
                transcripts[sid].append((position, kind))
    finally:
        engine.dispose()

    events: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for hit in hits:
        assert hit.signature_valid
        key = f"{hit.params['CallStatus']}:{hit.params['SequenceNumber']}"
        events[hit.params["CallSid"]][key].add(hit.headers["i-twilio-idempotency-token"])
    for sid in sids:
        seen = events[sid]
        assert sorted(seen, key=lambda k: int(k.split(":")[1])) == [
            f"{status}:{n}" for n, status in enumerate(EVENTS)
        ], (sid, dict(seen))
        assert all(len(tokens) == 1 for tokens in seen.values()), (sid, dict(seen))
        entries = transcripts[sid]
        assert [p for p, _ in entries] == list(range(len(entries)))
        assert [k for _, k in entries] == ["say", "pause", "hangup"], (sid, entries)
