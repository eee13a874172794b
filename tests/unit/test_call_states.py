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


ACCOUNT = "AC" + "0" * 32


def place(**overrides: object) -> calls.CallRequest:
    params: dict[str, object] = {
        "account_sid": ACCOUNT,
        "to": "+14155550100",
        "from_": "+14155550199",
        "url": "https://app.example/voice",
    }
    params.update(overrides)
    return calls.validate_call(calls.PlaceCall(**params))  # type: ignore[arg-type]


def test_a_plain_call_takes_twilios_defaults() -> None:
    req = place()
    assert (req.method, req.timeout, req.time_limit, req.events) == (
        "POST",
        60,
        4 * 60 * 60,
        frozenset({"completed"}),
    )


def test_url_wins_over_twiml_and_either_or_an_application_will_do() -> None:
    assert place(twiml="<Response/>").twiml is None
    assert place(url=None, twiml="<Response/>").twiml == "<Response/>"
    assert place(url=None, application_sid="AP" + "a" * 32).application_sid == "AP" + "a" * 32


def test_status_callback_events_as_the_sdks_send_them() -> None:
    events = place(status_callback_event=("initiated ringing", "answered")).events
    assert events == {"initiated", "ringing", "answered"}


def test_send_digits_turns_machine_detection_off() -> None:
    assert place(machine_detection="Enable").machine_detection == "Enable"
    assert place(machine_detection="Enable", send_digits="1w2").machine_detection is None


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"to": None}, 21201),
        ({"to": "", "from_": None}, 21201),
        ({"from_": None}, 21213),
        ({"to": "not a number"}, 21211),
        ({"to": "client:"}, 21211),
        ({"from_": "12"}, 21212),
        ({"url": None}, 21205),
        ({"url": "ftp://app.example/x"}, 21205),
        ({"url": None, "twiml": "x" * 4001}, 21205),
        ({"url": None, "application_sid": "AP123"}, 21218),
        ({"fallback_url": "nope"}, 21205),
        ({"status_callback": "nope"}, 21205),
        ({"method": "PUT"}, 21209),
        ({"fallback_method": "DELETE"}, 21209),
        ({"status_callback_event": ("completed hungup",)}, 21626),
        ({"timeout": "0"}, 21208),
        ({"timeout": "601"}, 21208),
        ({"timeout": "ten"}, 21208),
        ({"time_limit": "-5"}, 20001),
        ({"send_digits": "12x"}, 21206),
        ({"send_digits": "1" * 33}, 21206),
        ({"machine_detection": "enable"}, 21234),
        # Twilio's test numbers
        ({"from_": "+15005550001"}, 21212),
        ({"to": "+15005550001"}, 21217),
        ({"to": "+15005550002"}, 21214),
        ({"to": "+15005550003"}, 21215),
        ({"to": "+15005550004"}, 21216),
    ],
)
def test_bad_creates_get_twilios_codes(overrides: dict[str, object], code: int) -> None:
    with pytest.raises(calls.CallRejected) as caught:
        place(**overrides)
    assert caught.value.code == code
