"""The Messages resource through the official Python SDK: the walk a real app makes."""

from __future__ import annotations

from datetime import datetime

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from telephonist.testing import RunningServer
from tests.conftest import sdk_client
from tests.contract.oracle import Spec
from tests.e2e.conftest import Sim


@pytest.fixture(scope="module")
def sender(client: Client) -> str:
    return str(client.incoming_phone_numbers.create(area_code="415").phone_number)


def test_create_fetch_roundtrip(client: Client, sender: str) -> None:
    """A created message is queued, stored, and fetchable with exactly the same fields."""
    msg = client.messages.create(to="+14155550123", from_=sender, body="Hello there")
    assert msg.sid.startswith("SM") and len(msg.sid) == 34
    assert msg.status == "queued"
    assert msg.direction == "outbound-api"
    assert msg.num_segments == "1" and msg.num_media == "0"
    assert msg.date_sent is None and msg.price is None
    assert isinstance(msg.date_created, datetime) and msg.date_created.tzinfo is not None
    again = client.messages(msg.sid).fetch()
    assert again.body == "Hello there"
    assert again.to == "+14155550123" and again.from_ == sender
    assert again.date_created == msg.date_created


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, "1"),
        ("a" * 161, "2"),
        ("€" * 80, "1"),
        ("€" * 81, "2"),
        ("é" * 153, "1"),
        ("ё" * 70, "1"),
        ("ё" * 71, "2"),
        ("😀" * 35, "1"),
        ("😀" * 36, "2"),
    ],
)
def test_segments(client: Client, sender: str, body: str, segments: str) -> None:
    """num_segments follows GSM-7 (extension chars cost two) and UCS-2 (UTF-16 units)."""
    msg = client.messages.create(to="+14155550124", from_=sender, body=body)
    assert msg.num_segments == segments


def test_media_subresource(client: Client, sender: str) -> None:
    """MediaUrl (repeated) becomes Media resources that can be listed, fetched and deleted."""
    msg = client.messages.create(
        to="+14155550125",
        from_=sender,
        body="pics",
        media_url=["https://example.com/a.jpg", "https://example.com/b.png"],
    )
    assert msg.num_media == "2"
    items = client.messages(msg.sid).media.list()
    assert sorted(m.content_type for m in items) == ["image/jpeg", "image/png"]
    one = client.messages(msg.sid).media(items[0].sid).fetch()
    assert one.parent_sid == msg.sid
    assert client.messages(msg.sid).media(items[0].sid).delete() is True
    assert len(client.messages(msg.sid).media.list()) == 1


def test_list_filters_and_paging(
    client: Client, sender: str, server: RunningServer, spec: Spec
) -> None:
    """list(), stream() and page() walk every page, newest first, with To/From filters."""
    sub = client.api.v2010.accounts.create(friendly_name="paging")
    as_sub = sdk_client(server, spec, sub.sid, sub.auth_token)
    number = as_sub.incoming_phone_numbers.create(area_code="212").phone_number
    sids = [
        as_sub.messages.create(to=f"+1212555{i:04d}", from_=number, body=f"m{i}").sid
        for i in range(23)
    ]
    walked = as_sub.messages.list(page_size=5)
    listed = [m.sid for m in walked]
    assert sorted(listed) == sorted(sids) and len(set(listed)) == 23
    created = [m.date_created for m in walked]
    assert created == sorted(created, reverse=True)  # newest first
    assert [m.sid for m in as_sub.messages.stream(page_size=4, limit=10)] == listed[:10]
    page = as_sub.messages.page(page_size=10)
    assert len(list(page)) == 10
    second = page.next_page()
    assert len(list(second)) == 10
    third = second.next_page()
    assert len(list(third)) == 3 and third.next_page() is None
    only = as_sub.messages.list(to="+12125550007")
    assert [m.sid for m in only] == [sids[7]]
    assert len(as_sub.messages.list(from_=number)) == 23
    assert as_sub.messages.list(from_="+19995550000") == []


def test_date_sent_filters_leave_out_queued_messages(sim: Sim) -> None:
    """Queued messages have no date_sent, so DateSent filters leave them out until they are sent.

    On the manual clock nothing is handed over until time is advanced, so the message is
    certainly still queued when the filters are first tried.
    """
    sender = sim.number()
    msg = sim.client.messages.create(to="+14155550126", from_=sender, body="x")
    assert msg.status == "queued" and msg.date_sent is None
    clock = sim.http.get("/telephonist/v1/Clock").json()
    today = datetime.fromisoformat(clock["now"].replace("Z", "+00:00"))

    def dated(**day: datetime) -> list[str]:
        return [m.sid for m in sim.client.messages.list(from_=sender, **day)]

    filters = [{"date_sent": today}, {"date_sent_before": today}, {"date_sent_after": today}]
    assert [m.sid for m in sim.client.messages.list(from_=sender)] == [msg.sid]
    assert [dated(**f) for f in filters] == [[], [], []]
    sim.advance(0)
    assert sim.client.messages(msg.sid).fetch().date_sent is not None
    assert [dated(**f) for f in filters] == [[msg.sid]] * 3


def test_redact(client: Client, sender: str) -> None:
    """Body='' redacts."""
    msg = client.messages.create(to="+14155550127", from_=sender, body="secret")
    redacted = client.messages(msg.sid).update(body="")
    assert redacted.body == ""
    assert client.messages(msg.sid).fetch().body == ""


def test_cancel_unscheduled_is_30409(client: Client, sender: str) -> None:
    """Only scheduled messages can be canceled."""
    msg = client.messages.create(to="+14155550128", from_=sender, body="now")
    with pytest.raises(TwilioRestException) as info:
        client.messages(msg.sid).update(status="canceled")
    assert info.value.code == 30409


ERROR_CASES = [
    ({"to": "", "body": "x"}, 21604),
    ({"to": "+14155550100", "body": "x", "from_": ""}, 21603),
    ({"to": "+14155550100"}, 21602),
    ({"to": "not-a-number", "body": "x"}, 21211),
    ({"to": "+14155550100", "body": "x", "from_": "+1"}, 21212),
    ({"to": "+14155550100", "body": "x" * 1601}, 21617),
    (
        {
            "to": "+14155550100",
            "body": "x",
            "media_url": [f"https://e.com/{i}.jpg" for i in range(11)],
        },
        21623,
    ),
    ({"to": "+14155550100", "body": "x", "media_url": ["ftp://e.com/a.jpg"]}, 21620),
    ({"to": "+14155550100", "body": "x", "from_": "+14155550199"}, 21659),
    ({"to": "+15005550001", "body": "x"}, 21211),
    ({"to": "+15005550002", "body": "x"}, 21612),
    ({"to": "+15005550003", "body": "x"}, 21408),
    ({"to": "+15005550004", "body": "x"}, 21610),
    ({"to": "+15005550009", "body": "x"}, 21614),
    ({"to": "+14155550100", "body": "x", "from_": "+15005550001"}, 21212),
    ({"to": "+14155550100", "body": "x", "from_": "+15005550007"}, 21606),
    ({"to": "+14155550100", "body": "x", "from_": "+15005550008"}, 21611),
    ({"to": "+14155550100", "body": "x", "messaging_service_sid": "MG" + "0" * 32}, 21701),
    ({"to": "+14155550100", "body": "x", "validity_period": 0}, 21624),
]


@pytest.mark.parametrize(("params", "code"), ERROR_CASES)
def test_create_errors(client: Client, sender: str, params: dict[str, object], code: int) -> None:
    """Every create-time fault answers Twilio's code; nothing is stored."""
    before = len(client.messages.list(limit=1000))
    kwargs = {"from_": sender, **params}
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(**kwargs)
    assert info.value.code == code
    assert info.value.status in (400, 404)
    assert len(client.messages.list(limit=1000)) == before


def test_magic_from_number_sends(client: Client) -> None:
    """+15005550006 passes validation for every account, as with Twilio's test credentials."""
    msg = client.messages.create(to="+14155550100", from_="+15005550006", body="hi")
    assert msg.status == "queued"


def test_suspended_account_cannot_send(client: Client, server: RunningServer, spec: Spec) -> None:
    sub = client.api.v2010.accounts.create(friendly_name="suspend me")
    as_sub = sdk_client(server, spec, sub.sid, sub.auth_token)
    number = as_sub.incoming_phone_numbers.create(area_code="415").phone_number
    client.api.v2010.accounts(sub.sid).update(status="suspended")
    with pytest.raises(TwilioRestException) as info:
        as_sub.messages.create(to="+14155550100", from_=number, body="x")
    assert info.value.code == 20005
