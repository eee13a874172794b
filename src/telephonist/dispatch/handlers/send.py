"""``send`` tasks: hand queued messages to the carrier, then record sent, failed or retry.

Leasing marks each message ``sending`` before the hand-over (the submit record: see
:mod:`telephonist.providers.base` for why a lease that runs out never sends twice). The
ValidityPeriod is checked *before* the hand-over: a message that waited in the queue longer
than it may is failed with 30001 and never reaches the carrier. So is A2P 10DLC: with
``a2p_enforcement`` at ``enforce``, a message from a US long code no verified campaign
registers, to a US number, fails with 30034 (30035 while its campaign is in review) before
any hand-over; at ``warn`` it is handed over and flagged by a warning alert with that code.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Connection, bindparam, insert, select, update

from telephonist.clock import Clock, to_micros
from telephonist.dispatch import queue
from telephonist.dispatch.alerts import alert_row, record_alerts
from telephonist.dispatch.inbound import media_url
from telephonist.dispatch.pipeline import Outbox, price_for
from telephonist.dispatch.retry import Backoff
from telephonist.dispatch.tasks import Done, Handler
from telephonist.domain import a2p
from telephonist.domain.messages import MAGIC_FROM_OK
from telephonist.providers.base import Accepted, MediaItem, Outbound, Provider, Rejected
from telephonist.storage.prepared import Prepared
from telephonist.storage.repositories import a2p as a2p_repo
from telephonist.storage.repositories import messaging_services as services_repo
from telephonist.storage.schema import media, media_content, messages
from telephonist.webhooks.delivery import WebhookClient
from telephonist.webhooks.media import Fetched, MediaError, fetch_media

log = logging.getLogger("telephonist.worker")

_MESSAGES = Prepared(select(messages).where(messages.c.sid.in_(bindparam("sids", expanding=True))))
_MARK_SENDING = Prepared(
    update(messages)
    .where(messages.c.sid.in_(bindparam("sids", expanding=True)))
    .where(messages.c.status == "queued")
    .values(status="sending", date_updated=bindparam("now"))
)
_MEDIA = Prepared(
    select(media.c.sid, media.c.message_sid, media.c.source_url)
    .where(media.c.message_sid.in_(bindparam("sids", expanding=True)))
    .order_by(media.c.position)
)


class Expired:
    """The message outlived its ValidityPeriod in the queue (Twilio's 30001)."""


EXPIRED = Expired()


@dataclass
class SendState:
    messages: dict[str, dict[str, Any]]
    media: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # sid -> (ME, url)
    # Messages US carriers would block under A2P 10DLC, with the code (30034, 30035).
    blocked: dict[str, int] = field(default_factory=dict)
    # The MmsConverter of the services the batch's MMS are sent through.
    converters: dict[str, bool] = field(default_factory=dict)

    def mms_converter(self, message: Mapping[str, Any]) -> bool:
        """Whether an MMS a handset cannot receive goes as an SMS with links: its service's
        MmsConverter; on without a service (Twilio's account-wide default)."""
        service = message["messaging_service_sid"]
        return self.converters.get(service, True) if service else True


@dataclass
class Handed:
    """What a send task did: the outcome and the media fetched for it."""

    outcome: Accepted | Rejected | Expired
    provider: str = ""
    fetched: list[tuple[str, Fetched]] = field(default_factory=list)


def redact(url: str) -> str:
    """A URL fit for a log line: no userinfo (media URLs may carry Basic credentials)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


class SendHandler(Handler):
    kind = queue.SEND
    lane = queue.SEND_LANE

    def __init__(
        self,
        provider: Callable[[], Provider],
        clock: Clock,
        webhooks: WebhookClient,
        *,
        backoff: Backoff | None = None,
        media_timeout: float = 15.0,
        a2p_enforcement: str = "off",
        a2p_review_seconds: float = 60.0,
        base_url: Callable[[], str] = lambda: "",
    ) -> None:
        self.provider = provider
        # Where kept media is served: the links an MMS converted to SMS carries.
        self.base_url = base_url
        self.clock = clock
        self.webhooks = webhooks
        self.backoff = backoff or Backoff()
        self.media_timeout = media_timeout
        self.a2p_enforcement = a2p_enforcement
        self.a2p_review = int(a2p_review_seconds * 1_000_000)

    def load(self, conn: Connection, tasks: Sequence[queue.Task], now: int) -> SendState:
        sids = [t.ref for t in tasks]
        found = {r["sid"]: r for r in _MESSAGES.records(conn, {"sids": sids})}
        queued = [sid for sid, m in found.items() if m["status"] == "queued"]
        if queued:
            _MARK_SENDING.execute(conn, {"sids": queued, "now": now})
            for sid in queued:
                found[sid]["status"] = "sending"
        state = SendState(found)
        if self.a2p_enforcement != "off":
            state.blocked = self._blocked(conn, [found[sid] for sid in queued], now)
        with_media = [sid for sid, m in found.items() if m["num_media"]]
        if with_media:
            for media_sid, message_sid, url in _MEDIA.rows(conn, {"sids": with_media}):
                if url:
                    state.media.setdefault(message_sid, []).append((media_sid, url))
            state.converters = services_repo.mms_converters(
                conn,
                {s for sid in with_media if (s := found[sid]["messaging_service_sid"])},
            )
        return state

    def _blocked(
        self, conn: Connection, batch: Sequence[Mapping[str, Any]], now: int
    ) -> dict[str, int]:
        """The messages of the batch that A2P 10DLC covers and carriers would refuse, with
        their code: no verified campaign registers the sender (30034, 30035 in review), or its
        brand has used up its daily limit today (30023). The ones let through count against
        that limit here, in the leasing transaction, so two workers never both take the last
        of it; one that takes the brand past half, 70 % or all of it is named by a warning
        alert (30025, 30026, 30027), as Twilio warns."""
        covered = [
            m
            for m in batch
            if m["from_"] != MAGIC_FROM_OK and a2p.is_10dlc_route(m["from_"], m["to"])
        ]
        found = a2p_repo.registrations(
            conn, {(m["account_sid"], m["from_"]) for m in covered}, now, self.a2p_review
        )
        day = a2p.day_of(now)
        brands = sorted({r.brand_sid for r in found.values() if r is not None})
        sent = a2p_repo.sent_today(conn, brands, day)
        taken: dict[str, int] = {}
        blocked: dict[str, int] = {}
        warnings: list[dict[str, Any]] = []
        for m in covered:
            registration = found.get((m["account_sid"], m["from_"]))
            code = a2p.blocked_code(registration.campaign_status if registration else None)
            if code is None and registration is not None:
                brand = registration.brand_sid
                cap = a2p.daily_cap(registration.brand_type, registration.brand_score)
                before = sent.get(brand, 0) + taken.get(brand, 0)
                if before >= cap:
                    code = a2p.DAILY_CAP_REACHED
                else:
                    after = before + a2p.daily_units(m["num_segments"], m["num_media"])
                    taken[brand] = after - sent.get(brand, 0)
                    for warning in a2p.limit_warnings(before, after, cap):
                        warnings.append(_limit_warning(m, warning, brand, after, cap, now))
            if code is not None:
                blocked[m["sid"]] = code
        for brand, count in taken.items():
            a2p_repo.count_sent(conn, brand, day, count)
        record_alerts(conn, warnings)
        return blocked

    async def work(self, tasks: Sequence[queue.Task], state: SendState) -> list[Done]:
        now = to_micros(self.clock.now())
        base_url = self.base_url()
        results = [Done(task) for task in tasks]
        ready: list[tuple[Done, Outbound, list[tuple[str, Fetched]]]] = []

        async def prepare(done: Done) -> None:
            message = state.messages.get(done.task.ref)
            if message is None or message["status"] != "sending":
                return  # deleted, canceled, or already recorded by someone else
            queued_at = max(message["date_created"], done.task.payload.get("queued_at", 0))
            expires = queued_at + message["validity_period"] * 1_000_000
            if done.task.payload.get("expired") or now > expires:
                done.value = Handed(EXPIRED)
                return
            blocked = state.blocked.get(message["sid"])
            if blocked is not None and self.a2p_enforcement == "enforce":
                done.value = Handed(Rejected(blocked, transient=False))
                return
            fetched: list[tuple[str, Fetched]] = []
            for media_sid, url in state.media.get(message["sid"], []):
                try:
                    fetched.append(
                        (
                            media_sid,
                            await fetch_media(self.webhooks, url, timeout=self.media_timeout),
                        )
                    )
                except MediaError as exc:
                    log.debug("media %s of %s not sent: %s", redact(url), message["sid"], exc.code)
                    done.value = Handed(Rejected(exc.code, transient=False))
                    return
            outbound = Outbound(
                sid=message["sid"],
                account_sid=message["account_sid"],
                from_=message["from_"],
                to=message["to"],
                body=message["body"],
                num_segments=message["num_segments"],
                num_media=message["num_media"],
                attempt=done.task.attempts,
                media=tuple(MediaItem(f.content_type, f.content) for _, f in fetched),
                media_links=tuple(
                    media_url(base_url, message["account_sid"], message["sid"], media_sid)
                    for media_sid, _ in fetched
                ),
                mms_converter=state.mms_converter(message),
            )
            ready.append((done, outbound, fetched))

        await asyncio.gather(*(prepare(done) for done in results))
        if ready:
            provider = self.provider()
            outcomes = await provider.submit([outbound for _, outbound, _ in ready])
            for (done, _, fetched), outcome in zip(ready, outcomes, strict=True):
                done.value = Handed(outcome, provider.name, fetched)
                if (
                    isinstance(outcome, Rejected)
                    and outcome.transient
                    and not self.backoff.gives_up(done.task.attempts)
                ):
                    done.retry_at = now + int(self.backoff.delay(done.task.attempts) * 1_000_000)
        return results

    def apply(
        self, conn: Connection, results: Sequence[Done], state: SendState, outbox: Outbox
    ) -> None:
        now = outbox.now
        flagged: list[dict[str, Any]] = []  # ``warn``: the A2P alerts, stored together
        for done in results:
            handed = done.value
            message = state.messages.get(done.task.ref)
            if not isinstance(handed, Handed) or message is None:
                continue
            outcome = handed.outcome
            if done.retry_at is not None:
                outbox.requeue(message)
            elif isinstance(outcome, Expired):
                outbox.change_status(message, "failed", error_code=30001)
            elif isinstance(outcome, Rejected):
                outbox.change_status(message, "failed", error_code=outcome.code)
            else:
                for media_sid, item in handed.fetched:
                    conn.execute(
                        update(media)
                        .where(media.c.sid == media_sid)
                        .values(content_type=item.content_type, date_updated=now)
                    )
                    conn.execute(
                        insert(media_content).values(media_sid=media_sid, content=item.content)
                    )
                outbox.change_status(
                    message,
                    "sent",
                    date_sent=now,
                    price=price_for(message["num_segments"]),
                    provider=handed.provider,
                    provider_sid=outcome.provider_sid,
                )
                blocked = state.blocked.get(message["sid"])
                if blocked is not None:  # ``warn``: delivered, and flagged
                    flagged.append(_flag(message, blocked, now))
        record_alerts(conn, flagged)


def _limit_warning(
    message: Mapping[str, Any], code: int, brand_sid: str, used: int, cap: int, now: int
) -> dict[str, Any]:
    """The warning alert of a message that took its brand to 50 %, 70 % or 100 % of its daily
    limit (30025, 30026, 30027)."""
    return _message_warning(
        message,
        code,
        now,
        f"Brand {brand_sid} has used {used} of its daily limit of {cap} "
        f"(SMS segments and MMS messages to US numbers today, Pacific time)",
    )


def _flag(message: Mapping[str, Any], code: int, now: int) -> dict[str, Any]:
    """The warning alert of a message US carriers would block (``a2p_enforcement=warn``)."""
    why = (
        "its brand has used up its daily limit today"
        if code == a2p.DAILY_CAP_REACHED
        else "the number is in no Messaging Service with a verified A2P 10DLC campaign"
    )
    return _message_warning(
        message,
        code,
        now,
        f"US carriers would block message {message['sid']} from {message['from_']}: {why}",
    )


def _message_warning(message: Mapping[str, Any], code: int, now: int, text: str) -> dict[str, Any]:
    """A warning alert about a message, stored as one row with the batch's others."""
    return alert_row(
        account_sid=message["account_sid"],
        code=code,
        now=now,
        resource_sid=message["sid"],
        # The request the alert is about: the create that made the message.
        request=(f"/2010-04-01/Accounts/{message['account_sid']}/Messages.json", "POST"),
        level="WARNING",
        text=text,
    )
