"""The error tree, as the rest of the package imports it.

The classes live in :mod:`telephonist.domain.errors` so that the pure core can raise them; the
tree is drawn there. This module re-exports them with the constructors for the answers every
resource shares.
"""

from __future__ import annotations

from typing import TypeVar

from telephonist.domain.errors import TelephonistError, TwilioError

T = TypeVar("T")


def not_found(path: str) -> TwilioError:
    """Twilio's 404: the same answer whether the resource is missing or belongs to someone else."""
    return TwilioError(20404, f"The requested resource {path} was not found")


def found(value: T | None, path: str) -> T:
    """``value``, or the 404 for ``path`` when a lookup found nothing."""
    if value is None:
        raise not_found(path)
    return value


def authentication_failed() -> TwilioError:
    return TwilioError(20003, "Authenticate", detail="Your AccountSid or AuthToken was incorrect.")


def invalid_parameter(message: str) -> TwilioError:
    return TwilioError(20422, message)


__all__ = [
    "TelephonistError",
    "TwilioError",
    "authentication_failed",
    "found",
    "invalid_parameter",
    "not_found",
]
