"""The parameters of voice webhooks and call status callbacks."""

from __future__ import annotations

from dataclasses import replace

import pytest
from twilio.request_validator import RequestValidator

from telephonist.domain.call_params import CallFacts, billed_minutes, status_params, voice_params
from telephonist.webhooks.signing import sign

CALL = CallFacts(
    sid="CA" + "1" * 32,
    account_sid="AC" + "2" * 32,
    from_="+14155550100",
    to="+12125550199",
    status="ringing",
    direction="inbound",
)


def test_inbound_voice_request_has_every_common_parameter() -> None:
    params = dict(voice_params(CALL))
    assert {
        "AccountSid", "ApiVersion", "CallSid", "CallStatus", "Called", "Caller", "Direction",
        "From", "To", "FromCity", "FromState", "FromZip", "FromCountry",
        "ToCity", "ToState", "ToZip", "ToCountry",
    } <= params.keys()  # fmt: skip
    assert (params["CallStatus"], params["Direction"], params["ApiVersion"]) == (
        "ringing",
        "inbound",
        "2010-04-01",
    )
    assert (params["FromCity"], params["FromState"], params["ToState"]) == (
        "San Francisco",
        "CA",
        "NY",
    )
    assert params["Caller"] == params["From"] and params["CalledZip"] == params["ToZip"]
    assert "ParentCallSid" not in params and "AnsweredBy" not in params


def test_optional_parameters_appear_when_known() -> None:
    child = replace(
        CALL,
        to="client:alice",
        status="in-progress",
        direction="outbound-dial",
        parent_call_sid="CA" + "3" * 32,
        answered_by="human",
    )
    params = dict(voice_params(child))
    assert params["ParentCallSid"] == "CA" + "3" * 32 and params["AnsweredBy"] == "human"
    assert params["ToCity"] == "" and params["ToCountry"] == ""  # not a phone number


def test_status_callbacks_count_and_time_their_events() -> None:
    stamp = "Thu, 03 Dec 2026 08:00:00 +0000"
    first = dict(status_params(CALL, sequence=0, timestamp=stamp))
    assert (first["SequenceNumber"], first["CallbackSource"], first["Timestamp"]) == (
        "0",
        "call-progress-events",
        stamp,
    )
    assert "CallDuration" not in first
    final = dict(status_params(CALL, sequence=3, timestamp=stamp, duration_seconds=61))
    assert (final["CallDuration"], final["Duration"]) == ("61", "2")


@pytest.mark.parametrize(("seconds", "minutes"), [(0, 0), (1, 1), (60, 1), (61, 2), (3600, 60)])
def test_billed_per_started_minute(seconds: int, minutes: int) -> None:
    assert billed_minutes(seconds) == minutes


def test_the_sdk_validates_the_signed_parameters() -> None:
    token = "f" * 32
    url = "https://app.example/voice?lang=en"
    params = dict(status_params(CALL, sequence=1, timestamp="now", duration_seconds=5))
    assert RequestValidator(token).validate(url, params, sign(token, url, params))
