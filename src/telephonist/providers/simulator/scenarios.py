"""Named carrier behaviours, selectable per handset number.

Each scenario is a few fields of data; the catalogue is shown by the control API and the CLI.
Patterns are shell-style globs on E.164 numbers (``+1555*``); the longest matching pattern
wins, and a number that matches none behaves as ``happy``. Rules come from the settings (for
every account) and from accounts (for their own traffic and their subaccounts'): see
:func:`resolve`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

from telephonist.domain.lookups import LineType


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    receipt: Literal["delivered", "undelivered"] | None = "delivered"
    receipt_after: float = 0.0
    receipt_error: int | None = None
    submit_error: int | None = None  # permanent rejection at submit
    transient_failures: int = 0  # submit attempts that fail transiently before success
    line_type: LineType | None = None  # what Lookups says the line is, if not the plan's type
    receives_mms: bool = True  # False: an MMS is converted to SMS (MmsConverter) or refused


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("happy", "Delivered at once."),
        Scenario("slow", "Delivered after 30 seconds.", receipt_after=30.0),
        Scenario(
            "black_hole", "Accepted by the carrier, then no delivery receipt ever.", receipt=None
        ),
        Scenario(
            "landline",
            "Undelivered: landline or unreachable carrier (30006).",
            receipt="undelivered",
            receipt_error=30006,
            line_type="landline",
        ),
        Scenario(
            "sms_only",
            "Delivered, but takes no MMS: media arrives as links in an SMS (MmsConverter), "
            "or the MMS fails (30011).",
            receives_mms=False,
        ),
        Scenario(
            "unreachable",
            "Undelivered: handset switched off or out of coverage (30003).",
            receipt="undelivered",
            receipt_error=30003,
        ),
        Scenario(
            "unknown",
            "Undelivered: the number no longer exists (30005).",
            receipt="undelivered",
            receipt_error=30005,
        ),
        Scenario(
            "filtered",
            "Undelivered: the carrier filtered the content (30007).",
            receipt="undelivered",
            receipt_error=30007,
        ),
        Scenario(
            "blocked",
            "Undelivered: message blocked by the carrier (30004).",
            receipt="undelivered",
            receipt_error=30004,
        ),
        Scenario(
            "reject_on_submit",
            "Failed: the carrier refuses at submission (30008).",
            receipt=None,
            submit_error=30008,
        ),
        Scenario(
            "flaky_submit", "Two transient submission errors, then delivered.", transient_failures=2
        ),
        Scenario(
            "congested",
            "Carrier congestion: five transient errors (30017), then delivered.",
            transient_failures=5,
        ),
    )
}
DEFAULT = "happy"


Rules = Sequence[tuple[str, str]]


def resolve(number: str, *layers: Rules) -> Scenario:
    """The scenario for ``number``: the longest matching pattern's, else ``happy``.

    ``layers`` are the rules in force, least specific owner first: the configured ones, the
    parent account's, the account's own. Between equally long patterns a later layer wins, so
    an account can override a rule it inherits by setting the same pattern itself.
    """
    best: tuple[int, int, str] | None = None
    for rank, rules in enumerate(layers):
        for pattern, name in rules:
            if fnmatchcase(number, pattern) and (
                best is None or (len(pattern), rank) > (best[0], best[1])
            ):
                best = (len(pattern), rank, name)
    return SCENARIOS.get(best[2] if best else DEFAULT, SCENARIOS[DEFAULT])


def parse_rules(text: str) -> list[tuple[str, str]]:
    """``"+1555*=black_hole, +44*=slow"`` -> rules; raises ValueError on unknown names."""
    rules: list[tuple[str, str]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        pattern, sep, name = part.partition("=")
        pattern, name = pattern.strip(), name.strip()
        if not sep or not pattern or name not in SCENARIOS:
            raise ValueError(
                f"bad scenario rule {part!r}: use PATTERN=NAME with NAME one of "
                f"{', '.join(SCENARIOS)}"
            )
        rules.append((pattern, name))
    return rules
