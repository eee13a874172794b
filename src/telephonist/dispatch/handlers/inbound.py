"""``inbound`` tasks: call an inbound message's webhook (the number's SmsUrl, or its service's
InboundRequestUrl) and run its TwiML.

The app's TwiML is fetched (falling back to the fallback URL, following redirects) and planned
with the messaging planner; each ``<Message>`` becomes a :class:`SendMessage` through the one
create path, so a reply the API would refuse (a bad ``to``, a 2,000-character body, a
``from`` the account does not own) is refused the same way and recorded as an alert with the
same code; it never reaches a handset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from telephonist.clock import Clock, to_micros
from telephonist.dispatch import queue
from telephonist.dispatch.alerts import record_alert
from telephonist.dispatch.handlers.webhook import Attempts, load_tokens, pairs, record_attempts
from telephonist.dispatch.pipeline import Outbox, send_message
from telephonist.dispatch.ratelimit import DEFAULT_MPS
from telephonist.dispatch.tasks import Done, Handler
from telephonist.domain.commands import SendMessage
from telephonist.domain.messages import MessageRejected
from telephonist.storage.cookies import Conversation, load_jars, save_jar
from telephonist.twiml.messaging import SendReply, messaging_planner
from telephonist.webhooks.cookies import NO_COOKIES, CookieJar
from telephonist.webhooks.delivery import WebhookClient
from telephonist.webhooks.fetcher import fetch_twiml


@dataclass
class Answered:
    attempts: Attempts = field(default_factory=list)
    replies: list[SendReply] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    cookies: tuple[Conversation, CookieJar] | None = None


@dataclass
class InboundState:
    tokens: dict[str, str]
    cookies: dict[Conversation, CookieJar]


def conversation(payload: dict[str, Any]) -> Conversation:
    """The (account, From, To) pair whose cookies an inbound webhook carries."""
    return Conversation(payload["account_sid"], payload["inbound_from"], payload["inbound_to"])


class InboundHandler(Handler):
    kind = queue.INBOUND
    lane = queue.WEBHOOK_LANE

    def __init__(
        self, webhooks: WebhookClient, clock: Clock, mps: Mapping[str, float] = DEFAULT_MPS
    ) -> None:
        self.webhooks = webhooks
        self.clock = clock
        self.mps = mps

    def chain(self, task: queue.Task) -> str:
        # One conversation's texts in order: each sees the cookies the last one set.
        return "|".join(conversation(task.payload))

    def load(self, conn: Connection, tasks: Sequence[queue.Task], now: int) -> InboundState:
        keys = [conversation(t.payload) for t in tasks]
        return InboundState(load_tokens(conn, tasks), load_jars(conn, keys, now))

    async def work(self, tasks: Sequence[queue.Task], state: InboundState) -> list[Done]:
        results = []
        for task in tasks:
            p = task.payload
            token = state.tokens.get(p["account_sid"])
            answered = Answered()
            if token is not None:
                key = conversation(p)
                jar = state.cookies.get(key, NO_COOKIES)
                result = await fetch_twiml(
                    self.webhooks,
                    messaging_planner(p["inbound_from"], p["inbound_to"]),
                    url=p["url"],
                    method=p["method"],
                    params=pairs(p["params"]),
                    auth_token=token,
                    event=p["event"],
                    now=to_micros(self.clock.now()),
                    fallback_url=p.get("fallback_url"),
                    fallback_method=p.get("fallback_method", "POST"),
                    cookies=jar,
                )
                answered.attempts = list(result.attempts)
                answered.warnings = list(result.warnings)
                answered.replies = [a for a in result.actions if isinstance(a, SendReply)]
                if result.cookies != jar:
                    # The next text of this conversation in the same batch sees them too.
                    state.cookies[key] = result.cookies
                    answered.cookies = (key, result.cookies)
            results.append(Done(task, value=answered))
        return results

    def apply(self, conn: Connection, results: Sequence[Done], state: Any, outbox: Outbox) -> None:
        now = outbox.now
        for done in results:
            answered: Answered = done.value
            account = done.task.payload["account_sid"]
            record_attempts(conn, done.task, answered.attempts, now)
            if answered.cookies is not None:
                save_jar(conn, *answered.cookies, now)
            # Alerts about the TwiML name the request that fetched it.
            answer = answered.attempts[-1][0] if answered.attempts else None
            for code, detail in answered.warnings:
                record_alert(
                    conn,
                    account_sid=account,
                    code=code,
                    now=now,
                    resource_sid=done.task.ref,
                    attempt=answer,
                    text=detail,
                )
            for reply in answered.replies:
                command = SendMessage(
                    account_sid=account,
                    to=reply.to,
                    from_=reply.from_,
                    body=reply.body,
                    media_urls=reply.media_urls,
                    direction="outbound-reply",
                    status_callback=reply.action,
                    callback_method=reply.method if reply.action else "POST",
                )
                try:
                    send_message(conn, command, now=now, mps=self.mps)
                except MessageRejected as exc:
                    record_alert(
                        conn,
                        account_sid=account,
                        code=exc.code,
                        now=now,
                        resource_sid=done.task.ref,
                        attempt=answer,
                        text=f"<Message> to {reply.to} from {reply.from_} not sent: "
                        f"{exc.message or exc.code}",
                    )
