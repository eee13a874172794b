"""TwiML vocabularies as data.

One table per product says which elements exist, which attributes and children each takes and
whether its text means anything. The parser (:mod:`telephonist.twiml.parse`) is driven by the
table alone, so adding a verb -- or the voice vocabulary later -- is a data change, and "what does
Twilio accept here?" has one answer in one place rather than being spread over ``if`` branches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

ROOT = "Response"
"""Every TwiML document's root element, whatever the product."""


@dataclass(frozen=True)
class Verb:
    """What the parser keeps of one TwiML element (verb or noun).

    Attributes not in ``attributes`` and children not in ``children`` draw a 12200 warning and
    are dropped, as Twilio does; text is kept only when ``text`` is true, so interpreters never
    see anything the vocabulary does not define.
    """

    name: str
    attributes: frozenset[str] = frozenset()
    children: frozenset[str] = frozenset()
    text: bool = False


def vocabulary(*verbs: Verb) -> Mapping[str, Verb]:
    """A read-only table of ``verbs`` by name, checked to be closed.

    Checking here (at import time) turns a typo in a table into an immediate failure instead of
    an element that is silently never accepted.
    """
    table = {verb.name: verb for verb in verbs}
    if len(table) != len(verbs):
        raise ValueError("duplicate verb names")
    if ROOT not in table:
        raise ValueError(f"a vocabulary needs <{ROOT}>")
    for verb in verbs:
        undefined = verb.children - table.keys()
        if undefined:
            raise ValueError(f"<{verb.name}> allows undefined children {sorted(undefined)}")
    return MappingProxyType(table)


MESSAGING: Mapping[str, Verb] = vocabulary(
    Verb(ROOT, children=frozenset({"Message", "Redirect"})),
    Verb(
        "Message",
        # statusCallback is the deprecated spelling of action; Twilio still honours it.
        attributes=frozenset({"to", "from", "action", "method", "statusCallback"}),
        children=frozenset({"Body", "Media"}),
        text=True,
    ),
    Verb("Body", text=True),
    Verb("Media", text=True),
    Verb("Redirect", attributes=frozenset({"method"}), text=True),
)
"""Twilio's messaging TwiML: what an app may answer to an inbound SMS/MMS webhook."""
