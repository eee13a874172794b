"""A message's life inside the database: queued, handed over, receipted, with its callbacks.

Every function here runs inside the caller's transaction, so a status change and the status
callback it owes are stored together (an outbox): a crash can delay a callback, never lose it.
All paths that create messages (the API, TwiML replies, later the scheduler) come through
:func:`queue_outbound`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from telephonist.dispatch import queue
from telephonist.dispatch.ratelimit import DEFAULT_MPS, release, reserve
from telephonist.domain.error_codes import catalog_message
from telephonist.storage.prepared import Prepared
from telephonist.storage.schema import media, messages

API_VERSION = "2010-04-01"
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


def queue_outbound(
    conn: Connection,
    row: dict[str, Any],
    media_rows: list[dict[str, Any]],
    *,
    kind: str,
    now: int,
    mps: Mapping[str, float] = DEFAULT_MPS,
) -> None:
    """Store an outbound message and reserve its sender's next slot.

    A message whose wait for that slot would outlast its ValidityPeriod takes no slot: it is due
    at once and fails there with 30001 (queue overflow), as on Twilio.
    """
    _INSERT_MESSAGE.execute(conn, row)
    if media_rows:
        _INSERT_MEDIA.execute_many(conn, media_rows)
    rate = mps.get(kind, DEFAULT_MPS["local"])
    slot = reserve(conn, row["from_"], row["num_segments"], rate, now)
    expired = slot.wait_micros > row["validity_period"] * 1_000_000
    if expired:
        release(conn, row["from_"], row["num_segments"], rate)
    queue.enqueue(
        conn, queue.SEND, row["sid"], now if expired else slot.due_at, {"expired": expired}, now
    )


_UPDATE_STATUS = Prepared(
    update(messages)
    .where(messages.c.sid == bindparam("b_sid"))
    .values(
        status=bindparam("status"),
        date_updated=bindparam("date_updated"),
        error_code=bindparam("error_code"),
        error_message=bindparam("error_message"),
        date_sent=bindparam("date_sent"),
        price=bindparam("price"),
    )
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

    def change_status(
        self,
        message: Mapping[str, Any],
        status: str,
        *,
        error_code: int | None = None,
        date_sent: int | None = None,
        price: str | None = None,
    ) -> None:
        """Move a message to ``status`` and owe its status callback, if it has one."""
        sid = message["sid"]
        code = error_code if error_code is not None else message["error_code"]
        self.updates[sid] = {
            "b_sid": sid,
            "status": status,
            "date_updated": self.now,
            "error_code": code,
            "error_message": catalog_message(code) if code is not None else None,
            "date_sent": date_sent if date_sent is not None else message["date_sent"],
            "price": price if price is not None else message["price"],
        }
        callback = message["status_callback"]
        if callback:
            method = json.loads(message["options"]).get("_callback_method", "POST")
            task = self.callbacks.get((sid, callback, method))
            if task is None:
                task = self.callbacks[(sid, callback, method)] = {
                    "purpose": "status_callback",
                    "account_sid": message["account_sid"],
                    "url": callback,
                    "method": method,
                    "calls": [],
                }
            task["calls"].append(
                {
                    "event": f"{sid}:{status}",
                    "params": status_params(message, status, self.now, error_code),
                }
            )

    def enqueue(self, kind: str, ref: str, due_at: int, payload: dict[str, Any]) -> None:
        self.tasks.append(
            {"kind": kind, "ref": ref, "due_at": due_at, "payload": payload, "created_at": self.now}
        )

    def flush(self, conn: Connection) -> None:
        _UPDATE_STATUS.execute_many(conn, list(self.updates.values()))
        for (sid, _, _), payload in self.callbacks.items():
            self.enqueue(queue.WEBHOOK, sid, self.now, payload)
        queue.enqueue_many(conn, self.tasks)
        self.updates, self.tasks, self.callbacks = {}, [], {}


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
        done = datetime.fromtimestamp(now / 1_000_000, UTC)
        params.append(("RawDlrDoneDate", done.strftime("%y%m%d%H%M")))
    return params


def price_for(segments: int) -> str:
    return f"-{PRICE_PER_SEGMENT * max(segments, 1):.5f}"
