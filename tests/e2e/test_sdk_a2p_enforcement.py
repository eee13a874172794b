"""A2P 10DLC enforcement through the official Python SDK, on a real manual-clock server in
each mode: an unregistered US long code texting a US handset is flagged (``warn``: delivered,
a warning Notification with 30034) or refused (``enforce``: failed with 30034, nothing reaches
the handset); once its service's campaign is verified, its texts go through in both modes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from telephonist.settings import Settings
from telephonist.testing import running_server
from tests.conftest import database_url_for, make_http, sdk_client
from tests.contract.oracle import Spec
from tests.e2e.app import running_app
from tests.e2e.conftest import Sim
from tests.e2e.test_sdk_a2p import FLOW, REVIEW, SAMPLES, approved_bundles, subaccount


@pytest.fixture(scope="module", params=["warn", "enforce"])
def enforcing(
    request: pytest.FixtureRequest,
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    spec: Spec,
) -> Iterator[tuple[str, Sim]]:
    mode = str(request.param)
    tmp = tmp_path_factory.mktemp(f"a2p-{mode}")
    with database_url_for(backend, tmp, request) as db:
        settings = Settings(db=db, data_dir=str(tmp), clock="manual", a2p_enforcement=mode)
        with (
            running_server(settings) as server,
            running_app(server.auth_token) as app,
            make_http(server, spec, (server.account_sid, server.auth_token)) as http,
        ):
            yield mode, Sim(server, app, sdk_client(server, spec), http)


def test_unregistered_then_registered(enforcing: tuple[str, Sim], spec: Spec) -> None:
    mode, sim = enforcing
    client = subaccount(sim, spec, f"enforced {mode}")
    number = client.incoming_phone_numbers.create(area_code="415")
    before = client.messages.create(to="+12125550301", from_=number.phone_number, body="Hi")
    sim.advance(0)
    fetched = client.messages(before.sid).fetch()
    alerts = client.notifications.list()
    if mode == "enforce":
        assert (fetched.status, fetched.error_code) == ("failed", 30034)
        assert sim.inbox("+12125550301") == []
        assert alerts == []
    else:
        assert (fetched.status, fetched.error_code) == ("delivered", None)
        assert [(a.error_code, a.log) for a in alerts] == [("30034", "1")]

    profile, product = approved_bundles(sim, client)
    messaging = client.messaging.v1
    brand = messaging.brand_registrations.create(
        customer_profile_bundle_sid=profile, a2p_profile_bundle_sid=product
    )
    service = messaging.services.create(friendly_name="shop")
    messaging.services(service.sid).phone_numbers.create(phone_number_sid=number.sid)
    messaging.services(service.sid).us_app_to_person.create(
        brand_registration_sid=brand.sid,
        description="Order and delivery notifications for customers of the shop.",
        message_flow=FLOW,
        message_samples=SAMPLES,
        us_app_to_person_usecase="DELIVERY_NOTIFICATION",
        has_embedded_links=False,
        has_embedded_phone=False,
    )
    sim.advance(REVIEW)
    sim.advance(REVIEW)
    assert messaging.services(service.sid).fetch().us_app_to_person_registered is True
    after = client.messages.create(to="+12125550302", from_=number.phone_number, body="Hi")
    sim.advance(1)
    assert client.messages(after.sid).fetch().status == "delivered"
    assert len(client.notifications.list()) == len(alerts)  # no new alert
