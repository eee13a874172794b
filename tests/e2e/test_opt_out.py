"""Opt-out through the official SDK and a real app: the app hears the handset's STOP (with
``OptOutType``, signed), its own ``<Message>`` answer is refused with 21610 as Twilio refuses
it, only Twilio's confirmation reaches the handset, and the SDK's next send raises 21610."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.messaging_response import MessagingResponse

from telephonist.domain.optout import START_REPLY, STOP_REPLY
from tests.e2e.conftest import Sim


def sorry(hit: object) -> str:
    twiml = MessagingResponse()
    twiml.message("Sorry to see you go!")
    return str(twiml)


def test_stop_reaches_the_app_and_blocks_its_replies_and_sends(sim: Sim) -> None:
    path, handset = "/opt-out-stop", "+17205550301"
    sim.app.on(path, sorry)
    number = sim.number(sms_url=sim.app.url(path))
    assert sim.text(handset, number, "stop").status_code == 201
    sim.advance(5)

    [hit] = sim.app.at(path)
    assert hit.signature_valid
    assert (hit.params["Body"], hit.params["OptOutType"]) == ("stop", "STOP")
    alerts = [a for a in sim.client.notifications.list() if a.request_url == sim.app.url(path)]
    assert [a.error_code for a in alerts] == ["21610"]
    assert [(m["from"], m["body"]) for m in sim.inbox(handset)] == [(number, STOP_REPLY)]
    replies = [m.body for m in sim.client.messages.list(to=handset)]
    assert replies == [STOP_REPLY]

    with pytest.raises(TwilioRestException) as refused:
        sim.client.messages.create(to=handset, from_=number, body="one more thing")
    assert (refused.value.code, refused.value.status) == (21610, 400)


def test_start_reaches_the_app_and_sends_work_again(sim: Sim) -> None:
    path, handset = "/opt-out-start", "+17205550302"
    sim.app.on(path, lambda hit: str(MessagingResponse()))
    number = sim.number(sms_url=sim.app.url(path))
    for body in ("STOP", "START"):
        assert sim.text(handset, number, body).status_code == 201
        sim.advance(5)
    assert [h.params["OptOutType"] for h in sim.app.at(path)] == ["STOP", "START"]
    assert [m["body"] for m in sim.inbox(handset)] == [STOP_REPLY, START_REPLY]
    sent = sim.client.messages.create(to=handset, from_=number, body="welcome back")
    assert sent.status == "queued"


def test_an_ordinary_message_has_no_opt_out_type(sim: Sim) -> None:
    path, handset = "/opt-out-none", "+17205550303"
    sim.app.on(path, lambda hit: str(MessagingResponse()))
    number = sim.number(sms_url=sim.app.url(path))
    assert sim.text(handset, number, "STOP please").status_code == 201
    sim.advance(0)
    [hit] = sim.app.at(path)
    assert hit.signature_valid and "OptOutType" not in hit.params
