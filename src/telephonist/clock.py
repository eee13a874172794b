"""Time as a dependency.

Everything that reads the time takes a :class:`Clock`, so tests (and the simulated carrier)
can move time forward without sleeping.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The machine's wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to. Starts at a fixed instant unless given one."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward; never backward, because nothing real does."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._now = datetime.fromtimestamp(self._now.timestamp() + seconds, UTC)


def to_micros(moment: datetime) -> int:
    """Datetimes are stored as integer microseconds since the epoch: sortable and portable."""
    return round(moment.timestamp() * 1_000_000)


def from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / 1_000_000, UTC)


def monotonic() -> float:
    return time.monotonic()
