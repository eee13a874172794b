"""``inbound`` tasks: call the number's SmsUrl with an inbound message and run its TwiML.

The app's TwiML is fetched (falling back to SmsFallbackUrl, following redirects) and planned
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

from telephonist.dispatch import queue
from telephonist.dispatch.alerts import record_alert
from telephonist.dispatch.handlers.webhook import Attempts, load_tokens, pairs, record_attempts
from telephonist.dispatch.pipeline import Outbox, send_message
from telephonist.dispatch.ratelimit import DEFAULT_MPS
from telephonist.dispatch.tasks import Done
from telephonist.domain.commands import SendMessage
from telephonist.domain.messages import MessageRejected
from telephonist.twiml.messaging import FollowRedirect, SendReply, plan_messaging
from telephonist.twiml.parse import TwimlError
from telephonist.webhooks.delivery import Attempt, WebhookClient

MAX_REDIRECTS = 10


@dataclass
class Answered:
    attempts: Attempts = field(default_factory=list)
    replies: list[SendReply] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)


def as_warning(warning: Any) -> tuple[int, str]:
    """A planner warning as ``(code, detail)``."""
    if isinstance(warning, tuple):
        return int(warning[0]), str(warning[1])
    text = str(warning)
    code = text.split(" ", 1)[0]
    return (int(code) if code.isdigit() else 12200), text


class InboundHandler:
    kind = queue.INBOUND
    lane = queue.WEBHOOK_LANE

    def __init__(self, webhooks: WebhookClient, mps: Mapping[str, float] = DEFAULT_MPS) -> None:
        self.webhooks = webhooks
        self.mps = mps

    def load(self, conn: Connection, tasks: Sequence[queue.Task], now: int) -> dict[str, str]:
        return load_tokens(conn, tasks)

    async def work(self, tasks: Sequence[queue.Task], tokens: dict[str, str]) -> list[Done]:
        results = []
        for task in tasks:
            token = tokens.get(task.payload["account_sid"])
            answered = Answered()
            if token is not None:
                await self._answer(task.payload, token, answered)
            results.append(Done(task, value=answered))
        return results

    async def _answer(self, p: dict[str, Any], token: str, out: Answered) -> None:
        params = pairs(p["params"])
        url = p["url"]
        attempt, code, actions = await self._fetch(url, p["method"], params, token, p, out)
        if code is not None and p.get("fallback_url"):
            out.attempts.append((attempt, code, params))
            fallback_params = [*params, ("ErrorCode", str(code)), ("ErrorUrl", url)]
            attempt, code, actions = await self._fetch(
                p["fallback_url"],
                p.get("fallback_method", "POST"),
                fallback_params,
                token,
                p,
                out,
                token_url=url,
            )
        out.attempts.append((attempt, code, params))
        out.replies = [a for a in actions if isinstance(a, SendReply)]

    async def _fetch(
        self,
        url: str,
        method: str,
        params: list[tuple[str, str]],
        token: str,
        p: dict[str, Any],
        out: Answered,
        token_url: str | None = None,
    ) -> tuple[Attempt, int | None, list[SendReply | FollowRedirect]]:
        actions: list[SendReply | FollowRedirect] = []
        for _ in range(MAX_REDIRECTS + 1):
            attempt = await self.webhooks.send(
                url, method, params, auth_token=token, event=p["event"], token_url=token_url
            )
            if not attempt.ok:
                return attempt, attempt.error_code, actions
            if attempt.too_large:
                return attempt, 11750, actions
            if attempt.status == 204 or not attempt.body.strip():
                return attempt, None, actions
            try:
                plan = plan_messaging(
                    attempt.body,
                    attempt.content_type,
                    document_url=url,
                    inbound_from=p["inbound_from"],
                    inbound_to=p["inbound_to"],
                )
            except TwimlError as exc:
                return attempt, exc.code, actions
            out.warnings.extend(as_warning(w) for w in plan.warnings)
            actions.extend(a for a in plan.actions if isinstance(a, SendReply))
            redirect = next((a for a in plan.actions if isinstance(a, FollowRedirect)), None)
            if redirect is None:
                return attempt, None, actions
            url, method = redirect.url, redirect.method
        return attempt, 11215, actions

    def apply(self, conn: Connection, results: Sequence[Done], state: Any, outbox: Outbox) -> None:
        now = outbox.now
        for done in results:
            answered: Answered = done.value
            account = done.task.payload["account_sid"]
            record_attempts(conn, done.task, answered.attempts, now)
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
