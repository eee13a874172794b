"""Calls: the status machine and how simulated handsets answer."""

from __future__ import annotations

import pytest

from telephonist.domain import calls
from telephonist.domain.calls import Behavior, InvalidBehavior
from telephonist.domain.scripts import InvalidScript, Press


def test_final_statuses_are_final() -> None:
    for final in calls.FINAL_STATUSES:
        assert not any(calls.can_move(final, target) for target in calls.STATUSES), final


def test_every_status_is_reachable_from_queued_or_ringing() -> None:
    reachable = {"queued", "ringing"}
    frontier = ["queued", "ringing"]
    while frontier:
        for target in calls.TRANSITIONS.get(frontier.pop(), ()):
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(calls.STATUSES)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("queued", "canceled", True),
        ("ringing", "canceled", True),
        ("in-progress", "canceled", False),  # an answered call is hung up, not canceled
        ("in-progress", "completed", True),
        ("ringing", "completed", False),  # a call that never answered does not complete
        ("in-progress", "ringing", False),
        ("completed", "in-progress", False),
    ],
)
def test_moves(current: str, target: str, allowed: bool) -> None:
    assert calls.can_move(current, target) is allowed


def test_sources_feed_the_guarded_updates() -> None:
    assert calls.sources("canceled") == ("queued", "ringing")
    assert calls.sources("completed") == ("in-progress",)
    assert calls.sources("queued") == ()


def test_callback_events() -> None:
    assert [calls.event_of(s) for s in ("queued", "ringing", "in-progress")] == [
        "initiated",
        "ringing",
        "answered",
    ]
    assert {calls.event_of(s) for s in calls.FINAL_STATUSES} == {"completed"}


def test_default_handset_answers_after_one_ring_and_stays_silent() -> None:
    default = Behavior()
    assert (default.outcome(), default.answer_after, default.script) == (
        "in-progress",
        1_000_000,
        (),
    )
    assert default.answered_by() == "human"


@pytest.mark.parametrize(
    ("kind", "outcome", "answered_by", "rings"),
    [
        ("answer", "in-progress", "human", True),
        ("machine", "in-progress", "machine_start", True),
        ("busy", "busy", None, False),
        ("reject", "busy", None, True),
        ("no-answer", "no-answer", None, True),
        ("fail", "failed", None, False),
    ],
)
def test_behaviors(kind: str, outcome: str, answered_by: str | None, rings: bool) -> None:
    chosen = calls.behavior(kind)
    assert (chosen.outcome(), chosen.answered_by(), chosen.rings()) == (
        outcome,
        answered_by,
        rings,
    )


def test_behavior_parameters() -> None:
    chosen = calls.behavior("answer", "2.5", "press 1")
    assert (chosen.answer_after, chosen.script) == (2_500_000, (Press("1"),))
    assert calls.behavior("answer", "0").answer_after == 0


@pytest.mark.parametrize(
    ("args", "parameter"),
    [
        (("ring",), "Behavior"),
        (("answer", "-1"), "AnswerAfter"),
        (("answer", "nan"), "AnswerAfter"),
        (("answer", "soon"), "AnswerAfter"),
        (("answer", "601"), "AnswerAfter"),
        (("busy", None, "press 1"), "Script"),
    ],
)
def test_bad_behaviors_name_the_parameter(args: tuple[str, ...], parameter: str) -> None:
    with pytest.raises(InvalidBehavior) as caught:
        calls.behavior(*args)
    assert caught.value.parameter == parameter


def test_a_bad_script_is_the_script_error() -> None:
    with pytest.raises(InvalidScript) as caught:
        calls.behavior("answer", None, "wait 1; hop")
    assert caught.value.step == 2
