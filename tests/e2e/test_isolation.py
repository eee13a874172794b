"""One account's hanging app holds only its own share: another account's callbacks and sends
go through while it hangs, and a stopping server hands the hanging work back.

Account B's status callbacks go to a target that takes requests and never answers (with a
webhook timeout longer than the test waits, so nothing frees B's requests). Account A's
callbacks go to a healthy app. If B could take more than its share of the worker's requests or
of the connections under them, A's callbacks would wait behind B's for the whole timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from twilio.rest import Client

from telephonist.settings import Settings
from telephonist.storage.schema import tasks
from telephonist.testing import RunningServer, running_server
from tests.conftest import opened_database, sdk_client
from tests.contract.oracle import Spec
from tests.e2e.app import running_app
from tests.e2e.hanging import HangingTarget
from tests.integration.procs import wait_for

# B's share is larger than a general-purpose client's connection pool (100): the pool's
# capacity must be the worker's, or B's hanging requests would take every connection.
SHARE = 120
SLOW_MESSAGES = 160
WAIT = 30.0  # far below the webhook timeout: only isolation lets A through in time


@dataclass
class Tenant:
    sid: str
    client: Client
    number: str


def tenant(server: RunningServer, spec: Spec, name: str) -> Tenant:
    account = sdk_client(server, spec).api.v2010.accounts.create(friendly_name=name)
    client = sdk_client(server, spec, account.sid, account.auth_token)
    number = client.incoming_phone_numbers.create(area_code="415").phone_number
    return Tenant(account.sid, client, str(number))


def settings_for(db: str, data_dir: str) -> Settings:
    return Settings(
        db=db,
        data_dir=data_dir,
        webhook_timeout=120.0,
        webhook_concurrency=512,
        webhook_per_account=SHARE,
        stop_seconds=0.5,
        mps_long_code=1000.0,  # not the subject here: every message goes out at once
    )


def test_a_hanging_app_holds_only_its_share_and_is_handed_back_on_stop(
    database_url: str, tmp_path: Path, spec: Spec
) -> None:
    db_url, data_dir = database_url, str(tmp_path)
    with HangingTarget() as hanging:
        with running_server(settings_for(db_url, data_dir)) as server:
            slow, healthy = tenant(server, spec, "slow"), tenant(server, spec, "healthy")
            for i in range(SLOW_MESSAGES):
                slow.client.messages.create(
                    to=f"+1415555{i:04d}",
                    from_=slow.number,
                    body="to a hanging app",
                    status_callback=hanging.url,
                )
            wait_for(lambda: hanging.requests >= SHARE, "B's callbacks to hang", WAIT)
            with running_app(server.auth_token) as app:
                with_callbacks = [
                    healthy.client.messages.create(
                        to=f"+1415556{i:04d}",
                        from_=healthy.number,
                        body="to a healthy app",
                        status_callback=app.url("/status"),
                    ).sid
                    for i in range(10)
                ]
                plain = [
                    healthy.client.messages.create(
                        to=f"+1415557{i:04d}", from_=healthy.number, body="no callback"
                    ).sid
                    for i in range(10)
                ]

                def delivered_callbacks() -> set[str]:
                    return {
                        h.params["MessageSid"]
                        for h in app.at("/status")
                        if h.params.get("MessageStatus") == "delivered"
                    }

                wait_for(
                    lambda: delivered_callbacks() == set(with_callbacks),
                    "A's callbacks while B's hang",
                    WAIT,
                )
                wait_for(
                    lambda: all(
                        healthy.client.messages(sid).fetch().status == "delivered" for sid in plain
                    ),
                    "A's plain sends while B's callbacks hang",
                    WAIT,
                )
            # B never got more than its share running at once, and it still hangs.
            assert hanging.requests == SHARE
        # The server stopped with B's requests in flight: they were handed back, not left
        # leased until the lease runs out.
        with opened_database(db_url) as db:
            left = db.transaction(
                lambda c: list(c.execute(select(tasks.c.kind, tasks.c.lease_owner)))
            )
        assert len([k for k, _ in left if k == "webhook"]) == SLOW_MESSAGES
        assert [owner for _, owner in left if owner is not None] == []
        # Started again with the app answering, every one of B's callbacks arrives.
        hanging.answer()
        again = settings_for(db_url, data_dir).with_(
            account_sid=server.account_sid, auth_token=server.auth_token
        )
        with running_server(again):
            # Each message's callbacks (`sent`, `delivered`) are one task: all run again.
            wait_for(
                lambda: hanging.requests >= SHARE + 2 * SLOW_MESSAGES,
                "B's callbacks after the restart",
                WAIT,
            )
