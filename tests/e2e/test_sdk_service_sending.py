"""Sending through a Messaging Service with the official Python SDK, on a real server over
loopback: ``accepted`` at create, the sender chosen from the pool when dispatched, and the
service's StatusCallback posted (signed) for every change after ``accepted``."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from starlette.responses import Response

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


def test_scheduled_messages_through_the_sdk(sim: Sim) -> None:
    """``schedule_type='fixed'`` with a ``send_at`` datetime, as the SDK serializes it: the
    one left alone is sent at its time (callbacks from ``queued`` on, none for
    ``scheduled``); the one canceled reports ``canceled`` and never reaches its handset."""
    status_url = sim.app.url("/scheduled-status")
    sim.app.on("/scheduled-status", lambda hit: "")
    number = sim.client.incoming_phone_numbers.create(area_code="415")
    service = sim.client.messaging.v1.services.create(friendly_name="reminders")
    sim.client.messaging.v1.services(service.sid).phone_numbers.create(phone_number_sid=number.sid)
    now = datetime.fromisoformat(sim.advance(0)["now"].replace("Z", "+00:00"))
    kept_to, dropped_to = "+14155550932", "+14155550933"

    def schedule(to: str) -> str:
        message = sim.client.messages.create(
            to=to,
            messaging_service_sid=service.sid,
            body=f"Reminder for {to}",
            schedule_type="fixed",
            send_at=now + timedelta(hours=2),
            status_callback=status_url,
        )
        assert message.status == "scheduled"
        return str(message.sid)

    kept, dropped = schedule(kept_to), schedule(dropped_to)
    assert sim.client.messages(dropped).update(status="canceled").status == "canceled"
    sim.advance(7200)

    assert sim.client.messages(kept).fetch().status == "delivered"
    assert sim.client.messages(dropped).fetch().status == "canceled"
    assert sim.inbox(dropped_to) == []
    assert [m["from"] for m in sim.inbox(kept_to)] == [number.phone_number]

    def reported(sid: str) -> list[str]:
        hits = [h for h in sim.app.at("/scheduled-status") if h.params["MessageSid"] == sid]
        assert all(h.signature_valid for h in hits)
        return [h.params["MessageStatus"] for h in hits]

    assert reported(kept) == ["queued", "sent", "delivered"]
    assert reported(dropped) == ["canceled"]


def test_sticky_sender_and_geomatch_through_the_sdk(sim: Sim) -> None:
    """A recipient keeps the number that first texted it (sticky sender), even once a number
    with its own area code joins the pool; a new recipient in that area code gets that number
    (area-code geomatch)."""
    service = sim.client.messaging.v1.services.create(friendly_name="support")
    pool = sim.client.messaging.v1.services(service.sid).phone_numbers
    first = sim.client.incoming_phone_numbers.create(area_code="415")
    pool.create(phone_number_sid=first.sid)
    regular, newcomer = "+12125550941", "+12125550942"

    def sent_from(to: str) -> str:
        message = sim.client.messages.create(
            to=to, messaging_service_sid=service.sid, body=f"Hello {to}"
        )
        sim.advance(1)
        return str(sim.client.messages(message.sid).fetch().from_)

    assert sent_from(regular) == first.phone_number
    local = sim.client.incoming_phone_numbers.create(area_code="212")
    pool.create(phone_number_sid=local.sid)
    assert sent_from(regular) == first.phone_number  # sticky
    assert sent_from(newcomer) == local.phone_number  # geomatch
    assert [m["from"] for m in sim.inbox(regular)] == [first.phone_number] * 2


def test_destination_alpha_senders_through_the_sdk(sim: Sim) -> None:
    """``destination_alpha_senders`` create, list (all pages, by country), fetch and delete
    through the SDK; a French recipient then gets the French sender ID, a German one the
    sender ID for every country."""
    service = sim.client.messaging.v1.services.create(friendly_name="europe")
    senders = sim.client.messaging.v1.services(service.sid).destination_alpha_senders
    french = senders.create(alpha_sender="Shop FR", iso_country_code="FR")
    everywhere = senders.create(alpha_sender="Shop")
    spare = senders.create(alpha_sender="Spare FR", iso_country_code="FR")
    assert (french.iso_country_code, everywhere.iso_country_code) == ("FR", "")
    assert (
        french.url
        == f"{sim.server.base_url}/v1/Services/{service.sid}/DestinationAlphaSenders/{french.sid}"
    )
    assert {s.sid for s in senders.list(page_size=1)} == {french.sid, everywhere.sid, spare.sid}
    assert {s.sid for s in senders.list(iso_country_code="FR")} == {french.sid, spare.sid}
    assert senders(french.sid).fetch().alpha_sender == "Shop FR"
    assert senders(spare.sid).delete() is True
    assert [s.sid for s in senders.stream(iso_country_code="FR")] == [french.sid]

    to_france, to_germany = "+33612345681", "+4915112345681"
    sent = {
        to: sim.client.messages.create(to=to, messaging_service_sid=service.sid, body="Bonjour")
        for to in (to_france, to_germany)
    }
    sim.advance(0)
    assert sim.client.messages(sent[to_france].sid).fetch().from_ == "Shop FR"
    assert sim.client.messages(sent[to_germany].sid).fetch().from_ == "Shop"
    assert [m["from"] for m in sim.inbox(to_france)] == ["Shop FR"]
    assert [m["from"] for m in sim.inbox(to_germany)] == ["Shop"]


def test_mms_converter_through_the_sdk(sim: Sim) -> None:
    """An MMS through a service with ``mms_converter`` on (the default) reaches a handset that
    takes no MMS as text with a link that serves the picture; through a service with it off,
    it fails with 30011 and reaches nobody."""
    picture = b"GIF89a" + bytes(range(32))
    sim.app.on("/converted.gif", lambda hit: Response(picture, media_type="image/gif"))
    number = sim.client.incoming_phone_numbers.create(area_code="415")
    converting = sim.client.messaging.v1.services.create(friendly_name="converting")
    strict = sim.client.messaging.v1.services.create(friendly_name="strict", mms_converter=False)
    assert (converting.mms_converter, strict.mms_converter) == (True, False)
    sim.client.messaging.v1.services(converting.sid).phone_numbers.create(
        phone_number_sid=number.sid
    )
    strict_number = sim.client.incoming_phone_numbers.create(area_code="415")
    sim.client.messaging.v1.services(strict.sid).phone_numbers.create(
        phone_number_sid=strict_number.sid
    )
    handset = "+14155550961"
    rule = sim.http.post(
        f"/telephonist/v1/Handsets/{handset}/Scenario", data={"Scenario": "sms_only"}
    )
    assert rule.status_code == 200, rule.text

    def send(service: str) -> str:
        message = sim.client.messages.create(
            to=handset,
            messaging_service_sid=service,
            body="Your receipt",
            media_url=[sim.app.url("/converted.gif")],
        )
        return str(message.sid)

    converted, refused = send(converting.sid), send(strict.sid)
    sim.advance(5)

    delivered = sim.client.messages(converted).fetch()
    assert (delivered.status, delivered.num_media) == ("delivered", "1")
    failed = sim.client.messages(refused).fetch()
    assert (failed.status, failed.error_code) == ("failed", 30011)
    [received] = sim.inbox(handset)
    assert received["message_sid"] == converted and received["num_media"] == 0
    body, link = received["body"].split("\n")
    assert body == "Your receipt"
    [medium] = sim.client.messages(converted).media.list()
    assert link == sim.server.base_url + medium.uri.removesuffix(".json")
    assert httpx.get(link).content == picture
