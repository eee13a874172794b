"""Retry policy as data: exponential backoff with full jitter, bounded attempts."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    base_seconds: float = 1.0
    cap_seconds: float = 300.0
    max_attempts: int = 6

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 0).

        Full jitter (a uniform draw up to the exponential bound) spreads retries of many
        messages that failed together, so they do not hit the carrier again in lockstep.
        """
        bound = min(self.cap_seconds, self.base_seconds * (2**attempt))
        return (rng or random).uniform(bound / 2, bound)

    def gives_up(self, attempt: int) -> bool:
        return attempt + 1 >= self.max_attempts
