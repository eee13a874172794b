"""Caller scripts: the one-line form tests, the CLI and the console share."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephonist.domain import scripts
from telephonist.domain.scripts import Action, Hangup, InvalidScript, Press, Say, Wait


def test_the_documented_example() -> None:
    steps = scripts.parse('wait 2; press 1; wait 1; say "billing please"; wait 5; hangup')
    assert steps == (
        Wait(2_000_000),
        Press("1"),
        Wait(1_000_000),
        Say("billing please"),
        Wait(5_000_000),
        Hangup(),
    )
    assert scripts.timeline(steps) == [
        Action(2_000_000, "digits", "1"),
        Action(3_000_000, "speech", "billing please"),
        Action(8_000_000, "hangup"),
    ]


def test_blank_script_has_no_steps() -> None:
    assert scripts.parse("") == ()
    assert scripts.parse("   ") == ()
    assert scripts.timeline(()) == []


def test_decimal_waits_and_pauses_inside_digits() -> None:
    steps = scripts.parse("wait 0.25;press 12w#ww3;wait .5; press *")
    assert scripts.timeline(steps) == [
        Action(250_000, "digits", "12"),
        Action(750_000, "digits", "#"),
        Action(1_750_000, "digits", "3"),
        Action(2_250_000, "digits", "*"),
    ]


def test_semicolons_and_escaped_quotes_inside_speech() -> None:
    steps = scripts.parse(r'say "one; two \"three\" back\\slash"; hangup')
    assert steps == (Say('one; two "three" back\\slash'), Hangup())


def test_no_hangup_leaves_the_handset_on_the_line() -> None:
    actions = scripts.timeline(scripts.parse("wait 1; press 5"))
    assert [a.kind for a in actions] == ["digits"]


@pytest.mark.parametrize(
    ("script", "step", "reason"),
    [
        ("wait 2; presss 1", 2, "expected wait, press, say or hangup"),
        ("wait", 1, "wait takes seconds"),
        ("wait -1", 1, "wait takes seconds"),
        ("wait 1e3", 1, "wait takes seconds"),
        ("wait nan", 1, "wait takes seconds"),
        ("wait 0.0000001", 1, "wait takes seconds"),
        ("wait 86401", 1, "at most"),
        ("press 12a", 1, "press takes digits"),
        ("press W", 1, "press takes digits"),
        ("press", 1, "press takes digits"),
        ("say hello", 1, "double quotes"),
        ('say "unclosed', 1, "double quotes"),
        ('say ""', 1, "needs some text"),
        ('say "a" "b"', 1, "needs a backslash"),
        (r'say "bad \n escape"', 1, "may follow a backslash"),
        ("hangup now", 1, "hangup takes nothing"),
        ("hangup; wait 1", 2, "nothing may follow hangup"),
        ("wait 1;; hangup", 2, "empty step"),
        ("wait 1;", 2, "empty step"),
        ("WAIT 1", 1, "expected wait"),
    ],
)
def test_malformed_scripts_name_the_step(script: str, step: int, reason: str) -> None:
    with pytest.raises(InvalidScript) as caught:
        scripts.parse(script)
    assert caught.value.step == step
    assert reason in caught.value.reason
    assert f"step {step}" in str(caught.value)


def test_size_limits() -> None:
    with pytest.raises(InvalidScript, match="steps"):
        scripts.parse("; ".join(["press 1"] * (scripts.MAX_STEPS + 1)))
    with pytest.raises(InvalidScript, match="characters"):
        scripts.parse('say "' + "a" * 20_000 + '"')


_steps = st.lists(
    st.one_of(
        st.integers(0, scripts.MAX_WAIT_SECONDS * 1_000_000).map(Wait),
        st.from_regex(r"[0-9*#w]{1,8}", fullmatch=True).map(Press),
        st.text(min_size=1, max_size=20)
        .filter(lambda t: t.strip() != "" and t == t.strip())
        .map(Say),
    ),
    max_size=12,
).map(tuple)


@given(_steps, st.booleans())
def test_format_then_parse_gives_the_same_steps(
    steps: tuple[scripts.Step, ...], hang: bool
) -> None:
    if hang:
        steps = (*steps, Hangup())
    assert scripts.parse(scripts.format_script(steps)) == steps
