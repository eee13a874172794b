"""Caller scripts: what a simulated handset does on an answered call, written as one line.

The form is fixed so that one script works unchanged in a test, on the command line and in
the console::

    wait 2; press 1; wait 1; say "billing please"; wait 5; hangup

Steps are separated by ``;`` (a ``;`` inside the quotes of a ``say`` is text). Each step is
one of

- ``wait SECONDS``: a decimal number of seconds (``1``, ``0.25``) on the call clock;
- ``press DIGITS``: ``0``-``9``, ``*``, ``#``, and ``w`` for a half-second pause;
- ``say "TEXT"``: speech, in double quotes (``\\"`` and ``\\\\`` inside them);
- ``hangup``: the handset hangs up; nothing may follow it.

Times count from the moment the call is answered. A ``press`` and a ``say`` take no time of
their own (a ``w`` inside a ``press`` does). A script that ends without ``hangup`` leaves the
handset on the line, silent.

This module only parses and plans: :func:`parse` turns the text into steps (or raises
:class:`InvalidScript` naming the step that is wrong) and :func:`timeline` turns steps into
what the handset does at which microsecond after the answer. Running them is the caller's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from telephonist.domain.errors import TelephonistError

MICROS = 1_000_000
# A press's ``w``: half a second, as in Twilio's SendDigits.
PAUSE_MICROS = MICROS // 2
# No call lasts longer than Twilio's longest TimeLimit (24 hours): a longer wait is a typo.
MAX_WAIT_SECONDS = 24 * 60 * 60
MAX_STEPS = 1000
MAX_SCRIPT_CHARS = 16_384

_VERB = re.compile(r"(\S+)\s+")
_DIGITS = re.compile(r"[0-9*#w]+")
_SECONDS = re.compile(r"[0-9]+(\.[0-9]{1,6})?|\.[0-9]{1,6}")


class InvalidScript(TelephonistError, ValueError):
    """A caller script that cannot be run; ``step`` is its 1-based number (0: the script)."""

    def __init__(self, step: int, text: str, reason: str) -> None:
        where = f"step {step} ({text!r})" if step else "the script"
        super().__init__(f"Invalid caller script: {where}: {reason}")
        self.step = step
        self.text = text
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Wait:
    micros: int


@dataclass(frozen=True, slots=True)
class Press:
    digits: str


@dataclass(frozen=True, slots=True)
class Say:
    text: str


@dataclass(frozen=True, slots=True)
class Hangup:
    pass


Step = Wait | Press | Say | Hangup


@dataclass(frozen=True, slots=True)
class Action:
    """Something the handset does, ``at`` microseconds after the call was answered."""

    at: int
    kind: str  # "digits" | "speech" | "hangup"
    value: str = ""


def parse(script: str) -> tuple[Step, ...]:
    """The steps of ``script``; an empty (or blank) script has none."""
    if len(script) > MAX_SCRIPT_CHARS:
        raise InvalidScript(0, "", f"longer than {MAX_SCRIPT_CHARS} characters")
    pieces = _split(script)
    if len(pieces) == 1 and not pieces[0].strip():
        return ()
    if len(pieces) > MAX_STEPS:
        raise InvalidScript(0, "", f"more than {MAX_STEPS} steps")
    steps: list[Step] = []
    for number, piece in enumerate(pieces, start=1):
        text = piece.strip()
        if steps and isinstance(steps[-1], Hangup):
            raise InvalidScript(number, text, "nothing may follow hangup")
        steps.append(_step(number, text))
    return tuple(steps)


def format_script(steps: tuple[Step, ...]) -> str:
    """The canonical text of ``steps``: :func:`parse` of it gives the same steps back."""
    return "; ".join(_format(step) for step in steps)


def timeline(steps: tuple[Step, ...]) -> list[Action]:
    """What the handset does and when, in order; digits split at each ``w`` pause."""
    at = 0
    actions: list[Action] = []
    for step in steps:
        if isinstance(step, Wait):
            at += step.micros
        elif isinstance(step, Press):
            for index, group in enumerate(step.digits.split("w")):
                if index:
                    at += PAUSE_MICROS
                if group:
                    actions.append(Action(at, "digits", group))
        elif isinstance(step, Say):
            actions.append(Action(at, "speech", step.text))
        else:
            actions.append(Action(at, "hangup"))
    return actions


def _split(script: str) -> list[str]:
    """Split at the semicolons outside quotes; an unclosed quote is the last step's error."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in script:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return pieces


def _step(number: int, text: str) -> Step:
    if not text:
        raise InvalidScript(number, text, "empty step")
    head = _VERB.match(text)
    verb, rest = (head.group(1), text[head.end() :].strip()) if head else (text, "")
    if verb == "wait":
        if not _SECONDS.fullmatch(rest):
            raise InvalidScript(number, text, "wait takes seconds, e.g. wait 1.5")
        seconds = Decimal(rest)
        if seconds > MAX_WAIT_SECONDS:
            raise InvalidScript(number, text, f"wait is at most {MAX_WAIT_SECONDS} seconds")
        return Wait(int(seconds * MICROS))
    if verb == "press":
        if not _DIGITS.fullmatch(rest):
            raise InvalidScript(number, text, "press takes digits 0-9, *, # and w")
        return Press(rest)
    if verb == "say":
        return Say(_quoted(number, text, rest))
    if verb == "hangup":
        if rest:
            raise InvalidScript(number, text, "hangup takes nothing")
        return Hangup()
    raise InvalidScript(number, text, "expected wait, press, say or hangup")


def _quoted(number: int, text: str, rest: str) -> str:
    if len(rest) < 2 or rest[0] != '"' or rest[-1] != '"':
        raise InvalidScript(number, text, 'say takes text in double quotes, e.g. say "yes"')
    body = rest[1:-1]
    out: list[str] = []
    chars = iter(body)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            if nxt not in ('"', "\\"):
                raise InvalidScript(number, text, 'only \\" and \\\\ may follow a backslash')
            out.append(nxt)
        elif char == '"':
            raise InvalidScript(number, text, 'a " inside the text needs a backslash')
        else:
            out.append(char)
    spoken = "".join(out)
    if not spoken.strip():
        raise InvalidScript(number, text, "say needs some text")
    return spoken


def _format(step: Step) -> str:
    if isinstance(step, Wait):
        seconds = Decimal(step.micros) / MICROS
        return f"wait {_decimal_text(seconds)}"
    if isinstance(step, Press):
        return f"press {step.digits}"
    if isinstance(step, Say):
        escaped = step.text.replace("\\", "\\\\").replace('"', '\\"')
        return f'say "{escaped}"'
    return "hangup"


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


__all__ = [
    "MAX_STEPS",
    "MAX_WAIT_SECONDS",
    "PAUSE_MICROS",
    "Action",
    "Hangup",
    "InvalidScript",
    "Press",
    "Say",
    "Step",
    "Wait",
    "format_script",
    "parse",
    "timeline",
]
