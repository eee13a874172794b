"""A Messaging Service's short codes (``/v1/Services/{ServiceSid}/ShortCodes``) in process:
add, list, fetch, remove, the codes Twilio answers (20404 for a short code the account does
not hold, 21710 and 21712 as for numbers), and isolation between accounts.

Every response under ``/v1`` is validated against the messaging v1 description by the ``api``
client."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from telephonist.domain.sids import new_sid
from tests.api.conftest import BASE_URL, Api
from tests.api.test_error_shape import assert_twilio_error
from tests.api.test_short_codes import provision

pytestmark = pytest.mark.anyio

V = "/v1/Services"
_codes = itertools.count(42000)


async def short_code(http: httpx.AsyncClient, **form: str) -> dict[str, Any]:
    """A fresh short code of the client's account (fixed numbers, not random)."""
    return await provision(http, str(next(_codes)), **form)


async def service(http: httpx.AsyncClient, name: str = "svc") -> str:
    response = await http.post(V, data={"FriendlyName": name})
    assert response.status_code == 201, response.text
    return str(response.json()["sid"])


async def test_add_list_fetch_remove(api: Api) -> None:
    auth = await api.subaccount("short code pool")
    async with api.client(auth) as http:
        code = await short_code(http)
        mg = await service(http)
        base = f"{V}/{mg}/ShortCodes"
        response = await http.post(base, data={"ShortCodeSid": code["sid"]})
        assert response.status_code == 201, response.text
        entry = response.json()
        assert (entry["sid"], entry["short_code"]) == (code["sid"], code["short_code"])
        assert (entry["account_sid"], entry["service_sid"]) == (auth[0], mg)
        assert entry["country_code"] == "US" and entry["capabilities"] == ["SMS"]
        assert entry["url"] == f"{BASE_URL}{base}/{code['sid']}"
        assert str(entry["date_created"]).endswith("Z")
        assert (await http.get(f"{base}/{code['sid']}")).json() == entry
        listed = (await http.get(base)).json()
        assert listed["short_codes"] == [entry] and listed["meta"]["key"] == "short_codes"
        assert (await http.delete(f"{base}/{code['sid']}")).status_code == 204
        assert_twilio_error(await http.get(f"{base}/{code['sid']}"), 404, 20404)
        assert_twilio_error(await http.delete(f"{base}/{code['sid']}"), 404, 20404)
        assert (await http.get(base)).json()["short_codes"] == []
        # Out of the pool it is still the account's short code.
        still = await http.get(api.path(f"SMS/ShortCodes/{code['sid']}.json", auth[0]))
        assert still.status_code == 200


async def test_an_mms_short_code_of_another_country_says_so(api: Api) -> None:
    async with api.client(await api.subaccount("gb short code")) as http:
        code = await short_code(http, IsoCountryCode="GB", MmsEnabled="true")
        mg = await service(http)
        response = await http.post(f"{V}/{mg}/ShortCodes", data={"ShortCodeSid": code["sid"]})
        assert response.status_code == 201, response.text
        assert response.json()["country_code"] == "GB"
        assert response.json()["capabilities"] == ["MMS", "SMS"]


async def test_a_short_code_is_in_one_service_at_most(api: Api) -> None:
    """Again in the same service: 21710; in another of the account's services: 21712, and
    the second pool stays empty."""
    async with api.client(await api.subaccount("two pools")) as http:
        code = await short_code(http)
        first, second = await service(http, "first"), await service(http, "second")
        data = {"ShortCodeSid": code["sid"]}
        assert (await http.post(f"{V}/{first}/ShortCodes", data=data)).status_code == 201
        assert_twilio_error(await http.post(f"{V}/{first}/ShortCodes", data=data), 400, 21710)
        assert_twilio_error(await http.post(f"{V}/{second}/ShortCodes", data=data), 400, 21712)
        assert (await http.get(f"{V}/{second}/ShortCodes")).json()["short_codes"] == []


@pytest.mark.parametrize(
    ("value", "status", "code"),
    [
        (None, 400, 20001),
        ("", 400, 20001),
        ("SC123", 400, 20422),
        ("pn", 400, 20422),
        ("unknown", 404, 20404),
        ("theirs", 404, 20404),
    ],
)
async def test_refuses_bad_short_code_sids(
    api: Api, value: str | None, status: int, code: int
) -> None:
    """A short code the account does not hold, another account's included, is 20404; a
    PhoneNumberSid-style PN SID is not a short code SID."""
    auth = await api.subaccount("bad short codes")
    sent = value
    if value == "unknown":
        sent = new_sid("SC")
    elif value == "theirs":
        async with api.client(await api.subaccount("holder")) as other:
            sent = str((await short_code(other))["sid"])
    elif value == "pn":
        sent = new_sid("PN")
    async with api.client(auth) as http:
        mg = await service(http)
        data = {} if sent is None else {"ShortCodeSid": sent}
        assert_twilio_error(await http.post(f"{V}/{mg}/ShortCodes", data=data), status, code)
        assert (await http.get(f"{V}/{mg}/ShortCodes")).json()["short_codes"] == []


async def test_another_accounts_service_is_not_there(api: Api) -> None:
    mine, theirs = await api.subaccount("mine"), await api.subaccount("theirs")
    async with api.client(mine) as http:
        mg = await service(http)
        held = await short_code(http)
        added = await http.post(f"{V}/{mg}/ShortCodes", data={"ShortCodeSid": held["sid"]})
        assert added.status_code == 201
    async with api.client(theirs) as http:
        own = await short_code(http)
        base = f"{V}/{mg}/ShortCodes"
        assert_twilio_error(await http.get(base), 404, 20404)
        assert_twilio_error(await http.post(base, data={"ShortCodeSid": own["sid"]}), 404, 20404)
        assert_twilio_error(await http.get(f"{base}/{held['sid']}"), 404, 20404)
        assert_twilio_error(await http.delete(f"{base}/{held['sid']}"), 404, 20404)
    async with api.client(mine) as http:
        assert [c["sid"] for c in (await http.get(base)).json()["short_codes"]] == [held["sid"]]


async def test_deleting_a_service_frees_its_short_codes(api: Api) -> None:
    async with api.client(await api.subaccount("reuse")) as http:
        code = await short_code(http)
        first, second = await service(http, "first"), await service(http, "second")
        data = {"ShortCodeSid": code["sid"]}
        assert (await http.post(f"{V}/{first}/ShortCodes", data=data)).status_code == 201
        assert (await http.delete(f"{V}/{first}")).status_code == 204
        assert (await http.post(f"{V}/{second}/ShortCodes", data=data)).status_code == 201


async def test_the_pool_pages(api: Api) -> None:
    async with api.client(await api.subaccount("pages")) as http:
        mg = await service(http)
        sids = [str((await short_code(http))["sid"]) for _ in range(3)]
        for sid in sids:
            added = await http.post(f"{V}/{mg}/ShortCodes", data={"ShortCodeSid": sid})
            assert added.status_code == 201
        first = (await http.get(f"{V}/{mg}/ShortCodes?PageSize=2")).json()
        assert first["meta"]["next_page_url"].startswith(f"{BASE_URL}{V}/{mg}/ShortCodes?")
        rest = (await http.get(first["meta"]["next_page_url"])).json()
        seen = [c["sid"] for c in first["short_codes"] + rest["short_codes"]]
        assert seen == sorted(sids) and rest["meta"]["next_page_url"] is None
