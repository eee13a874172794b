"""Messages that move: delivery, signed callbacks, inbound webhooks and TwiML, on simulated time.

Every request the app receives is checked with the official SDK's RequestValidator; every
reply the app sends is built with the SDK's MessagingResponse.
"""

from __future__ import annotations

import base64

import httpx
import pytest
from starlette.responses import Response
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.messaging_response import MessagingResponse

from tests.e2e.conftest import Sim

HANDSET = "+14155550142"


def statuses(sim: Sim, path: str, sid: str) -> list[str]:
    return [h.params["MessageStatus"] for h in sim.app.at(path) if h.params["MessageSid"] == sid]


def test_outbound_lifecycle_and_signed_callbacks(sim: Sim) -> None:
    """queued -> sent -> delivered, each later status posted, signed, to StatusCallback."""
    sender = sim.number()
    msg = sim.client.messages.create(
        to=HANDSET,
        from_=sender,
        body="hello handset",
        status_callback=sim.app.url("/status?tenant=a"),
    )
    assert msg.status == "queued"
    sim.advance(0)
    fetched = sim.client.messages(msg.sid).fetch()
    assert fetched.status == "delivered"
    assert fetched.date_sent is not None and fetched.price == "-0.00790"
    hits = [h for h in sim.app.at("/status") if h.params["MessageSid"] == msg.sid]
    assert [h.params["MessageStatus"] for h in hits] == ["sent", "delivered"]
    for hit in hits:
        assert hit.signature_valid
        assert hit.params["SmsStatus"] == hit.params["MessageStatus"]
        assert hit.params["AccountSid"] == sim.server.account_sid
        assert hit.params["From"] == sender and hit.params["To"] == HANDSET
        assert hit.params["ApiVersion"] == "2010-04-01"
        assert hit.headers["i-twilio-idempotency-token"]
    assert "RawDlrDoneDate" in hits[1].params
    assert (
        hits[0].headers["i-twilio-idempotency-token"]
        != hits[1].headers["i-twilio-idempotency-token"]
    )
    assert [m["body"] for m in sim.inbox(HANDSET) if m["message_sid"] == msg.sid] == [
        "hello handset"
    ]


def test_two_way_conversation(sim: Sim) -> None:
    """A handset texts the app; the app's TwiML reply reaches the handset."""

    def reply(hit: object) -> str:
        assert hit.signature_valid  # type: ignore[attr-defined]
        twiml = MessagingResponse()
        twiml.message(f"Echo: {hit.params['Body']}")  # type: ignore[attr-defined]
        return str(twiml)

    sim.app.on("/sms", reply)
    number = sim.number(sms_url=sim.app.url("/sms"))
    handset = "+12125550143"
    response = sim.text(handset, number, "hi there")
    assert response.status_code == 201, response.text
    sim.advance(0)
    hit = sim.app.at("/sms")[-1]
    params = hit.params
    assert params["Body"] == "hi there" and params["From"] == handset and params["To"] == number
    for name in (
        "MessageSid",
        "SmsSid",
        "SmsMessageSid",
        "AccountSid",
        "NumMedia",
        "NumSegments",
        "SmsStatus",
        "ApiVersion",
        "FromCity",
        "FromState",
        "FromZip",
        "FromCountry",
        "ToCity",
        "ToState",
        "ToZip",
        "ToCountry",
    ):
        assert name in params, name
    assert params["FromCountry"] == "US" and params["ToState"] == "CA"
    assert [m["body"] for m in sim.inbox(handset)] == ["Echo: hi there"]
    inbound = sim.client.messages(params["MessageSid"]).fetch()
    assert (inbound.direction, inbound.status) == ("inbound", "received")
    replies = sim.client.messages.list(to=handset, from_=number)
    assert [(m.direction, m.status) for m in replies] == [("outbound-reply", "delivered")]


def test_redirect_chain_and_message_action(sim: Sim) -> None:
    """<Redirect> fetches the next document; <Message action> gets that reply's callbacks."""

    def first(hit: object) -> str:
        twiml = MessagingResponse()
        twiml.redirect("/step2", method="GET")
        twiml.message("never sent")
        return str(twiml)

    def second(hit: object) -> str:
        twiml = MessagingResponse()
        twiml.message("from step two", action="/reply-status")
        return str(twiml)

    sim.app.on("/chain", first)
    sim.app.on("/step2", second)
    number = sim.number(sms_url=sim.app.url("/chain"))
    handset = "+13035550144"
    sim.text(handset, number, "go")
    sim.advance(0)
    assert sim.app.at("/step2")[-1].method == "GET"
    assert sim.app.at("/step2")[-1].signature_valid
    assert [m["body"] for m in sim.inbox(handset)] == ["from step two"]
    assert [h.params["MessageStatus"] for h in sim.app.at("/reply-status")] == ["sent", "delivered"]


def test_fallback_url_and_alert(sim: Sim) -> None:
    """A failing SmsUrl falls over to SmsFallbackUrl (with ErrorCode) and records 11200."""
    sim.app.on("/broken", lambda hit: Response("boom", status_code=500))

    def fallback(hit: object) -> str:
        twiml = MessagingResponse()
        twiml.message("sorry, try later")
        return str(twiml)

    sim.app.on("/fallback", fallback)
    number = sim.number(sms_url=sim.app.url("/broken"), sms_fallback_url=sim.app.url("/fallback"))
    handset = "+13035550145"
    sim.text(handset, number, "hello?")
    sim.advance(0)
    hit = sim.app.at("/fallback")[-1]
    assert hit.params["ErrorCode"] == "11200"
    assert hit.params["ErrorUrl"] == sim.app.url("/broken")
    assert hit.signature_valid
    assert [m["body"] for m in sim.inbox(handset)] == ["sorry, try later"]
    alerts = sim.client.notifications.list()
    assert any(a.error_code == "11200" and a.request_url == sim.app.url("/broken") for a in alerts)


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (lambda hit: Response("<Response><Message>oops", media_type="text/xml"), 12100),
        (
            lambda hit: Response(
                '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                "<Response><Message>&x;</Message></Response>",
                media_type="text/xml",
            ),
            12100,
        ),
        (lambda hit: Response("x" * (5 * 1024 * 1024), media_type="text/xml"), 11750),
        (lambda hit: Response('{"reply": 1}', media_type="application/json"), 12300),
        (lambda hit: Response("", status_code=302, headers={"location": "/loop"}), 11215),
    ],
)
def test_bad_webhook_answers_become_alerts(sim: Sim, answer: object, code: int) -> None:
    """Garbage, hostile XML, huge bodies and redirect loops: an alert, no reply, no stall."""
    path = f"/bad{code}{len(sim.app.hits)}"
    sim.app.on(path, answer)  # type: ignore[arg-type]
    sim.app.on("/loop", answer)  # type: ignore[arg-type]
    number = sim.number(sms_url=sim.app.url(path))
    handset = "+13035550146"
    before = len(sim.inbox(handset))
    sim.text(handset, number, "x")
    sim.advance(0)
    assert len(sim.inbox(handset)) == before
    assert any(a.error_code == str(code) for a in sim.client.notifications.list())


def test_refused_and_hanging_targets(sim: Sim) -> None:
    """A refused connection is 11205; a target that hangs past the timeout is 11200."""

    async def hang(hit: object) -> str:
        import asyncio

        await asyncio.sleep(3)
        return "<Response/>"

    sim.app.on("/hang", hang)
    refused = sim.number(sms_url="http://127.0.0.1:9/never")
    hanging = sim.number(sms_url=sim.app.url("/hang"))
    sim.text("+13035550147", refused, "a")
    sim.text("+13035550148", hanging, "b")
    sim.advance(0)
    codes = {a.error_code for a in sim.client.notifications.list()}
    assert {"11205", "11200"} <= codes
    # The server kept serving throughout.
    assert sim.client.messages.list(limit=1)


@pytest.mark.parametrize(
    ("scenario", "handset", "status", "code"),
    [
        # One handset per scenario, and none that another test in this module texts: a
        # scenario stays attached to its handset for the module's whole server.
        ("landline", "+17205550170", "undelivered", 30006),
        ("unreachable", "+17205550171", "undelivered", 30003),
        ("filtered", "+17205550172", "undelivered", 30007),
        ("unknown", "+17205550173", "undelivered", 30005),
        ("reject_on_submit", "+17205550174", "failed", 30008),
        ("black_hole", "+17205550175", "sent", None),
    ],
)
def test_carrier_scenarios(
    sim: Sim, scenario: str, handset: str, status: str, code: int | None
) -> None:
    response = sim.http.post(
        f"/telephonist/v1/Handsets/{handset}/Scenario", data={"Scenario": scenario}
    )
    assert response.status_code == 200, response.text
    msg = sim.client.messages.create(
        to=handset, from_=sim.number(), body="x", status_callback=sim.app.url("/scn")
    )
    sim.advance(3600)
    fetched = sim.client.messages(msg.sid).fetch()
    assert (fetched.status, fetched.error_code) == (status, code)
    last = statuses(sim, "/scn", msg.sid)[-1]
    assert last == status


def test_configured_pattern_and_slow_delivery(sim: Sim) -> None:
    """Rules from configuration apply (+1999555* is a black hole); 'slow' takes 30 s."""
    hole = sim.client.messages.create(to="+19995550100", from_=sim.number(), body="x")
    # A pattern no other test's handset matches: the rule outlives this test.
    response = sim.http.post(
        "/telephonist/v1/Scenarios/Rules", data={"Pattern": "+1505555*", "Scenario": "slow"}
    )
    assert response.status_code == 200, response.text
    slow = sim.client.messages.create(to="+15055550149", from_=sim.number(), body="x")
    sim.advance(29)
    assert sim.client.messages(slow.sid).fetch().status == "sent"
    sim.advance(1)
    assert sim.client.messages(slow.sid).fetch().status == "delivered"
    assert sim.client.messages(hole.sid).fetch().status == "sent"


def test_transient_errors_are_retried(sim: Sim) -> None:
    handset = "+17205550150"
    sim.http.post(f"/telephonist/v1/Handsets/{handset}/Scenario", data={"Scenario": "flaky_submit"})
    msg = sim.client.messages.create(to=handset, from_=sim.number(), body="x")
    sim.advance(0)
    assert sim.client.messages(msg.sid).fetch().status == "queued"
    sim.advance(600)
    assert sim.client.messages(msg.sid).fetch().status == "delivered"
    assert [m["message_sid"] for m in sim.inbox(handset)].count(msg.sid) == 1


def test_long_code_rate_and_isolation(sim: Sim) -> None:
    """One long code sends one segment per second; another sender is not held up by it."""
    busy, idle = sim.number(), sim.number()
    sids = [
        sim.client.messages.create(to="+17205550151", from_=busy, body=f"m{i}").sid
        for i in range(45)
    ]
    other = sim.client.messages.create(to="+17205550152", from_=idle, body="quick")
    sim.advance(0)
    assert sim.client.messages(other.sid).fetch().status == "delivered"
    sim.advance(29.5)
    sent = sum(
        1 for sid in sids if sim.client.messages(sid).fetch().status in ("sent", "delivered")
    )
    assert 29 <= sent <= 31


def test_validity_period_overflow_is_30001(sim: Sim) -> None:
    sender = sim.number()
    sids = [
        sim.client.messages.create(to="+17205550153", from_=sender, body="x", validity_period=2).sid
        for _ in range(5)
    ]
    sim.advance(10)
    final = [sim.client.messages(sid).fetch() for sid in sids]
    assert [m.status for m in final[:3]] == ["delivered"] * 3
    assert [(m.status, m.error_code) for m in final[3:]] == [("failed", 30001)] * 2


def test_inbound_mms_media_is_served(sim: Sim) -> None:
    picture = b"\x89PNG\r\n\x1a\n" + b"pixels" * 100
    number = sim.number(sms_url=sim.app.url("/mms"))
    response = sim.text(
        "+17205550154",
        number,
        "look",
        MediaContent=base64.b64encode(picture).decode(),
        MediaContentType="image/png",
    )
    assert response.status_code == 201, response.text
    sim.advance(0)
    params = sim.app.at("/mms")[-1].params
    assert params["NumMedia"] == "1" and params["MediaContentType0"] == "image/png"
    fetched = httpx.get(params["MediaUrl0"])  # no credentials, as the app would
    assert fetched.status_code == 200 and fetched.content == picture
    assert fetched.headers["content-type"] == "image/png"


def test_outbound_mms_fetches_media(sim: Sim) -> None:
    picture = b"GIF89a" + b"\x00" * 64
    sim.app.on("/pic.gif", lambda hit: Response(picture, media_type="image/gif"))
    sim.app.on("/page.html", lambda hit: Response("<html></html>", media_type="text/html"))
    sim.app.on("/nothing-here", lambda hit: Response("gone", status_code=404))
    sender = sim.number()
    good = sim.client.messages.create(
        to="+17205550155", from_=sender, body="pic", media_url=[sim.app.url("/pic.gif")]
    )
    bad = sim.client.messages.create(
        to="+17205550155", from_=sender, media_url=[sim.app.url("/nothing-here")]
    )
    sim.advance(5)
    assert sim.client.messages(good.sid).fetch().status == "delivered"
    item = sim.client.messages(good.sid).media.list()[0]
    assert item.content_type == "image/gif"
    served = httpx.get(sim.server.base_url + item.uri.removesuffix(".json"))
    assert served.content == picture
    html = sim.client.messages.create(
        to="+17205550155", from_=sender, media_url=[sim.app.url("/page.html")]
    )
    sim.advance(5)
    failed = sim.client.messages(bad.sid).fetch()
    assert (failed.status, failed.error_code) == ("failed", 11200)
    wrong_type = sim.client.messages(html.sid).fetch()
    assert (wrong_type.status, wrong_type.error_code) == ("failed", 12300)


@pytest.mark.parametrize(
    ("handset", "data", "status", "code"),
    [
        ("not-a-number", {"To": "+14155550100", "Body": "x"}, 400, 21211),
        ("+14155550156", {"To": "+19995550000", "Body": "x"}, 404, 21211),
        ("+14155550156", {"Body": "x"}, 400, 21604),
        ("+14155550156", {"To": "+14155550100"}, 400, 21602),
        ("+14155550156", {"To": "+14155550100", "MediaUrl": "not a url"}, 400, 21620),
    ],
)
def test_handset_api_errors(
    sim: Sim, handset: str, data: dict[str, str], status: int, code: int
) -> None:
    response = sim.http.post(f"/telephonist/v1/Handsets/{handset}/Messages", data=data)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


def test_bad_scenario_is_rejected(sim: Sim) -> None:
    response = sim.http.post(
        "/telephonist/v1/Handsets/+14155550157/Scenario", data={"Scenario": "nope"}
    )
    assert response.status_code == 400
    listing = sim.http.get("/telephonist/v1/Scenarios").json()
    assert "+14155550157" not in {r["pattern"] for r in listing["rules"]}


def test_inbound_with_get_method(sim: Sim) -> None:
    """SmsMethod=GET puts the parameters in the query string, signed over the full URL."""

    def reply(hit: object) -> str:
        twiml = MessagingResponse()
        twiml.message("got it")
        return str(twiml)

    sim.app.on("/get-hook", reply)
    number = sim.number(sms_url=sim.app.url("/get-hook?app=1"), sms_method="GET")
    sim.text("+17205550163", number, "via get")
    sim.advance(0)
    hit = sim.app.at("/get-hook")[-1]
    assert hit.method == "GET" and hit.params["Body"] == "via get" and hit.params["app"] == "1"
    assert hit.signature_valid
    assert [m["body"] for m in sim.inbox("+17205550163")] == ["got it"]


def test_empty_response_and_204_send_nothing(sim: Sim) -> None:
    sim.app.on("/quiet", lambda hit: str(MessagingResponse()))
    first = sim.number(sms_url=sim.app.url("/quiet"))
    second = sim.number(sms_url=sim.app.url("/no-content"))  # the app answers 204
    sim.text("+17205550164", first, "a")
    sim.text("+17205550164", second, "b")
    sim.advance(0)
    assert sim.inbox("+17205550164") == []
    assert len(sim.app.at("/quiet")) == 1 and len(sim.app.at("/no-content")) == 1


def test_delete_only_when_final(sim: Sim) -> None:
    """Deleting an in-flight message is 20009, as on Twilio; once final it answers 204."""
    msg = sim.client.messages.create(to="+17205550165", from_=sim.number(), body="bye")
    with pytest.raises(TwilioRestException) as info:
        sim.client.messages(msg.sid).delete()
    assert (info.value.status, info.value.code) == (409, 20009)
    sim.advance(0)
    assert sim.client.messages(msg.sid).delete() is True
    with pytest.raises(TwilioRestException) as info:
        sim.client.messages(msg.sid).fetch()
    assert (info.value.status, info.value.code) == (404, 20404)


def test_date_sent_filters_on_sent_messages(sim: Sim) -> None:
    """DateSent, DateSent< and DateSent> select by the UTC day a message was sent."""
    from datetime import timedelta

    msg = sim.client.messages.create(to="+17205550166", from_=sim.number(), body="dated")
    sim.advance(0)
    sent = sim.client.messages(msg.sid).fetch().date_sent
    to = "+17205550166"
    assert [m.sid for m in sim.client.messages.list(to=to, date_sent=sent)] == [msg.sid]
    assert [m.sid for m in sim.client.messages.list(to=to, date_sent_before=sent)] == [msg.sid]
    assert [m.sid for m in sim.client.messages.list(to=to, date_sent_after=sent)] == [msg.sid]
    yesterday = sent - timedelta(days=1)
    tomorrow = sent + timedelta(days=1)
    assert sim.client.messages.list(to=to, date_sent=yesterday) == []
    assert sim.client.messages.list(to=to, date_sent_before=yesterday) == []
    assert sim.client.messages.list(to=to, date_sent_after=tomorrow) == []


def test_handset_inbox_is_scoped_to_the_caller(sim: Sim) -> None:
    """Another account cannot read what this account sent to a shared handset."""
    handset = "+17205550167"
    sim.client.messages.create(to=handset, from_=sim.number(), body="private")
    sim.advance(0)
    other = sim.client.api.v2010.accounts.create(friendly_name="neighbour")
    response = httpx.get(
        f"{sim.server.base_url}/telephonist/v1/Handsets/{handset}/Messages",
        auth=(other.sid, other.auth_token),
    )
    assert response.status_code == 200 and response.json()["messages"] == []
    assert [m["body"] for m in sim.inbox(handset)] == ["private"]
