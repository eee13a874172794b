"""The A2P 10DLC daily limit rules: what a message uses of it and the warnings it earns."""

from __future__ import annotations

from telephonist.domain import a2p


def test_the_daily_limit_counts_segments_and_an_mms_as_one() -> None:
    assert a2p.daily_units(3, 0) == 3
    assert a2p.daily_units(0, 0) == 1
    assert a2p.daily_units(2, 1) == 1


def test_the_daily_limit_warnings_are_earned_once_each_when_crossed() -> None:
    assert a2p.limit_warnings(499, 500, 1000) == [a2p.DAILY_LIMIT_HALF]
    assert a2p.limit_warnings(500, 501, 1000) == []
    assert a2p.limit_warnings(498, 699, 1000) == [a2p.DAILY_LIMIT_HALF]
    assert a2p.limit_warnings(450, 1000, 1000) == [
        a2p.DAILY_LIMIT_HALF,
        a2p.DAILY_LIMIT_MOST,
        a2p.DAILY_LIMIT_REACHED,
    ]
    assert a2p.limit_warnings(999, 1001, 1000) == [a2p.DAILY_LIMIT_REACHED]
