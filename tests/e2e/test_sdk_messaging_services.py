"""Messaging Services through the official Python SDK (``client.messaging.v1``), on a real
server over loopback: the v1 envelope's absolute URLs must bring the SDK back to this server."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from telephonist.testing import RunningServer
from tests.conftest import sdk_client
from tests.contract.oracle import Spec


def test_service_lifecycle(client: Client, server: RunningServer, spec: Spec) -> None:
    """create, add a number, list/stream/page across pages, update, delete."""
    sub = client.api.accounts.create(friendly_name="services")
    as_sub = sdk_client(server, spec, sub.sid, sub.auth_token)
    services = as_sub.messaging.v1.services

    service = services.create(
        friendly_name="alerts", sticky_sender=False, validity_period=600, usecase="notifications"
    )
    assert service.sid.startswith("MG") and service.account_sid == sub.sid
    assert service.sticky_sender is False and service.validity_period == 600
    assert service.date_created is not None and service.date_created.year >= 2024
    assert service.url == f"{server.base_url}/v1/Services/{service.sid}"

    number = as_sub.incoming_phone_numbers.create(area_code="415")
    entry = services(service.sid).phone_numbers.create(phone_number_sid=number.sid)
    assert entry.sid == number.sid and entry.phone_number == number.phone_number
    assert [n.sid for n in services(service.sid).phone_numbers.list()] == [number.sid]
    assert services(service.sid).phone_numbers(number.sid).fetch().service_sid == service.sid

    made = {service.sid} | {services.create(friendly_name=f"s{i}").sid for i in range(4)}
    listed = [s.sid for s in services.list(page_size=2)]
    assert sorted(listed) == sorted(made) and len(listed) == 5
    assert {s.sid for s in services.stream(page_size=2)} == made
    first = services.page(page_size=2)
    second = first.next_page()
    third = second.next_page()
    assert [len(list(p)) for p in (first, second, third)] == [2, 2, 1]
    assert third.next_page() is None

    updated = services(service.sid).update(friendly_name="renamed", inbound_method="GET")
    assert updated.friendly_name == "renamed" and updated.inbound_method == "GET"

    assert services(service.sid).phone_numbers(number.sid).delete() is True
    assert services(service.sid).delete() is True
    with pytest.raises(TwilioRestException) as caught:
        services(service.sid).fetch()
    assert caught.value.status == 404 and caught.value.code == 20404


def test_validation_reaches_the_sdk(client: Client) -> None:
    with pytest.raises(TwilioRestException) as caught:
        client.messaging.v1.services.create(friendly_name="bad", validity_period=0)
    assert caught.value.status == 400 and caught.value.code == 21624
