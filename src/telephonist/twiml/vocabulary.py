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


def _attrs(*names: str) -> frozenset[str]:
    return frozenset(names)


_STATUS_CALLBACK = ("statusCallbackEvent", "statusCallback", "statusCallbackMethod")
_MACHINE_DETECTION = (
    "machineDetection",
    "amdStatusCallbackMethod",
    "amdStatusCallback",
    "machineDetectionTimeout",
    "machineDetectionSpeechThreshold",
    "machineDetectionSpeechEndThreshold",
    "machineDetectionSilenceTimeout",
)
_RECORDING_CALLBACK = (
    "recordingStatusCallback",
    "recordingStatusCallbackMethod",
    "recordingStatusCallbackEvent",
    "recordingConfigurationId",
)
_PROMPTS = frozenset({"Say", "Play", "Pause"})

UNSUPPORTED_VOICE: frozenset[str] = frozenset(
    {"Enqueue", "Leave", "Conference", "Queue", "Connect", "Start", "Stop", "Pay", "Prompt"}
    | {"Refer", "Echo"}
)
"""Voice verbs and nouns accepted as elements (so they draw no 12200) that the interpreter
answers with Twilio's 13750 "verb not supported" alert instead of running: queues,
conferences, media streams and payments are not simulated."""

VOICE: Mapping[str, Verb] = vocabulary(
    Verb(
        ROOT,
        children=frozenset(
            {"Say", "Play", "Pause", "Gather", "Dial", "Record", "Redirect", "Hangup", "Reject"}
            | {"Sms", "Message", "Enqueue", "Leave", "Connect", "Start", "Stop", "Pay"}
            | {"Prompt", "Refer", "Echo"}
        ),
    ),
    Verb("Say", attributes=_attrs("voice", "loop", "language"), text=True),
    Verb("Play", attributes=_attrs("loop", "digits"), text=True),
    Verb("Pause", attributes=_attrs("length")),
    Verb(
        "Gather",
        attributes=_attrs(
            "input",
            "action",
            "method",
            "timeout",
            "speechTimeout",
            "maxSpeechTime",
            "profanityFilter",
            "finishOnKey",
            "numDigits",
            "partialResultCallback",
            "partialResultCallbackMethod",
            "language",
            "hints",
            "bargeIn",
            "debug",
            "actionOnEmptyResult",
            "speechModel",
            "enhanced",
        ),
        children=_PROMPTS,
    ),
    Verb(
        "Dial",
        attributes=_attrs(
            "action",
            "method",
            "timeout",
            "hangupOnStar",
            "timeLimit",
            "callerId",
            "record",
            "trim",
            "answerOnBridge",
            "ringTone",
            "recordingTrack",
            "sequential",
            "referUrl",
            "referMethod",
            "events",
            "passports",
            *_RECORDING_CALLBACK,
        ),
        children=frozenset({"Number", "Client", "Sip", "Conference", "Queue"}),
        text=True,
    ),
    Verb(
        "Number",
        attributes=_attrs("sendDigits", "url", "method", "byoc", *_STATUS_CALLBACK)
        | _attrs(*_MACHINE_DETECTION),
        text=True,
    ),
    Verb("Client", attributes=_attrs("url", "method", *_STATUS_CALLBACK), text=True),
    Verb(
        "Sip",
        attributes=_attrs("username", "password", "url", "method", *_STATUS_CALLBACK)
        | _attrs(*_MACHINE_DETECTION),
        text=True,
    ),
    Verb(
        "Conference",
        attributes=_attrs(
            "muted",
            "beep",
            "startConferenceOnEnter",
            "endConferenceOnExit",
            "waitUrl",
            "waitMethod",
            "maxParticipants",
            "record",
            "region",
            "coach",
            "trim",
            "eventCallbackUrl",
            "jitterBufferSize",
            "participantLabel",
            *_STATUS_CALLBACK,
            *_RECORDING_CALLBACK,
        ),
        text=True,
    ),
    Verb(
        "Queue",
        attributes=_attrs("url", "method", "reservationSid", "postWorkActivitySid"),
        text=True,
    ),
    Verb(
        "Record",
        attributes=_attrs(
            "action",
            "method",
            "timeout",
            "finishOnKey",
            "maxLength",
            "playBeep",
            "trim",
            "transcribe",
            "transcribeCallback",
            *_RECORDING_CALLBACK,
        ),
    ),
    Verb("Redirect", attributes=_attrs("method"), text=True),
    Verb("Hangup"),
    Verb("Reject", attributes=_attrs("reason")),
    # <Sms> is the old spelling of <Message> in a voice document: an SMS sent mid-call.
    Verb("Sms", attributes=_attrs("to", "from", "action", "method", "statusCallback"), text=True),
    Verb(
        "Message",
        attributes=_attrs("to", "from", "action", "method", "statusCallback"),
        children=frozenset({"Body", "Media"}),
        text=True,
    ),
    Verb("Body", text=True),
    Verb("Media", text=True),
    Verb(
        "Enqueue",
        attributes=_attrs(
            "action", "maxQueueSize", "method", "waitUrl", "waitUrlMethod", "workflowSid"
        ),
        text=True,
    ),
    Verb("Leave"),
    Verb("Connect", attributes=_attrs("action", "method")),
    Verb("Start", attributes=_attrs("action", "method")),
    Verb("Stop"),
    Verb("Pay"),
    Verb("Prompt"),
    Verb("Refer", attributes=_attrs("action", "method")),
    Verb("Echo"),
)
"""Twilio's voice TwiML: what an app may answer to a voice webhook, a Gather or Dial action
or a Redirect. The attributes are the generated SDK TwiML classes' own (a test holds them to
the installed SDK), so a document built with ``VoiceResponse`` parses without a warning."""
