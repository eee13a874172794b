"""The worker: lease due tasks, hand them to their handlers, record what happened.

The worker knows nothing of what a task means (that is :mod:`telephonist.dispatch.tasks`);
it leases, batches and records, and it gives each lane its own capacity:

- **send lanes** (``worker_send_lanes``): batches of carrier hand-overs and carrier timers,
  leased, worked and recorded together, so the database sees one statement per kind of write
  per batch;
- **the webhook pool**: calls to apps, streamed (a task starts as soon as there is room and is
  recorded as soon as it ends, in bulk with whatever else ended), at most
  ``webhook_concurrency`` in flight and at most ``webhook_per_account`` for any one account,
  so one account's slow or dead app holds only its own share and never delays sending; and
  at most ``webhook_per_host`` requests to one host (and port), so one dead target does not
  hold all of an account's share either.

Stopping (``stop`` set, as on SIGTERM) stops leasing at once; webhook requests in flight get
``stop_seconds`` to end, then are cancelled, and every task leased here but not recorded is
handed back (its lease released), so another worker takes it at once rather than when the
lease would have run out.

A send lane records a batch and leases the next one in the same transaction, and that
transaction also leases, for the webhook pool, the callbacks the batch has just queued (as far
as the pool has room and each account its share): a message's hand-over, its callbacks and the
next batch cost one trip through the database's writer instead of three.

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

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
_LANES = (queue.SEND_LANE, queue.WEBHOOK_LANE)


@dataclass
class _Pool:
    """The webhook pool's moving parts, shared with the send lanes that hand it work."""

    running: set[asyncio.Task[None]]
    ended: asyncio.Queue[Outcome | None]
    chains: dict[tuple[str, str], asyncio.Future[None]]  # the last task of each chain
    freed: asyncio.Event
    cancelled: list[queue.Task] = field(default_factory=list)  # cut short by a stop


def _host_of(url: object) -> str:
    """Where a webhook goes (host and port), for the per-host cap; "" when unknown."""
    if not isinstance(url, str):
        return ""
    try:
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port or ''}"
    except ValueError:
        return ""


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
        webhook_per_host: int = 256,
        stop_seconds: float = 2.0,
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
        self.webhook_per_host = max(1, webhook_per_host)
        self.stop_seconds = max(0.0, stop_seconds)
        self._waiting: dict[str, set[asyncio.Event]] = {lane: set() for lane in _LANES}
        # Counts notifications per lane, so a lane that was busy when one came does not then
        # sleep.
        self._generation: dict[str, int] = dict.fromkeys(_LANES, 0)
        self._pool: _Pool | None = None  # the webhook pool, while it runs
        self._reserved = 0  # pool room promised to a send lane's transaction in flight
        self._in_flight: Counter[str] = Counter()  # webhook tasks leased here, per account
        self._slots: dict[str, asyncio.Semaphore] = {}  # webhook requests running, per account
        self._host_slots: dict[str, tuple[asyncio.Semaphore, int]] = {}  # and per host, users
        # A claim that passes over accounts at their share scans their waiting tasks; after
        # one that found nothing else, the next waits until this moment (monotonic seconds).
        self._next_passing_over = 0.0

    def notify(self, lanes: Iterable[str] = _LANES) -> None:
        """New work may be due in ``lanes``: wake them now rather than at their next poll."""
        for lane in lanes:
            self._generation[lane] += 1
            for event in self._waiting[lane]:
                event.set()

    # -- loops -----------------------------------------------------------------------------------

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set."""
        await asyncio.gather(
            *(self._send_lane(stop) for _ in range(self.send_lanes)), self._webhook_pool(stop)
        )

    async def _idle(
        self,
        stop: asyncio.Event,
        lane: str,
        also: asyncio.Event | None = None,
        since: int | None = None,
    ) -> None:
        """Wait for a notification of ``lane`` (or ``also``), at most ``poll_seconds``; not at
        all if one came after generation ``since`` (while the caller was busy)."""
        if stop.is_set() or (since is not None and since != self._generation[lane]):
            return
        event = also or asyncio.Event()
        self._waiting[lane].add(event)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=self.poll_seconds)
        finally:
            self._waiting[lane].discard(event)
            event.clear()

    async def _send_lane(self, stop: asyncio.Event) -> None:
        carried: list[Group] | None = None  # leased by the last round's recording
        while not stop.is_set():
            generation = self._generation[queue.SEND_LANE]
            try:
                done, carried = await self._send_round(carried)
            except Exception:  # a bug or a database outage: log, back off, keep serving
                log.exception("worker iteration failed")
                done, carried = 0, None
                await asyncio.sleep(1.0)
            if not done:
                await self._idle(stop, queue.SEND_LANE, since=generation)
        if carried:
            await self._release([t for g in carried for t in g.tasks])

    async def _release(self, batch: list[queue.Task]) -> None:
        try:
            await self.db.run(queue.release, batch, self.owner)
        except Exception:  # they fall due again when their lease runs out
            log.exception("handing back %d task(s) failed", len(batch))

    async def _send_round(self, groups: list[Group] | None) -> tuple[int, list[Group] | None]:
        """Work one batch of the send lane (``groups``, or a fresh lease); answers how many
        tasks it held and the next batch, leased while recording this one."""
        if groups is None:
            groups = await self.db.run(
                self._lease, queue.SEND_LANE, to_micros(self.clock.now()), self.batch_size, {}
            )
        if not groups:
            return 0, None
        outcomes = await self._work_groups(queue.SEND_LANE, groups)
        offer = self._offer()
        try:
            lanes, following, webhooks = await self.db.run(
                self._record_round, outcomes, to_micros(self.clock.now()), offer
            )
        finally:
            if offer is not None:
                self._reserved -= offer[0]
        handed, left = self._start_webhooks(webhooks)
        if left:
            await self._release(left)
        if offer is not None and handed < offer[0]:
            # Every callback due is in the pool now: it need not look for more.
            lanes.discard(queue.WEBHOOK_LANE)
        if lanes:
            self.notify(lanes)
        # An empty lease here is no reason to sleep: work may have been created while this
        # batch was recorded, so the next round leases afresh.
        return sum(len(g.tasks) for g in groups), following or None

    def _record_round(
        self,
        conn: Connection,
        outcomes: Sequence[Outcome],
        now: int,
        offer: tuple[int, dict[str, int]] | None,
    ) -> tuple[set[str], list[Group], list[Group]]:
        """Record a send batch, lease the next one and, for the webhook pool, the callbacks
        now due: one transaction."""
        lanes = self._record(conn, outcomes, now)
        following = self._lease(conn, queue.SEND_LANE, now, self.batch_size, {})
        webhooks = self._lease(conn, queue.WEBHOOK_LANE, now, *offer) if offer else []
        return lanes, following, webhooks

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
        outcomes = await self._work_groups(lane, groups)
        lanes = await self.db.run(self._record, outcomes, to_micros(self.clock.now()))
        if lanes:
            self.notify(lanes)
        return sum(len(g.tasks) for g in groups)

    async def _work_groups(self, lane: str, groups: list[Group]) -> list[Outcome]:
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
        return outcomes

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
        ended: asyncio.Queue[Outcome | None] = asyncio.Queue()
        pool = self._pool = _Pool(set(), ended, {}, asyncio.Event())
        recorder = asyncio.create_task(self._recorder(ended))
        lane = queue.WEBHOOK_LANE
        try:
            while not stop.is_set():
                offer = self._offer()
                if offer is None:
                    # No room, or every claim now would pass over an account at its share and
                    # the last such claim found nothing: wait for work to end (or a poll).
                    await self._idle(stop, lane, pool.freed)
                    continue
                asked, in_flight = offer
                generation = self._generation[lane]
                try:
                    groups = await self.db.run(
                        self._lease, lane, to_micros(self.clock.now()), asked, in_flight
                    )
                except Exception:
                    log.exception("leasing webhooks failed")
                    groups = None
                finally:
                    self._reserved -= asked
                if groups is None:
                    await asyncio.sleep(1.0)
                    continue
                started, left = self._start_webhooks(groups)
                if left:
                    await self._release(left)
                if started < asked:
                    # Nothing more is due (for accounts below their share): lease again when
                    # new work is announced or at the next poll, not each time a request
                    # ends, which would take the database's write lock hundreds of times a
                    # second for nothing. Only an account at its share waits for its own work
                    # to end.
                    waiting_for_share = self._at_share(dict(self._in_flight))
                    await self._idle(
                        stop, lane, pool.freed if waiting_for_share else None, since=generation
                    )
        finally:
            self._pool = None
            if pool.running:
                # Requests in flight get a moment to end; the rest are cancelled and their
                # tasks handed back for another worker (or the next start) to take at once.
                _, pending = await asyncio.wait(set(pool.running), timeout=self.stop_seconds)
                for job in pending:
                    job.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
            await ended.put(None)
            await recorder
            if pool.cancelled:
                await self._release(pool.cancelled)

    def _offer(self) -> tuple[int, dict[str, int]] | None:
        """Room in the webhook pool that a send lane's transaction may lease callbacks into,
        reserved until the caller gives it back: (how many, the leases per account)."""
        pool = self._pool
        if pool is None:
            return None
        room = self.webhook_concurrency - len(pool.running) - self._reserved
        in_flight = dict(self._in_flight)
        if room <= 0 or (self._at_share(in_flight) and time.monotonic() < self._next_passing_over):
            return None
        asked = min(room, self.batch_size)
        self._reserved += asked
        return asked, in_flight

    def _start_webhooks(self, groups: list[Group]) -> tuple[int, list[queue.Task]]:
        """Start the leased webhook tasks in the pool; answers how many, and those it could
        not start (the pool stopped while they were being leased: to hand back)."""
        pool = self._pool
        started = 0
        left: list[queue.Task] = []
        for group in groups:
            for task in group.tasks:
                if pool is None:
                    left.append(task)
                    continue
                started += 1
                self._in_flight[task.partition_key or ""] += 1
                job = asyncio.create_task(self._run_webhook(pool, group, task))
                pool.running.add(job)
                job.add_done_callback(pool.running.discard)
        return started, left

    async def _run_webhook(self, pool: _Pool, group: Group, task: queue.Task) -> None:
        key = (task.kind, group.handler.chain(task))
        before = pool.chains.get(key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pool.chains[key] = mine
        account = task.partition_key or ""
        slots = self._slots.get(account)
        if slots is None:
            slots = self._slots[account] = asyncio.Semaphore(self.webhook_per_account)
        host = _host_of(task.payload.get("url"))
        host_slots, users = self._host_slots.get(host) or (
            asyncio.Semaphore(self.webhook_per_host),
            0,
        )
        self._host_slots[host] = (host_slots, users + 1)
        try:
            if before is not None:
                await before
            async with slots, host_slots:
                (done,) = await self._work(group, [task])
        except asyncio.CancelledError:
            pool.cancelled.append(task)
            raise
        finally:
            if not mine.done():
                mine.set_result(None)
            if pool.chains.get(key) is mine:
                del pool.chains[key]
            self._in_flight[account] -= 1
            if self._in_flight[account] <= 0:
                del self._in_flight[account]
                self._slots.pop(account, None)
            host_slots, users = self._host_slots[host]
            if users <= 1:
                del self._host_slots[host]
            else:
                self._host_slots[host] = (host_slots, users - 1)
            pool.freed.set()
        await pool.ended.put((group.handler, group.state, done))

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
                lanes = await self.db.run(self._record, batch, to_micros(self.clock.now()))
                if lanes:
                    self.notify(lanes)
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

    def _record(self, conn: Connection, outcomes: Sequence[Outcome], now: int) -> set[str]:
        """Record outcomes: in bulk, or one by one if the bulk write fails.

        Answers the lanes new work was queued in (so the caller wakes them).
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
            lanes = self._apply(conn, live, retried, now)
            savepoint.commit()
            return lanes
        except Exception:
            savepoint.rollback()
            log.exception("recording %d outcomes failed; recording one by one", len(live))
        owes: set[str] = set()
        for outcome in live:
            single = conn.begin_nested()
            try:
                owes |= self._apply(conn, [outcome], retried, now)
                single.commit()
            except Exception:
                single.rollback()
                log.exception("recording task %s failed; it will be retried", outcome[2].task.id)
        return owes

    def _apply(
        self, conn: Connection, outcomes: Sequence[Outcome], retried: set[int], now: int
    ) -> set[str]:
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
        owes: set[str] = set()
        for handler, state, dones in groups.values():
            handler.apply(conn, dones, state, outbox)
            refs = [d.task.ref for d in dones]
            for other in self.registry.of_lane(handler.lane):
                other.settle_due(conn, refs, outbox)
            # Written before the next kind is applied, which may read it (a receipt finds the
            # carrier reference its hand-over just recorded).
            owes |= outbox.lanes()
            outbox.flush(conn)
        return owes
