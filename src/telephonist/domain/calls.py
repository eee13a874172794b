"""Calls: Twilio's call statuses and the moves between them, and how a simulated handset
answers a call placed to it.

Every status change a call takes is checked against :data:`TRANSITIONS` and written as a
guarded ``UPDATE … WHERE status IN (sources(target))``, as messages are: a late or repeated
event (a hang-up racing the end of the TwiML, a task run twice after its lease ran out) can
never move a call backwards or out of a final status, so each call reports exactly one final
status.
"""

from __future__ import annotations

from dataclasses import dataclass

from telephonist.domain import scripts
from telephonist.domain.errors import TelephonistError

STATUSES: tuple[str, ...] = (
    "queued",
    "ringing",
    "in-progress",
    "completed",
    "busy",
    "failed",
    "no-answer",
    "canceled",
)
FINAL_STATUSES: frozenset[str] = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
DIRECTIONS: tuple[str, ...] = ("inbound", "outbound-api", "outbound-dial")

# outbound:  queued -> ringing -> in-progress -> completed, with busy / no-answer / failed /
# canceled possible before the answer. An inbound call starts ringing.
TRANSITIONS: dict[str, frozenset[str]] = {
    "queued": frozenset({"ringing", "canceled", "failed"}),
    "ringing": frozenset({"in-progress", "busy", "no-answer", "failed", "canceled"}),
    "in-progress": frozenset({"completed"}),
}

# StatusCallbackEvent names and the CallStatus each one reports (``initiated`` is a callback
# name, never a stored status).
EVENTS: tuple[str, ...] = ("initiated", "ringing", "answered", "completed")


def can_move(current: str, target: str) -> bool:
    """Whether a call in ``current`` may move to ``target``."""
    return target in TRANSITIONS.get(current, frozenset())


def sources(target: str) -> tuple[str, ...]:
    """Every status from which ``target`` can be reached, sorted (for guarded updates)."""
    return tuple(sorted(s for s, targets in TRANSITIONS.items() if target in targets))


def event_of(status: str) -> str:
    """The StatusCallbackEvent under which a move to ``status`` is reported."""
    if status in FINAL_STATUSES:
        return "completed"
    if status == "in-progress":
        return "answered"
    if status == "ringing":
        return "ringing"
    return "initiated"


# How a handset answers. ``reject`` rings, then declines: the caller sees ``busy``, as a
# declined call is reported; ``busy`` is busy at once.
BEHAVIORS: tuple[str, ...] = ("answer", "busy", "no-answer", "fail", "machine", "reject")
DEFAULT_ANSWER_AFTER_MICROS = 1_000_000  # one ring
DEFAULT_GREETING_MICROS = 5_000_000  # an answering machine's greeting before the beep
MAX_ANSWER_AFTER_SECONDS = 600


class InvalidBehavior(TelephonistError, ValueError):
    """A handset behaviour that cannot be set; ``parameter`` names the offending one."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True, slots=True)
class Behavior:
    """How a handset answers calls placed to it (the default: after one ring, silent)."""

    kind: str = "answer"
    answer_after: int = DEFAULT_ANSWER_AFTER_MICROS
    script: tuple[scripts.Step, ...] = ()

    def outcome(self) -> str:
        """The final status a call to this handset reaches when it is not answered, or
        ``in-progress`` when it is (by a person or a machine)."""
        return {
            "answer": "in-progress",
            "machine": "in-progress",
            "busy": "busy",
            "reject": "busy",
            "no-answer": "no-answer",
            "fail": "failed",
        }[self.kind]

    def answered_by(self) -> str | None:
        """What machine detection reports for this handset's answer (None: not answered)."""
        if self.kind == "answer":
            return "human"
        if self.kind == "machine":
            return "machine_start"
        return None

    def rings(self) -> bool:
        """Whether a call to this handset rings before its outcome."""
        return self.kind not in ("busy", "fail")


def behavior(kind: str, answer_after: str | None = None, script: str | None = None) -> Behavior:
    """A :class:`Behavior` from the control API's parameters, checked.

    Raises :class:`InvalidBehavior` (or :class:`~telephonist.domain.scripts.InvalidScript`
    for the script).
    """
    if kind not in BEHAVIORS:
        raise InvalidBehavior("Behavior", f"Behavior must be one of {', '.join(BEHAVIORS)}")
    after = DEFAULT_ANSWER_AFTER_MICROS
    if answer_after is not None:
        try:
            seconds = float(answer_after)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= MAX_ANSWER_AFTER_SECONDS:  # also refuses NaN
            raise InvalidBehavior(
                "AnswerAfter", f"AnswerAfter must be 0 to {MAX_ANSWER_AFTER_SECONDS} seconds"
            )
        after = round(seconds * 1_000_000)
    steps = scripts.parse(script) if script else ()
    if steps and kind not in ("answer", "machine"):
        raise InvalidBehavior("Script", f"A handset that answers {kind} runs no script")
    return Behavior(kind, after, steps)


__all__ = [
    "BEHAVIORS",
    "DIRECTIONS",
    "EVENTS",
    "FINAL_STATUSES",
    "STATUSES",
    "TRANSITIONS",
    "Behavior",
    "InvalidBehavior",
    "behavior",
    "can_move",
    "event_of",
    "sources",
]
