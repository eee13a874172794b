"""A message's life inside the database: created, queued, handed over, receipted, with its
callbacks.

Every function here runs inside the caller's transaction, so a status change and the status
callback it owes are stored together (an outbox): a crash can delay a callback, never lose it.

**One create path.** Every way of creating an outbound message (the API, TwiML ``<Message>``
replies, later the scheduler, bulk sends and services) builds a
:class:`~telephonist.domain.commands.SendMessage` and calls :func:`send_message`: the pure
checks of :func:`telephonist.domain.messages.validate`, then the recipient's opt-outs
(21610), the sender's ownership and capabilities (a number's, or a short code's and its
country), then the row, its media, the sender's
throughput slot and the send task.
"""

from __future__ import annotations

import functools
import json
import mimetypes
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, bindparam, insert, select, update

from telephonist.dispatch import queue
from telephonist.dispatch.ratelimit import DEFAULT_MPS, release, reserve
from telephonist.domain import API_VERSION, phone, short_codes
from telephonist.domain.commands import SendMessage
from telephonist.domain.encoding import segment
from telephonist.domain.error_codes import catalog_message
from telephonist.domain.messages import (
    MAGIC_FROM_OK,
    MessageRejected,
    MessageRequest,
    can_move,
    check_send_at,
    seg_body,
    validate,
)
from telephonist.domain.services import settings_of
from telephonist.domain.sids import new_sid
from telephonist.storage.prepared import Prepared
from telephonist.storage.repositories import a2p as a2p_repo
from telephonist.storage.repositories import messages as messages_repo
from telephonist.storage.repositories import messaging_services as services_repo
from telephonist.storage.repositories import opt_outs as opt_outs_repo
from telephonist.storage.repositories import short_codes as short_codes_repo
from telephonist.storage.schema import accounts, incoming_numbers, media, messages, opt_outs

# How far ahead (seconds) a scheduled message's SendAt may be: Twilio's 15 minutes to 35 days.
SCHEDULE_WINDOW = (900, 3_024_000)
# How many scheduled messages an account may have waiting at once (Twilio's soft limit).
SCHEDULE_LIMIT = 500_000

# Simulated list price of one outbound SMS segment, in USD (Twilio's US long-code rate).
PRICE_PER_SEGMENT = 0.0079


# Every column named, so one compiled INSERT serves every row.
_INSERT_MESSAGE = Prepared(
    insert(messages).values({c.name: bindparam(c.name) for c in messages.columns})
)
_INSERT_MEDIA = Prepared(insert(media).values({c.name: bindparam(c.name) for c in media.columns}))


def sender_kind(sender: str, number_kind: str | None) -> str:
    if number_kind:
        return number_kind
    if sender.isdigit():
        return "short_code"
    if not sender.startswith("+"):
        return "alphanumeric"
    return "local"


_ACCOUNT_STATUS = Prepared(select(accounts.c.status).where(accounts.c.sid == bindparam("a")))
_SENDER = Prepared(
    select(incoming_numbers.c.cap_sms, incoming_numbers.c.cap_mms, incoming_numbers.c.kind)
    .where(incoming_numbers.c.account_sid == bindparam("a"))
    .where(incoming_numbers.c.phone_number == bindparam("n"))
)
# The same, and whether the recipient opted out of the number (or its service): a direct send's
# two checks in one statement, since every statement in the writer's transaction is a round of
# the GIL between the writer thread and the event loop. (An alias, so that the opt-out query's
# own ``incoming_numbers`` is never correlated with the sender's row.)
_SENDER_NUMBER = incoming_numbers.alias("sender")
_SENDER_UNLESS_OPTED_OUT = Prepared(
    select(
        _SENDER_NUMBER.c.cap_sms,
        _SENDER_NUMBER.c.cap_mms,
        _SENDER_NUMBER.c.kind,
        opt_outs_repo.blocked_query(opt_outs.c.scope == bindparam("from_")).exists(),
    )
    .where(_SENDER_NUMBER.c.account_sid == bindparam("a"))
    .where(_SENDER_NUMBER.c.phone_number == bindparam("from_"))
)


def send_message(
    conn: Connection,
    command: SendMessage,
    *,
    now: int,
    mps: Mapping[str, float] = DEFAULT_MPS,
    request: MessageRequest | None = None,
    account_status: str | None = None,
    schedule_window: tuple[int, int] = SCHEDULE_WINDOW,
    schedule_limit: int = SCHEDULE_LIMIT,
    campaign_pacing: int | None = None,
) -> dict[str, Any]:
    """Validate ``command``, store the message and queue it; answers the stored row.

    Raises :class:`~telephonist.domain.messages.MessageRejected` with Twilio's code when the
    message may not be sent (21610 when the recipient texted STOP to its service or its
    sender); nothing is written then. ``request`` is the already validated
    form of ``command`` (the API validates before it opens a transaction), and
    ``account_status`` the sending account's status where the caller already knows it.

    With a Messaging Service, the service's StatusCallback and ValidityPeriod apply where the
    message sets none, and its SmartEncoding (on by default) smart-encodes the body; without
    a ``From`` the message is ``accepted`` with no sender yet, and a ``route`` task picks one
    from the service's pool when it is dispatched. A scheduled message (``send_at``, inside
    ``schedule_window`` seconds from now) is ``scheduled`` and its route task is due at its
    time: it takes its sender's slot only then; an account with ``schedule_limit`` messages
    scheduled already is refused one more (35125).
    """
    req = request or validate(command)
    if account_status is None:
        found = _ACCOUNT_STATUS.execute(conn, {"a": command.account_sid})
        account_status = found[0] if found else None
    if account_status != "active":
        raise MessageRejected(20005, f"Account {command.account_sid} is not active")
    if command.send_at is not None:
        check_send_at(command.send_at, now, schedule_window)
    if req.messaging_service_sid is not None:
        req = _with_service(conn, command, req)
    # A direct send (a From, now, no service) has its opt-outs checked with its sender.
    direct = req.from_ is not None and command.send_at is None and req.messaging_service_sid is None
    if not direct and opt_outs_repo.blocked(
        conn, command.account_sid, req.to, from_=req.from_, service_sid=req.messaging_service_sid
    ):
        raise MessageRejected(21610)
    if req.from_ is None or command.send_at is not None:
        if req.from_ is not None:
            check_sender(conn, command.account_sid, req)
        if command.send_at is not None and not messages_repo.take_scheduled_place(
            conn, command.account_sid, schedule_limit
        ):
            raise MessageRejected(35125)
        status = "scheduled" if command.send_at is not None else "accepted"
        row, media_rows = build_rows(command, req, now, status=status)
        _INSERT_MESSAGE.execute(conn, row)
        if media_rows:
            _INSERT_MEDIA.execute_many(conn, media_rows)
        due = command.send_at if command.send_at is not None else now
        queue.enqueue(conn, queue.ROUTE, row["sid"], due, {}, now, partition_key=row["account_sid"])
        return row
    kind = check_sender(conn, command.account_sid, req, opted_out=direct)
    row, media_rows = build_rows(command, req, now)
    queue_outbound(
        conn,
        row,
        media_rows,
        kind=sender_kind(row["from_"], kind),
        now=now,
        mps=mps,
        campaign_pacing=campaign_pacing,
    )
    return row


def _with_service(conn: Connection, command: SendMessage, req: MessageRequest) -> MessageRequest:
    """The request with its service's defaults; 21701 for a service the account does not
    have, 21704 for one with no sender to choose from."""
    sid = req.messaging_service_sid
    assert sid is not None
    service = services_repo.get_service(conn, command.account_sid, sid)
    if service is None:
        raise MessageRejected(21701, f"The Messaging Service {sid} does not exist")
    if req.from_ is None and not services_repo.has_senders(conn, sid):
        raise MessageRejected(21704)
    settings = settings_of(service["config"])
    # The message's own SmartEncoded, when it says, wins over the service's SmartEncoding.
    wanted = settings["smart_encoding"] if command.smart_encoded is None else False
    if wanted and req.encoding != "GSM-7":
        # The service's SmartEncoding: as if the message had asked for SmartEncoded=true (a
        # GSM-7 body has no look-alike to rewrite).
        req = smart_encoded(req)
    return replace(
        req,
        status_callback=req.status_callback or settings["status_callback"],
        validity_period=(
            req.validity_period
            if command.validity_period is not None
            else int(settings["validity_period"])
        ),
    )


def smart_encoded(req: MessageRequest) -> MessageRequest:
    """The request with its body smart-encoded (look-alikes replaced by GSM-7 characters),
    and its encoding and segments counted again."""
    seg = segment(req.body, smart_encoded=True)
    return replace(
        req,
        body=seg_body(seg.segments, req.body, True),
        encoding=seg.encoding,
        num_segments=max(seg.num_segments, 1),
    )


def check_sender(
    conn: Connection, account_sid: str, req: MessageRequest, *, opted_out: bool = False
) -> str | None:
    """The From must be a number or short code this account holds, able to send what is asked.

    Answers the sender's kind (local, mobile, toll_free, short_code), which sets its throughput.
    With ``opted_out``, a recipient who opted out of the sender is refused first (21610), as
    :func:`send_message` orders its checks; for a number, one statement answers both.
    """
    sender = req.from_
    assert sender is not None
    alphanumeric = phone.is_alphanumeric_sender(sender) and not sender.isdigit()
    if sender != MAGIC_FROM_OK and not alphanumeric and not phone.is_short_code(sender):
        return _held_number(conn, account_sid, req, sender, opted_out=opted_out)
    if opted_out and opt_outs_repo.blocked(
        conn, account_sid, req.to, from_=sender, service_sid=None
    ):
        raise MessageRejected(21610)
    if sender == MAGIC_FROM_OK:
        return "local"
    if alphanumeric:
        if req.to.startswith("+1"):
            # Alphanumeric sender IDs do not reach the US or Canada.
            raise MessageRejected(21612)
        return None
    held = short_codes_repo.sender(conn, account_sid, sender)
    if held is None:
        raise _not_capable(sender)
    country, cap_mms = held
    if not short_codes.reaches(country, req.to):
        raise MessageRejected(
            21659,
            f"Short code {sender} texts only {country} numbers, not {req.to} "
            "(Short Code country mismatch)",
        )
    if req.media_urls and not cap_mms:
        raise MessageRejected(21621)
    return short_codes.KIND


def _held_number(
    conn: Connection, account_sid: str, req: MessageRequest, sender: str, *, opted_out: bool
) -> str:
    """A number the account holds, able to send what is asked; with ``opted_out``, read in
    the same statement as the recipient's opt-outs of it."""
    if opted_out:
        params = {"a": account_sid, "from_": sender, "to": req.to}
        found = _SENDER_UNLESS_OPTED_OUT.execute(conn, params)
        # Not the account's number: an opt-out of it (kept from when it was) still comes first.
        blocked = (
            found[3]
            if found is not None
            else opt_outs_repo.blocked(conn, account_sid, req.to, from_=sender, service_sid=None)
        )
        if blocked:
            raise MessageRejected(21610)
    else:
        found = _SENDER.execute(conn, {"a": account_sid, "n": sender})
    if found is None:
        raise MessageRejected(
            21659, f"'From' {sender} is not a Twilio phone number or Short Code country mismatch"
        )
    cap_sms, cap_mms, kind = found[:3]
    if not cap_sms:
        raise _not_capable(sender)
    if req.media_urls and not cap_mms:
        raise MessageRejected(21621)
    return str(kind)


def _not_capable(sender: str) -> MessageRejected:
    return MessageRejected(
        21606,
        f"The From phone number {sender} is not a valid, "
        "SMS-capable inbound phone number or short code for your account.",
    )


def build_rows(
    command: SendMessage, req: MessageRequest, now: int, *, status: str = "queued"
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The message row and its media rows, as stored (a message with no sender yet has an
    empty ``from_``)."""
    sid = new_sid("MM" if req.media_urls else "SM")
    options = dict(req.options)
    if command.callback_method != "POST":
        options["_callback_method"] = command.callback_method
    row = {
        "sid": sid,
        "account_sid": command.account_sid,
        "direction": command.direction,
        "from_": req.from_ or "",
        "to": req.to,
        "body": req.body,
        "status": status,
        "encoding": req.encoding,
        "num_segments": req.num_segments,
        "num_media": len(req.media_urls),
        "error_code": None,
        "error_message": None,
        "price": None,
        "price_unit": "USD",
        "messaging_service_sid": req.messaging_service_sid,
        "status_callback": req.status_callback,
        "validity_period": req.validity_period,
        "options": json.dumps(options) if options else "{}",
        "date_created": now,
        "date_updated": now,
        "date_sent": None,
        "provider": None,
        "provider_sid": None,
    }
    media_rows = [
        {
            "sid": new_sid("ME"),
            "message_sid": sid,
            "account_sid": command.account_sid,
            "content_type": guess_type(url),
            "source_url": url,
            "position": i,
            "date_created": now,
            "date_updated": now,
        }
        for i, url in enumerate(req.media_urls)
    ]
    return row, media_rows


def guess_type(url: str) -> str:
    guessed, _ = mimetypes.guess_type(urlsplit(url).path)
    return guessed or "application/octet-stream"


def queue_outbound(
    conn: Connection,
    row: dict[str, Any],
    media_rows: list[dict[str, Any]],
    *,
    kind: str,
    now: int,
    mps: Mapping[str, float] = DEFAULT_MPS,
    campaign_pacing: int | None = None,
) -> None:
    """Store an outbound message and queue it behind its sender (:func:`queue_send`)."""
    _INSERT_MESSAGE.execute(conn, row)
    if media_rows:
        _INSERT_MEDIA.execute_many(conn, media_rows)
    queue_send(conn, row, kind=kind, now=now, mps=mps, campaign_pacing=campaign_pacing)


def queue_send(
    conn: Connection,
    row: Mapping[str, Any],
    *,
    kind: str,
    now: int,
    mps: Mapping[str, float] = DEFAULT_MPS,
    campaign_pacing: int | None = None,
) -> int:
    """Reserve the sender's next slot for a stored message and queue its hand-over then;
    answers when the sender's next slot frees now.

    A message whose wait for that slot would outlast its ValidityPeriod takes no slot: it is due
    at once and fails there with 30001 (queue overflow), as on Twilio.
    """
    rate = mps.get(kind, DEFAULT_MPS["local"])
    slot = reserve(conn, row["from_"], row["num_segments"], rate, now)
    due = slot.due_at
    campaign = (
        a2p_repo.campaign_rate(conn, row["account_sid"], row["from_"], now, campaign_pacing)
        if campaign_pacing is not None
        else None
    )
    if campaign is not None:
        # An A2P 10DLC campaign's throughput is shared by all its numbers: the message also
        # waits for the campaign's next slot. ``campaign_pacing`` (the A2P review delay, in
        # microseconds) is given when A2P is enforced.
        due = max(
            due,
            reserve(conn, f"campaign:{campaign[0]}", row["num_segments"], campaign[1], now).due_at,
        )
    expired = due - now > row["validity_period"] * 1_000_000
    if expired:
        release(conn, row["from_"], row["num_segments"], rate)
        if campaign is not None:
            release(conn, f"campaign:{campaign[0]}", row["num_segments"], campaign[1])
    payload: dict[str, Any] = {"expired": expired}
    if now > row["date_created"]:
        payload["queued_at"] = now  # its ValidityPeriod counts from here (a scheduled message)
    queue.enqueue(
        conn,
        queue.SEND,
        row["sid"],
        now if expired else due,
        payload,
        now,
        partition_key=row["account_sid"],
    )
    return slot.due_at if expired else slot.next_free


# Guarded by the status the change was decided from: a change decided on a stale read (a
# lease that ran out, a receipt racing a retry) writes nothing.
_STATUS_CHANGE = (
    update(messages)
    .where(messages.c.sid == bindparam("b_sid"))
    .where(messages.c.status == bindparam("b_from"))
    .values(
        status=bindparam("status"),
        date_updated=bindparam("date_updated"),
        error_code=bindparam("error_code"),
        error_message=bindparam("error_message"),
        date_sent=bindparam("date_sent"),
        price=bindparam("price"),
        provider=bindparam("provider"),
        provider_sid=bindparam("provider_sid"),
    )
)
_UPDATE_STATUS = Prepared(_STATUS_CHANGE)
# The messages about to leave ``scheduled``, as they are now (locked on PostgreSQL until the
# transaction ends): each one's account gives a scheduled place back if its change applies.
_SCHEDULED_NOW = Prepared(
    select(messages.c.sid, messages.c.account_sid)
    .where(messages.c.sid.in_(bindparam("sids", expanding=True)))
    .where(messages.c.status == "scheduled")
    .with_for_update()
)


class Outbox:
    """Status changes and the tasks they owe, collected and then written in bulk.

    The worker records a whole batch of outcomes with one statement per kind of write (an
    UPDATE with many parameter sets, an INSERT of many rows), which is what lets a single
    SQLite writer keep up with thousands of messages a second. Two changes of one message in
    one batch (``sent`` then an immediate ``delivered``) write its row once, and the status
    callbacks they owe to one URL travel as one task that posts them in order.
    """

    def __init__(self, now: int) -> None:
        self.now = now
        self.updates: dict[str, dict[str, Any]] = {}
        self.tasks: list[dict[str, Any]] = []
        self.callbacks: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.rows: dict[str, Mapping[str, Any]] = {}  # the message each update started from

    def change_status(
        self,
        message: Mapping[str, Any],
        status: str,
        *,
        error_code: int | None = None,
        date_sent: int | None = None,
        price: str | None = None,
        provider: str | None = None,
        provider_sid: str | None = None,
        callback: bool = True,
    ) -> bool:
        """Move a message to ``status`` and (unless ``callback`` is false) owe its status
        callback, if it has one.

        Answers False, changing nothing, when the status machine does not allow the move.
        """
        sid = message["sid"]
        pending = self.updates.get(sid)
        current = pending["status"] if pending else message["status"]
        if not can_move(current, status):
            return False
        code = error_code if error_code is not None else message["error_code"]
        self.rows.setdefault(sid, message)
        self.updates[sid] = {
            "b_sid": sid,
            "b_from": pending["b_from"] if pending else message["status"],
            "status": status,
            "date_updated": self.now,
            "error_code": code,
            "error_message": catalog_message(code) if code is not None else None,
            "date_sent": date_sent if date_sent is not None else message["date_sent"],
            "price": price if price is not None else message["price"],
            "provider": provider if provider is not None else message.get("provider"),
            "provider_sid": (
                provider_sid if provider_sid is not None else message.get("provider_sid")
            ),
        }
        url = message["status_callback"] if callback else None
        if url:
            method = json.loads(message["options"]).get("_callback_method", "POST")
            task = self.callbacks.get((sid, url, method))
            if task is None:
                task = self.callbacks[(sid, url, method)] = {
                    "purpose": "status_callback",
                    "account_sid": message["account_sid"],
                    "url": url,
                    "method": method,
                    "calls": [],
                }
            task["calls"].append(
                {
                    "event": f"{sid}:{status}",
                    "params": status_params(message, status, self.now, error_code),
                }
            )
        return True

    def pending(self, provider_sids: set[str]) -> dict[str, dict[str, Any]]:
        """Messages changed here but not yet written, by their provider reference, as they
        will be once written (a receipt settled in the transaction of its hand-over)."""
        found: dict[str, dict[str, Any]] = {}
        for sid, change in self.updates.items():
            ref = change["provider_sid"]
            if ref in provider_sids:
                found[ref] = {
                    **self.rows[sid],
                    **{k: v for k, v in change.items() if not k.startswith("b_")},
                }
        return found

    def enqueue(self, kind: str, ref: str, due_at: int, payload: dict[str, Any]) -> None:
        self.tasks.append(
            {"kind": kind, "ref": ref, "due_at": due_at, "payload": payload, "created_at": self.now}
        )

    def requeue(self, message: Mapping[str, Any]) -> None:
        """A transiently rejected message waits in ``queued`` for its retry (no callback)."""
        self.change_status(message, "queued", callback=False)

    def lanes(self) -> set[str]:
        """The lanes of the tasks waiting to be written."""
        found = {queue.lane_of(task["kind"]) for task in self.tasks}
        if self.callbacks:
            found.add(queue.lane_of(queue.WEBHOOK))
        return found

    def flush(self, conn: Connection) -> None:
        changes = list(self.updates.values())
        leaving = [c["b_sid"] for c in changes if c["b_from"] == "scheduled" != c["status"]]
        if leaving:
            # Only a change that applies gives a place back (a cancel and the send at SendAt
            # may race for one message): the ones still scheduled, read under the writer's
            # lock (row locks on PostgreSQL), are the ones whose guarded update applies.
            left: dict[str, int] = {}
            for _, account_sid in _SCHEDULED_NOW.rows(conn, {"sids": leaving}):
                left[account_sid] = left.get(account_sid, 0) + 1
            messages_repo.free_scheduled_places(conn, left)
        _UPDATE_STATUS.execute_many(conn, changes)
        for (sid, _, _), payload in self.callbacks.items():
            self.enqueue(queue.WEBHOOK, sid, self.now, payload)
        queue.enqueue_many(conn, self.tasks)
        self.updates, self.tasks, self.callbacks, self.rows = {}, [], {}, {}


def status_params(
    message: Mapping[str, Any], status: str, now: int, error_code: int | None
) -> list[tuple[str, str]]:
    """The form Twilio posts to a StatusCallback."""
    params = [
        ("MessageSid", message["sid"]),
        ("SmsSid", message["sid"]),
        ("MessageStatus", status),
        ("SmsStatus", status),
        ("AccountSid", message["account_sid"]),
        ("From", message["from_"]),
        ("To", message["to"]),
        ("ApiVersion", API_VERSION),
    ]
    if message["messaging_service_sid"]:
        params.append(("MessagingServiceSid", message["messaging_service_sid"]))
    if error_code is not None:
        params.append(("ErrorCode", str(error_code)))
    if status in ("delivered", "undelivered"):
        params.append(("RawDlrDoneDate", _dlr_date(now // 60_000_000)))
    return params


@functools.lru_cache(maxsize=4)
def _dlr_date(minute: int) -> str:
    """A receipt's done date as carriers write it (to the minute), for a minute since the
    epoch: a batch of receipts shares one, so it is formatted once, not per message."""
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%y%m%d%H%M")


def price_for(segments: int) -> str:
    return f"-{PRICE_PER_SEGMENT * max(segments, 1):.5f}"


def kind_of_sender(conn: Connection, account_sid: str, sender: str) -> str:
    """The throughput kind of a sender the account chose itself (a scheduled message's
    ``From``), as its number says, when it is dispatched."""
    number = _SENDER.execute(conn, {"a": account_sid, "n": sender})
    return sender_kind(sender, None if number is None else str(number[2]))
