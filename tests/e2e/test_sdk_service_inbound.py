"""Inbound texts to a number in a Messaging Service's pool, set up through the official SDK
and answered by a real app: the service's InboundRequestUrl receives them (signed, with
``MessagingServiceSid``) unless ``UseInboundWebhookOnNumber`` hands them back to the number's
SmsUrl; a service with no InboundRequestUrl drops them; the service's FallbackUrl answers
when its InboundRequestUrl fails; conversation cookies work as on a number's SmsUrl. Also the
service's SmartEncoding, on messages sent through it."""

from __future__ import annotations

import itertools
from http.cookies import SimpleCookie
from typing import Any

import pytest
from starlette.responses import Response
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.messaging_response import MessagingResponse

from telephonist.domain.optout import STOP_REPLY
from tests.e2e.app import Hit
from tests.e2e.conftest import Sim

_handsets = itertools.count(1)


def handset() -> str:
    """A handset no other test of this module texts (fixed numbers, not random ones)."""
    return f"+1720555{400 + next(_handsets):04d}"


def reply(text: str) -> Any:
    def answer(hit: Hit) -> str:
        twiml = MessagingResponse()
        twiml.message(text)
        return str(twiml)

    return answer


def pooled(sim: Sim, number: dict[str, str], **service: Any) -> tuple[str, str, str]:
    """A fresh number (configured with ``number``) in a fresh service's pool (created with
    ``service``): (service SID, number SID, number)."""
    bought = sim.client.incoming_phone_numbers.create(area_code="415", **number)
    made = sim.client.messaging.v1.services.create(friendly_name="inbound", **service)
    sim.client.messaging.v1.services(made.sid).phone_numbers.create(phone_number_sid=bought.sid)
    return made.sid, bought.sid, bought.phone_number


def texted(sim: Sim, phone: str, number: str, body: str) -> dict[str, Any]:
    response = sim.text(phone, number, body)
    assert response.status_code == 201, response.text
    sim.advance(0)
    answer: dict[str, Any] = response.json()
    return answer


def test_the_service_url_receives_and_the_number_url_does_not(sim: Sim) -> None:
    sim.app.on("/svc-in/service", reply("hello from the service"))
    service, _, number = pooled(
        sim,
        {"sms_url": sim.app.url("/svc-in/number")},
        inbound_request_url=sim.app.url("/svc-in/service"),
    )
    phone = handset()
    sid = texted(sim, phone, number, "hi")["sid"]

    [hit] = sim.app.at("/svc-in/service")
    assert hit.signature_valid and hit.method == "POST"
    assert hit.params["MessagingServiceSid"] == service
    assert (hit.params["MessageSid"], hit.params["To"], hit.params["Body"]) == (sid, number, "hi")
    assert sim.app.at("/svc-in/number") == []

    stored = sim.client.messages(sid).fetch()
    assert (stored.direction, stored.status) == ("inbound", "received")
    assert stored.messaging_service_sid == service
    # The TwiML reply goes out from the number the handset texted, through the create path.
    assert [(m["from"], m["body"]) for m in sim.inbox(phone)] == [
        (number, "hello from the service")
    ]
    [answer] = sim.client.messages.list(to=phone)
    assert (answer.direction, answer.from_) == ("outbound-reply", number)


def test_use_inbound_webhook_on_number_sends_it_to_the_number_url(sim: Sim) -> None:
    sim.app.on("/svc-own/number", reply("hello from the number"))
    service, _, number = pooled(
        sim,
        {"sms_url": sim.app.url("/svc-own/number")},
        inbound_request_url=sim.app.url("/svc-own/service"),
        use_inbound_webhook_on_number=True,
    )
    phone = handset()
    sid = texted(sim, phone, number, "hi")["sid"]

    [hit] = sim.app.at("/svc-own/number")
    assert hit.signature_valid
    assert hit.params["MessagingServiceSid"] == service
    assert sim.app.at("/svc-own/service") == []
    assert sim.client.messages(sid).fetch().messaging_service_sid == service
    assert [m["body"] for m in sim.inbox(phone)] == ["hello from the number"]


def test_a_service_without_an_inbound_url_drops_the_message(sim: Sim) -> None:
    _, _, number = pooled(sim, {"sms_url": sim.app.url("/svc-off/number")})
    phone = handset()
    answer = texted(sim, phone, number, "anyone there?")

    assert answer["status"] == "dropped"
    assert sim.app.at("/svc-off/number") == []
    assert sim.client.messages.list(from_=phone) == []
    with pytest.raises(TwilioRestException) as missing:
        sim.client.messages(answer["sid"]).fetch()
    assert missing.value.status == 404


def test_a_dropped_stop_still_opts_the_handset_out(sim: Sim) -> None:
    service, _, number = pooled(sim, {"sms_url": sim.app.url("/svc-off-stop/number")})
    phone = handset()
    assert texted(sim, phone, number, "STOP")["status"] == "dropped"
    sim.advance(5)

    assert sim.app.at("/svc-off-stop/number") == []
    assert [(m["from"], m["body"]) for m in sim.inbox(phone)] == [(number, STOP_REPLY)]
    with pytest.raises(TwilioRestException) as refused:
        sim.client.messages.create(to=phone, messaging_service_sid=service, body="still here?")
    assert refused.value.code == 21610


def test_the_service_fallback_url_answers_when_its_inbound_url_fails(sim: Sim) -> None:
    sim.app.on("/svc-fb/inbound", lambda hit: Response("boom", status_code=500))
    sim.app.on("/svc-fb/fallback", reply("sorry, try later"))
    service, _, number = pooled(
        sim,
        {
            "sms_url": sim.app.url("/svc-fb/number"),
            "sms_fallback_url": sim.app.url("/svc-fb/number-fallback"),
        },
        inbound_request_url=sim.app.url("/svc-fb/inbound"),
        fallback_url=sim.app.url("/svc-fb/fallback"),
        fallback_method="GET",
    )
    phone = handset()
    texted(sim, phone, number, "hello?")

    assert len(sim.app.at("/svc-fb/inbound")) >= 1
    [hit] = sim.app.at("/svc-fb/fallback")
    assert hit.method == "GET" and hit.signature_valid
    assert hit.params["ErrorCode"] == "11200"
    assert hit.params["ErrorUrl"] == sim.app.url("/svc-fb/inbound")
    assert hit.params["MessagingServiceSid"] == service
    assert sim.app.at("/svc-fb/number") == sim.app.at("/svc-fb/number-fallback") == []
    assert [m["body"] for m in sim.inbox(phone)] == ["sorry, try later"]


def test_a_number_taken_out_of_the_pool_gets_its_own_sms_url_back(sim: Sim) -> None:
    service, number_sid, number = pooled(
        sim,
        {"sms_url": sim.app.url("/svc-out/number")},
        inbound_request_url=sim.app.url("/svc-out/service"),
    )
    phone = handset()
    texted(sim, phone, number, "in the pool")
    assert sim.client.messaging.v1.services(service).phone_numbers(number_sid).delete()
    sid = texted(sim, phone, number, "out of the pool")["sid"]

    assert [h.params["Body"] for h in sim.app.at("/svc-out/service")] == ["in the pool"]
    [hit] = sim.app.at("/svc-out/number")
    assert hit.signature_valid and hit.params["Body"] == "out of the pool"
    assert "MessagingServiceSid" not in hit.params
    assert sim.client.messages(sid).fetch().messaging_service_sid is None


def counter(hit: Hit) -> Response:
    """Counts a conversation's texts in a cookie, and says how many it has seen."""
    jar: SimpleCookie = SimpleCookie(hit.headers.get("cookie", ""))
    step = int(jar["step"].value) + 1 if "step" in jar else 1
    twiml = MessagingResponse()
    twiml.message(f"text {step}")
    response = Response(str(twiml), media_type="application/xml")
    response.set_cookie("step", str(step))
    return response


def test_conversation_cookies_reach_the_service_url(sim: Sim) -> None:
    sim.app.on("/svc-cookie/service", counter)
    _, _, number = pooled(
        sim,
        {"sms_url": sim.app.url("/svc-cookie/number")},
        inbound_request_url=sim.app.url("/svc-cookie/service"),
    )
    first, second = handset(), handset()
    for phone in (first, second, first):
        texted(sim, phone, number, "next")

    seen = [(h.params["From"], h.headers.get("cookie")) for h in sim.app.at("/svc-cookie/service")]
    assert seen == [(first, None), (second, None), (first, "step=1")]
    sim.advance(5)  # the replies leave the number one a second
    assert [m["body"] for m in sim.inbox(first)] == ["text 1", "text 2"]


# A curly apostrophe in a body longer than one UCS-2 part (70) and shorter than one GSM-7
# part (160): smart-encoded it is one GSM-7 segment, as sent it would be two UCS-2 ones.
CURLY = "it\u2019s " + "x" * 90
STRAIGHT = "it's " + "x" * 90


@pytest.mark.parametrize(
    ("smart_encoding", "body", "segments"),
    [(True, STRAIGHT, "1"), (False, CURLY, "2")],
    ids=["smart-encoding-on", "smart-encoding-off"],
)
def test_a_service_smart_encodes_what_it_sends(
    sim: Sim, smart_encoding: bool, body: str, segments: str
) -> None:
    service, _, _ = pooled(sim, {}, smart_encoding=smart_encoding)
    phone = handset()
    sent = sim.client.messages.create(to=phone, messaging_service_sid=service, body=CURLY)
    assert (sent.body, sent.num_segments) == (body, segments)
    sim.advance(0)
    assert sim.client.messages(sent.sid).fetch().status == "delivered"
    assert [m["body"] for m in sim.inbox(phone)] == [body]
