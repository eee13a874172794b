"""Applications through the official Python SDK, on a real server over loopback."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from telephonist.testing import RunningServer
from tests.conftest import sdk_client
from tests.contract.oracle import Spec


def test_application_lifecycle(client: Client, server: RunningServer, spec: Spec) -> None:
    """create, list (with the FriendlyName filter), fetch, update, delete; a number uses it."""
    sub = client.api.accounts.create(friendly_name="apps")
    as_sub = sdk_client(server, spec, sub.sid, sub.auth_token)

    app = as_sub.applications.create(
        friendly_name="voice app",
        voice_url="https://example.com/voice",
        voice_method="GET",
        sms_url="https://example.com/sms",
        message_status_callback="https://example.com/status",
        public_application_connect_enabled=True,
    )
    assert app.sid.startswith("AP") and app.account_sid == sub.sid
    assert app.voice_url == "https://example.com/voice" and app.voice_method == "GET"
    assert app.sms_method == "POST" and app.public_application_connect_enabled is True
    other = as_sub.applications.create(friendly_name="other")

    assert {a.sid for a in as_sub.applications.list()} == {app.sid, other.sid}
    assert [a.sid for a in as_sub.applications.list(friendly_name="voice app")] == [app.sid]
    assert [a.sid for a in as_sub.applications.list(page_size=1)] == [app.sid, other.sid]

    fetched = as_sub.applications(app.sid).fetch()
    assert fetched.friendly_name == "voice app" and fetched.sms_url == "https://example.com/sms"

    updated = as_sub.applications(app.sid).update(voice_url="https://example.com/v2", sms_url="")
    assert updated.voice_url == "https://example.com/v2"
    assert updated.sms_url is None and updated.friendly_name == "voice app"

    number = as_sub.incoming_phone_numbers.create(area_code="415")
    assigned = as_sub.incoming_phone_numbers(number.sid).update(voice_application_sid=app.sid)
    assert assigned.voice_application_sid == app.sid

    # The parent's SDK cannot point its own number at the subaccount's application.
    own = client.incoming_phone_numbers.create(area_code="415")
    with pytest.raises(TwilioRestException) as refused:
        client.incoming_phone_numbers(own.sid).update(sms_application_sid=app.sid)
    assert refused.value.code == 21420

    assert as_sub.applications(other.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        as_sub.applications(other.sid).fetch()
    assert gone.value.status == 404 and gone.value.code == 20404
    assert [a.sid for a in as_sub.applications.list()] == [app.sid]
