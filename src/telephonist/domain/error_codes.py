"""Twilio's error dictionary, shipped as data, and the HTTP status that goes with each code.

The catalogue (``data/error_codes.json``) is generated from Twilio's published error JSON so that
error texts and ``more_info`` links are Twilio's own rather than our paraphrases. That JSON does
not carry HTTP statuses, so they are a table here: a code's status is decided once, not at each
place that raises it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"

DEFAULT_HTTP_STATUS = 400
"""What Twilio answers for a request it refuses: every validation code (21xxx, 3xxxx, 35xxx...)."""

HTTP_STATUS: dict[int, int] = {
    20003: 401,  # Authenticate: bad or missing credentials
    20004: 405,  # Method not allowed
    20005: 403,  # Account not active: the credentials are right, the account may not act
    20006: 403,  # Access Denied: e.g. a subaccount changing its own status
    20008: 403,  # Test Credentials used on a resource that does not support them
    20009: 409,  # Cannot delete this resource before it is complete
    20404: 404,  # Not Found
    20409: 409,  # Conflict: an Idempotency-Key reused with other parameters, an alpha
    # sender a Messaging Service already has
    20413: 413,  # Request Entity Too Large
    20429: 429,  # Too Many Requests
    20500: 500,  # Internal Server Error
    20503: 503,  # Service unavailable
    21701: 404,  # The Messaging Service does not exist ("HTTP status: 404" in Twilio's docs)
}
"""Codes whose HTTP status is not :data:`DEFAULT_HTTP_STATUS`, from Twilio's API reference, its
error pages and observed answers."""


@cache
def _catalog() -> dict[str, dict[str, str]]:
    text = resources.files("telephonist").joinpath("data/error_codes.json").read_text("utf-8")
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


def catalog_message(code: int) -> str:
    """Twilio's title for ``code``, or a neutral text for codes newer than the catalogue."""
    entry = _catalog().get(str(code))
    return entry["message"] if entry else f"Error {code}"


def http_status(code: int) -> int:
    """The HTTP status Twilio answers with when it refuses a request with ``code``."""
    return HTTP_STATUS.get(code, DEFAULT_HTTP_STATUS)


def log_level(code: int) -> str:
    entry = _catalog().get(str(code))
    return entry["log_level"] if entry else "ERROR"


def more_info(code: int) -> str:
    return MORE_INFO.format(code=code)
