"""Twilio's error dictionary, shipped as data.

The catalogue (``data/error_codes.json``) is generated from Twilio's published error JSON so that
error texts and ``more_info`` links are Twilio's own rather than our paraphrases.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


@cache
def _catalog() -> dict[str, dict[str, str]]:
    text = resources.files("telephonist").joinpath("data/error_codes.json").read_text("utf-8")
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


def catalog_message(code: int) -> str:
    """Twilio's title for ``code``, or a neutral text for codes newer than the catalogue."""
    entry = _catalog().get(str(code))
    return entry["message"] if entry else f"Error {code}"


def log_level(code: int) -> str:
    entry = _catalog().get(str(code))
    return entry["log_level"] if entry else "ERROR"


def more_info(code: int) -> str:
    return MORE_INFO.format(code=code)
