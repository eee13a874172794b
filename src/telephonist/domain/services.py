"""Messaging Services: the settings a service gives its messages, and how it picks a sender.

A message sent with a ``MessagingServiceSid`` and no ``From`` is ``accepted`` with no sender;
the sender is chosen when it is dispatched, from the service's pool, in Twilio's order:

1. **Sticky sender** (``sticky_sender``, on by default): the number or short code that last
   texted this recipient from this service, while it is still in the pool and can carry the
   message, so a conversation keeps one sender.
2. **Short code** of the recipient's country: Twilio "always prioritizes message delivery
   with your short code when possible". A short code never texts abroad, nor carries media
   unless it is MMS-enabled; then the pool's numbers send instead (Twilio's "Short Code
   Reroute").
3. **Alphanumeric sender ID**, for a recipient outside the US and Canada (which do not
   deliver them) when the pool has one and the message has no media: the pool's destination
   alpha sender for the recipient's country, else one for every country (an AlphaSender, or a
   destination alpha sender with no country). Twilio "always attempts to prioritize message
   delivery with your Destination Alpha Sender", so a country's own sender ID comes first.
4. **Area-code geomatch** (``area_code_geomatch``, on by default): for a North American
   recipient, a number with the recipient's area code.
5. **Country match**: a number of the recipient's country.
6. **Any number** of the pool that can carry the message (MMS-capable when it has media).

Among equals the sender whose queue frees soonest wins (its next free send slot), then the
lowest: a busy pool spreads its load, and a quiet one answers the same way every time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from telephonist.domain import phone, short_codes

DEFAULT_CONFIG: dict[str, Any] = {
    "inbound_request_url": None,
    "inbound_method": "POST",
    "fallback_url": None,
    "fallback_method": "POST",
    "status_callback": None,
    "sticky_sender": True,
    "mms_converter": True,
    "smart_encoding": True,
    "scan_message_content": "inherit",
    "fallback_to_long_code": False,
    "area_code_geomatch": True,
    "synchronous_validation": False,
    "validity_period": 36000,
    "usecase": "undeclared",
    "use_inbound_webhook_on_number": False,
}
"""Every configurable field of a Service, as Twilio names it, with Twilio's default."""

POOL_LIMIT = 400
"""The phone numbers and short codes a service's pool holds at most (Twilio's default limit,
error 21714)."""


def settings_of(config: str) -> dict[str, Any]:
    """A service's stored configuration (JSON) with the defaults of what it never set."""
    return {**DEFAULT_CONFIG, **json.loads(config)}


@dataclass(frozen=True, slots=True)
class InboundWebhook:
    """Where an inbound message's webhook goes, and its fallback."""

    url: str
    method: str
    fallback_url: str | None
    fallback_method: str


@dataclass(frozen=True, slots=True)
class InboundRoute:
    """What becomes of a text to one of an account's numbers: ``dropped`` (its service has
    inbound turned off: nothing is stored and no webhook is called), or stored and (when
    ``webhook`` is set) sent to the app."""

    webhook: InboundWebhook | None
    dropped: bool = False


def inbound_route(number: Mapping[str, Any], service: Mapping[str, Any] | None) -> InboundRoute:
    """The webhook of a text to a number (``number``: its stored configuration) in the pool
    of ``service`` (its settings, as :func:`settings_of` answers them; None: in no pool).

    The service's ``inbound_request_url`` (with ``inbound_method``, and ``fallback_url`` /
    ``fallback_method`` as its fallback) receives it, unless ``use_inbound_webhook_on_number``
    is set, when the number's own SmsUrl does; a service with no ``inbound_request_url`` turns
    inbound off for its pool, and the message is dropped."""
    if service is None or service.get("use_inbound_webhook_on_number"):
        url = number.get("sms_url") or ""
        if not url:
            return InboundRoute(None)
        return InboundRoute(
            InboundWebhook(
                url,
                number.get("sms_method") or "POST",
                number.get("sms_fallback_url") or None,
                number.get("sms_fallback_method") or "POST",
            )
        )
    url = service.get("inbound_request_url") or ""
    if not url:
        return InboundRoute(None, dropped=True)
    return InboundRoute(
        InboundWebhook(
            url,
            service.get("inbound_method") or "POST",
            service.get("fallback_url") or None,
            service.get("fallback_method") or "POST",
        )
    )


@dataclass(frozen=True, slots=True)
class PoolNumber:
    """A phone number of a service's pool, as sender selection sees it."""

    phone_number: str
    kind: str  # local, mobile, toll_free: it sets the number's throughput
    iso_country: str
    cap_sms: bool
    cap_mms: bool


@dataclass(frozen=True, slots=True)
class PoolShortCode:
    """A short code of a service's pool, as sender selection sees it."""

    short_code: str
    iso_country: str  # the only country it texts
    cap_mms: bool


@dataclass(frozen=True, slots=True)
class Pool:
    """A service's senders: its numbers, its alpha senders for every country
    (``alpha_senders``) and those for one country (``destination_alpha_senders``: (ISO
    country, alpha sender) pairs)."""

    numbers: tuple[PoolNumber, ...]
    alpha_senders: tuple[str, ...] = ()
    short_codes: tuple[PoolShortCode, ...] = ()
    destination_alpha_senders: tuple[tuple[str, str], ...] = ()

    @property
    def empty(self) -> bool:
        return (
            not self.numbers
            and not self.alpha_senders
            and not self.short_codes
            and not self.destination_alpha_senders
        )

    def senders(self) -> list[str]:
        """The numbers and short codes, whose queues sender selection compares."""
        return [n.phone_number for n in self.numbers] + [c.short_code for c in self.short_codes]

    def alpha_sender_for(self, country: str | None) -> str | None:
        """The alpha sender for a recipient in ``country``: that country's own, else one for
        every country; the lowest name among equals, so the choice is the same every time."""
        own = [name for code, name in self.destination_alpha_senders if code == country]
        if own:
            return min(own)
        return min(self.alpha_senders, default=None)


@dataclass(frozen=True, slots=True)
class Chosen:
    sender: str
    kind: str  # the sender's kind, for its throughput ("alphanumeric" for an alpha sender)


def _nanp(number: str) -> bool:
    return number.startswith("+1") and len(number) == 12


def choose_sender(
    to: str,
    pool: Pool,
    *,
    with_media: bool,
    sticky: str | None,
    settings: Mapping[str, Any],
    next_free: Mapping[str, int],
) -> Chosen | None:
    """The sender for a message to ``to`` (see the module's docstring); None when no sender
    of the pool can carry it."""
    able = [n for n in pool.numbers if n.cap_sms and (n.cap_mms or not with_media)]
    codes = [
        c
        for c in pool.short_codes
        if (c.cap_mms or not with_media) and short_codes.reaches(c.iso_country, to)
    ]
    if sticky is not None and settings.get("sticky_sender", True):
        for number in able:
            if number.phone_number == sticky:
                return Chosen(number.phone_number, number.kind)
        for code in codes:
            if code.short_code == sticky:
                return Chosen(code.short_code, short_codes.KIND)
    if codes:
        quickest = min(codes, key=lambda c: (next_free.get(c.short_code, 0), c.short_code))
        return Chosen(quickest.short_code, short_codes.KIND)
    if not with_media and not _nanp(to):
        alpha = pool.alpha_sender_for(phone.info(to).country)
        if alpha is not None:
            return Chosen(alpha, "alphanumeric")
    if not able:
        return None
    candidates = able
    if settings.get("area_code_geomatch", True) and _nanp(to):
        same_area = [n for n in able if _nanp(n.phone_number) and n.phone_number[2:5] == to[2:5]]
        if same_area:
            candidates = same_area
    if candidates is able:
        country = phone.info(to).country
        same_country = [n for n in able if n.iso_country == country]
        if same_country:
            candidates = same_country
    best = min(candidates, key=lambda n: (next_free.get(n.phone_number, 0), n.phone_number))
    return Chosen(best.phone_number, best.kind)


def sorted_pool(
    numbers: Sequence[PoolNumber],
    alphas: Sequence[str],
    codes: Sequence[PoolShortCode] = (),
    destination_alphas: Sequence[tuple[str, str]] = (),
) -> Pool:
    """The pool with its senders in a fixed order. A destination alpha sender with no country
    (``""``) serves every country, as an AlphaSender does, so it joins those."""
    everywhere = [*alphas, *(name for country, name in destination_alphas if not country)]
    for_country = [(country, name) for country, name in destination_alphas if country]
    return Pool(
        tuple(sorted(numbers, key=lambda n: n.phone_number)),
        tuple(sorted(everywhere)),
        tuple(sorted(codes, key=lambda c: c.short_code)),
        tuple(sorted(for_country)),
    )
