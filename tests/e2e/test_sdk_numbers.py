"""AvailablePhoneNumbers and IncomingPhoneNumbers through the official Python SDK."""

from __future__ import annotations

import phonenumbers
import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from telephonist.testing import RunningServer
from tests.conftest import sdk_client
from tests.contract.oracle import Spec


def test_countries(client: Client) -> None:
    countries = {c.country_code: c for c in client.available_phone_numbers.list()}
    for code in ("US", "CA", "GB", "AU", "DE", "FR"):
        assert code in countries
    assert countries["US"].country == "United States"
    assert "local" in countries["US"].subresource_uris
    assert client.available_phone_numbers("GB").fetch().country_code == "GB"


@pytest.mark.parametrize(
    ("country", "kind"),
    [
        ("US", "local"),
        ("US", "toll_free"),
        ("CA", "local"),
        ("GB", "local"),
        ("GB", "mobile"),
        ("AU", "mobile"),
        ("DE", "local"),
        ("FR", "mobile"),
    ],
)
def test_search_returns_valid_numbers(client: Client, country: str, kind: str) -> None:
    """Every number offered is valid per libphonenumber and of the asked-for type."""
    found = getattr(client.available_phone_numbers(country), kind).list(limit=5)
    assert found
    for number in found:
        parsed = phonenumbers.parse(number.phone_number)
        assert phonenumbers.is_valid_number(parsed)
        assert phonenumbers.region_code_for_number(parsed) == country
        assert number.iso_country == country


def test_search_filters(client: Client) -> None:
    local = client.available_phone_numbers("US").local
    in_415 = local.list(area_code=415, limit=10)
    assert in_415 and all(n.phone_number.startswith("+1415") for n in in_415)
    with_digits = local.list(contains="555", limit=5)
    assert with_digits and all("555" in n.phone_number[2:] for n in with_digits)
    sms = local.list(sms_enabled=True, limit=5)
    assert sms and all(n.capabilities["sms"] for n in sms)
    assert len(local.list(page_size=3, limit=3)) == 3


def test_search_bad_area_code(client: Client) -> None:
    with pytest.raises(TwilioException) as info:
        client.available_phone_numbers("US").local.list(area_code=12)
    assert '"code":21451' in str(info.value)


def test_buy_configure_release(client: Client) -> None:
    """Buy a searched number, configure its webhooks, find it by filter, release it."""
    offered = client.available_phone_numbers("US").local.list(area_code=512, limit=1)[0]
    bought = client.incoming_phone_numbers.create(
        phone_number=offered.phone_number, sms_url="https://app.test/sms"
    )
    assert bought.phone_number == offered.phone_number
    assert bought.sms_url == "https://app.test/sms" and bought.sms_method == "POST"
    assert bought.capabilities["sms"] is True
    updated = client.incoming_phone_numbers(bought.sid).update(
        friendly_name="support line",
        sms_method="GET",
        sms_fallback_url="https://app.test/fb",
        voice_url="https://app.test/voice",
        status_callback="https://app.test/status",
    )
    assert updated.friendly_name == "support line"
    assert updated.sms_method == "GET" and updated.sms_fallback_url == "https://app.test/fb"
    assert updated.voice_url == "https://app.test/voice"
    assert client.incoming_phone_numbers(bought.sid).fetch().sms_url == "https://app.test/sms"
    assert [
        n.sid for n in client.incoming_phone_numbers.list(phone_number=offered.phone_number[-7:])
    ] == [bought.sid]
    assert [n.sid for n in client.incoming_phone_numbers.list(friendly_name="support line")] == [
        bought.sid
    ]
    assert bought.sid in {n.sid for n in client.incoming_phone_numbers.local.list()}
    # The number is no longer offered to anyone.
    again = client.available_phone_numbers("US").local.list(contains=offered.phone_number[2:])
    assert offered.phone_number not in {n.phone_number for n in again}
    assert client.incoming_phone_numbers(bought.sid).delete() is True
    with pytest.raises(TwilioRestException) as info:
        client.incoming_phone_numbers(bought.sid).fetch()
    assert info.value.code == 20404


def test_typed_buy(client: Client) -> None:
    toll_free = client.incoming_phone_numbers.toll_free.create(
        phone_number=client.available_phone_numbers("US").toll_free.list(limit=1)[0].phone_number
    )
    fetched = client.incoming_phone_numbers(toll_free.sid).fetch()
    assert fetched.phone_number == toll_free.phone_number
    assert toll_free.sid in {n.sid for n in client.incoming_phone_numbers.toll_free.list()}
    mobile = client.available_phone_numbers("GB").mobile.list(limit=1)[0]
    bought = client.incoming_phone_numbers.mobile.create(phone_number=mobile.phone_number)
    assert bought.phone_number.startswith("+447")


def test_number_belongs_to_one_account(client: Client, server: RunningServer, spec: Spec) -> None:
    number = client.incoming_phone_numbers.create(area_code="303")
    sub = client.api.v2010.accounts.create(friendly_name="other")
    as_sub = sdk_client(server, spec, sub.sid, sub.auth_token)
    with pytest.raises(TwilioRestException) as info:
        as_sub.incoming_phone_numbers.create(phone_number=number.phone_number)
    assert info.value.code == 21422
    with pytest.raises(TwilioRestException) as info:
        as_sub.incoming_phone_numbers(number.sid).fetch()
    assert info.value.code == 20404
    # The parent can move it to the subaccount.
    moved = client.incoming_phone_numbers(number.sid).update(account_sid=sub.sid)
    assert moved.account_sid == sub.sid
    assert as_sub.incoming_phone_numbers(number.sid).fetch().phone_number == number.phone_number


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"phone_number": "+15005550000"}, 21422),
        ({"phone_number": "+15005550001"}, 21421),
        ({"phone_number": "garbage"}, 21421),
        ({"area_code": "533"}, 21452),
        ({"area_code": "12"}, 21451),
    ],
)
def test_buy_errors(client: Client, params: dict[str, str], code: int) -> None:
    with pytest.raises(TwilioRestException) as info:
        client.incoming_phone_numbers.create(**params)
    assert info.value.code == code


def test_magic_buys(client: Client) -> None:
    assert client.incoming_phone_numbers.create(area_code="500").phone_number.startswith("+1500")
