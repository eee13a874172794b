"""``webhook`` tasks: post a message's status callbacks to one URL, in the order they happened.

Every failed attempt becomes an alert (a v2010 Notification) with the code Twilio would give.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select

from telephonist.dispatch import queue
from telephonist.dispatch.alerts import record_alert
from telephonist.dispatch.pipeline import Outbox
from telephonist.dispatch.tasks import Done, Handler
from telephonist.storage.prepared import Prepared
from telephonist.storage.schema import accounts
from telephonist.webhooks.delivery import Attempt, WebhookClient

_TOKENS = Prepared(
    select(accounts.c.sid, accounts.c.auth_token).where(
        accounts.c.sid.in_(bindparam("sids", expanding=True))
    )
)

# Each webhook request made: its answer, the alert code it earned, the parameters sent.
Attempts = list[tuple[Attempt, int | None, list[tuple[str, str]]]]


def load_tokens(conn: Connection, tasks: Sequence[queue.Task]) -> dict[str, str]:
    """The auth tokens that sign these tasks' requests."""
    # By partition key, which is the payload's account: a lease need not decode payloads.
    sids = list({t.partition_key or t.payload["account_sid"] for t in tasks})
    return dict(_TOKENS.rows(conn, {"sids": sids})) if sids else {}


def pairs(raw: Any) -> list[tuple[str, str]]:
    """Stored parameters (JSON lists of two strings) as pairs."""
    return [(k, v) for k, v in raw]


def record_attempts(conn: Connection, task: queue.Task, attempts: Attempts, now: int) -> None:
    for attempt, code, params in attempts:
        if code is not None:
            record_alert(
                conn,
                account_sid=task.payload["account_sid"],
                code=code,
                now=now,
                resource_sid=task.ref,
                attempt=attempt,
                params=params,
            )


class CallbackHandler(Handler):
    kind = queue.WEBHOOK
    lane = queue.WEBHOOK_LANE

    def __init__(self, webhooks: WebhookClient) -> None:
        self.webhooks = webhooks

    def load(self, conn: Connection, tasks: Sequence[queue.Task], now: int) -> dict[str, str]:
        return load_tokens(conn, tasks)

    async def work(self, tasks: Sequence[queue.Task], tokens: dict[str, str]) -> list[Done]:
        results = []
        for task in tasks:
            done = Done(task, value=[])
            p = task.payload
            token = tokens.get(p["account_sid"])
            if token is not None:
                # A task queued by an earlier version carries one call in the payload itself.
                for call in p.get("calls") or [p]:
                    params = pairs(call["params"])
                    attempt = await self.webhooks.send(
                        p["url"], p["method"], params, auth_token=token, event=call["event"]
                    )
                    done.value.append((attempt, attempt.error_code, params))
            results.append(done)
        return results

    def apply(self, conn: Connection, results: Sequence[Done], state: Any, outbox: Outbox) -> None:
        for done in results:
            record_attempts(conn, done.task, done.value or [], outbox.now)
