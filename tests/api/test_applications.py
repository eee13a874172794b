"""Applications.json handlers in process: the resource, its validation codes, paging, isolation,
a suspended account, and numbers pointing at applications (21420)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from telephonist.domain.sids import new_sid
from tests.api.conftest import Api
from tests.api.test_error_shape import assert_twilio_error

pytestmark = pytest.mark.anyio

Auth = tuple[str, str]
SCHEMA = "api.v2010.account.application"

EVERY_FIELD = {
    "FriendlyName": "every field",
    "ApiVersion": "2008-08-01",
    "VoiceUrl": "https://example.com/voice",
    "VoiceMethod": "get",
    "VoiceFallbackUrl": "https://example.com/voice-fallback",
    "VoiceFallbackMethod": "GET",
    "StatusCallback": "https://example.com/status",
    "StatusCallbackMethod": "GET",
    "VoiceCallerIdLookup": "true",
    "SmsUrl": "https://example.com/sms",
    "SmsMethod": "GET",
    "SmsFallbackUrl": "https://example.com/sms-fallback",
    "SmsFallbackMethod": "GET",
    "SmsStatusCallback": "https://example.com/sms-status",
    "MessageStatusCallback": "https://example.com/message-status",
    "PublicApplicationConnectEnabled": "true",
}
STORED = {
    "friendly_name": "every field",
    "api_version": "2008-08-01",
    "voice_url": "https://example.com/voice",
    "voice_method": "GET",
    "voice_fallback_url": "https://example.com/voice-fallback",
    "voice_fallback_method": "GET",
    "status_callback": "https://example.com/status",
    "status_callback_method": "GET",
    "voice_caller_id_lookup": True,
    "sms_url": "https://example.com/sms",
    "sms_method": "GET",
    "sms_fallback_url": "https://example.com/sms-fallback",
    "sms_fallback_method": "GET",
    "sms_status_callback": "https://example.com/sms-status",
    "message_status_callback": "https://example.com/message-status",
    "public_application_connect_enabled": True,
}

BAD_FORMS = [
    ({"VoiceUrl": "not a url"}, 21205),
    ({"VoiceFallbackUrl": "ftp://example.com/"}, 21205),
    ({"StatusCallback": "example.com/status"}, 21205),
    ({"SmsUrl": "not a url"}, 21502),
    ({"SmsFallbackUrl": "mailto:someone@example.com"}, 21502),
    ({"SmsStatusCallback": "nope"}, 21502),
    ({"MessageStatusCallback": "nope"}, 21502),
    ({"VoiceMethod": "PUT"}, 20422),
    ({"VoiceFallbackMethod": "DELETE"}, 20422),
    ({"StatusCallbackMethod": "PATCH"}, 20422),
    ({"SmsMethod": "HEAD"}, 20422),
    ({"SmsFallbackMethod": "x"}, 20422),
    ({"VoiceCallerIdLookup": "maybe"}, 20422),
    ({"PublicApplicationConnectEnabled": "sometimes"}, 20422),
    ({"ApiVersion": "2020-01-01"}, 20422),
    ({"FriendlyName": "x" * 65}, 20002),
]


def apps_path(api: Api, account: str, sid: str | None = None) -> str:
    return api.path(f"Applications/{sid}.json" if sid else "Applications.json", account)


async def create(http: httpx.AsyncClient, api: Api, account: str, **form: str) -> dict[str, str]:
    response = await http.post(apps_path(api, account), data=form)
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


async def listed_sids(http: httpx.AsyncClient, api: Api, account: str) -> set[str]:
    response = await http.get(apps_path(api, account))
    assert response.status_code == 200, response.text
    return {a["sid"] for a in response.json()["applications"]}


async def test_create_with_defaults_has_exactly_the_spec_fields(api: Api) -> None:
    sub = await api.subaccount("apps-defaults")
    async with api.client(sub) as http:
        app = await create(http, api, sub[0])
    spec_fields = set(api.spec.components["schemas"][SCHEMA]["properties"])
    assert set(app) == spec_fields
    assert app["sid"].startswith("AP") and len(app["sid"]) == 34
    assert app["account_sid"] == sub[0]
    assert app["uri"] == f"/2010-04-01/Accounts/{sub[0]}/Applications/{app['sid']}.json"
    assert app["api_version"] == "2010-04-01"
    assert app["friendly_name"] is None and app["voice_url"] is None and app["sms_url"] is None
    for method in ("voice_method", "voice_fallback_method", "sms_method", "sms_fallback_method"):
        assert app[method] == "POST"
    assert app["status_callback_method"] == "POST"
    assert app["voice_caller_id_lookup"] is False
    assert app["public_application_connect_enabled"] is False


async def test_create_stores_every_parameter(api: Api) -> None:
    sub = await api.subaccount("apps-every")
    async with api.client(sub) as http:
        app = await create(http, api, sub[0], **EVERY_FIELD)
        fetched = (await http.get(apps_path(api, sub[0], app["sid"]))).json()
    assert {k: app[k] for k in STORED} == STORED
    assert fetched == app


@pytest.mark.parametrize(("form", "code"), BAD_FORMS)
async def test_create_refuses_bad_values(api: Api, form: dict[str, str], code: int) -> None:
    """Each fault answers 400 with Twilio's code, and nothing is stored."""
    sub = await api.subaccount("apps-bad-create")
    async with api.client(sub) as http:
        response = await http.post(apps_path(api, sub[0]), data={"FriendlyName": "a", **form})
        assert_twilio_error(response, 400, code)
        assert await listed_sids(http, api, sub[0]) == set()


@pytest.mark.parametrize(("form", "code"), BAD_FORMS)
async def test_update_refuses_bad_values(api: Api, form: dict[str, str], code: int) -> None:
    """The same faults on update: refused, and the application is unchanged."""
    sub = await api.subaccount("apps-bad-update")
    async with api.client(sub) as http:
        app = await create(http, api, sub[0], **EVERY_FIELD)
        response = await http.post(apps_path(api, sub[0], app["sid"]), data=form)
        assert_twilio_error(response, 400, code)
        after = (await http.get(apps_path(api, sub[0], app["sid"]))).json()
    assert after == app


async def test_list_filters_by_friendly_name(api: Api) -> None:
    sub = await api.subaccount("apps-filter")
    async with api.client(sub) as http:
        one = await create(http, api, sub[0], FriendlyName="alpha")
        two = await create(http, api, sub[0], FriendlyName="alpha")
        await create(http, api, sub[0], FriendlyName="beta")
        await create(http, api, sub[0])
        response = await http.get(apps_path(api, sub[0]), params={"FriendlyName": "alpha"})
        nobody = await http.get(apps_path(api, sub[0]), params={"FriendlyName": "gamma"})
    body = response.json()
    assert {a["sid"] for a in body["applications"]} == {one["sid"], two["sid"]}
    assert parse_qs(urlsplit(body["uri"]).query)["FriendlyName"] == ["alpha"]
    assert nobody.json()["applications"] == []


async def test_list_pages_without_skipping_or_repeating(api: Api) -> None:
    sub = await api.subaccount("apps-paging")
    async with api.client(sub) as http:
        made = {(await create(http, api, sub[0], FriendlyName="p"))["sid"] for _ in range(5)}
        await create(http, api, sub[0], FriendlyName="other")
        pages = [
            (
                await http.get(apps_path(api, sub[0]), params={"FriendlyName": "p", "PageSize": 2})
            ).json()
        ]
        while next_uri := pages[-1]["next_page_uri"]:
            query = parse_qs(urlsplit(next_uri).query)
            assert query["FriendlyName"] == ["p"] and query["PageSize"] == ["2"]
            pages.append((await http.get(next_uri)).json())
    sizes = [len(p["applications"]) for p in pages]
    seen = [a["sid"] for p in pages for a in p["applications"]]
    assert sizes == [2, 2, 1]
    assert len(seen) == len(set(seen)) and set(seen) == made
    assert [p["page"] for p in pages] == [0, 1, 2]


async def test_update_changes_only_what_is_given(api: Api) -> None:
    sub = await api.subaccount("apps-update")
    async with api.client(sub) as http:
        app = await create(http, api, sub[0], **EVERY_FIELD)
        await api.http.post("/telephonist/v1/Clock", data={"Advance": "5"})
        response = await http.post(
            apps_path(api, sub[0], app["sid"]),
            data={
                "FriendlyName": "renamed",
                "VoiceUrl": "http://example.com/v2",
                "SmsUrl": "",  # an empty URL clears it
                "SmsMethod": "POST",
                "PublicApplicationConnectEnabled": "false",
            },
        )
        assert response.status_code == 200, response.text
        fetched = (await http.get(apps_path(api, sub[0], app["sid"]))).json()
    updated = response.json()
    assert fetched == updated
    expected = {
        **app,
        "friendly_name": "renamed",
        "voice_url": "http://example.com/v2",
        "sms_url": None,
        "sms_method": "POST",
        "public_application_connect_enabled": False,
        "date_updated": updated["date_updated"],
    }
    assert updated == expected
    assert updated["date_updated"] != app["date_updated"]
    assert updated["date_created"] == app["date_created"]


async def test_delete_removes_it(api: Api) -> None:
    sub = await api.subaccount("apps-delete")
    async with api.client(sub) as http:
        kept = await create(http, api, sub[0], FriendlyName="kept")
        gone = await create(http, api, sub[0], FriendlyName="gone")
        response = await http.delete(apps_path(api, sub[0], gone["sid"]))
        assert response.status_code == 204 and response.content == b""
        assert await listed_sids(http, api, sub[0]) == {kept["sid"]}
        path = apps_path(api, sub[0], gone["sid"])
        assert_twilio_error(await http.get(path), 404, 20404)
        assert_twilio_error(await http.delete(path), 404, 20404)
        assert_twilio_error(await http.post(path, data={"FriendlyName": "x"}), 404, 20404)


async def test_another_accounts_application_is_a_missing_one(api: Api) -> None:
    """A sibling naming the application through its own account path gets the 404 of a SID
    that exists nowhere, word for word; and the application is untouched."""
    owner, caller = await api.subaccount("apps-owner"), await api.subaccount("apps-caller")
    async with api.client(owner) as http:
        theirs = await create(http, api, owner[0], FriendlyName="theirs")
    missing = new_sid("AP")
    async with api.client(caller) as http:
        for method, data in (("GET", None), ("POST", {"FriendlyName": "x"}), ("DELETE", None)):
            answers = []
            for sid in (theirs["sid"], missing):
                response = await http.request(method, apps_path(api, caller[0], sid), data=data)
                assert_twilio_error(response, 404, 20404)
                answers.append(response.json()["message"].replace(sid, "{sid}"))
            assert answers[0] == answers[1]
        assert await listed_sids(http, api, caller[0]) == set()
    async with api.client(owner) as http:
        after = (await http.get(apps_path(api, owner[0], theirs["sid"]))).json()
    assert after == theirs


async def test_a_suspended_account_reads_but_changes_nothing(api: Api) -> None:
    sub = await api.subaccount("apps-suspended")
    async with api.client(sub) as http:
        app = await create(http, api, sub[0], FriendlyName="before")
    suspended = await api.http.post(
        f"/2010-04-01/Accounts/{sub[0]}.json", data={"Status": "suspended"}
    )
    assert suspended.status_code == 200, suspended.text
    path = apps_path(api, sub[0], app["sid"])
    async with api.client(sub) as http:
        assert (await http.get(path)).json() == app
        assert await listed_sids(http, api, sub[0]) == {app["sid"]}
        create_response = await http.post(apps_path(api, sub[0]), data={"FriendlyName": "new"})
        assert_twilio_error(create_response, 403, 20005)
        assert_twilio_error(await http.post(path, data={"FriendlyName": "after"}), 403, 20005)
        assert_twilio_error(await http.delete(path), 403, 20005)
        assert (await http.get(path)).json() == app


# -- numbers pointing at applications -------------------------------------------------------------


@pytest.mark.parametrize("param", ["VoiceApplicationSid", "SmsApplicationSid"])
async def test_a_number_takes_only_its_accounts_applications(api: Api, param: str) -> None:
    """Update and buy refuse, with 21420, an AP SID that is no application or another
    account's; the account's own is taken, and an empty value clears it."""
    sub, other = await api.subaccount("apps-number"), await api.subaccount("apps-neighbour")
    async with api.client(other) as http:
        theirs = (await create(http, api, other[0]))["sid"]
    field = {"VoiceApplicationSid": "voice_application_sid"}.get(param, "sms_application_sid")
    async with api.client(sub) as http:
        mine = (await create(http, api, sub[0]))["sid"]
        bought = await http.post(
            api.path("IncomingPhoneNumbers.json", sub[0]), data={"AreaCode": "415"}
        )
        number = api.path(f"IncomingPhoneNumbers/{bought.json()['sid']}.json", sub[0])
        for refused in (theirs, new_sid("AP")):
            assert_twilio_error(await http.post(number, data={param: refused}), 400, 21420)
            buy = await http.post(
                api.path("IncomingPhoneNumbers.json", sub[0]),
                data={"AreaCode": "415", param: refused},
            )
            assert_twilio_error(buy, 400, 21420)
        assert (await http.get(number)).json()[field] is None
        taken = await http.post(number, data={param: mine})
        assert taken.status_code == 200 and taken.json()[field] == mine
        cleared = await http.post(number, data={param: ""})
        assert cleared.status_code == 200 and cleared.json()[field] is None
        with_app = await http.post(
            api.path("IncomingPhoneNumbers.json", sub[0]), data={"AreaCode": "415", param: mine}
        )
        assert with_app.status_code == 201 and with_app.json()[field] == mine
        owned = await http.get(api.path("IncomingPhoneNumbers.json", sub[0]))
    assert len(owned.json()["incoming_phone_numbers"]) == 2  # the refused buys bought nothing
