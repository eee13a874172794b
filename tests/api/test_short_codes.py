"""Short codes in process: provisioning through the control API, and the v2010
``SMS/ShortCodes`` resource (list with its filters and paging, fetch, update), isolated
between accounts.

Every response under ``/2010-04-01`` is validated against Twilio's description by the ``api``
client. Short codes are unique on the server, so each test takes its own from a counter.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from telephonist.domain.sids import new_sid
from tests.api.conftest import Api
from tests.api.test_error_shape import assert_twilio_error

pytestmark = pytest.mark.anyio

Auth = tuple[str, str]
PROVISION = "/telephonist/v1/ShortCodes"
_codes = itertools.count(41000)


def new_code() -> str:
    """A short code no other test of this module provisions (fixed numbers, not random)."""
    return str(next(_codes))


async def provision(http: httpx.AsyncClient, code: str, **form: str) -> dict[str, Any]:
    response = await http.post(PROVISION, data={"ShortCode": code, **form})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def codes_path(api: Api, auth: Auth, sid: str = "") -> str:
    return api.path(f"SMS/ShortCodes/{sid}.json" if sid else "SMS/ShortCodes.json", auth[0])


async def test_a_provisioned_short_code_is_a_v2010_short_code(api: Api) -> None:
    """The control API's answer is the resource the v2010 API then lists and fetches, with
    Twilio's defaults: named after its digits, POST methods, null URLs, API version 2010."""
    auth = await api.subaccount("provision")
    code = new_code()
    async with api.client(auth) as http:
        made = await provision(http, code)
        assert str(made["sid"]).startswith("SC") and made["account_sid"] == auth[0]
        assert made["short_code"] == code and made["friendly_name"] == code
        assert (made["sms_url"], made["sms_fallback_url"]) == (None, None)
        assert (made["sms_method"], made["sms_fallback_method"]) == ("POST", "POST")
        assert made["api_version"] == "2010-04-01"
        assert made["uri"] == codes_path(api, auth, made["sid"])
        fetched = await http.get(codes_path(api, auth, made["sid"]))
        assert fetched.status_code == 200 and fetched.json() == made
        listed = (await http.get(codes_path(api, auth))).json()
        assert listed["short_codes"] == [made]


async def test_update_changes_only_what_is_sent(api: Api) -> None:
    auth = await api.subaccount("update")
    code = new_code()
    async with api.client(auth) as http:
        made = await provision(
            http, code, FriendlyName="alerts", SmsUrl="https://example.com/in", SmsMethod="GET"
        )
        path = codes_path(api, auth, made["sid"])
        response = await http.post(
            path,
            data={
                "SmsFallbackUrl": "https://example.com/fallback",
                "SmsFallbackMethod": "get",
                "ApiVersion": "2008-08-01",
            },
        )
        assert response.status_code == 200, response.text
        changed = response.json()
        assert (
            changed["friendly_name"] == "alerts" and changed["sms_url"] == "https://example.com/in"
        )
        assert changed["sms_method"] == "GET" and changed["api_version"] == "2008-08-01"
        assert changed["sms_fallback_url"] == "https://example.com/fallback"
        assert changed["sms_fallback_method"] == "GET"
        # An empty URL clears it; an empty name is the short code's digits again.
        cleared = (await http.post(path, data={"SmsUrl": "", "FriendlyName": ""})).json()
        assert (cleared["sms_url"], cleared["friendly_name"]) == (None, code)
        assert cleared["sms_fallback_url"] == "https://example.com/fallback"
        assert (await http.get(path)).json() == cleared


async def test_the_list_filters_and_pages(api: Api) -> None:
    """FriendlyName matches exactly, ShortCode partially with ``*`` for a digit; PageSize=2
    over three short codes is two pages, oldest first."""
    auth = await api.subaccount("listing")
    async with api.client(auth) as http:
        first = await provision(http, "52100", FriendlyName="promo")
        second = await provision(http, "52199", FriendlyName="alerts")
        third = await provision(http, "63100", FriendlyName="promo")
        path = codes_path(api, auth)
        named = (await http.get(path, params={"FriendlyName": "promo"})).json()
        assert [c["sid"] for c in named["short_codes"]] == sorted([first["sid"], third["sid"]])
        assert "FriendlyName=promo" in named["uri"]
        partial = (await http.get(path, params={"ShortCode": "521"})).json()
        assert sorted(c["short_code"] for c in partial["short_codes"]) == ["52100", "52199"]
        wildcard = (await http.get(path, params={"ShortCode": "5*1*0"})).json()
        assert [c["short_code"] for c in wildcard["short_codes"]] == ["52100"]
        page = (await http.get(path, params={"PageSize": "2"})).json()
        assert len(page["short_codes"]) == 2 and page["next_page_uri"] is not None
        rest = (await http.get(page["next_page_uri"])).json()
        seen = [c["sid"] for c in page["short_codes"] + rest["short_codes"]]
        assert seen == sorted([first["sid"], second["sid"], third["sid"]])
        assert rest["next_page_uri"] is None


BAD_PROVISIONS = [
    ({}, 400, 20001),
    ({"ShortCode": ""}, 400, 20001),
    ({"ShortCode": "1234"}, 400, 21421),
    ({"ShortCode": "1234567"}, 400, 21421),
    ({"ShortCode": "12a45"}, 400, 21421),
    ({"ShortCode": "+12345"}, 400, 21421),
    ({"ShortCode": "{code}", "IsoCountryCode": "XX"}, 400, 20422),
    ({"ShortCode": "{code}", "FriendlyName": "x" * 65}, 400, 20002),
    ({"ShortCode": "{code}", "SmsUrl": "not a url"}, 400, 21502),
    ({"ShortCode": "{code}", "SmsMethod": "PUT"}, 400, 20422),
    ({"ShortCode": "{code}", "MmsEnabled": "maybe"}, 400, 20422),
]


@pytest.mark.parametrize(("form", "status", "code"), BAD_PROVISIONS)
async def test_provisioning_refuses_bad_values(
    api: Api, form: dict[str, str], status: int, code: int
) -> None:
    """Nothing is provisioned: the short code is still free for a good request."""
    auth = await api.subaccount("bad provision")
    fresh = new_code()
    data = {k: v.replace("{code}", fresh) for k, v in form.items()}
    async with api.client(auth) as http:
        assert_twilio_error(await http.post(PROVISION, data=data), status, code)
        assert (await http.get(codes_path(api, auth))).json()["short_codes"] == []
        await provision(http, fresh)


@pytest.mark.parametrize(
    ("form", "code"), [({"SmsUrl": "ftp://x"}, 21502), ({"ApiVersion": "2011"}, 20422)]
)
async def test_update_refuses_bad_values(api: Api, form: dict[str, str], code: int) -> None:
    auth = await api.subaccount("bad update")
    async with api.client(auth) as http:
        made = await provision(http, new_code())
        path = codes_path(api, auth, made["sid"])
        assert_twilio_error(await http.post(path, data=form), 400, code)
        assert (await http.get(path)).json() == made


async def test_a_held_short_code_is_unavailable_and_another_accounts_is_not_there(
    api: Api,
) -> None:
    """A short code has one holder: asking again, or from another account, answers 21422
    alike; another account's short code is absent from a list and 404 to fetch and update."""
    mine, theirs = await api.subaccount("holder"), await api.subaccount("other")
    code = new_code()
    async with api.client(mine) as http:
        made = await provision(http, code)
        assert_twilio_error(await http.post(PROVISION, data={"ShortCode": code}), 400, 21422)
    async with api.client(theirs) as http:
        assert_twilio_error(await http.post(PROVISION, data={"ShortCode": code}), 400, 21422)
        assert (await http.get(codes_path(api, theirs))).json()["short_codes"] == []
        path = codes_path(api, theirs, made["sid"])
        assert_twilio_error(await http.get(path), 404, 20404)
        assert_twilio_error(await http.post(path, data={"FriendlyName": "mine"}), 404, 20404)
        # Nor through the holder's own path: that account is not theirs to reach.
        assert_twilio_error(await http.get(codes_path(api, mine, made["sid"])), 404, 20404)
    async with api.client(mine) as http:
        assert (await http.get(codes_path(api, mine, made["sid"]))).json() == made


async def test_an_unknown_short_code_is_not_found(api: Api) -> None:
    path = api.path(f"SMS/ShortCodes/{new_sid('SC')}.json")
    assert_twilio_error(await api.http.get(path), 404, 20404)
    assert_twilio_error(await api.http.post(path, data={"FriendlyName": "x"}), 404, 20404)


async def test_a_suspended_account_cannot_provision(api: Api) -> None:
    sid, token = await api.subaccount("suspended")
    response = await api.http.post(f"/2010-04-01/Accounts/{sid}.json", data={"Status": "suspended"})
    assert response.status_code == 200, response.text
    async with api.client((sid, token)) as http:
        assert_twilio_error(await http.post(PROVISION, data={"ShortCode": new_code()}), 403, 20005)
