"""``route`` tasks: a Messaging Service message gets its sender, then waits in its queue.

A scheduled message's route task falls due at its ``SendAt``: it is then routed the same way
(or, sent from a ``From`` of the account's choice, just queued behind that sender), so
thousands due at one second take their senders' slots one after another, as any burst does.

A message sent with a ``MessagingServiceSid`` and no ``From`` is stored ``accepted``, with no
sender, and this task is due at once. Choosing the sender is Twilio's selection from the
service's pool (:func:`telephonist.domain.services.choose_sender`): sticky sender, a short
code of the recipient's country, alpha sender, area-code and country geomatch, the least busy
number. The chosen sender's throughput then applies as for any message: the message moves to
``queued`` (its status callback is owed then, as on Twilio) and its hand-over is due at the
sender's next free slot. A pool that has no sender able to carry it (emptied since, no
MMS-capable number for media, only short codes of other countries) fails the message with
21703.

Everything here is database work in the recording transaction; there is nothing to do
outside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select, update

from telephonist.dispatch import queue, ratelimit
from telephonist.dispatch.pipeline import Outbox, kind_of_sender, queue_send
from telephonist.dispatch.tasks import Done, Handler
from telephonist.domain.services import Pool, choose_sender, settings_of
from telephonist.storage.prepared import Prepared
from telephonist.storage.repositories import messaging_services as services_repo
from telephonist.storage.schema import messages

_MESSAGES = Prepared(select(messages).where(messages.c.sid.in_(bindparam("sids", expanding=True))))
_SET_SENDER = Prepared(
    update(messages)
    .where(messages.c.sid == bindparam("b_sid"))
    .where(or_(messages.c.status == "accepted", messages.c.status == "scheduled"))
    .values(from_=bindparam("sender"))
)
NO_SENDER = 21703  # the service has no sender able to carry the message


class RouteHandler(Handler):
    kind = queue.ROUTE
    lane = queue.SEND_LANE

    def __init__(
        self,
        mps: Mapping[str, float] = ratelimit.DEFAULT_MPS,
        *,
        campaign_pacing: int | None = None,
    ) -> None:
        self.mps = mps
        # A2P enforced: campaigns' throughput applies (the review delay, in microseconds).
        self.campaign_pacing = campaign_pacing

    async def work(self, tasks: Sequence[queue.Task], state: Any) -> list[Done]:
        return [Done(task) for task in tasks]

    def apply(self, conn: Connection, results: Sequence[Done], state: Any, outbox: Outbox) -> None:
        now = outbox.now
        found = {
            r["sid"]: r for r in _MESSAGES.records(conn, {"sids": [d.task.ref for d in results]})
        }
        # Read once per batch, not once per message: the services, their pools and when each
        # pool number's next slot frees, kept current here as this batch takes slots (with 100
        # numbers in a pool, reading them again for each message was most of a batch's time).
        service_rows: dict[tuple[str, str], Any] = {}
        pools: dict[str, Pool] = {}
        free: dict[str, int] = {}
        for done in results:
            message = found.get(done.task.ref)
            if message is None or message["status"] not in ("accepted", "scheduled"):
                continue  # deleted, canceled, or routed already by a run whose lease ran out
            if message["from_"]:  # a scheduled message from a sender of the account's choice
                outbox.change_status(message, "queued")
                kind = kind_of_sender(conn, message["account_sid"], message["from_"])
                taken = queue_send(
                    conn,
                    message,
                    kind=kind,
                    now=now,
                    mps=self.mps,
                    campaign_pacing=self.campaign_pacing,
                )
                if message["from_"] in free:
                    free[message["from_"]] = taken
                continue
            service_sid = message["messaging_service_sid"]
            key = (message["account_sid"], service_sid)
            if key not in service_rows:
                service_rows[key] = services_repo.get_service(conn, *key)
            service = service_rows[key]
            if service is None:
                outbox.change_status(message, "failed", error_code=NO_SENDER)
                continue
            settings = settings_of(service["config"])
            pool = pools.get(service_sid)
            if pool is None:
                pool = pools[service_sid] = services_repo.pool_of(conn, service_sid)
                free.update(ratelimit.next_free(conn, pool.senders()))
            sticky = (
                services_repo.sticky_sender(conn, service_sid, message["to"])
                if settings["sticky_sender"]
                else None
            )
            chosen = choose_sender(
                message["to"],
                pool,
                with_media=message["num_media"] > 0,
                sticky=sticky,
                settings=settings,
                next_free=free,
            )
            if chosen is None:
                outbox.change_status(message, "failed", error_code=NO_SENDER)
                continue
            _SET_SENDER.execute(conn, {"b_sid": message["sid"], "sender": chosen.sender})
            routed = {**message, "from_": chosen.sender}
            outbox.change_status(routed, "queued")
            if settings["sticky_sender"] and chosen.sender != sticky:
                services_repo.remember_sender(conn, service_sid, message["to"], chosen.sender, now)
            free[chosen.sender] = queue_send(
                conn,
                routed,
                kind=chosen.kind,
                now=now,
                mps=self.mps,
                campaign_pacing=self.campaign_pacing,
            )
