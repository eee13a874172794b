"""The Message: its statuses, create-time validation, and Twilio's test "magic numbers".

Validation is pure: it takes the parsed request and answers a :class:`MessageRequest` or raises
:class:`MessageRejected` carrying Twilio's error code, checked in the order Twilio checks them
so that a request with several faults gets the same error it would get from Twilio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from telephonist.domain import phone
from telephonist.domain.commands import SendMessage
from telephonist.domain.encoding import segment
from telephonist.domain.errors import Rejected

MAX_BODY_CHARS = 1600
MAX_MEDIA = 10
DEFAULT_VALIDITY_PERIOD = 36_000

STATUSES = (
    "queued",
    "sending",
    "sent",
    "failed",
    "delivered",
    "undelivered",
    "receiving",
    "received",
    "accepted",
    "scheduled",
    "read",
    "partially_delivered",
    "canceled",
)
FINAL_STATUSES: frozenset[str] = frozenset(
    {"failed", "delivered", "undelivered", "received", "read", "canceled"}
)

# The status machine: which status a message may move to from which. Every status change the
# dispatcher writes is guarded by it (``UPDATE … WHERE status IN (sources)``), so a late or
# repeated outcome can never move a message backwards or out of a final status.
TRANSITIONS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"queued", "canceled"}),
    "queued": frozenset({"sending", "failed", "canceled"}),
    # ``sending`` falls back to ``queued`` when the carrier asks us to try again later.
    "sending": frozenset({"sent", "failed", "queued"}),
    "sent": frozenset({"delivered", "undelivered", "failed", "read"}),
    "delivered": frozenset({"read"}),
    "accepted": frozenset({"queued", "scheduled", "failed"}),
    "receiving": frozenset({"received"}),
}


def can_move(current: str, target: str) -> bool:
    """Whether a message in ``current`` may move to ``target``."""
    return target in TRANSITIONS.get(current, frozenset())


def sources(target: str) -> tuple[str, ...]:
    """Every status from which ``target`` can be reached, sorted (for guarded updates)."""
    return tuple(sorted(s for s, targets in TRANSITIONS.items() if target in targets))


# Twilio's test credentials answer these To/From numbers with fixed outcomes; we honour them
# for every account so existing test suites keep passing.
MAGIC_FROM_OK = "+15005550006"
MAGIC_FROM_ERRORS: dict[str, int] = {
    "+15005550001": 21212,
    "+15005550007": 21606,
    "+15005550008": 21611,
}
MAGIC_TO_ERRORS: dict[str, int] = {
    "+15005550001": 21211,
    "+15005550002": 21612,
    "+15005550003": 21408,
    "+15005550004": 21610,
    "+15005550009": 21614,
}


class MessageRejected(Rejected):
    """Create-time validation failed with a Twilio error code and message."""


@dataclass(frozen=True, slots=True)
class MessageRequest:
    """A validated request to send a message, before the sender's ownership is checked."""

    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    media_urls: tuple[str, ...]
    encoding: str
    num_segments: int
    status_callback: str | None
    validity_period: int
    options: dict[str, str] = field(default_factory=dict)


SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
"""A Messaging Service SID, which a ``From`` may hold instead of a sender."""


def is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def validate_create(
    *,
    to: str | None,
    from_: str | None,
    messaging_service_sid: str | None,
    body: str | None,
    media_urls: list[str],
    status_callback: str | None,
    validity_period: int | None,
    smart_encoded: bool,
    options: dict[str, str],
) -> MessageRequest:
    """Check a Messages create request the way Twilio does, in Twilio's order."""
    if not to:
        raise MessageRejected(21604)
    if from_ and SERVICE_SID.fullmatch(from_):
        # A Messaging Service SID may stand in the From: the service picks the sender.
        messaging_service_sid, from_ = messaging_service_sid or from_, None
    if not from_ and not messaging_service_sid:
        raise MessageRejected(21603)
    body = body or ""
    if not body and not media_urls:
        raise MessageRejected(21602)
    to_e164 = phone.parse_e164(_plus_restored(to))
    if to_e164 is None or (to_e164 in MAGIC_TO_ERRORS and MAGIC_TO_ERRORS[to_e164] == 21211):
        raise MessageRejected(21211, f"The 'To' number {to} is not a valid phone number.")
    sender: str | None = None
    if from_:
        sender = _parse_sender(from_)
        if sender is None:
            raise MessageRejected(
                21212,
                f"The 'From' number {from_} is not a valid phone number, shortcode, "
                "or alphanumeric sender ID.",
            )
        if sender in MAGIC_FROM_ERRORS:
            raise MessageRejected(MAGIC_FROM_ERRORS[sender])
    if to_e164 in MAGIC_TO_ERRORS:
        raise MessageRejected(MAGIC_TO_ERRORS[to_e164])
    _check_limits(body, media_urls, 0)
    if status_callback is not None and status_callback != "" and not is_http_url(status_callback):
        raise MessageRejected(21609)
    if validity_period is not None and not 1 <= validity_period <= DEFAULT_VALIDITY_PERIOD:
        raise MessageRejected(21624)
    seg = segment(body, smart_encoded=smart_encoded)
    return MessageRequest(
        to=to_e164,
        from_=sender,
        messaging_service_sid=messaging_service_sid or None,
        body=seg_body(seg.segments, body, smart_encoded),
        media_urls=tuple(media_urls),
        encoding=seg.encoding,
        # A media-only message still travels as one (MMS) part.
        num_segments=max(seg.num_segments, 1),
        status_callback=status_callback or None,
        validity_period=validity_period or DEFAULT_VALIDITY_PERIOD,
        options=options,
    )


def check_content(body: str, media_urls: list[str], *, inline_media: int = 0) -> None:
    """The content checks every message takes, inbound from a handset included."""
    if not body and not media_urls and not inline_media:
        raise MessageRejected(21602)
    _check_limits(body, media_urls, inline_media)


def _check_limits(body: str, media_urls: list[str], inline_media: int) -> None:
    if len(body) > MAX_BODY_CHARS:
        raise MessageRejected(21617)
    if len(media_urls) + inline_media > MAX_MEDIA:
        raise MessageRejected(21623)
    for url in media_urls:
        if not is_http_url(url):
            raise MessageRejected(21620, f"Media URL {url} is not a valid HTTP or HTTPS URL.")


def validate(command: SendMessage) -> MessageRequest:
    """Check a :class:`SendMessage` the way Twilio checks a create request."""
    return validate_create(
        to=command.to,
        from_=command.from_,
        messaging_service_sid=command.messaging_service_sid,
        body=command.body,
        media_urls=list(command.media_urls),
        status_callback=command.status_callback,
        validity_period=command.validity_period,
        smart_encoded=bool(command.smart_encoded),
        options=dict(command.options),
    )


def seg_body(segments: tuple[str, ...], body: str, smart_encoded: bool) -> str:
    """The body as it will be sent: smart encoding rewrites look-alike characters."""
    return "".join(segments) if smart_encoded else body


def _plus_restored(value: str) -> str:
    """``curl -d To=+1415...`` sends the plus as a space; Twilio reads it as meant."""
    if value.startswith(" ") and value.strip().isdigit():
        return "+" + value.strip()
    return value


def _parse_sender(value: str) -> str | None:
    e164 = phone.parse_e164(_plus_restored(value))
    if e164 is not None:
        return e164
    if phone.is_short_code(value) or phone.is_alphanumeric_sender(value):
        return value
    return None


def parse_send_at(value: str) -> int:
    """A scheduled message's ``SendAt`` (ISO 8601 with a time zone, as the SDKs send it:
    ``2030-01-01T12:00:00Z``), in microseconds since the epoch; 35114 for anything else."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise MessageRejected(35114, f"SendAt {value!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None or "T" not in text:
        raise MessageRejected(35114, f"SendAt {value!r} has no time or no time zone")
    return int(moment.timestamp() * 1_000_000)


def check_send_at(send_at: int, now: int, window: tuple[int, int]) -> None:
    """SendAt must fall inside the scheduling window (seconds ahead of now); 35114."""
    least, most = window
    ahead = (send_at - now) / 1_000_000
    if not least <= ahead <= most:
        raise MessageRejected(
            35114,
            f"SendAt must be between {least} and {most} seconds from now, not {ahead:.0f}",
        )
