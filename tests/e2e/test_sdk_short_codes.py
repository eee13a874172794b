"""Short codes through the official Python SDK on a real server over loopback, answered by a
real app: a short code provisioned through the control API is the v2010 ShortCode resource
(``client.api.v2010.accounts(sid).short_codes``), joins a Messaging Service's pool
(``client.messaging.v1.services(sid).short_codes``), sends what the service sends to its
country, and the texts handsets send it reach the app signed, with ``To`` the short code's
digits: its own SmsUrl out of a pool, the service's InboundRequestUrl in one.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.messaging_response import MessagingResponse

from tests.e2e.app import Hit
from tests.e2e.conftest import Sim

_codes = itertools.count(46000)
_handsets = itertools.count(1)


def handset() -> str:
    """A handset no other test of this module texts (fixed numbers, not random ones)."""
    return f"+1720555{600 + next(_handsets):04d}"


def provisioned(sim: Sim, **form: str) -> dict[str, Any]:
    """A fresh short code of the default account, through the control API."""
    response = sim.http.post(
        "/telephonist/v1/ShortCodes", data={"ShortCode": str(next(_codes)), **form}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def reply(text: str) -> Any:
    def answer(hit: Hit) -> str:
        twiml = MessagingResponse()
        twiml.message(text)
        return str(twiml)

    return answer


def test_the_v2010_resource_through_the_sdk(sim: Sim) -> None:
    made = provisioned(sim, FriendlyName="alerts")
    codes = sim.client.api.v2010.accounts(sim.server.account_sid).short_codes
    fetched = codes(made["sid"]).fetch()
    assert (fetched.sid, fetched.short_code, fetched.friendly_name) == (
        made["sid"],
        made["short_code"],
        "alerts",
    )
    assert fetched.date_created is not None and fetched.sms_url is None
    updated = codes(made["sid"]).update(sms_url=sim.app.url("/sc/sms"), sms_method="GET")
    assert (updated.sms_url, updated.sms_method) == (sim.app.url("/sc/sms"), "GET")
    assert [c.sid for c in codes.list(short_code=made["short_code"])] == [made["sid"]]
    assert [c.sid for c in codes.list(friendly_name="alerts", page_size=1)] == [made["sid"]]
    with pytest.raises(TwilioRestException) as missing:
        codes("SC" + "0" * 32).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)


def test_a_text_to_a_short_code_reaches_its_sms_url_signed(sim: Sim) -> None:
    sim.app.on("/sc-own/sms", reply("thanks from the short code"))
    made = provisioned(sim, SmsUrl=sim.app.url("/sc-own/sms"))
    code, phone = made["short_code"], handset()
    response = sim.text(phone, code, "JOIN")
    assert response.status_code == 201, response.text
    sim.advance(1)

    [hit] = sim.app.at("/sc-own/sms")
    assert hit.signature_valid and hit.method == "POST"
    assert (hit.params["To"], hit.params["From"], hit.params["Body"]) == (code, phone, "JOIN")
    assert (hit.params["ToCountry"], hit.params["ToCity"], hit.params["ToZip"]) == ("US", "", "")
    assert "MessagingServiceSid" not in hit.params
    # The TwiML reply goes back from the short code, through the one create path.
    assert [(m["from"], m["body"]) for m in sim.inbox(phone)] == [
        (code, "thanks from the short code")
    ]


def test_a_pooled_short_code_sends_and_receives_for_its_service(sim: Sim) -> None:
    sim.app.on("/sc-svc/in", reply("hello from the service"))
    made = provisioned(sim, SmsUrl=sim.app.url("/sc-svc/own"))
    number = sim.client.incoming_phone_numbers.create(area_code="720")
    service = sim.client.messaging.v1.services.create(
        friendly_name="short code pool", inbound_request_url=sim.app.url("/sc-svc/in")
    )
    pool = sim.client.messaging.v1.services(service.sid)
    pool.phone_numbers.create(phone_number_sid=number.sid)
    entry = pool.short_codes.create(short_code_sid=made["sid"])
    assert (entry.sid, entry.short_code, entry.country_code) == (
        made["sid"],
        made["short_code"],
        "US",
    )
    assert entry.capabilities == ["SMS"] and entry.date_created is not None
    assert [c.sid for c in pool.short_codes.list()] == [made["sid"]]
    assert pool.short_codes(made["sid"]).fetch().service_sid == service.sid

    # A recipient in the number's own area code still gets the short code.
    phone = handset()
    sent = sim.client.messages.create(to=phone, messaging_service_sid=service.sid, body="code 42")
    assert sent.status == "accepted"
    sim.advance(0)
    assert sim.client.messages(sent.sid).fetch().from_ == made["short_code"]
    assert [(m["from"], m["body"]) for m in sim.inbox(phone)] == [(made["short_code"], "code 42")]

    response = sim.text(phone, made["short_code"], "more please")
    assert response.status_code == 201, response.text
    sim.advance(1)
    [hit] = sim.app.at("/sc-svc/in")
    assert hit.signature_valid and hit.params["MessagingServiceSid"] == service.sid
    assert hit.params["To"] == made["short_code"]
    assert sim.app.at("/sc-svc/own") == []

    assert pool.short_codes(made["sid"]).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        pool.short_codes(made["sid"]).fetch()
    assert (gone.value.status, gone.value.code) == (404, 20404)
    # Out of the pool, its own SmsUrl has it again.
    sim.text(phone, made["short_code"], "still there?")
    sim.advance(1)
    [own] = sim.app.at("/sc-svc/own")
    assert own.signature_valid and "MessagingServiceSid" not in own.params


def test_pool_errors_reach_the_sdk(sim: Sim) -> None:
    made = provisioned(sim)
    first = sim.client.messaging.v1.services.create(friendly_name="first")
    second = sim.client.messaging.v1.services.create(friendly_name="second")
    sim.client.messaging.v1.services(first.sid).short_codes.create(short_code_sid=made["sid"])
    with pytest.raises(TwilioRestException) as taken:
        sim.client.messaging.v1.services(second.sid).short_codes.create(short_code_sid=made["sid"])
    assert (taken.value.status, taken.value.code) == (400, 21712)
    with pytest.raises(TwilioRestException) as unknown:
        sim.client.messaging.v1.services(second.sid).short_codes.create(
            short_code_sid="SC" + "0" * 32
        )
    assert (unknown.value.status, unknown.value.code) == (404, 20404)
