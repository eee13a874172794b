"""The simulated carrier's timers, as task handlers: a delivery receipt falls due.

A receipt goes to :func:`telephonist.dispatch.inbound.apply_receipts`, the inbound path every
provider's receipts take. One that arrives before the hand-over is recorded (another lane is
still recording it) is tried again shortly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from telephonist.dispatch import queue
from telephonist.dispatch.inbound import apply_receipts
from telephonist.dispatch.pipeline import Outbox
from telephonist.dispatch.tasks import Done, Handler
from telephonist.providers.base import Receipt
from telephonist.providers.simulator.carrier import NAME, RECEIPT_TASK, Simulator, provider_sid

RETRY_MICROS = 100_000
MAX_TRIES = 600


class ReceiptTimer(Handler):
    """``sim_receipt`` tasks (and ``receipt`` tasks queued by earlier versions)."""

    lane = queue.SEND_LANE

    def __init__(self, kind: str = RECEIPT_TASK, simulator: Simulator | None = None) -> None:
        self.kind = kind
        self.simulator = simulator

    async def work(self, tasks: Sequence[queue.Task], state: Any) -> list[Done]:
        return [Done(task, value=self._receipt(task)) for task in tasks]

    def _receipt(self, task: queue.Task) -> Receipt:
        p = task.payload
        ref = p.get("provider_sid") or provider_sid(task.ref)
        return Receipt(NAME, ref, p["status"], p.get("error_code"))

    def apply(self, conn: Connection, results: Sequence[Done], state: Any, outbox: Outbox) -> None:
        receipts = [d.value for d in results]
        unmatched = set(map(id, apply_receipts(conn, receipts, outbox)))
        for done in results:
            tries = int(done.task.payload.get("tries", 0))
            if id(done.value) in unmatched and tries < MAX_TRIES:
                outbox.enqueue(
                    RECEIPT_TASK,
                    done.task.ref,
                    outbox.now + RETRY_MICROS,
                    {
                        **done.task.payload,
                        "provider_sid": done.value.provider_sid,
                        "tries": tries + 1,
                    },
                )

    def settle_due(self, conn: Connection, refs: Sequence[str], outbox: Outbox) -> None:
        """Immediate receipts for messages whose hand-over is being recorded: through the same
        inbound path, in the same transaction, so ``sent`` and ``delivered`` are one write."""
        if self.simulator is not None:
            # Matched by the hand-over being recorded with them, so none can be unmatched.
            apply_receipts(conn, self.simulator.settle(refs), outbox)
