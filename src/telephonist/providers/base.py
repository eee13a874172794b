"""The provider seam: what the dispatcher needs from a carrier, and nothing more.

``submit`` hands one message to the carrier and says what happened: accepted (with the
delivery receipt the carrier will send later, if any) or rejected (transient: retry later;
permanent: the message fails). ``record`` writes the provider's own side effects for a batch
of accepted messages inside the transaction that records their outcomes, which is what makes
the simulator exactly-once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy import Connection


@dataclass(frozen=True, slots=True)
class Outbound:
    sid: str
    account_sid: str
    from_: str
    to: str
    body: str
    num_segments: int
    num_media: int
    attempt: int


@dataclass(frozen=True, slots=True)
class Accepted:
    """The carrier took the message. A receipt follows after ``receipt_after`` seconds."""

    scenario: str
    receipt_status: Literal["delivered", "undelivered"] | None
    receipt_after: float = 0.0
    receipt_error: int | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """The carrier refused the message: ``transient`` ones are retried, others fail it."""

    code: int
    transient: bool
    scenario: str = ""


Outcome = Accepted | Rejected


class Provider(Protocol):
    name: str

    async def submit(self, message: Outbound) -> Outcome:
        """Hand ``message`` to the carrier."""
        ...

    def record(
        self, conn: Connection, results: Sequence[tuple[Outbound, Outcome]], now: int
    ) -> None:
        """Write provider-side effects in the transaction that records these outcomes."""
        ...
