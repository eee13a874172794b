"""Sending through a Messaging Service with the official Python SDK, on a real server over
loopback: ``accepted`` at create, the sender chosen from the pool when dispatched, and the
service's StatusCallback posted (signed) for every change after ``accepted``."""

from __future__ import annotations

from tests.e2e.conftest import Sim


def test_a_service_message_is_routed_delivered_and_reported(sim: Sim) -> None:
    status_url = sim.app.url("/service-status")
    sim.app.on("/service-status", lambda hit: "")
    number = sim.client.incoming_phone_numbers.create(area_code="415")
    service = sim.client.messaging.v1.services.create(
        friendly_name="notifications", status_callback=status_url
    )
    sim.client.messaging.v1.services(service.sid).phone_numbers.create(phone_number_sid=number.sid)
    handset = "+14155550931"

    message = sim.client.messages.create(
        to=handset, messaging_service_sid=service.sid, body="Your code is 1234"
    )
    assert (message.status, message.from_, message.messaging_service_sid) == (
        "accepted",
        None,
        service.sid,
    )
    sim.advance(0)

    fetched = sim.client.messages(message.sid).fetch()
    assert (fetched.status, fetched.from_) == ("delivered", number.phone_number)
    received = [m for m in sim.inbox(handset) if m["body"] == "Your code is 1234"]
    assert [m["from"] for m in received] == [number.phone_number]
    hits = [h for h in sim.app.at("/service-status") if h.params["MessageSid"] == message.sid]
    assert [h.params["MessageStatus"] for h in hits] == ["queued", "sent", "delivered"]
    assert all(h.signature_valid for h in hits)
    assert {(h.params["From"], h.params["MessagingServiceSid"]) for h in hits} == {
        (number.phone_number, service.sid)
    }
