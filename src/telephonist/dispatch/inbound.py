"""What carriers hand back: delivery receipts and mobile-originated messages.

This is the inbound half of the provider seam (:class:`~telephonist.providers.base.CarrierInbox`).
Every provider hands its traffic over here: the simulator from its timers and its handsets,
an upstream carrier from its webhook endpoint. A receipt moves the message it names (by the
provider's reference) through the status machine and owes its status callback; an inbound
message to a number or a short code is stored and owes the app its webhook (the number's or
short code's SmsUrl, or its Messaging Service's InboundRequestUrl).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from telephonist.clock import Clock, to_micros
from telephonist.dispatch import queue
from telephonist.dispatch.optouts import apply_keyword
from telephonist.dispatch.pipeline import Outbox, price_for
from telephonist.dispatch.ratelimit import DEFAULT_MPS
from telephonist.domain import API_VERSION, phone, short_codes
from telephonist.domain.encoding import segment
from telephonist.domain.services import inbound_route, settings_of
from telephonist.domain.sids import new_sid
from telephonist.errors import TwilioError
from telephonist.providers.base import InboundMedia, MobileOriginated, Receipt
from telephonist.storage.database import Database
from telephonist.storage.prepared import Prepared
from telephonist.storage.repositories import messaging_services as services_repo
from telephonist.storage.repositories import short_codes as short_codes_repo
from telephonist.storage.schema import incoming_numbers, media, media_content, messages

__all__ = [
    "DROPPED",
    "InboundMedia",
    "Inbox",
    "apply_receipts",
    "media_url",
    "receive",
    "webhook_params",
]

DROPPED = "dropped"
"""The status :func:`receive` answers for a message its service dropped (it is not stored)."""

_BY_PROVIDER_SID = Prepared(
    select(messages).where(messages.c.provider_sid.in_(bindparam("refs", expanding=True)))
)


def apply_receipts(conn: Connection, receipts: Sequence[Receipt], outbox: Outbox) -> list[Receipt]:
    """Apply receipts inside the caller's transaction; answers those that matched nothing yet
    (the carrier's reference is not recorded: its hand-over is still being recorded).

    A message whose hand-over this same transaction is recording (still in ``outbox``) is
    matched too, so its ``sent`` and ``delivered`` are written as one change."""
    if not receipts:
        return []
    refs = {r.provider_sid for r in receipts}
    found = {(r["provider"], r["provider_sid"]): r for r in outbox.pending(refs).values()}
    known = {key[1] for key in found}
    missing = [ref for ref in refs if ref not in known]
    if missing:
        for row in _BY_PROVIDER_SID.records(conn, {"refs": missing}):
            found.setdefault((row["provider"], row["provider_sid"]), row)
    unmatched: list[Receipt] = []
    for receipt in receipts:
        message = found.get((receipt.provider, receipt.provider_sid))
        if message is None:
            unmatched.append(receipt)
            continue
        # A receipt the status machine does not allow (a repeat, or one after a final
        # status) changes nothing, as a carrier's duplicate receipt changes nothing on Twilio.
        outbox.change_status(message, receipt.status, error_code=receipt.error_code)
    return unmatched


def media_url(base_url: str, account_sid: str, message_sid: str, media_sid: str) -> str:
    """Where a message's kept media is served: the Media resource without ``.json``, as on
    Twilio. The app fetches inbound media there; an MMS converted to SMS links to it."""
    return f"{base_url}/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}/Media/{media_sid}"


_NUMBER = Prepared(
    select(incoming_numbers).where(incoming_numbers.c.phone_number == bindparam("n"))
)


@dataclass(frozen=True, slots=True)
class Receiver:
    """The number or short code an inbound message is for, as routing it needs it."""

    account_sid: str
    address: str  # the number in E.164, or the short code's digits
    config: dict[str, Any]  # its SmsUrl, SmsMethod, SmsFallbackUrl, SmsFallbackMethod...
    service: Any  # the service whose pool holds it (its row), or None
    country: str | None = None  # a short code's (digits name no country); None for a number


def receiver_of(conn: Connection, to: str) -> Receiver:
    """Who holds ``to``: one of the server's numbers, or a short code; 21211 for neither."""
    found = _NUMBER.records(conn, {"n": to})
    if found:
        number = found[0]
        return Receiver(
            number["account_sid"],
            number["phone_number"],
            json.loads(number["config"]),
            services_repo.service_of_number(conn, number["sid"]),
        )
    code = short_codes_repo.holder(conn, to) if phone.is_short_code(to) else None
    if code is None:
        raise TwilioError(21211, 404, f"No account on this server owns {to}")
    return Receiver(
        code["account_sid"],
        code["short_code"],
        short_codes.settings_of(json.loads(code["config"])),
        services_repo.service_of_short_code(conn, code["sid"]),
        code["iso_country"],
    )


def receive(
    conn: Connection,
    message: MobileOriginated,
    *,
    now: int,
    base_url: str,
    mps: Mapping[str, float] = DEFAULT_MPS,
) -> dict[str, Any]:
    """Store an inbound message to one of our numbers or short codes, act on an opt-out
    keyword (:func:`~telephonist.dispatch.optouts.apply_keyword`) and queue its webhook: the
    number's (or short code's) SmsUrl, or its service's InboundRequestUrl
    (:func:`~telephonist.domain.services.inbound_route`).

    A number whose service turned inbound off (no InboundRequestUrl, the number's own
    webhook not chosen) stores nothing: the answer is the message as it would have been,
    with status :data:`DROPPED`."""
    receiver = receiver_of(conn, message.to)
    service = receiver.service
    service_sid = None if service is None else str(service["sid"])
    route = inbound_route(
        receiver.config, None if service is None else settings_of(service["config"])
    )
    seg = segment(message.body)
    sid = new_sid("MM" if message.media else "SM")
    account_sid = receiver.account_sid
    row: dict[str, Any] = {
        "sid": sid,
        "account_sid": account_sid,
        "direction": "inbound",
        "from_": message.from_,
        "to": receiver.address,
        "body": message.body,
        "status": "received",
        "encoding": seg.encoding,
        "num_segments": max(seg.num_segments, 1),
        "num_media": len(message.media),
        "error_code": None,
        "error_message": None,
        "price": price_for(seg.num_segments),
        "price_unit": "USD",
        "messaging_service_sid": service_sid,
        "status_callback": None,
        "validity_period": 36_000,
        "options": "{}",
        "date_created": now,
        "date_updated": now,
        "date_sent": now,
        "provider": message.provider,
        "provider_sid": message.provider_sid,
    }
    if route.dropped:
        # Inbound is off for the service's pool: Twilio neither logs the message nor calls a
        # webhook. An opt-out keyword still counts (and is answered): a handset's STOP is
        # honoured whatever the app's configuration.
        apply_keyword(conn, account_sid, row["to"], message.from_, message.body, now=now, mps=mps)
        return {**row, "status": DROPPED}
    conn.execute(insert(messages).values(row))
    urls: list[tuple[str, str]] = []
    for position, item in enumerate(message.media):
        media_sid = new_sid("ME")
        conn.execute(
            insert(media).values(
                sid=media_sid,
                message_sid=sid,
                account_sid=account_sid,
                content_type=item.content_type,
                source_url=item.source_url,
                position=position,
                date_created=now,
                date_updated=now,
            )
        )
        conn.execute(insert(media_content).values(media_sid=media_sid, content=item.content))
        urls.append((media_url(base_url, account_sid, sid, media_sid), item.content_type))
    opt_out_type = apply_keyword(
        conn, account_sid, row["to"], message.from_, message.body, now=now, mps=mps
    )
    webhook = route.webhook
    if webhook is not None:
        queue.enqueue(
            conn,
            queue.INBOUND,
            sid,
            now,
            {
                "purpose": "inbound",
                "url": webhook.url,
                "method": webhook.method,
                "fallback_url": webhook.fallback_url,
                "fallback_method": webhook.fallback_method,
                "account_sid": account_sid,
                "event": f"{sid}:inbound",
                "inbound_from": message.from_,
                "inbound_to": receiver.address,
                "params": webhook_params(
                    row, urls, seg.num_segments, opt_out_type, to_country=receiver.country
                ),
            },
            now,
            partition_key=account_sid,
        )
    return row


def webhook_params(
    row: dict[str, Any],
    urls: list[tuple[str, str]],
    segments: int,
    opt_out_type: str | None = None,
    *,
    to_country: str | None = None,
) -> list[tuple[str, str]]:
    """Every parameter Twilio sends to an inbound message's webhook (``MessagingServiceSid``
    when the number is in a service's pool, ``OptOutType`` when the message was an opt-out,
    opt-in or help keyword). ``to_country`` is a short code's country: its digits say none,
    and name no city, state or zip either."""
    sender = phone.info(row["from_"]) if row["from_"].startswith("+") else None
    receiver = phone.info(row["to"])
    params = [
        ("MessageSid", row["sid"]),
        ("SmsSid", row["sid"]),
        ("SmsMessageSid", row["sid"]),
        ("AccountSid", row["account_sid"]),
    ]
    if row["messaging_service_sid"]:
        params.append(("MessagingServiceSid", row["messaging_service_sid"]))
    params += [
        ("From", row["from_"]),
        ("To", row["to"]),
        ("Body", row["body"]),
        ("NumMedia", str(len(urls))),
        ("NumSegments", str(max(segments, 1))),
        ("SmsStatus", "received"),
        ("ApiVersion", API_VERSION),
        ("FromCity", sender.city if sender else ""),
        ("FromState", sender.state if sender else ""),
        ("FromZip", sender.zip if sender else ""),
        ("FromCountry", (sender.country or "") if sender else ""),
        ("ToCity", receiver.city),
        ("ToState", receiver.state),
        ("ToZip", receiver.zip),
        ("ToCountry", to_country or receiver.country or ""),
    ]
    for n, (url, content_type) in enumerate(urls):
        params += [(f"MediaUrl{n}", url), (f"MediaContentType{n}", content_type)]
    if opt_out_type is not None:
        params.append(("OptOutType", opt_out_type))
    return params


class Inbox:
    """The :class:`~telephonist.providers.base.CarrierInbox` of one process."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        base_url: Callable[[], str],
        wake: Callable[[], None] = lambda: None,
        mps: Mapping[str, float] = DEFAULT_MPS,
    ) -> None:
        self.db = db
        self.clock = clock
        self.base_url = base_url
        self.wake = wake
        self.mps = mps

    async def receipts(self, receipts: Sequence[Receipt]) -> int:
        def work(conn: Connection) -> int:
            outbox = Outbox(to_micros(self.clock.now()))
            unmatched = apply_receipts(conn, receipts, outbox)
            outbox.flush(conn)
            return len(receipts) - len(unmatched)

        matched = await self.db.run(work)
        self.wake()
        return matched

    async def mobile_originated(self, message: MobileOriginated) -> dict[str, Any]:
        now = to_micros(self.clock.now())
        row = await self.db.run(
            lambda conn: receive(conn, message, now=now, base_url=self.base_url(), mps=self.mps)
        )
        self.wake()
        return row
