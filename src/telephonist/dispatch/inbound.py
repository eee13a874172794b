"""A handset sends to one of our numbers: store the message, then owe the app its webhook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert

from telephonist.dispatch import queue
from telephonist.dispatch.pipeline import API_VERSION, price_for
from telephonist.domain import phone
from telephonist.domain.encoding import segment
from telephonist.domain.sids import new_sid
from telephonist.storage.schema import carrier_log, media, media_content, messages


@dataclass(frozen=True, slots=True)
class InboundMedia:
    content_type: str
    content: bytes
    source_url: str | None = None


def media_url(base_url: str, account_sid: str, message_sid: str, media_sid: str) -> str:
    """Where the app fetches inbound media: the Media resource without ``.json``, as Twilio."""
    return f"{base_url}/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}/Media/{media_sid}"


def receive(
    conn: Connection,
    *,
    number: Any,
    config: dict[str, Any],
    from_: str,
    body: str,
    attachments: list[InboundMedia],
    now: int,
    base_url: str,
) -> dict[str, Any]:
    """Store an inbound message to ``number`` (an incoming_numbers row) and queue its webhook."""
    seg = segment(body)
    sid = new_sid("MM" if attachments else "SM")
    account_sid = number["account_sid"]
    row = {
        "sid": sid,
        "account_sid": account_sid,
        "direction": "inbound",
        "from_": from_,
        "to": number["phone_number"],
        "body": body,
        "status": "received",
        "encoding": seg.encoding,
        "num_segments": max(seg.num_segments, 1),
        "num_media": len(attachments),
        "error_code": None,
        "error_message": None,
        "price": price_for(seg.num_segments),
        "price_unit": "USD",
        "messaging_service_sid": None,
        "status_callback": None,
        "validity_period": 36_000,
        "options": "{}",
        "date_created": now,
        "date_updated": now,
        "date_sent": now,
    }
    conn.execute(insert(messages).values(row))
    urls: list[tuple[str, str]] = []
    for position, item in enumerate(attachments):
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
    conn.execute(
        insert(carrier_log).values(
            message_sid=sid,
            direction="mo",
            handset=from_,
            peer=number["phone_number"],
            body=body,
            num_media=len(attachments),
            scenario="",
            created_at=now,
        )
    )
    sms_url = config.get("sms_url") or ""
    if sms_url:
        queue.enqueue(
            conn,
            queue.INBOUND,
            sid,
            now,
            {
                "purpose": "inbound",
                "url": sms_url,
                "method": config.get("sms_method") or "POST",
                "fallback_url": config.get("sms_fallback_url") or None,
                "fallback_method": config.get("sms_fallback_method") or "POST",
                "account_sid": account_sid,
                "event": f"{sid}:inbound",
                "inbound_from": from_,
                "inbound_to": number["phone_number"],
                "params": webhook_params(row, urls, seg.num_segments),
            },
            now,
        )
    return row


def webhook_params(
    row: dict[str, Any], urls: list[tuple[str, str]], segments: int
) -> list[tuple[str, str]]:
    """Every parameter Twilio sends to a number's SmsUrl."""
    sender = phone.info(row["from_"]) if row["from_"].startswith("+") else None
    receiver = phone.info(row["to"])
    params = [
        ("MessageSid", row["sid"]),
        ("SmsSid", row["sid"]),
        ("SmsMessageSid", row["sid"]),
        ("AccountSid", row["account_sid"]),
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
        ("ToCountry", receiver.country or ""),
    ]
    for n, (url, content_type) in enumerate(urls):
        params += [(f"MediaUrl{n}", url), (f"MediaContentType{n}", content_type)]
    return params
