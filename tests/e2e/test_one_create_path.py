"""Every way of creating a message is validated the same way: a TwiML ``<Message>`` reply the
API would refuse is refused with the same code, recorded as an alert, and never sent."""

from __future__ import annotations

import asyncio
import logging

import pytest
from starlette.responses import Response
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.messaging_response import MessagingResponse

from tests.e2e.conftest import Sim

LONG = "x" * 2000


def reply(to: str | None = None, body: str = "ok", from_: str | None = None) -> str:
    twiml = MessagingResponse()
    twiml.message(body, to=to, from_=from_)
    return str(twiml)


@pytest.mark.parametrize(
    ("handset", "twiml", "code"),
    [
        ("+17205550101", reply(to="not a number"), 21211),
        ("+17205550102", reply(body=LONG), 21617),
        ("+17205550103", reply(to="not a number", body=LONG), 21211),
        ("+17205550104", reply(from_="+17205550199"), 21659),
    ],
)
def test_invalid_reply_fails_like_the_api(sim: Sim, handset: str, twiml: str, code: int) -> None:
    """The reply gets the API's error code as an alert; no message is stored or delivered."""
    path = f"/bad-reply-{handset[1:]}"
    sim.app.on(path, lambda hit: twiml)
    number = sim.number(sms_url=sim.app.url(path))
    inbound = sim.text(handset, number, "hi")
    assert inbound.status_code == 201, inbound.text
    sim.advance(0)

    replies = [m for m in sim.client.messages.list(from_=number) if m.direction == "outbound-reply"]
    assert replies == []
    assert sim.inbox(handset) == []
    alerts = [a for a in sim.client.notifications.list() if a.request_url == sim.app.url(path)]
    assert [a.error_code for a in alerts] == [str(code)]

    # The same message through the REST API is refused with the same code.
    bad_to = "not a number" if code == 21211 else handset
    with pytest.raises(TwilioRestException) as refused:
        sim.client.messages.create(
            to=bad_to,
            from_="+17205550199" if code == 21659 else number,
            body=LONG if code == 21617 else "ok",
        )
    assert refused.value.code == code


def test_valid_reply_is_sent_as_outbound_reply(sim: Sim) -> None:
    """The control case: a valid reply goes through the same path and reaches the handset."""
    handset = "+17205550105"
    sim.app.on("/good-reply", lambda hit: reply(body="pong"))
    number = sim.number(sms_url=sim.app.url("/good-reply"))
    sim.text(handset, number, "ping")
    sim.advance(0)
    sent = [m for m in sim.client.messages.list(from_=number) if m.direction == "outbound-reply"]
    assert [(m.body, m.status, m.num_segments) for m in sent] == [("pong", "delivered", "1")]
    assert [m["body"] for m in sim.inbox(handset)] == ["pong"]


def test_media_fetch_uses_the_configured_timeout(sim: Sim) -> None:
    """Media that takes longer than the webhook timeout (1 s here) fails as a timeout, 11200."""

    async def slow_image(hit: object) -> Response:
        await asyncio.sleep(3)
        return Response(b"\x89PNG", media_type="image/png")

    sim.app.on("/slow.png", slow_image)
    number = sim.number()
    msg = sim.client.messages.create(
        to="+17205550106", from_=number, media_url=[sim.app.url("/slow.png")]
    )
    sim.advance(0)
    fetched = sim.client.messages(msg.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", 11200)


def test_media_credentials_never_reach_the_log(sim: Sim, caplog: pytest.LogCaptureFixture) -> None:
    """A MediaUrl with Basic credentials in it: the secret appears in no log line."""
    caplog.set_level(logging.DEBUG, logger="telephonist")
    number = sim.number()
    secret = "s3cr3t-media-password"
    base = sim.app.url("/missing.png").replace("http://", f"http://user:{secret}@")
    ok = sim.app.url("/ok.png").replace("http://", f"http://user:{secret}@")
    sim.app.on("/ok.png", lambda hit: Response(b"\x89PNG", media_type="image/png"))
    failed = sim.client.messages.create(to="+17205550107", from_=number, media_url=[base])
    sent = sim.client.messages.create(to="+17205550108", from_=sim.number(), media_url=[ok])
    sim.advance(0)
    assert sim.client.messages(failed.sid).fetch().status == "failed"
    assert sim.client.messages(sent.sid).fetch().status == "delivered"
    assert caplog.records, "the pipeline logged nothing: the check would prove nothing"
    assert secret not in caplog.text


def test_a_suspended_accounts_reply_is_refused(sim: Sim) -> None:
    """A suspended account cannot send, whichever path asks: its app's reply earns 20005."""
    sub = sim.client.api.accounts.create(friendly_name="suspended replier")
    sim.app.on("/suspended-reply", lambda hit: reply(body="still here"))
    owned = sim.client.api.accounts(sub.sid).incoming_phone_numbers.create(
        area_code="415", sms_url=sim.app.url("/suspended-reply")
    )
    sim.client.api.accounts(sub.sid).update(status="suspended")
    handset = "+17205550109"
    sim.text(handset, owned.phone_number, "anyone?")
    sim.advance(0)
    alerts = sim.client.api.accounts(sub.sid).notifications.list()
    assert [a.error_code for a in alerts] == ["20005"]
    assert sim.inbox(handset) == []
