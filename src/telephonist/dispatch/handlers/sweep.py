"""``sweep`` tasks: housekeeping that runs on the queue's clock, once per interval.

Conversation cookies expire four hours after they were set, idempotency keys a day after
their create; expired rows are never used, and this removes them. The task reschedules itself
when it runs, so it is durable, follows the manual clock, and runs once per interval however
many workers share the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from telephonist.dispatch import queue
from telephonist.dispatch.pipeline import Outbox
from telephonist.dispatch.tasks import Done, Handler
from telephonist.storage import cookies
from telephonist.storage.repositories import idempotency
from telephonist.storage.schema import tasks

KIND = "sweep"
REF = "conversation_cookies"
EVERY_MICROS = 600 * 1_000_000


def ensure_scheduled(conn: Connection, now: int) -> None:
    """Queue the sweep unless one is queued already (called when a process starts)."""
    if not conn.execute(select(func.count()).where(tasks.c.kind == KIND)).scalar():
        queue.enqueue(conn, KIND, REF, now + EVERY_MICROS, {}, now)


class SweepHandler(Handler):
    kind = KIND
    lane = queue.SEND_LANE

    async def work(self, batch: Sequence[queue.Task], state: Any) -> list[Done]:
        return [Done(task) for task in batch]

    def apply(self, conn: Connection, results: Sequence[Done], state: Any, outbox: Outbox) -> None:
        if not results:
            return
        cookies.delete_expired(conn, outbox.now)
        idempotency.delete_expired(conn, outbox.now)
        # Two processes that started together may both have queued one: the spare ends here.
        if not conn.execute(select(func.count()).where(tasks.c.kind == KIND)).scalar():
            outbox.enqueue(KIND, REF, outbox.now + EVERY_MICROS, {})
