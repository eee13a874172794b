"""``Idempotency-Key`` through the official Python SDK, over loopback.

The SDK has no idempotency parameter; an app adds the header in its own HTTP client (the
SDK's documented seam for custom transports), and the SDK's own ``create`` calls then retry
safely: the same key answers the same resource, other parameters answer 409 (20409).
"""

from __future__ import annotations

from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.response import Response
from twilio.rest import Client

from telephonist.testing import RunningServer
from tests.conftest import ValidatingHttpClient
from tests.contract.oracle import Spec


class IdempotentHttpClient(ValidatingHttpClient):
    """Sends ``Idempotency-Key: key`` with every POST while ``key`` is set."""

    key: str | None = None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.key is not None and method.upper() == "POST":
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Idempotency-Key": self.key}
        return super().request(method, url, *args, **kwargs)


@pytest.fixture(scope="module")
def transport(spec: Spec) -> IdempotentHttpClient:
    return IdempotentHttpClient(spec)


@pytest.fixture(scope="module")
def sdk(server: RunningServer, transport: IdempotentHttpClient) -> Client:
    client = Client(server.account_sid, server.auth_token, http_client=transport)
    client.api.base_url = server.base_url
    return client


@pytest.fixture(scope="module")
def sender(sdk: Client) -> str:
    return str(sdk.incoming_phone_numbers.create(area_code="415").phone_number)


def test_a_retried_message_create_is_one_message(
    sdk: Client, transport: IdempotentHttpClient, sender: str
) -> None:
    transport.key = "sdk-message-1"
    first = sdk.messages.create(to="+16283000001", from_=sender, body="once")
    again = sdk.messages.create(to="+16283000001", from_=sender, body="once")
    assert again.sid == first.sid and again.body == "once"
    with pytest.raises(TwilioRestException) as info:
        sdk.messages.create(to="+16283000001", from_=sender, body="twice")
    assert (info.value.status, info.value.code) == (409, 20409)
    transport.key = None
    assert [m.sid for m in sdk.messages.list(to="+16283000001")] == [first.sid]


def test_a_retried_call_create_is_one_call(
    sdk: Client, transport: IdempotentHttpClient, sender: str
) -> None:
    twiml = "<Response><Hangup/></Response>"
    transport.key = "sdk-call-1"
    first = sdk.calls.create(to="+16283000002", from_=sender, twiml=twiml)
    again = sdk.calls.create(to="+16283000002", from_=sender, twiml=twiml)
    assert again.sid == first.sid
    transport.key = None
    assert [c.sid for c in sdk.calls.list(to="+16283000002")] == [first.sid]


def test_an_empty_key_is_refused(sdk: Client, transport: IdempotentHttpClient, sender: str) -> None:
    transport.key = ""
    try:
        with pytest.raises(TwilioRestException) as info:
            sdk.messages.create(to="+16283000003", from_=sender, body="x")
    finally:
        transport.key = None
    assert (info.value.status, info.value.code) == (400, 20422)
