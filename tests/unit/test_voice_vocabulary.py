"""The voice TwiML vocabulary is the official SDK's: what VoiceResponse builds parses clean."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from telephonist.twiml.parse import Node, Parsed, parse_document
from telephonist.twiml.vocabulary import UNSUPPORTED_VOICE, VOICE

# The parameters the SDK writes as the element's text, not as an attribute.
CONTENT = {"message", "url", "number", "phone_number", "identity", "sip_url", "name"}


def _every_attribute(parent: Any, method: str) -> Any:
    """Call ``parent.method`` with every named parameter set, as a developer might."""
    fn = getattr(parent, method)
    kwargs: dict[str, Any] = {}
    args: list[Any] = []
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind is param.VAR_KEYWORD:
            continue
        if name in CONTENT and param.default is param.empty:
            args.append("content")
        elif name in CONTENT:
            kwargs[name] = "content"
        else:
            kwargs[name] = "1"
    return fn(*args, **kwargs)


VERBS = [
    "say", "play", "pause", "gather", "dial", "record", "redirect", "hangup", "reject", "sms"
]  # fmt: skip
NOUNS = ["number", "client", "sip", "conference", "queue"]


def _parsed(response: VoiceResponse) -> Parsed:
    parsed = parse_document(str(response).encode(), "text/xml", vocabulary=VOICE)
    assert isinstance(parsed, Parsed)
    return parsed


@pytest.mark.parametrize("verb", VERBS)
def test_sdk_verbs_parse_without_warnings(verb: str) -> None:
    response = VoiceResponse()
    _every_attribute(response, verb)
    parsed = _parsed(response)
    assert parsed.warnings == ()
    (node,) = parsed.root.children
    assert set(node.attrs) == {
        _camel(n)
        for n in inspect.signature(getattr(VoiceResponse, verb)).parameters
        if n not in CONTENT and n not in ("self", "kwargs")
    }


@pytest.mark.parametrize("prompt", ["say", "play", "pause"])
def test_gather_prompts(prompt: str) -> None:
    response = VoiceResponse()
    gather: Gather = response.gather()
    _every_attribute(gather, prompt)
    parsed = _parsed(response)
    assert parsed.warnings == ()
    assert _only_child(parsed.root).children[0].tag == prompt.title()


@pytest.mark.parametrize("noun", NOUNS)
def test_dial_nouns(noun: str) -> None:
    response = VoiceResponse()
    dial: Dial = response.dial()
    _every_attribute(dial, noun)
    parsed = _parsed(response)
    assert parsed.warnings == ()
    child = _only_child(_only_child(parsed.root))
    assert child.text == "content"


def test_what_twilio_forbids_is_dropped_with_a_warning() -> None:
    doc = (
        b"<Response><Gather><Dial>+14155550100</Dial><Say>hi</Say></Gather><Say x='1'/></Response>"
    )
    parsed = parse_document(doc, "text/xml", vocabulary=VOICE)
    assert isinstance(parsed, Parsed)
    gather = parsed.root.children[0]
    assert [c.tag for c in gather.children] == ["Say"]
    assert [code for code, _ in parsed.warnings] == [12200, 12200]


def test_unsupported_verbs_reach_the_interpreter() -> None:
    """They are elements, not 12200s: the interpreter answers them with 13750."""
    top_level = VOICE["Response"].children
    for name in UNSUPPORTED_VOICE:
        assert name in VOICE
        assert name in top_level or name in VOICE["Dial"].children, name


def _only_child(node: Node) -> Node:
    (child,) = node.children
    return child


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)
