"""The dispatch seams, in-process on SQLite and PostgreSQL: hand-overs that happen once, the
per-task fallback when recording a batch fails, guarded status changes, lane shares."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Connection, insert, select

from telephonist.app import Dispatch, build_dispatch, prepare
from telephonist.clock import FakeClock, to_micros
from telephonist.dispatch import queue
from telephonist.dispatch.pipeline import Outbox, send_message
from telephonist.dispatch.tasks import Done, Handler, Registry
from telephonist.dispatch.worker import Worker
from telephonist.domain.commands import SendMessage
from telephonist.domain.sids import new_auth_token, new_sid
from telephonist.providers.simulator import store
from telephonist.providers.simulator.carrier import provider_sid
from telephonist.settings import Settings
from telephonist.storage.database import Database
from telephonist.storage.schema import incoming_numbers, messages, tasks
from tests.conftest import create_pg_database, drop_pg_database

SENDER = "+14155550171"
HANDSET = "+14155550172"


@dataclass
class Env:
    settings: Settings
    db: Database
    clock: FakeClock
    account: str

    def run(self, fn: Any, *args: Any) -> Any:
        return self.db.transaction(fn, *args)

    def now(self) -> int:
        return to_micros(self.clock.now())


@pytest.fixture
def env(backend: str, tmp_path: Any, request: pytest.FixtureRequest) -> Iterator[Env]:
    created: list[str] = []
    if backend == "sqlite":
        url = "sqlite:///" + os.path.join(str(tmp_path), "t.db")
    else:
        url = create_pg_database(request.getfixturevalue("postgres_admin_url"), created)
    settings = Settings(
        db=url, account_sid=new_sid("AC"), auth_token=new_auth_token(), clock="manual"
    )
    clock = FakeClock()
    db, account = prepare(settings, clock)
    try:
        yield Env(settings, db, clock, account.sid)
    finally:
        db.close()
        for made in created:
            drop_pg_database(made)


def own_number(env: Env, number: str) -> None:
    def work(conn: Connection) -> None:
        conn.execute(
            insert(incoming_numbers).values(
                sid=new_sid("PN"),
                account_sid=env.account,
                phone_number=number,
                friendly_name=number,
                kind="local",
                iso_country="US",
                cap_voice=True,
                cap_sms=True,
                cap_mms=True,
                cap_fax=False,
                address_requirements="none",
                origin="twilio",
                config="{}",
                date_created=env.now(),
                date_updated=env.now(),
            )
        )

    env.run(work)


def queue_message(env: Env, body: str = "hello") -> str:
    command = SendMessage(account_sid=env.account, to=HANDSET, from_=SENDER, body=body)
    row = env.run(lambda conn: send_message(conn, command, now=env.now()))
    return str(row["sid"])


def message(env: Env, sid: str) -> dict[str, Any]:
    return dict(
        env.run(lambda c: c.execute(select(messages).where(messages.c.sid == sid)).mappings().one())
    )


@contextlib.asynccontextmanager
async def dispatching(env: Env) -> Any:
    dispatch: Dispatch = build_dispatch(env.settings, env.db, env.clock)
    await dispatch.start()
    try:
        yield dispatch
    finally:
        await dispatch.close()


def test_a_lease_that_ran_out_never_hands_over_twice(env: Env) -> None:
    """A worker dies between handing a message over and recording it; the next one to take
    the task submits again with the same idempotency key, and the handset gets one copy."""
    own_number(env, SENDER)
    sid = queue_message(env)

    async def scenario() -> None:
        async with dispatching(env) as first:
            worker = first.worker
            groups = await env.db.run(
                worker._lease, queue.SEND_LANE, env.now(), worker.batch_size, {}
            )
            for group in groups:  # the hand-over happens; the recording never does
                await group.handler.work(group.tasks, group.state)
        assert message(env, sid)["status"] == "sending"
        env.clock.advance(env.settings.worker_lease_seconds + 1)
        async with dispatching(env) as second:
            await second.worker.drain()

    asyncio.run(scenario())
    row = message(env, sid)
    assert (row["status"], row["provider"], row["provider_sid"]) == (
        "delivered",
        "simulator",
        provider_sid(sid),
    )
    received = env.run(lambda conn: store.inbox(conn, HANDSET, env.account))
    assert [r["message_sid"] for r in received] == [sid]


class Probe(Handler):
    """A task kind whose recording fails for the task called ``bad``."""

    kind = "probe"
    lane = queue.SEND_LANE

    async def work(self, batch: Sequence[queue.Task], state: Any) -> list[Done]:
        return [Done(task) for task in batch]

    def apply(self, conn: Connection, results: Sequence[Done], state: Any, outbox: Outbox) -> None:
        for done in results:
            if done.task.ref == "bad":
                raise RuntimeError("cannot record this one")
            outbox.enqueue("echo", done.task.ref, outbox.now + 10**12, {})


def test_one_bad_outcome_does_not_sink_its_batch(env: Env) -> None:
    """Recording the batch fails; each outcome is then recorded alone, and only the bad one
    is left leased (due again when its lease runs out)."""
    now = env.now()
    env.run(
        lambda conn: queue.enqueue_many(
            conn,
            [
                {"kind": "probe", "ref": ref, "due_at": now, "payload": {}, "created_at": now}
                for ref in ("good-1", "bad", "good-2")
            ],
        )
    )
    worker = Worker(env.db, env.clock, Registry([Probe()]))
    assert asyncio.run(worker.run_batch(queue.SEND_LANE)) == 3
    rows = env.run(
        lambda c: list(c.execute(select(tasks.c.kind, tasks.c.ref, tasks.c.lease_owner)))
    )
    assert sorted((r.kind, r.ref) for r in rows) == [
        ("echo", "good-1"),
        ("echo", "good-2"),
        ("probe", "bad"),
    ]
    assert [r.lease_owner for r in rows if r.kind == "probe"] == [worker.owner]


def test_a_stale_status_change_writes_nothing(env: Env) -> None:
    """A change decided from a status the message has left (a late receipt, a lost lease) is
    not written: the status machine moves forward only."""
    own_number(env, SENDER)
    sid = queue_message(env)
    asyncio.run(_drain(env))
    assert message(env, sid)["status"] == "delivered"
    stale = {**message(env, sid), "status": "sent"}

    def late(conn: Connection) -> None:
        outbox = Outbox(env.now())
        assert outbox.change_status(stale, "undelivered", error_code=30003)
        outbox.flush(conn)

    env.run(late)
    assert (message(env, sid)["status"], message(env, sid)["error_code"]) == ("delivered", None)

    delivered = message(env, sid)
    assert Outbox(env.now()).change_status(delivered, "sent") is False


async def _drain(env: Env) -> None:
    async with dispatching(env) as dispatch:
        await dispatch.worker.drain()


def test_an_account_at_its_share_waits_and_sending_never_does(env: Env) -> None:
    """Leasing the webhook lane takes at most two shares of one account's backlog, passes over
    an account that holds them, and the send lane never takes webhook work at all."""
    now = env.now()
    slow, healthy = new_sid("AC"), new_sid("AC")

    def hook(account: str, n: int) -> dict[str, Any]:
        payload = {"account_sid": account, "url": "http://127.0.0.1:9/", "method": "POST"}
        return {
            "kind": queue.WEBHOOK,
            "ref": f"{account}-{n}",
            "due_at": now,
            "payload": payload,
            "created_at": now,
        }

    env.run(
        lambda conn: queue.enqueue_many(
            conn, [hook(slow, n) for n in range(10)] + [hook(healthy, n) for n in range(3)]
        )
    )
    # poll_seconds=0: no pause between claims that pass over a busy account.
    worker = Worker(env.db, env.clock, Registry(), webhook_per_account=4, poll_seconds=0)
    assert env.db.transaction(worker._lease, queue.SEND_LANE, now, 100, {}) == []
    # Nothing in flight yet: the slow account's backlog yields two shares, then the rest.
    first = env.db.transaction(worker._lease, queue.WEBHOOK_LANE, now, 100, {})
    assert first == []  # no handler registered: nothing to run, but the leases were taken
    leased = env.run(
        lambda c: list(
            c.execute(select(tasks.c.partition_key).where(tasks.c.lease_owner.is_not(None)))
        )
    )
    assert sorted(r[0] for r in leased) == sorted([slow] * 8 + [healthy] * 3)
    # With the slow account at its share, a new claim passes over its waiting tasks.
    env.run(
        lambda c: c.execute(
            tasks.update()
            .where(tasks.c.partition_key == healthy)
            .values(lease_owner=None, lease_until=None)
        )
    )
    env.db.transaction(worker._lease, queue.WEBHOOK_LANE, now, 100, {slow: 8})
    leased_now = env.run(
        lambda c: list(c.execute(select(tasks.c.partition_key, tasks.c.lease_owner)))
    )
    assert sum(1 for key, owner in leased_now if key == healthy and owner) == 3
    assert sum(1 for key, owner in leased_now if key == slow and owner) == 8


def test_payload_partition_is_the_account(env: Env) -> None:
    """Tasks about an account's messages carry the account as their partition."""
    own_number(env, SENDER)
    queue_message(env)
    rows = env.run(
        lambda c: list(c.execute(select(tasks.c.kind, tasks.c.lane, tasks.c.partition_key)))
    )
    assert [(r.kind, r.lane, r.partition_key) for r in rows] == [("send", "send", env.account)]
    assert json.loads(env.run(lambda c: c.execute(select(tasks.c.payload)).scalar())) == {
        "expired": False
    }


def test_expired_conversation_cookies_are_swept(env: Env) -> None:
    """The sweep runs on the queue's clock: an expired jar's row is removed, a live one stays,
    and the sweep queues its next run (once, however many processes started)."""
    from telephonist.storage.cookies import Conversation, save_jar
    from telephonist.storage.schema import conversation_cookies
    from telephonist.webhooks.cookies import NO_COOKIES

    now = env.now()
    url = "http://127.0.0.1:9/sms"
    short = Conversation(env.account, "+17205550181", SENDER)
    long = Conversation(env.account, "+17205550182", SENDER)
    env.run(save_jar, short, NO_COOKIES.received(url, ["a=1; Max-Age=1"], now), now)
    env.run(save_jar, long, NO_COOKIES.received(url, ["b=2"], now), now)

    async def scenario() -> None:
        async with dispatching(env), dispatching(env) as second:  # two processes start
            env.clock.advance(601)
            await second.worker.drain()

    asyncio.run(scenario())
    left = env.run(lambda c: [r.from_ for r in c.execute(select(conversation_cookies.c.from_))])
    assert left == ["+17205550182"]
    sweeps = env.run(
        lambda c: list(c.execute(select(tasks.c.due_at).where(tasks.c.kind == "sweep")))
    )
    assert [r.due_at for r in sweeps] == [env.now() + 600 * 1_000_000]


def test_expired_idempotency_keys_are_swept(env: Env) -> None:
    """The same sweep removes the idempotency keys a day old, and leaves younger ones."""
    from telephonist.storage.repositories import idempotency
    from telephonist.storage.schema import idempotency_keys

    now = env.now()
    day = 24 * 3600 * 1_000_000
    for key, at in (("old", now - day + 601 * 1_000_000), ("young", now)):
        env.run(
            lambda c, key=key, at=at: idempotency.claim(
                c, env.account, key, request_hash="h", resource="Message", now=at
            )
        )

    async def scenario() -> None:
        async with dispatching(env) as dispatch:
            env.clock.advance(601)
            await dispatch.worker.drain()

    asyncio.run(scenario())
    left = env.run(lambda c: [r.key for r in c.execute(select(idempotency_keys.c.key))])
    assert left == ["young"]


class Fanout(Handler):
    """A send-lane task kind whose recording queues three callbacks."""

    kind = "fanout"
    lane = queue.SEND_LANE

    async def work(self, batch: Sequence[queue.Task], state: Any) -> list[Done]:
        return [Done(task) for task in batch]

    def apply(self, conn: Connection, results: Sequence[Done], state: Any, outbox: Outbox) -> None:
        for done in results:
            for n in range(3):
                payload = {"account_sid": done.task.payload["account_sid"]}
                outbox.enqueue(queue.WEBHOOK, f"{done.task.ref}-{n}", outbox.now, payload)


class Gate(Handler):
    """Webhook tasks that run until the test opens the gate."""

    kind = queue.WEBHOOK
    lane = queue.WEBHOOK_LANE

    def __init__(self) -> None:
        self.started = 0
        self.open = asyncio.Event()

    async def work(self, batch: Sequence[queue.Task], state: Any) -> list[Done]:
        self.started += len(batch)
        await self.open.wait()
        return [Done(task) for task in batch]


def test_a_send_round_hands_its_callbacks_to_the_pool_within_its_room(env: Env) -> None:
    """The transaction that records a send batch also leases the callbacks it queued for the
    running webhook pool, but never more than the pool has room for."""
    now = env.now()
    env.run(
        lambda conn: queue.enqueue_many(
            conn,
            [
                {
                    "kind": "fanout",
                    "ref": "m1",
                    "due_at": now,
                    "payload": {"account_sid": env.account},
                    "created_at": now,
                }
            ],
        )
    )
    gate = Gate()
    # A poll far away: the pool leases only when told to.
    worker = Worker(
        env.db, env.clock, Registry([Fanout(), gate]), webhook_concurrency=2, poll_seconds=3600
    )

    def leased() -> list[str | None]:
        return env.run(
            lambda c: sorted(
                str(r[0])
                for r in c.execute(select(tasks.c.lease_owner).where(tasks.c.kind == "webhook"))
            )
        )

    async def scenario() -> None:
        stop = asyncio.Event()
        pool = asyncio.create_task(worker._webhook_pool(stop))
        while not worker._waiting[queue.WEBHOOK_LANE]:  # its first lease found nothing
            await asyncio.sleep(0)
        try:
            done, _ = await worker._send_round(None)
            assert done == 1
            # Before the pool has run again: the recording itself leased two of the three.
            assert leased() == sorted([worker.owner, worker.owner, "None"])
            for _ in range(10):
                await asyncio.sleep(0)
            assert gate.started == 2
            assert leased() == sorted([worker.owner, worker.owner, "None"])
        finally:
            gate.open.set()
            stop.set()
            worker.notify()
            await pool

    asyncio.run(scenario())
