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

from sqlalchemy import Connection, insert, update

from telephonist.dispatch import queue
from telephonist.dispatch.ratelimit import DEFAULT_MPS, release, reserve
from telephonist.domain.error_codes import catalog_message
from telephonist.storage.schema import media, messages

API_VERSION = "2010-04-01"
# Simulated list price of one outbound SMS segment, in USD (Twilio's US long-code rate).
PRICE_PER_SEGMENT = 0.0079


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
    conn.execute(insert(messages).values(row))
    if media_rows:
        conn.execute(insert(media), media_rows)
    rate = mps.get(kind, DEFAULT_MPS["local"])
    slot = reserve(conn, row["from_"], row["num_segments"], rate, now)
    expired = slot.wait_micros > row["validity_period"] * 1_000_000
    if expired:
        release(conn, row["from_"], row["num_segments"], rate)
    queue.enqueue(conn, queue.SEND, row["sid"], now if expired else slot.due_at,
                  {"expired": expired}, now)


def change_status(
    conn: Connection,
    message: Mapping[str, Any],
    status: str,
    now: int,
    *,
    error_code: int | None = None,
    date_sent: int | None = None,
    price: str | None = None,
) -> None:
    """Move a message to ``status`` and queue the status callback it owes, if any."""
    values: dict[str, Any] = {"status": status, "date_updated": now}
    if error_code is not None:
        values["error_code"] = error_code
        values["error_message"] = catalog_message(error_code)
    if date_sent is not None:
        values["date_sent"] = date_sent
    if price is not None:
        values["price"] = price
    conn.execute(update(messages).where(messages.c.sid == message["sid"]).values(values))
    callback = message["status_callback"]
    if callback:
        method = json.loads(message["options"]).get("_callback_method", "POST")
        queue.enqueue(conn, queue.WEBHOOK, message["sid"], now, {
            "purpose": "status_callback",
            "url": callback,
            "method": method,
            "account_sid": message["account_sid"],
            "event": f"{message['sid']}:{status}",
            "params": status_params(message, status, now, error_code),
        }, now)


def status_params(
    message: Mapping[str, Any], status: str, now: int, error_code: int | None
) -> list[tuple[str, str]]:
    """The form Twilio posts to a StatusCallback."""
    params = [
        ("MessageSid", message["sid"]), ("SmsSid", message["sid"]),
        ("MessageStatus", status), ("SmsStatus", status),
        ("AccountSid", message["account_sid"]), ("From", message["from_"]),
        ("To", message["to"]), ("ApiVersion", API_VERSION),
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
