"""Commands: what someone asks telephonist to do, as plain data, before anything is checked.

Every path that creates a message (the REST API, a TwiML ``<Message>`` reply, and later the
scheduler, bulk sends and Messaging Services) builds a :class:`SendMessage` and hands it to the
one create path (:func:`telephonist.dispatch.pipeline.send_message`), so they are all
validated the same way and stored the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["outbound-api", "outbound-reply", "outbound-call"]


@dataclass(frozen=True, slots=True)
class SendMessage:
    """Send one message from ``from_`` to ``to`` on behalf of ``account_sid``."""

    account_sid: str
    to: str | None
    from_: str | None
    body: str | None
    media_urls: tuple[str, ...] = ()
    direction: Direction = "outbound-api"
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    callback_method: str = "POST"
    validity_period: int | None = None
    # SmartEncoded as asked (None: not asked, so a Messaging Service's SmartEncoding decides).
    smart_encoded: bool | None = None
    # When a scheduled message is to be sent (microseconds since the epoch); None: now.
    send_at: int | None = None
    # Twilio parameters accepted and kept with the message (MaxPrice, Attempt, ...).
    options: dict[str, str] = field(default_factory=dict)
