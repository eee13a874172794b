"""The worker: lease due tasks, do the work, record each outcome.

One loop serves every kind of task. Database work is batched (one transaction to lease a
batch, one to record its outcomes, each outcome in its own savepoint so one bad task cannot
sink the others); network work (webhooks) runs concurrently. ``telephonist serve`` runs a
worker inside the server process; ``telephonist worker`` runs more against the same database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from telephonist.clock import Clock, to_micros
from telephonist.dispatch import queue
from telephonist.dispatch.alerts import record_alert
from telephonist.dispatch.pipeline import Outbox, price_for, queue_outbound, sender_kind
from telephonist.dispatch.ratelimit import DEFAULT_MPS
from telephonist.dispatch.retry import Backoff
from telephonist.domain.encoding import segment
from telephonist.domain.sids import new_sid
from telephonist.providers.base import Accepted, Outbound, Outcome, Provider, Rejected
from telephonist.storage.cookies import Conversation, load_jars, save_jar
from telephonist.storage.database import Database
from telephonist.storage.prepared import Prepared
from telephonist.storage.schema import (
    accounts,
    incoming_numbers,
    media,
    media_content,
    messages,
    scenario_rules,
)
from telephonist.twiml.messaging import SendReply, messaging_planner
from telephonist.twiml.parse import TwimlWarning
from telephonist.webhooks.cookies import NO_COOKIES, CookieJar
from telephonist.webhooks.delivery import Attempt, WebhookClient
from telephonist.webhooks.fetcher import fetch_twiml
from telephonist.webhooks.media import Fetched, MediaError, fetch_media

log = logging.getLogger("telephonist.worker")

_MESSAGES = Prepared(select(messages).where(messages.c.sid.in_(bindparam("sids", expanding=True))))
_MARK_SENDING = Prepared(
    update(messages)
    .where(messages.c.sid.in_(bindparam("sids", expanding=True)))
    .where(messages.c.status == "queued")
    .values(status="sending", date_updated=bindparam("now"))
)
_RULES = Prepared(select(scenario_rules.c.pattern, scenario_rules.c.scenario))
_TOKENS = Prepared(
    select(accounts.c.sid, accounts.c.auth_token).where(
        accounts.c.sid.in_(bindparam("sids", expanding=True))
    )
)


@dataclass
class Batch:
    tasks: list[queue.Task]
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    media: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # sid -> (ME, url)
    cookies: dict[Conversation, CookieJar] = field(default_factory=dict)


@dataclass
class Done:
    """The outcome of one task, recorded in the completion transaction."""

    task: queue.Task
    outcome: Outcome | None = None
    outbound: Outbound | None = None
    # Each webhook request made: its answer, the alert code it earned, the parameters sent.
    attempts: list[tuple[Attempt, int | None, list[tuple[str, str]]]] = field(default_factory=list)
    replies: list[SendReply] = field(default_factory=list)
    crashed: bool = False
    fetched: list[tuple[str, Fetched]] = field(default_factory=list)
    warnings: list[TwimlWarning] = field(default_factory=list)
    cookies: tuple[Conversation, CookieJar] | None = None  # a jar to save: the fetch changed it


class Worker:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        provider: Provider,
        webhooks: WebhookClient,
        *,
        scenario_rules: Sequence[tuple[str, str]] = (),
        owner: str | None = None,
        batch_size: int = 256,
        lease_seconds: float = 60.0,
        backoff: Backoff | None = None,
        mps: Mapping[str, float] = DEFAULT_MPS,
        poll_seconds: float = 0.05,
    ) -> None:
        self.db = db
        self.clock = clock
        self.provider = provider
        self.webhooks = webhooks
        self.config_rules = list(scenario_rules)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.batch_size = batch_size
        self.lease = int(lease_seconds * 1_000_000)
        self.backoff = backoff or Backoff()
        self.mps = mps
        self.poll_seconds = poll_seconds
        self.wake = asyncio.Event()

    # -- loop ----------------------------------------------------------------------------------

    async def run_forever(self, stop: asyncio.Event, lanes: int = 4) -> None:
        """Work until ``stop`` is set, with ``lanes`` batches in flight at once.

        While one batch waits on the network (webhooks), another can lease and record: the
        leases keep lanes from ever taking the same task.
        """
        await asyncio.gather(*(self._lane(stop) for _ in range(lanes)))

    async def _lane(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:  # a bug or a database outage: log, back off, keep serving
                log.exception("worker iteration failed")
                done = 0
                await asyncio.sleep(1.0)
            if done:
                continue
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=self.poll_seconds)

    async def drain(self, limit: int = 100_000) -> int:
        """Run until nothing is due now; for simulated time, where the test owns the clock."""
        total = 0
        while total < limit:
            done = await self.run_once()
            if not done:
                return total
            total += done
        return total

    async def run_once(self) -> int:
        now = to_micros(self.clock.now())
        batch = await self.db.run(self._lease, now)
        if not batch.tasks:
            return 0
        # Tasks about the same resource run in order (a message's `sent` callback goes out
        # before its `delivered` one); different resources run concurrently.
        chains: dict[str, list[queue.Task]] = {}
        for task in batch.tasks:
            key = f"{task.kind}:{task.ref}"
            if task.kind == queue.INBOUND:  # a conversation's texts in order: cookies carry over
                key = "inbound:" + "|".join(_conversation(task.payload))
            chains.setdefault(key, []).append(task)
        results: list[Done] = []

        async def run_chain(chain: list[queue.Task]) -> None:
            for task in chain:
                results.append(await self._work(task, batch))

        await asyncio.gather(*(run_chain(chain) for chain in chains.values()))
        await self.db.run(self._record, results, batch, to_micros(self.clock.now()))
        return len(batch.tasks)

    # -- leasing -------------------------------------------------------------------------------

    def _lease(self, conn: Connection, now: int) -> Batch:
        tasks = queue.claim(
            conn, now=now, owner=self.owner, lease_micros=self.lease, limit=self.batch_size
        )
        batch = Batch(tasks)
        if not tasks:
            return batch
        sids = [t.ref for t in tasks if t.kind in (queue.SEND, queue.RECEIPT)]
        if sids:
            batch.messages = {r["sid"]: r for r in _MESSAGES.records(conn, {"sids": sids})}
            sending = [
                t.ref
                for t in tasks
                if t.kind == queue.SEND and batch.messages.get(t.ref, {}).get("status") == "queued"
            ]
            if sending:
                _MARK_SENDING.execute(conn, {"sids": sending, "now": now})
            with_media = [sid for sid, m in batch.messages.items() if m["num_media"]]
            if with_media:
                for r in conn.execute(
                    select(media.c.sid, media.c.message_sid, media.c.source_url)
                    .where(media.c.message_sid.in_(with_media))
                    .order_by(media.c.position)
                ):
                    if r.source_url:
                        batch.media.setdefault(r.message_sid, []).append((r.sid, r.source_url))
            if hasattr(self.provider, "rules"):
                db_rules = [(r[0], r[1]) for r in _RULES.rows(conn, {})]
                self.provider.rules = [*self.config_rules, *db_rules]
        accounts_needed = {
            t.payload["account_sid"] for t in tasks if t.kind in (queue.WEBHOOK, queue.INBOUND)
        }
        if accounts_needed:
            batch.tokens = dict(_TOKENS.rows(conn, {"sids": list(accounts_needed)}))
        conversations = [_conversation(t.payload) for t in tasks if t.kind == queue.INBOUND]
        if conversations:
            batch.cookies = load_jars(conn, conversations, now)
        return batch

    # -- work (no transaction held) --------------------------------------------------------------

    async def _work(self, task: queue.Task, batch: Batch) -> Done:
        done = Done(task)
        try:
            if task.kind == queue.SEND:
                await self._submit(task, batch, done)
            elif task.kind == queue.WEBHOOK:
                await self._callback(task, batch, done)
            elif task.kind == queue.INBOUND:
                await self._inbound(task, batch, done)
        except Exception:
            # Left leased: when the lease runs out the task is due again.
            log.exception("task %s (%s) failed", task.id, task.kind)
            done.crashed = True
        return done

    async def _submit(self, task: queue.Task, batch: Batch, done: Done) -> None:
        message = batch.messages.get(task.ref)
        if message is None or message["status"] not in ("queued", "sending"):
            return
        if task.payload.get("expired"):
            return
        outbound = Outbound(
            sid=message["sid"],
            account_sid=message["account_sid"],
            from_=message["from_"],
            to=message["to"],
            body=message["body"],
            num_segments=message["num_segments"],
            num_media=message["num_media"],
            attempt=task.attempts,
        )
        done.outbound = outbound
        for media_sid, url in batch.media.get(message["sid"], []):
            try:
                done.fetched.append((media_sid, await fetch_media(self.webhooks, url)))
            except MediaError as exc:
                log.info("media %s of %s not sent: %s", url, message["sid"], exc)
                done.outcome = Rejected(exc.code, transient=False)
                return
        done.outcome = await self.provider.submit(outbound)

    async def _callback(self, task: queue.Task, batch: Batch, done: Done) -> None:
        """Post a message's status callbacks to one URL, in the order they happened."""
        p = task.payload
        token = batch.tokens.get(p["account_sid"])
        if token is None:
            return
        # A task queued by an earlier version carries one call in the payload itself.
        for call in p.get("calls") or [p]:
            params = _pairs(call["params"])
            attempt = await self.webhooks.send(
                p["url"], p["method"], params, auth_token=token, event=call["event"]
            )
            done.attempts.append((attempt, attempt.error_code, params))

    async def _inbound(self, task: queue.Task, batch: Batch, done: Done) -> None:
        """Fetch the app's TwiML (falling back, following redirects) and plan the replies."""
        p = task.payload
        token = batch.tokens.get(p["account_sid"])
        if token is None:
            return
        conversation = _conversation(p)
        jar = batch.cookies.get(conversation, NO_COOKIES)
        result = await fetch_twiml(
            self.webhooks,
            messaging_planner(p["inbound_from"], p["inbound_to"]),
            url=p["url"],
            method=p["method"],
            params=_pairs(p["params"]),
            auth_token=token,
            event=p["event"],
            now=to_micros(self.clock.now()),
            fallback_url=p.get("fallback_url"),
            fallback_method=p.get("fallback_method", "POST"),
            cookies=jar,
        )
        done.attempts = result.attempts
        done.warnings = result.warnings
        done.replies = [a for a in result.actions if isinstance(a, SendReply)]
        if result.cookies != jar:
            batch.cookies[conversation] = result.cookies  # for the conversation's next text
            done.cookies = (conversation, result.cookies)

    # -- recording ---------------------------------------------------------------------------

    def _record(self, conn: Connection, results: list[Done], batch: Batch, now: int) -> None:
        """Record a batch's outcomes: in bulk, or task by task if the bulk write fails."""
        live = [d for d in results if not d.crashed]
        retries = [(d, delay) for d in live if (delay := self._retry_delay(d)) is not None]
        for done, delay in retries:
            if queue.retry_at(conn, done.task, self.owner, now + delay):
                conn.execute(
                    update(messages)
                    .where(messages.c.sid == done.task.ref)
                    .where(messages.c.status == "sending")
                    .values(status="queued", date_updated=now)
                )
        retried = {id(d) for d, _ in retries}
        finishing = [d for d in live if id(d) not in retried]
        savepoint = conn.begin_nested()
        try:
            self._record_bulk(conn, finishing, batch, now)
            savepoint.commit()
            return
        except Exception:
            savepoint.rollback()
            log.exception("bulk recording failed; recording task by task")
        for done in finishing:
            single = conn.begin_nested()
            try:
                self._record_bulk(conn, [done], batch, now)
                single.commit()
            except Exception:
                single.rollback()
                log.exception("recording task %s failed; it will be retried", done.task.id)

    def _record_bulk(self, conn: Connection, results: list[Done], batch: Batch, now: int) -> None:
        mine = queue.finish_many(conn, (d.task for d in results), self.owner)
        outbox = Outbox(now)
        handed_over: list[tuple[Outbound, Outcome]] = []
        for done in results:
            if done.task.id not in mine:
                continue  # the lease was lost: another worker owns this outcome now
            self._apply(conn, done, batch, outbox, handed_over)
        if handed_over:
            self.provider.record(conn, handed_over, now)
        outbox.flush(conn)

    def _retry_delay(self, done: Done) -> int | None:
        """Microseconds until a transiently rejected send is tried again; None: no retry."""
        outcome = done.outcome
        if (
            done.task.kind == queue.SEND
            and isinstance(outcome, Rejected)
            and outcome.transient
            and not self.backoff.gives_up(done.task.attempts)
        ):
            return int(self.backoff.delay(done.task.attempts) * 1_000_000)
        return None

    def _apply(
        self,
        conn: Connection,
        done: Done,
        batch: Batch,
        outbox: Outbox,
        handed_over: list[tuple[Outbound, Outcome]],
    ) -> None:
        task = done.task
        now = outbox.now
        if task.kind == queue.SEND:
            self._apply_send(conn, done, batch, outbox, handed_over)
        elif task.kind == queue.RECEIPT:
            message = batch.messages.get(task.ref)
            if message is not None and message["status"] == "sent":
                outbox.change_status(
                    message, task.payload["status"], error_code=task.payload.get("error_code")
                )
        elif task.kind in (queue.WEBHOOK, queue.INBOUND):
            account = task.payload["account_sid"]
            for attempt, code, params in done.attempts:
                if code is not None:
                    record_alert(
                        conn,
                        account_sid=account,
                        code=code,
                        now=now,
                        resource_sid=task.ref,
                        attempt=attempt,
                        params=params,
                    )
            for code, detail in done.warnings:
                record_alert(
                    conn,
                    account_sid=account,
                    code=code,
                    now=now,
                    resource_sid=task.ref,
                    text=detail,
                )
            if done.cookies is not None:
                save_jar(conn, *done.cookies, now)
            for reply in done.replies:
                create_reply(conn, account, reply, now, mps=self.mps)

    def _apply_send(
        self,
        conn: Connection,
        done: Done,
        batch: Batch,
        outbox: Outbox,
        handed_over: list[tuple[Outbound, Outcome]],
    ) -> None:
        message = batch.messages.get(done.task.ref)
        if message is None or message["status"] not in ("queued", "sending"):
            return
        now = outbox.now
        if (
            done.outcome is None
            or done.outbound is None
            or now > message["date_created"] + message["validity_period"] * 1_000_000
        ):
            # Expired in the queue (or marked so when queued): Twilio's queue overflow.
            outbox.change_status(message, "failed", error_code=30001)
            return
        outcome = done.outcome
        if isinstance(outcome, Accepted):
            handed_over.append((done.outbound, outcome))
            for media_sid, item in done.fetched:
                conn.execute(
                    update(media)
                    .where(media.c.sid == media_sid)
                    .values(content_type=item.content_type, date_updated=now)
                )
                conn.execute(
                    insert(media_content).values(media_sid=media_sid, content=item.content)
                )
            price = price_for(message["num_segments"])
            outbox.change_status(message, "sent", date_sent=now, price=price)
            if outcome.receipt_status is not None and outcome.receipt_after <= 0:
                # An immediate receipt needs no timer: record it with the hand-over.
                sent = {**message, "status": "sent", "date_sent": now, "price": price}
                outbox.change_status(sent, outcome.receipt_status, error_code=outcome.receipt_error)
            elif outcome.receipt_status is not None:
                outbox.enqueue(
                    queue.RECEIPT,
                    message["sid"],
                    now + int(outcome.receipt_after * 1_000_000),
                    {"status": outcome.receipt_status, "error_code": outcome.receipt_error},
                )
        else:
            outbox.change_status(message, "failed", error_code=outcome.code)


def _conversation(payload: dict[str, Any]) -> Conversation:
    """An inbound task's conversation: whose cookies its webhooks carry."""
    return Conversation(payload["account_sid"], payload["inbound_from"], payload["inbound_to"])


def _pairs(raw: Any) -> list[tuple[str, str]]:
    """Stored parameters (JSON lists of two strings) as pairs."""
    return [(k, v) for k, v in raw]


def create_reply(
    conn: Connection,
    account_sid: str,
    reply: SendReply,
    now: int,
    *,
    mps: Mapping[str, float] = DEFAULT_MPS,
) -> str | None:
    """A TwiML ``<Message>`` becomes an outbound-reply message, through the one create path."""
    number = conn.execute(
        select(incoming_numbers.c.kind, incoming_numbers.c.cap_sms)
        .where(incoming_numbers.c.account_sid == account_sid)
        .where(incoming_numbers.c.phone_number == reply.from_)
    ).first()
    if number is None or not number.cap_sms:
        record_alert(
            conn,
            account_sid=account_sid,
            code=21606,
            now=now,
            resource_sid=None,
            text=f"<Message> from {reply.from_}, which this account cannot send from",
        )
        return None
    seg = segment(reply.body)
    sid = new_sid("MM" if reply.media_urls else "SM")
    options: dict[str, Any] = {}
    if reply.action:
        options["_callback_method"] = reply.method
    row = {
        "sid": sid,
        "account_sid": account_sid,
        "direction": "outbound-reply",
        "from_": reply.from_,
        "to": reply.to,
        "body": reply.body,
        "status": "queued",
        "encoding": seg.encoding,
        "num_segments": max(seg.num_segments, 1),
        "num_media": len(reply.media_urls),
        "error_code": None,
        "error_message": None,
        "price": None,
        "price_unit": "USD",
        "messaging_service_sid": None,
        "status_callback": reply.action,
        "validity_period": 36_000,
        "options": json.dumps(options),
        "date_created": now,
        "date_updated": now,
        "date_sent": None,
    }
    media_rows = [
        {
            "sid": new_sid("ME"),
            "message_sid": sid,
            "account_sid": account_sid,
            "content_type": "application/octet-stream",
            "source_url": url,
            "position": i,
            "date_created": now,
            "date_updated": now,
        }
        for i, url in enumerate(reply.media_urls)
    ]
    queue_outbound(
        conn, row, media_rows, kind=sender_kind(reply.from_, number.kind), now=now, mps=mps
    )
    return sid
