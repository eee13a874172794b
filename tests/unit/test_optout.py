"""Keyword matching for Twilio's default opt-out management: the whole message, any case,
surrounding whitespace trimmed, and nothing else."""

from __future__ import annotations

import pytest

from telephonist.domain.optout import (
    DEFAULT,
    HELP_REPLY,
    START_REPLY,
    STOP_REPLY,
    Keywords,
    keyword_set,
)


@pytest.mark.parametrize(
    "body",
    ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"],
)
def test_every_opt_out_keyword(body: str) -> None:
    assert DEFAULT.match(body) == "STOP"


@pytest.mark.parametrize("body", ["START", "YES", "UNSTOP"])
def test_every_opt_in_keyword(body: str) -> None:
    assert DEFAULT.match(body) == "START"


@pytest.mark.parametrize("body", ["HELP", "INFO"])
def test_every_help_keyword(body: str) -> None:
    assert DEFAULT.match(body) == "HELP"


@pytest.mark.parametrize("body", ["stop", "Stop", "  STOP  ", "\tstop\n", "sToPaLl"])
def test_case_and_surrounding_whitespace_do_not_matter(body: str) -> None:
    assert DEFAULT.match(body) == "STOP"


@pytest.mark.parametrize(
    "body",
    ["STOP please", "please stop", "STOP.", "S TOP", "STOPP", "", "   ", "stop stop", "HELP!"],
)
def test_anything_but_the_whole_keyword_is_an_ordinary_message(body: str) -> None:
    assert DEFAULT.match(body) is None


def test_the_default_replies() -> None:
    assert [DEFAULT.reply(kind) for kind in ("STOP", "START", "HELP")] == [
        STOP_REPLY,
        START_REPLY,
        HELP_REPLY,
    ]
    assert STOP_REPLY.startswith("You have successfully been unsubscribed.")
    assert HELP_REPLY == "Reply STOP to unsubscribe. Msg&Data Rates May Apply."


def test_custom_keywords_replace_the_defaults() -> None:
    custom = Keywords(stop=keyword_set([" arret ", "Halt"]), help=keyword_set(["aide"]))
    assert (custom.match("ARRET"), custom.match("halt"), custom.match("Aide")) == (
        "STOP",
        "STOP",
        "HELP",
    )
    assert custom.match("STOP") is None
    assert custom.match("start") == "START"  # a kind not customised keeps its defaults


def test_keyword_set_drops_empty_words() -> None:
    assert keyword_set(["", "  ", "stop"]) == frozenset({"STOP"})
