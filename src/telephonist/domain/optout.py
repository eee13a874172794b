"""Twilio's default opt-out management: the STOP, START and HELP keywords and their replies.

A handset that texts an opt-out keyword to a number is unsubscribed from that number's sender
scope (its Messaging Service, when the number is in a service's pool, otherwise the number
itself) and sending to it from that scope fails with 21610 until it texts an opt-in keyword.
A help keyword only earns the help reply.

A Messaging Service may replace any of the keyword lists and replies (:func:`keywords_from`);
what it leaves out keeps Twilio's default.

A keyword matches only as the whole message: case does not matter and surrounding whitespace
is trimmed, but "STOP please" (or "STOP.") is an ordinary message, as Twilio's "only
single-word messages trigger the block".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

OptOutType = Literal["STOP", "START", "HELP"]

STOP_KEYWORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT")
START_KEYWORDS = ("START", "YES", "UNSTOP")
HELP_KEYWORDS = ("HELP", "INFO")

STOP_REPLY = (
    "You have successfully been unsubscribed. You will not receive any more messages from "
    "this number. Reply START to resubscribe."
)
START_REPLY = (
    "You have successfully been re-subscribed to messages from this number. "
    "Reply STOP to unsubscribe."
)
HELP_REPLY = "Reply STOP to unsubscribe. Msg&Data Rates May Apply."


def normalize(keyword: str) -> str:
    """A keyword as it is compared: trimmed, case folded to upper case."""
    return keyword.strip().upper()


@dataclass(frozen=True, slots=True)
class Keywords:
    """The keywords a sender scope answers to, and what it replies to each kind."""

    stop: frozenset[str] = frozenset(STOP_KEYWORDS)
    start: frozenset[str] = frozenset(START_KEYWORDS)
    help: frozenset[str] = frozenset(HELP_KEYWORDS)
    stop_reply: str = STOP_REPLY
    start_reply: str = START_REPLY
    help_reply: str = HELP_REPLY

    def match(self, body: str) -> OptOutType | None:
        """The kind of keyword ``body`` is, or None for an ordinary message."""
        word = normalize(body)
        if word in self.stop:
            return "STOP"
        if word in self.start:
            return "START"
        if word in self.help:
            return "HELP"
        return None

    def reply(self, kind: OptOutType) -> str:
        return {"STOP": self.stop_reply, "START": self.start_reply, "HELP": self.help_reply}[kind]


DEFAULT = Keywords()


def keyword_set(words: Iterable[str]) -> frozenset[str]:
    return frozenset(w for w in (normalize(word) for word in words) if w)


KINDS: tuple[OptOutType, ...] = ("STOP", "START", "HELP")
MAX_KEYWORDS_LENGTH = 255  # a kind's keywords, comma-separated, as Twilio's campaign fields
MAX_REPLY_LENGTH = 320
_WORD = re.compile(r"[A-Z0-9]+")


def keywords_from(config: Mapping[str, Any]) -> Keywords:
    """A service's keywords and replies from what it set (``stop_keywords``, ``stop_reply``,
    ...); the rest are the defaults."""
    values: dict[str, Any] = {}
    for kind in KINDS:
        name = kind.lower()
        if f"{name}_keywords" in config:
            values[name] = keyword_set(config[f"{name}_keywords"])
        if f"{name}_reply" in config:
            values[f"{name}_reply"] = str(config[f"{name}_reply"])
    return Keywords(**values)


def describe(keywords: Keywords) -> dict[str, Any]:
    """The keywords (sorted) and replies, keyed as :func:`keywords_from` reads them."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        name = kind.lower()
        out[f"{name}_keywords"] = sorted(getattr(keywords, name))
    for kind in KINDS:
        out[f"{kind.lower()}_reply"] = keywords.reply(kind)
    return out


def parse_keywords(raw: str) -> list[str]:
    """A comma-separated keyword list as sent; ValueError when a keyword is not letters and
    digits, or the list is empty or too long."""
    if len(raw) > MAX_KEYWORDS_LENGTH:
        raise ValueError(f"at most {MAX_KEYWORDS_LENGTH} characters")
    words = [normalize(w) for w in raw.split(",")]
    if not words or not all(_WORD.fullmatch(w) for w in words):
        raise ValueError("a comma-separated list of words of letters and digits")
    return sorted(set(words))


def check_reply(text: str) -> str:
    if not text.strip() or len(text) > MAX_REPLY_LENGTH:
        raise ValueError(f"1 to {MAX_REPLY_LENGTH} characters")
    return text


def overlap(keywords: Keywords) -> frozenset[str]:
    """Words that are keywords of two kinds (which one would they be?)."""
    return (
        (keywords.stop & keywords.start)
        | (keywords.stop & keywords.help)
        | (keywords.start & keywords.help)
    )
