"""Lookups v2 through the official Python SDK, its ``lookups`` domain pointed at a real server
over loopback; every answer is checked against the Lookups v2 description on the way."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.e2e.conftest import Sim


@pytest.fixture(scope="module")
def client(sim: Sim) -> Client:
    """The simulation's SDK client, with the documented recipe for the Lookups domain."""
    sim.client.lookups.base_url = sim.server.base_url
    return sim.client


def test_line_type_intelligence(client: Client, sim: Sim) -> None:
    """``fetch(fields="line_type_intelligence")`` answers the basic lookup and the package."""
    found = client.lookups.v2.phone_numbers("+14155550100").fetch(fields="line_type_intelligence")
    assert found.phone_number == "+14155550100" and found.valid is True
    assert found.calling_country_code == "1" and found.country_code == "US"
    assert found.national_format == "(415) 555-0100" and found.validation_errors == []
    assert found.line_type_intelligence == {
        "mobile_country_code": None,
        "mobile_network_code": None,
        "carrier_name": None,
        "type": "mobile",
        "error_code": None,
    }
    assert found.caller_name is None and found.sms_pumping_risk is None
    assert found.url == f"{sim.server.base_url}/v2/PhoneNumbers/+14155550100"


def test_national_format_and_invalid_numbers(client: Client) -> None:
    """National input with ``country_code``; an invalid number is valid=False, not an error."""
    national = client.lookups.v2.phone_numbers("(415) 555-0100").fetch(country_code="US")
    assert national.phone_number == "+14155550100" and national.line_type_intelligence is None
    invalid = client.lookups.v2.phone_numbers("+141599299600").fetch()
    assert invalid.valid is False and invalid.validation_errors == ["TOO_LONG"]


def test_unknown_field_raises(client: Client) -> None:
    """A Fields name the spec does not list raises as Twilio's 400 does (60618)."""
    with pytest.raises(TwilioRestException) as refused:
        client.lookups.v2.phone_numbers("+14155550100").fetch(fields="carrier")
    assert refused.value.status == 400 and refused.value.code == 60618


def test_landline_scenario_agrees_with_delivery(client: Client, sim: Sim) -> None:
    """A handset the account's rules make a landline looks up as one, and a text to it
    ends undelivered with 30006: Lookups and the carrier tell the same story."""
    handset = "+17205550190"  # no other test in this module's server touches it
    before = client.lookups.v2.phone_numbers(handset).fetch(fields="line_type_intelligence")
    assert before.line_type_intelligence["type"] == "mobile"
    response = sim.http.post(
        f"/telephonist/v1/Handsets/{handset}/Scenario", data={"Scenario": "landline"}
    )
    assert response.status_code == 200, response.text

    found = client.lookups.v2.phone_numbers(handset).fetch(fields="line_type_intelligence")
    assert found.line_type_intelligence["type"] == "landline"
    sent = client.messages.create(to=handset, from_=sim.number(), body="x")
    sim.advance(60)
    fetched = client.messages(sent.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30006)
