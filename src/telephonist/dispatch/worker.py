"""The worker: lease due tasks, hand them to their handlers, record what happened.

The worker knows nothing of what a task means (that is :mod:`telephonist.dispatch.tasks`);
it leases, batches and records, and it gives each lane its own capacity:

- **send lanes** (``worker_send_lanes``): batches of carrier hand-overs and carrier timers,
  leased, worked and recorded together, so the database sees one statement per kind of write
  per batch;
- **the webhook pool**: calls to apps, streamed (a task starts as soon as there is room and is
  recorded as soon as it ends, in bulk with whatever else ended), at most
  ``webhook_concurrency`` in flight and at most ``webhook_per_account`` for any one account,
  so one account's slow or dead app holds only its own share and never delays sending.

Recording happens in one transaction per group of outcomes, after checking that the leases
still hold; if recording the group fails, each outcome is recorded on its own so one bad task
cannot sink the others. ``telephonist serve`` runs a worker inside the server process;
``telephonist worker`` runs more against the same database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from telephonist.clock import Clock, to_micros
from telephonist.dispatch import queue
from telephonist.dispatch.pipeline import Outbox
from telephonist.dispatch.tasks import Done, Registry, TaskHandler
from telephonist.storage.database import Database

log = logging.getLogger("telephonist.worker")


@dataclass
class Group:
    """Tasks of one kind leased together, with what their handler loaded for them."""

    handler: TaskHandler
    tasks: list[queue.Task]
    state: Any


Outcome = tuple[TaskHandler, Any, Done]


class Worker:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        registry: Registry,
        *,
        owner: str | None = None,
        batch_size: int = 256,
        lease_seconds: float = 60.0,
        poll_seconds: float = 0.05,
        send_lanes: int = 2,
        webhook_concurrency: int = 1024,
        webhook_per_account: int = 256,
    ) -> None:
        self.db = db
        self.clock = clock
        self.registry = registry
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.batch_size = batch_size
        self.lease = int(lease_seconds * 1_000_000)
        self.poll_seconds = poll_seconds
        self.send_lanes = max(1, send_lanes)
        self.webhook_concurrency = max(1, webhook_concurrency)
        self.webhook_per_account = max(1, webhook_per_account)
        self._waiting: set[asyncio.Event] = set()
        # Counts notifications, so a lane that was busy when one came does not then sleep.
        self._generation = 0
        self._in_flight: Counter[str] = Counter()  # webhook tasks leased here, per account
        self._slots: dict[str, asyncio.Semaphore] = {}  # webhook requests running, per account
        # A claim that passes over accounts at their share scans their waiting tasks; after
        # one that found nothing else, the next waits until this moment (monotonic seconds).
        self._next_passing_over = 0.0

    def notify(self) -> None:
        """New work may be due: wake every idle lane now rather than at its next poll."""
        self._generation += 1
        for event in self._waiting:
            event.set()

    # -- loops -----------------------------------------------------------------------------------

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set."""
        await asyncio.gather(
            *(self._send_lane(stop) for _ in range(self.send_lanes)), self._webhook_pool(stop)
        )

    async def _idle(
        self, stop: asyncio.Event, also: asyncio.Event | None = None, since: int | None = None
    ) -> None:
        """Wait for a notification (or ``also``), at most ``poll_seconds``; not at all if one
        came after generation ``since`` (while the caller was busy)."""
        if stop.is_set() or (since is not None and since != self._generation):
            return
        event = also or asyncio.Event()
        self._waiting.add(event)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=self.poll_seconds)
        finally:
            self._waiting.discard(event)
            event.clear()

    async def _send_lane(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            generation = self._generation
            try:
                done = await self.run_batch(queue.SEND_LANE)
            except Exception:  # a bug or a database outage: log, back off, keep serving
                log.exception("worker iteration failed")
                done = 0
                await asyncio.sleep(1.0)
            if not done:
                await self._idle(stop, since=generation)

    async def drain(self, limit: int = 100_000) -> int:
        """Run until nothing is due now; for simulated time, where the test owns the clock."""
        total = 0
        while total < limit:
            done = await self.run_batch(queue.SEND_LANE)
            done += await self.run_batch(queue.WEBHOOK_LANE)
            if not done:
                return total
            total += done
        return total

    async def run_batch(self, lane: str) -> int:
        """Lease one batch of ``lane``, work it, record it; answers how many tasks it held."""
        now = to_micros(self.clock.now())
        groups = await self.db.run(self._lease, lane, now, self.batch_size, {})
        if not groups:
            return 0
        outcomes: list[Outcome] = []

        async def run_group(group: Group) -> None:
            if lane == queue.SEND_LANE:
                outcomes.extend(
                    (group.handler, group.state, d) for d in await self._work(group, group.tasks)
                )
                return
            # Tasks about the same resource run in order (a message's `sent` callback goes out
            # before its `delivered` one); different resources run concurrently.
            chains: dict[str, list[queue.Task]] = {}
            for task in group.tasks:
                chains.setdefault(group.handler.chain(task), []).append(task)

            async def run_chain(chain: list[queue.Task]) -> None:
                for task in chain:
                    outcomes.extend(
                        (group.handler, group.state, d) for d in await self._work(group, [task])
                    )

            await asyncio.gather(*(run_chain(c) for c in chains.values()))

        await asyncio.gather(*(run_group(g) for g in groups))
        if await self.db.run(self._record, outcomes, to_micros(self.clock.now())):
            self.notify()
        return sum(len(g.tasks) for g in groups)

    async def _work(self, group: Group, tasks: list[queue.Task]) -> list[Done]:
        try:
            return await group.handler.work(tasks, group.state)
        except Exception:
            # Left leased: when the lease runs out the tasks are due again.
            log.exception("%d %s task(s) failed", len(tasks), group.handler.kind)
            return [Done(task, crashed=True) for task in tasks]

    async def _webhook_pool(self, stop: asyncio.Event) -> None:
        """Calls to apps, streamed: started when there is room, recorded as they end.

        Up to ``webhook_concurrency`` tasks are leased here at once and at most
        ``webhook_per_account`` requests of one account run at once; an account with twice its
        share leased is passed over by the next claims until its work drains.
        """
        running: set[asyncio.Task[None]] = set()
        ended: asyncio.Queue[Outcome | None] = asyncio.Queue()
        chains: dict[tuple[str, str], asyncio.Future[None]] = {}  # the last task of each chain
        freed = asyncio.Event()
        recorder = asyncio.create_task(self._recorder(ended))
        loop = asyncio.get_running_loop()

        async def run_one(group: Group, task: queue.Task) -> None:
            key = (task.kind, group.handler.chain(task))
            before = chains.get(key)
            mine: asyncio.Future[None] = loop.create_future()
            chains[key] = mine
            account = task.partition_key or ""
            slots = self._slots.get(account)
            if slots is None:
                slots = self._slots[account] = asyncio.Semaphore(self.webhook_per_account)
            try:
                if before is not None:
                    await before
                async with slots:
                    (done,) = await self._work(group, [task])
            finally:
                mine.set_result(None)
                if chains.get(key) is mine:
                    del chains[key]
                self._in_flight[account] -= 1
                if self._in_flight[account] <= 0:
                    del self._in_flight[account]
                    self._slots.pop(account, None)
                freed.set()
            await ended.put((group.handler, group.state, done))

        try:
            while not stop.is_set():
                room = self.webhook_concurrency - len(running)
                if room <= 0:
                    await self._idle(stop, freed)
                    continue
                in_flight = dict(self._in_flight)
                if self._at_share(in_flight) and time.monotonic() < self._next_passing_over:
                    # Every claim now would pass over an account at its share, and the last
                    # such claim found nothing: wait for work to end (or a poll) first.
                    await self._idle(stop, freed)
                    continue
                asked = min(room, self.batch_size)
                generation = self._generation
                try:
                    groups = await self.db.run(
                        self._lease,
                        queue.WEBHOOK_LANE,
                        to_micros(self.clock.now()),
                        asked,
                        in_flight,
                    )
                except Exception:
                    log.exception("leasing webhooks failed")
                    await asyncio.sleep(1.0)
                    continue
                got = 0
                for group in groups:
                    for task in group.tasks:
                        got += 1
                        self._in_flight[task.partition_key or ""] += 1
                        job = asyncio.create_task(run_one(group, task))
                        running.add(job)
                        job.add_done_callback(running.discard)
                if got < asked:
                    # Nothing more is due (for accounts below their share): lease again when
                    # new work is announced or at the next poll, not each time a request
                    # ends, which would take the database's write lock hundreds of times a
                    # second for nothing. Only an account at its share waits for its own work
                    # to end.
                    waiting_for_share = self._at_share(dict(self._in_flight))
                    await self._idle(stop, freed if waiting_for_share else None, since=generation)
        finally:
            if running:
                await asyncio.gather(*running, return_exceptions=True)
            await ended.put(None)
            await recorder

    async def _recorder(self, ended: asyncio.Queue[Outcome | None]) -> None:
        while True:
            first = await ended.get()
            if first is None:
                return
            batch = [first]
            closing = False
            while not ended.empty() and len(batch) < self.batch_size:
                item = ended.get_nowait()
                if item is None:
                    closing = True
                    break
                batch.append(item)
            try:
                if await self.db.run(self._record, batch, to_micros(self.clock.now())):
                    self.notify()
            except Exception:  # left leased: due again when the lease runs out
                log.exception("recording %d webhook outcome(s) failed", len(batch))
            if closing:
                return

    # -- leasing -------------------------------------------------------------------------------

    def _lease(
        self, conn: Connection, lane: str, now: int, limit: int, in_flight: dict[str, int]
    ) -> list[Group]:
        if lane == queue.WEBHOOK_LANE:
            tasks = self._claim_shares(conn, now, limit, in_flight)
        else:
            tasks = queue.claim(
                conn, now=now, owner=self.owner, lease_micros=self.lease, limit=limit, lane=lane
            )
        if not tasks:
            return []
        by_kind: dict[str, list[queue.Task]] = {}
        for task in tasks:
            by_kind.setdefault(task.kind, []).append(task)
        groups = []
        for kind, of_kind in by_kind.items():
            handler = self.registry.get(kind)
            if handler is None:
                # A kind this version does not know (a newer worker's): leave it leased, so
                # it waits for its lease to run out rather than spinning here.
                log.warning("no handler for %d %r task(s)", len(of_kind), kind)
                continue
            groups.append(Group(handler, of_kind, handler.load(conn, of_kind, now)))
        return groups

    def _at_share(self, in_flight: dict[str, int]) -> bool:
        return any(n >= 2 * self.webhook_per_account for a, n in in_flight.items() if a)

    def _claim_shares(
        self, conn: Connection, now: int, limit: int, in_flight: dict[str, int]
    ) -> list[queue.Task]:
        """Webhook tasks, claimed so that no account holds more than its share.

        Each claim takes at most one share (``webhook_per_account``) and passes over accounts
        that already hold two, so an account ends up with less than three shares leased here
        however much of its work is due; the rest stays in the queue for other workers or
        later.
        """
        share = self.webhook_per_account
        counts = Counter(in_flight)
        claimed: list[queue.Task] = []
        while len(claimed) < limit:
            busy = [account for account, n in counts.items() if account and n >= 2 * share]
            if busy and time.monotonic() < self._next_passing_over:
                break
            want = min(share, limit - len(claimed))
            got = queue.claim(
                conn,
                now=now,
                owner=self.owner,
                lease_micros=self.lease,
                limit=want,
                lane=queue.WEBHOOK_LANE,
                busy=busy,
            )
            claimed.extend(got)
            counts.update(task.partition_key or "" for task in got)
            if busy and len(got) < want:
                self._next_passing_over = time.monotonic() + self.poll_seconds
            if len(got) < want:
                break
        return claimed

    # -- recording -------------------------------------------------------------------------------

    def _record(self, conn: Connection, outcomes: Sequence[Outcome], now: int) -> bool:
        """Record outcomes: in bulk, or one by one if the bulk write fails.

        Answers whether new work was queued (so the caller wakes the lanes).
        """
        live = [o for o in outcomes if not o[2].crashed]
        retried: set[int] = set()
        for _, _, done in live:
            if done.retry_at is not None and queue.retry_at(
                conn, done.task, self.owner, done.retry_at
            ):
                retried.add(done.task.id)
        savepoint = conn.begin_nested()
        try:
            owes = self._apply(conn, live, retried, now)
            savepoint.commit()
            return owes
        except Exception:
            savepoint.rollback()
            log.exception("recording %d outcomes failed; recording one by one", len(live))
        owes = False
        for outcome in live:
            single = conn.begin_nested()
            try:
                owes = self._apply(conn, [outcome], retried, now) or owes
                single.commit()
            except Exception:
                single.rollback()
                log.exception("recording task %s failed; it will be retried", outcome[2].task.id)
        return owes

    def _apply(
        self, conn: Connection, outcomes: Sequence[Outcome], retried: set[int], now: int
    ) -> bool:
        finishing = [d.task for _, _, d in outcomes if d.retry_at is None]
        mine = queue.finish_many(conn, finishing, self.owner) | retried
        outbox = Outbox(now)
        groups: dict[tuple[int, int], tuple[TaskHandler, Any, list[Done]]] = {}
        # In queue order, whatever order the work ended in: a hand-over is recorded before a
        # receipt for it that was leased in the same batch.
        ordered = sorted(outcomes, key=lambda o: (o[2].task.due_at, o[2].task.id))
        for handler, state, done in ordered:
            if done.task.id not in mine:
                continue  # the lease was lost: another worker owns this outcome now
            key = (id(handler), id(state))
            groups.setdefault(key, (handler, state, []))[2].append(done)
        owes = False
        for handler, state, dones in groups.values():
            handler.apply(conn, dones, state, outbox)
            refs = [d.task.ref for d in dones]
            for other in self.registry.of_lane(handler.lane):
                other.settle_due(conn, refs, outbox)
            # Written before the next kind is applied, which may read it (a receipt finds the
            # carrier reference its hand-over just recorded).
            owes = owes or bool(outbox.tasks or outbox.callbacks)
            outbox.flush(conn)
        return owes
