"""Twilio's default opt-out management, applied to every text a handset sends a number.

An opt-out keyword (STOP) unsubscribes the handset from the number's sender scope: the
Messaging Service whose pool holds the number, or the number itself. An opt-in keyword
(START) subscribes it again, a help keyword (HELP) only asks for the help text (a service
may have keywords and replies of its own). Each gets
its confirmation reply, sent from the number like any message, through the one create path
(:func:`~telephonist.dispatch.pipeline.send_message`, direction ``outbound-reply``), so it is
stored, paced behind its sender and delivered to the handset.

The reply to STOP is created before the opt-out is recorded, so it is the last message the
handset gets; an opted-out handset's HELP (or a repeated STOP) earns no reply, since the
reply itself would be refused with 21610.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from sqlalchemy import Connection

from telephonist.dispatch.pipeline import send_message
from telephonist.dispatch.ratelimit import DEFAULT_MPS
from telephonist.domain.commands import SendMessage
from telephonist.domain.messages import MessageRejected
from telephonist.domain.optout import DEFAULT, OptOutType, keywords_from
from telephonist.storage.repositories import opt_outs as repo


def is_service(scope: str) -> bool:
    return scope.startswith("MG")


def apply_keyword(
    conn: Connection,
    account_sid: str,
    number: str,
    handset: str,
    body: str,
    *,
    now: int,
    mps: Mapping[str, float] = DEFAULT_MPS,
) -> OptOutType | None:
    """Act on a keyword ``handset`` texted to the account's ``number``; answers its kind
    (the webhook's ``OptOutType``), or None for an ordinary message."""
    scope = repo.scope_of(conn, account_sid, number)
    keywords = keywords_from(repo.get_settings(conn, scope)) if is_service(scope) else DEFAULT
    kind = keywords.match(body)
    if kind is None:
        return None
    if kind == "START":
        repo.opt_in(conn, account_sid, scope, handset)
    reply = SendMessage(
        account_sid=account_sid,
        to=handset,
        from_=number,
        body=keywords.reply(kind),
        direction="outbound-reply",
    )
    # Opted out already (21610), or the account may not send (20005): no reply.
    with contextlib.suppress(MessageRejected):
        send_message(conn, reply, now=now, mps=mps)
    if kind == "STOP":
        repo.opt_out(conn, account_sid, scope, handset, now)
    return kind
