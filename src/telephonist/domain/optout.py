"""Twilio's default opt-out management: the STOP, START and HELP keywords and their replies.

A handset that texts an opt-out keyword to a number is unsubscribed from that number's sender
scope (its Messaging Service, when the number is in a service's pool, otherwise the number
itself) and sending to it from that scope fails with 21610 until it texts an opt-in keyword.
A help keyword only earns the help reply.

A keyword matches only as the whole message: case does not matter and surrounding whitespace
is trimmed, but "STOP please" (or "STOP.") is an ordinary message, as Twilio's "only
single-word messages trigger the block".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

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
