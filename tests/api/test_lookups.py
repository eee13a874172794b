"""Lookups v2 in process: the resource, Fields and CountryCode, invalid input, credentials, and
the simulated carrier's scenarios (whose rules, the caller's) deciding a handset's line type.

Every answer here passes the oracle against the Lookups v2 description (the client checks it)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.api.conftest import BASE_URL, Api
from tests.api.test_error_shape import assert_twilio_error

pytestmark = pytest.mark.anyio

Auth = tuple[str, str]
CONFIGURED = "+1202555*"  # a landline by the server's settings, for every account


@pytest.fixture(scope="module")
def api_settings() -> dict[str, Any]:
    return {"scenarios": f"{CONFIGURED}=landline,+1303555*=black_hole"}


def lookup_path(number: str) -> str:
    return "/v2/PhoneNumbers/" + quote(number, safe="+")


async def look_up(api: Api, number: str, auth: Auth | None = None, **params: str) -> dict[str, Any]:
    async with api.client(auth or (api.account_sid, api.auth_token)) as http:
        response = await http.get(lookup_path(number), params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def line_type(api: Api, number: str, auth: Auth | None = None) -> str:
    body = await look_up(api, number, auth, Fields="line_type_intelligence")
    return str(body["line_type_intelligence"]["type"])


async def set_rule(api: Api, auth: Auth, pattern: str, scenario: str) -> None:
    async with api.client(auth) as http:
        response = await http.post(
            "/telephonist/v1/Scenarios/Rules", data={"Pattern": pattern, "Scenario": scenario}
        )
    assert response.status_code == 200, response.text


async def test_basic_lookup(api: Api) -> None:
    """No Fields: formatting and validation, every package null, the absolute URL."""
    body = await look_up(api, "+14159929960")
    assert body["phone_number"] == "+14159929960" and body["national_format"] == "(415) 992-9960"
    assert body["calling_country_code"] == "1" and body["country_code"] == "US"
    assert body["valid"] is True and body["validation_errors"] == []
    assert body["line_type_intelligence"] is None and body["caller_name"] is None
    assert body["url"] == f"{BASE_URL}/v2/PhoneNumbers/+14159929960"


async def test_line_type_intelligence(api: Api) -> None:
    """Fields=line_type_intelligence answers the package; the others stay null."""
    body = await look_up(api, "+14155550100", Fields="line_type_intelligence,validation")
    assert body["line_type_intelligence"] == {
        "mobile_country_code": None,
        "mobile_network_code": None,
        "carrier_name": None,
        "type": "mobile",
        "error_code": None,
    }
    assert body["sim_swap"] is None and body["valid"] is True


async def test_national_format_with_country_code(api: Api) -> None:
    """``(415) 555-0100`` with CountryCode=US is +14155550100, as E.164 input is."""
    body = await look_up(api, "(415) 555-0100", CountryCode="US")
    assert body["phone_number"] == "+14155550100" and body["valid"] is True
    gb = await look_up(api, "020 7183 8750", CountryCode="GB", Fields="line_type_intelligence")
    assert gb["phone_number"] == "+442071838750" and gb["country_code"] == "GB"
    assert gb["line_type_intelligence"]["type"] == "landline"


async def test_invalid_number_is_200(api: Api) -> None:
    """An invalid number answers 200 with valid false and the reason (not v1's 404)."""
    body = await look_up(api, "+141599299600")
    assert body["valid"] is False and body["validation_errors"] == ["TOO_LONG"]
    assert body["country_code"] is None and body["national_format"] is None


async def test_garbage_is_not_a_number(api: Api) -> None:
    """Input that is no number at all is NOT_A_NUMBER, echoed back, its URL quoted."""
    body = await look_up(api, "call me", Fields="line_type_intelligence")
    assert body["phone_number"] == "call me" and body["validation_errors"] == ["NOT_A_NUMBER"]
    assert body["line_type_intelligence"] is None
    assert body["url"] == f"{BASE_URL}/v2/PhoneNumbers/call%20me"


async def test_unknown_field_is_60618(api: Api) -> None:
    """A Fields name the spec does not list: 400 with Twilio's malformed-parameter code."""
    response = await api.http.get(lookup_path("+14155550100"), params={"Fields": "carrier"})
    assert_twilio_error(response, 400, 60618)
    assert "carrier" in response.json()["message"]


async def test_credentials(api: Api) -> None:
    """Basic auth as everywhere: none or wrong is 401 (20003); an API key works."""
    async with api.client(None) as anonymous:
        assert_twilio_error(await anonymous.get(lookup_path("+14155550100")), 401, 20003)
    async with api.client((api.account_sid, "0" * 32)) as wrong:
        assert_twilio_error(await wrong.get(lookup_path("+14155550100")), 401, 20003)
    sub = await api.subaccount("key owner")
    async with api.client(sub) as http:
        key = (await http.post(api.path("Keys.json", sub[0]), data={"FriendlyName": "k"})).json()
    assert (await look_up(api, "+14155550100", (key["sid"], key["secret"])))["valid"] is True


async def test_wrong_method_and_nul(api: Api) -> None:
    """Only GET is served; a NUL in the number is the 404 of a path naming nothing."""
    assert_twilio_error(await api.http.post(lookup_path("+14155550100")), 405, 20004)
    assert_twilio_error(await api.http.get("/v2/PhoneNumbers/%00"), 404, 20404)


async def test_configured_landline_scenario(api: Api) -> None:
    """A number the configured rules give the ``landline`` scenario is a landline, for
    every account; another scenario leaves the plan's type."""
    assert await line_type(api, "+12025550123") == "landline"
    assert await line_type(api, "+13035550123") == "mobile"
    assert await line_type(api, "+12025550123", await api.subaccount()) == "landline"


async def test_account_rule_is_the_accounts_own(api: Api) -> None:
    """An account's landline rule shapes its own lookups and its subaccounts', no one else's;
    a subaccount's own rule overrides the inherited one."""
    parent = await api.top_level_account()
    stranger = await api.top_level_account()
    await set_rule(api, parent, "+1415555*", "landline")
    async with api.client(parent) as http:
        created = await http.post("/2010-04-01/Accounts.json", data={"FriendlyName": "child"})
    child = (created.json()["sid"], created.json()["auth_token"])

    assert await line_type(api, "+14155550100", parent) == "landline"
    assert await line_type(api, "+14155550100", child) == "landline"
    assert await line_type(api, "+14155550100", stranger) == "mobile"

    await set_rule(api, child, "+1415555*", "happy")
    assert await line_type(api, "+14155550100", child) == "mobile"
    assert await line_type(api, "+14155550100", parent) == "landline"


async def test_rule_on_a_number_outside_the_plan(api: Api) -> None:
    """A fictional handset (+1555…, invalid) is still a landline when a rule says so."""
    sub = await api.subaccount()
    await set_rule(api, sub, "+1555*", "landline")
    body = await look_up(api, "+15555550100", sub, Fields="line_type_intelligence")
    assert body["valid"] is False and body["validation_errors"] == ["INVALID_BUT_POSSIBLE"]
    assert body["line_type_intelligence"]["type"] == "landline"
    assert await line_type(api, "+15555550100") == "unknown"


@pytest.mark.parametrize(
    "raw",
    ["+", "++1", "+" + "9" * 40, "x" * 3000, "😀", "+1415555０100", "%", "'; DROP TABLE x; --"],
)
async def test_hostile_numbers(api: Api, raw: str) -> None:
    """Input built to break the parser answers a valid-for-the-spec 200, never a 500."""
    body = await look_up(api, raw, Fields="line_type_intelligence", CountryCode="\u202e")
    assert body["valid"] is False or body["phone_number"].startswith("+")
