"""Recordings through the official Python SDK, on a real server over loopback: the account's
list (with its filters) and a call's, fetch, delete, and the WAV an app downloads.

Recordings are stored as a call's step stores them (``store_recording``), on the server's
database; every JSON answer the SDK gets is validated against the spec.
"""

from __future__ import annotations

import io
import wave
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from telephonist.dispatch.recordings import store_recording
from telephonist.testing import RunningServer
from tests.conftest import opened_database, sdk_client
from tests.contract.oracle import Spec


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2031, 5, day, hour, tzinfo=UTC)


def micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def record(
    server: RunningServer, account_sid: str, call_sid: str, length: int, ended: datetime
) -> dict[str, Any]:
    with opened_database(server.settings.db) as db:
        return db.transaction(
            lambda conn: store_recording(
                conn,
                account_sid=account_sid,
                call_sid=call_sid,
                micros=length,
                now=micros(ended),
                source="RecordVerb",
            )
        )


def test_recordings_through_the_sdk(client: Client, server: RunningServer, spec: Spec) -> None:
    """recordings.list (every filter, paging), fetch and delete; calls(sid).recordings list,
    fetch and delete; the values typed as the SDK types them."""
    sub = client.api.accounts.create(friendly_name="recordings")
    as_sub = sdk_client(server, spec, sub.sid, sub.auth_token)
    number = as_sub.incoming_phone_numbers.create(area_code="415").phone_number
    twiml = "<Response><Record/></Response>"
    first = as_sub.calls.create(to="+14155550123", from_=number, twiml=twiml).sid
    second = as_sub.calls.create(to="+14155550124", from_=number, twiml=twiml).sid
    made = [
        record(server, sub.sid, call, 3_000_000, at(day))["RecordingSid"]
        for call, day in ((first, 1), (second, 2), (first, 3))
    ]

    assert [r.sid for r in as_sub.recordings.list()] == made[::-1]
    assert [r.sid for r in as_sub.recordings.list(page_size=1)] == made[::-1]
    assert [r.sid for r in as_sub.recordings.list(call_sid=first)] == [made[2], made[0]]
    assert [r.sid for r in as_sub.recordings.list(date_created=at(2, 0))] == [made[1]]
    before = as_sub.recordings.list(date_created_before=at(2, 0))
    assert [r.sid for r in before] == [made[1], made[0]]
    after = as_sub.recordings.list(date_created_after=at(2, 0))
    assert [r.sid for r in after] == [made[2], made[1]]

    fetched = as_sub.recordings(made[0]).fetch()
    assert fetched.call_sid == first and fetched.account_sid == sub.sid
    assert fetched.status == "completed" and fetched.source == "RecordVerb"
    assert fetched.duration == "3" and fetched.channels == 1
    assert fetched.date_created == at(1)
    assert fetched.start_time == at(1) - timedelta(seconds=3)
    assert fetched.price == "-0.00250" and fetched.price_unit == "USD"
    path = f"/2010-04-01/Accounts/{sub.sid}/Recordings/{made[0]}"
    assert fetched.media_url == server.base_url + path

    on_call = as_sub.calls(first).recordings.list()
    assert [r.sid for r in on_call] == [made[2], made[0]]
    # A number, as the call recording's schema has it (the SDK makes a Decimal of the float).
    assert float(on_call[0].price) == -0.0025 and on_call[0].track == "inbound"
    assert as_sub.calls(first).recordings(made[0]).fetch().duration == "3"
    assert [r.sid for r in as_sub.calls(second).recordings.list()] == [made[1]]

    # Another account's SDK (the parent's, on its own path) does not find them.
    with pytest.raises(TwilioRestException) as elsewhere:
        client.recordings(made[0]).fetch()
    assert elsewhere.value.status == 404 and elsewhere.value.code == 20404

    assert as_sub.recordings(made[0]).delete() is True
    assert as_sub.calls(second).recordings(made[1]).delete() is True
    for gone in (as_sub.recordings(made[0]), as_sub.calls(second).recordings(made[1])):
        with pytest.raises(TwilioRestException) as missing:
            gone.fetch()
        assert missing.value.status == 404 and missing.value.code == 20404
    assert [r.sid for r in as_sub.recordings.list()] == [made[2]]


def test_an_app_downloads_the_wav(client: Client, server: RunningServer) -> None:
    """The RecordingUrl on the server's base URL serves a WAV, without credentials, as long
    as the recording; .mp3 is a 404 that says only WAV is made."""
    sub = client.api.accounts.create(friendly_name="download")
    number = client.api.accounts(sub.sid).incoming_phone_numbers.create(area_code="415")
    call = client.api.accounts(sub.sid).calls.create(
        to="+14155550125", from_=number.phone_number, twiml="<Response><Record/></Response>"
    )
    stored = record(server, sub.sid, call.sid, 6_400_000, at(4))
    url = server.base_url + stored["RecordingUrl"]
    with httpx.Client() as anyone:
        audio = anyone.get(url)
        mp3 = anyone.get(url + ".mp3")
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/x-wav"
    with wave.open(io.BytesIO(audio.content)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
        assert w.getnframes() / w.getframerate() == 6.4
    assert stored["RecordingDuration"] == "7"
    assert mp3.status_code == 404 and mp3.json()["code"] == 20404
    assert "WAV only" in mp3.json()["message"]
