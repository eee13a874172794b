"""Kinds of work, as handlers in a registry keyed by task kind (like a router's table).

The worker only leases, batches and records; what a task *means* lives in its handler:

- :meth:`TaskHandler.load` runs in the transaction that leases a batch: read what the work
  needs (the messages, the account's auth token...) and mark what must be marked before any
  network call (a message becomes ``sending`` before it is handed over).
- :meth:`TaskHandler.work` runs with no transaction open: the network (carrier hand-overs,
  webhooks). It answers one :class:`Done` per task.
- :meth:`TaskHandler.apply` runs in the transaction that records the batch, for the tasks
  whose lease still held: status changes (through the :class:`~telephonist.dispatch.pipeline.
  Outbox`), alerts, new messages, new tasks.

A new kind of work (voice's call steps, the scheduler's timers, a provider's own timers) is a
new handler registered under its kind; nothing in the worker changes. Each handler names its
``lane``: hand-overs and timers run in the send lane, calls to apps in the webhook lane, and
each lane has its own capacity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection

from telephonist.dispatch.pipeline import Outbox
from telephonist.dispatch.queue import Task


@dataclass
class Done:
    """The outcome of one task. ``retry_at`` (microseconds) hands it back to the queue."""

    task: Task
    value: Any = None
    retry_at: int | None = None
    crashed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class TaskHandler(Protocol):
    kind: str
    lane: str

    def chain(self, task: Task) -> str:
        """Tasks with the same chain run one after another, in queue order (a message's
        callbacks; the texts of one conversation); others run side by side."""
        ...

    def load(self, conn: Connection, tasks: Sequence[Task], now: int) -> Any:
        """Read (and mark) what the work needs, in the leasing transaction."""
        ...

    async def work(self, tasks: Sequence[Task], state: Any) -> list[Done]:
        """Do the work, outside any transaction: one :class:`Done` per task, in order."""
        ...

    def apply(self, conn: Connection, results: Sequence[Done], state: Any, outbox: Outbox) -> None:
        """Record outcomes, in the recording transaction."""
        ...

    def settle_due(self, conn: Connection, refs: Sequence[str], outbox: Outbox) -> None:
        """Tasks of this kind about ``refs`` that are already due and need no network work
        (a carrier's immediate receipt) may be settled here, in the transaction that just
        recorded work about those refs, instead of waiting for a batch of their own."""
        ...


class Handler:
    """Defaults for the optional parts of :class:`TaskHandler`: each task is its own chain,
    nothing is loaded, nothing is settled early. Subclasses set ``kind`` and ``lane`` and
    write ``work`` and ``apply``."""

    kind: str
    lane: str

    def chain(self, task: Task) -> str:
        return task.ref

    def load(self, conn: Connection, tasks: Sequence[Task], now: int) -> Any:
        return None

    def settle_due(self, conn: Connection, refs: Sequence[str], outbox: Outbox) -> None:
        return None


class Registry:
    """Handlers by task kind."""

    def __init__(self, handlers: Iterable[TaskHandler] = ()) -> None:
        self._handlers: dict[str, TaskHandler] = {}
        for handler in handlers:
            self.register(handler)

    def register(self, handler: TaskHandler) -> None:
        if handler.kind in self._handlers:
            raise ValueError(f"a handler for {handler.kind!r} tasks is already registered")
        self._handlers[handler.kind] = handler

    def get(self, kind: str) -> TaskHandler | None:
        return self._handlers.get(kind)

    def of_lane(self, lane: str) -> list[TaskHandler]:
        return [h for h in self._handlers.values() if h.lane == lane]
