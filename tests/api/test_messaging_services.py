"""Messaging Services (/v1/Services) in process: the resource and its defaults, validation
codes, v1 paging, isolation between accounts, and the sender pool (PhoneNumbers, AlphaSenders).

Every response is validated against the messaging v1 description by the ``api`` client."""

from __future__ import annotations

import httpx
import pytest

from telephonist.domain.sids import new_sid
from tests.api.conftest import BASE_URL, Api
from tests.api.test_error_shape import assert_twilio_error

pytestmark = pytest.mark.anyio

Auth = tuple[str, str]
V = "/v1/Services"

EVERY_FIELD = {
    "FriendlyName": "every field",
    "InboundRequestUrl": "https://example.com/in",
    "InboundMethod": "get",
    "FallbackUrl": "https://example.com/fallback",
    "FallbackMethod": "GET",
    "StatusCallback": "https://example.com/status",
    "StickySender": "false",
    "MmsConverter": "false",
    "SmartEncoding": "false",
    "ScanMessageContent": "disable",
    "FallbackToLongCode": "true",
    "AreaCodeGeomatch": "false",
    "ValidityPeriod": "600",
    "SynchronousValidation": "true",
    "Usecase": "marketing",
    "UseInboundWebhookOnNumber": "true",
}
STORED = {
    "friendly_name": "every field",
    "inbound_request_url": "https://example.com/in",
    "inbound_method": "GET",
    "fallback_url": "https://example.com/fallback",
    "fallback_method": "GET",
    "status_callback": "https://example.com/status",
    "sticky_sender": False,
    "mms_converter": False,
    "smart_encoding": False,
    "scan_message_content": "disable",
    "fallback_to_long_code": True,
    "area_code_geomatch": False,
    "validity_period": 600,
    "synchronous_validation": True,
    "usecase": "marketing",
    "use_inbound_webhook_on_number": True,
}
DEFAULTS = {
    "inbound_request_url": None,
    "inbound_method": "POST",
    "fallback_url": None,
    "fallback_method": "POST",
    "status_callback": None,
    "sticky_sender": True,
    "mms_converter": True,
    "smart_encoding": True,
    "scan_message_content": "inherit",
    "fallback_to_long_code": False,
    "area_code_geomatch": True,
    "synchronous_validation": False,
    "validity_period": 36000,
    "usecase": "undeclared",
    "use_inbound_webhook_on_number": False,
    "us_app_to_person_registered": False,
}
BAD_FORMS = [
    ({}, 20001),
    ({"FriendlyName": ""}, 20001),
    ({"FriendlyName": "x" * 65}, 20002),
    ({"InboundRequestUrl": "not a url"}, 21205),
    ({"FallbackUrl": "ftp://example.com/"}, 21205),
    ({"StatusCallback": "example.com/status"}, 21205),
    ({"InboundMethod": "PUT"}, 20422),
    ({"FallbackMethod": "DELETE"}, 20422),
    ({"StickySender": "maybe"}, 20422),
    ({"UseInboundWebhookOnNumber": "2"}, 20422),
    ({"ScanMessageContent": "sometimes"}, 20422),
    ({"ValidityPeriod": "0"}, 21624),
    ({"ValidityPeriod": "36001"}, 21624),
    ({"ValidityPeriod": "ten"}, 20422),
    ({"Usecase": "spam"}, 21713),
]


async def create(http: httpx.AsyncClient, name: str = "svc", **params: str) -> dict[str, object]:
    response = await http.post(V, data={"FriendlyName": name, **params})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def buy(api: Api, auth: Auth) -> str:
    """The SID of a number bought by ``auth``'s account."""
    async with api.client(auth) as http:
        response = await http.post(
            api.path("IncomingPhoneNumbers.json", auth[0]), data={"AreaCode": "415"}
        )
    assert response.status_code == 201, response.text
    return str(response.json()["sid"])


async def test_create_with_defaults(api: Api) -> None:
    """A service named only has Twilio's defaults, absolute url and links, ISO dates."""
    sid, token = await api.subaccount()
    async with api.client((sid, token)) as http:
        body = await create(http, "defaults")
    assert str(body["sid"]).startswith("MG") and body["account_sid"] == sid
    assert {k: body[k] for k in DEFAULTS} == DEFAULTS
    assert body["url"] == f"{BASE_URL}/v1/Services/{body['sid']}"
    links = body["links"]
    assert isinstance(links, dict)
    assert links["phone_numbers"] == f"{BASE_URL}/v1/Services/{body['sid']}/PhoneNumbers"
    assert str(body["date_created"]).endswith("Z") and "T" in str(body["date_created"])


async def test_every_field_is_stored_fetched_and_updated(api: Api) -> None:
    async with api.client(await api.subaccount()) as http:
        body = await create(http, **{k: v for k, v in EVERY_FIELD.items() if k != "FriendlyName"})
        sid = body["sid"]
        response = await http.post(f"{V}/{sid}", data={})
        assert response.status_code == 200
        assert response.json()["friendly_name"] == "svc"
        response = await http.post(f"{V}/{sid}", data=EVERY_FIELD)
        assert response.status_code == 200, response.text
        fetched = (await http.get(f"{V}/{sid}")).json()
        assert {k: fetched[k] for k in STORED} == STORED
        # An empty URL clears it; a flag can go back.
        response = await http.post(
            f"{V}/{sid}", data={"InboundRequestUrl": "", "StickySender": "true"}
        )
        cleared = response.json()
        assert cleared["inbound_request_url"] is None and cleared["sticky_sender"] is True
        assert cleared["fallback_url"] == "https://example.com/fallback"


@pytest.mark.parametrize(("form", "code"), BAD_FORMS)
async def test_create_refuses_bad_values(api: Api, form: dict[str, str], code: int) -> None:
    data = {"FriendlyName": "bad", **form} if form and "FriendlyName" not in form else form
    assert_twilio_error(await api.http.post(V, data=data), 400, code)


@pytest.mark.parametrize(("form", "code"), [f for f in BAD_FORMS if f[0]][2:])
async def test_update_refuses_bad_values(api: Api, form: dict[str, str], code: int) -> None:
    body = await create(api.http, "update-bad")
    assert_twilio_error(await api.http.post(f"{V}/{body['sid']}", data=form), 400, code)
    unchanged = (await api.http.get(f"{V}/{body['sid']}")).json()
    assert unchanged == body


async def test_update_refuses_an_empty_name(api: Api) -> None:
    body = await create(api.http, "named")
    response = await api.http.post(f"{V}/{body['sid']}", data={"FriendlyName": ""})
    assert_twilio_error(response, 400, 20002)


async def test_delete(api: Api) -> None:
    body = await create(api.http, "doomed")
    assert (await api.http.delete(f"{V}/{body['sid']}")).status_code == 204
    assert_twilio_error(await api.http.get(f"{V}/{body['sid']}"), 404, 20404)
    assert_twilio_error(await api.http.delete(f"{V}/{body['sid']}"), 404, 20404)
    assert_twilio_error(await api.http.post(f"{V}/{body['sid']}", data={}), 404, 20404)


async def test_paging_walks_every_service(api: Api) -> None:
    """PageSize=2 over 5 services: three pages, absolute URLs on this server, no repeats."""
    async with api.client(await api.subaccount()) as http:
        made = [(await create(http, f"s{i}"))["sid"] for i in range(5)]
        seen: list[object] = []
        pages = []
        url: str | None = f"{V}?PageSize=2"
        while url is not None:
            body = (await http.get(url)).json()
            meta = body["meta"]
            assert set(body) == {"services", "meta"} and meta["key"] == "services"
            assert meta["page_size"] == 2 and meta["page"] == len(pages)
            assert meta["url"].startswith(f"{BASE_URL}/v1/Services?")
            assert meta["first_page_url"] == f"{BASE_URL}/v1/Services?PageSize=2&Page=0"
            pages.append(len(body["services"]))
            seen.extend(s["sid"] for s in body["services"])
            url = meta["next_page_url"]
            if url is not None:
                assert url.startswith(f"{BASE_URL}/v1/Services?") and "PageToken=PA" in url
        # Oldest first, SIDs breaking ties (the manual clock stands still).
        assert pages == [2, 2, 1] and seen == sorted(made)
        second = (await http.get(f"{V}?PageSize=2&Page=1")).json()
        assert [s["sid"] for s in second["services"]] == sorted(made)[2:4]
        assert second["meta"]["previous_page_url"] == f"{BASE_URL}/v1/Services?PageSize=2&Page=0"


async def test_page_size_limits(api: Api) -> None:
    assert_twilio_error(await api.http.get(f"{V}?PageSize=1001"), 400, 20007)
    assert_twilio_error(await api.http.get(f"{V}?PageToken=nope"), 400, 20422)


async def test_accounts_are_isolated(api: Api) -> None:
    """Another account's service is a 404 to every method, and absent from its lists."""
    mine, theirs = await api.subaccount("mine"), await api.subaccount("theirs")
    async with api.client(mine) as http:
        body = await create(http, "private")
    sid = body["sid"]
    async with api.client(theirs) as http:
        assert (await http.get(V)).json()["services"] == []
        assert_twilio_error(await http.get(f"{V}/{sid}"), 404, 20404)
        assert_twilio_error(await http.post(f"{V}/{sid}", data={"FriendlyName": "x"}), 404, 20404)
        assert_twilio_error(await http.delete(f"{V}/{sid}"), 404, 20404)
        assert_twilio_error(await http.get(f"{V}/{sid}/PhoneNumbers"), 404, 20404)
        number = await buy(api, theirs)
        response = await http.post(f"{V}/{sid}/PhoneNumbers", data={"PhoneNumberSid": number})
        assert_twilio_error(response, 404, 20404)
    async with api.client(mine) as http:
        assert (await http.get(f"{V}/{sid}")).json()["friendly_name"] == "private"


async def test_credentials_are_required(api: Api) -> None:
    async with api.client(None) as http:
        assert_twilio_error(await http.get(V), 401, 20003)
    async with api.client((api.account_sid, "wrong" * 6 + "ab")) as http:
        assert_twilio_error(await http.post(V, data={"FriendlyName": "x"}), 401, 20003)


async def test_pool_add_list_fetch_remove(api: Api) -> None:
    auth = await api.subaccount("pool")
    number = await buy(api, auth)
    async with api.client(auth) as http:
        service = await create(http, "pool")
        base = f"{V}/{service['sid']}/PhoneNumbers"
        response = await http.post(base, data={"PhoneNumberSid": number})
        assert response.status_code == 201, response.text
        entry = response.json()
        assert entry["sid"] == number and entry["service_sid"] == service["sid"]
        assert entry["account_sid"] == auth[0] and entry["country_code"] == "US"
        assert entry["phone_number"].startswith("+1415")
        assert entry["capabilities"] == ["MMS", "SMS", "Voice"]
        assert entry["url"] == f"{BASE_URL}{base}/{number}"
        assert (await http.get(f"{base}/{number}")).json() == entry
        listed = (await http.get(base)).json()
        assert listed["phone_numbers"] == [entry] and listed["meta"]["key"] == "phone_numbers"
        assert_twilio_error(await http.post(base, data={"PhoneNumberSid": number}), 400, 21710)
        assert (await http.delete(f"{base}/{number}")).status_code == 204
        assert_twilio_error(await http.get(f"{base}/{number}"), 404, 20404)
        assert_twilio_error(await http.delete(f"{base}/{number}"), 404, 20404)
        assert (await http.get(base)).json()["phone_numbers"] == []


async def test_pool_refuses_a_number_in_another_service(api: Api) -> None:
    auth = await api.subaccount("two services")
    number = await buy(api, auth)
    async with api.client(auth) as http:
        first, second = await create(http, "first"), await create(http, "second")
        response = await http.post(
            f"{V}/{first['sid']}/PhoneNumbers", data={"PhoneNumberSid": number}
        )
        assert response.status_code == 201
        response = await http.post(
            f"{V}/{second['sid']}/PhoneNumbers", data={"PhoneNumberSid": number}
        )
        assert_twilio_error(response, 400, 21712)
        assert (await http.get(f"{V}/{second['sid']}/PhoneNumbers")).json()["phone_numbers"] == []


@pytest.mark.parametrize(
    ("value", "status", "code"),
    [(None, 400, 20001), ("", 400, 20001), ("PN123", 400, 20422), ("unknown", 404, 20404)],
)
async def test_pool_refuses_bad_number_sids(
    api: Api, value: str | None, status: int, code: int
) -> None:
    service = await create(api.http, "bad numbers")
    sent = new_sid("PN") if value == "unknown" else value
    data = {} if sent is None else {"PhoneNumberSid": sent}
    response = await api.http.post(f"{V}/{service['sid']}/PhoneNumbers", data=data)
    assert_twilio_error(response, status, code)


async def test_deleting_a_service_empties_its_pool(api: Api) -> None:
    """The number is free again: another service can take it."""
    auth = await api.subaccount("reuse")
    number = await buy(api, auth)
    async with api.client(auth) as http:
        first, second = await create(http, "first"), await create(http, "second")
        await http.post(f"{V}/{first['sid']}/PhoneNumbers", data={"PhoneNumberSid": number})
        await http.post(f"{V}/{first['sid']}/AlphaSenders", data={"AlphaSender": "Shop"})
        await http.post(
            f"{V}/{first['sid']}/DestinationAlphaSenders",
            data={"AlphaSender": "Shop FR", "IsoCountryCode": "FR"},
        )
        assert (await http.delete(f"{V}/{first['sid']}")).status_code == 204
        response = await http.post(
            f"{V}/{second['sid']}/PhoneNumbers", data={"PhoneNumberSid": number}
        )
        assert response.status_code == 201, response.text


async def test_releasing_a_number_takes_it_out_of_the_pool(api: Api) -> None:
    auth = await api.subaccount("release")
    number = await buy(api, auth)
    async with api.client(auth) as http:
        service = await create(http, "release")
        base = f"{V}/{service['sid']}/PhoneNumbers"
        await http.post(base, data={"PhoneNumberSid": number})
        response = await http.delete(api.path(f"IncomingPhoneNumbers/{number}.json", auth[0]))
        assert response.status_code == 204
        assert (await http.get(base)).json()["phone_numbers"] == []
        assert_twilio_error(await http.get(f"{base}/{number}"), 404, 20404)


async def test_moving_a_number_to_another_account_takes_it_out_of_the_pool(api: Api) -> None:
    number = await buy(api, (api.account_sid, api.auth_token))
    sub, _ = await api.subaccount("target")
    service = await create(api.http, "move")
    base = f"{V}/{service['sid']}/PhoneNumbers"
    await api.http.post(base, data={"PhoneNumberSid": number})
    response = await api.http.post(
        api.path(f"IncomingPhoneNumbers/{number}.json"), data={"AccountSid": sub}
    )
    assert response.status_code == 200, response.text
    assert (await api.http.get(base)).json()["phone_numbers"] == []


async def test_pool_pages(api: Api) -> None:
    auth = await api.subaccount("pool pages")
    numbers = [await buy(api, auth) for _ in range(3)]
    async with api.client(auth) as http:
        service = await create(http, "pages")
        base = f"{V}/{service['sid']}/PhoneNumbers"
        for number in numbers:
            await http.post(base, data={"PhoneNumberSid": number})
        first = (await http.get(f"{base}?PageSize=2")).json()
        rest = (await http.get(first["meta"]["next_page_url"])).json()
        seen = [n["sid"] for n in first["phone_numbers"] + rest["phone_numbers"]]
        assert seen == sorted(numbers) and rest["meta"]["next_page_url"] is None


async def test_alpha_senders(api: Api) -> None:
    async with api.client(await api.subaccount("alpha")) as http:
        service = await create(http, "alpha")
        base = f"{V}/{service['sid']}/AlphaSenders"
        response = await http.post(base, data={"AlphaSender": "My Shop"})
        assert response.status_code == 201, response.text
        sender = response.json()
        assert str(sender["sid"]).startswith("AI") and sender["alpha_sender"] == "My Shop"
        assert sender["capabilities"] == ["SMS"]
        assert (await http.get(f"{base}/{sender['sid']}")).json() == sender
        assert (await http.get(base)).json()["alpha_senders"] == [sender]
        assert_twilio_error(await http.post(base, data={"AlphaSender": "my shop"}), 409, 20409)
        for bad in ("TooLongForAnId", "12345", "bad!"):
            assert_twilio_error(await http.post(base, data={"AlphaSender": bad}), 400, 21709)
        assert_twilio_error(await http.post(base, data={}), 400, 20001)
        assert (await http.delete(f"{base}/{sender['sid']}")).status_code == 204
        assert_twilio_error(await http.get(f"{base}/{sender['sid']}"), 404, 20404)


def sid_of(resource: dict[str, object]) -> str:
    return str(resource["sid"])


async def test_destination_alpha_senders(api: Api) -> None:
    """Created for a country (upper-cased) or for every country (``iso_country_code`` ""),
    fetched, listed under the spec's key ``alpha_senders``, removed; kept apart from the
    AlphaSenders resource."""
    async with api.client(await api.subaccount("destination alpha")) as http:
        service = await create(http, "destinations")
        base = f"{V}/{service['sid']}/DestinationAlphaSenders"
        response = await http.post(base, data={"AlphaSender": "Shop FR", "IsoCountryCode": "fr"})
        assert response.status_code == 201, response.text
        french = response.json()
        assert str(french["sid"]).startswith("AI") and french["service_sid"] == service["sid"]
        assert (french["alpha_sender"], french["iso_country_code"]) == ("Shop FR", "FR")
        assert french["capabilities"] == ["SMS"]
        assert french["url"] == f"{BASE_URL}{base}/{french['sid']}"
        everywhere = (await http.post(base, data={"AlphaSender": "Shop"})).json()
        assert everywhere["iso_country_code"] == ""
        assert (await http.get(f"{base}/{french['sid']}")).json() == french
        listed = (await http.get(base)).json()
        assert listed["alpha_senders"] == sorted([french, everywhere], key=sid_of)
        assert listed["meta"]["key"] == "alpha_senders"
        # The AlphaSenders resource is another one: neither sees the other's senders.
        alphas = f"{V}/{service['sid']}/AlphaSenders"
        assert (await http.get(alphas)).json()["alpha_senders"] == []
        assert_twilio_error(await http.get(f"{alphas}/{french['sid']}"), 404, 20404)
        assert_twilio_error(await http.delete(f"{alphas}/{french['sid']}"), 404, 20404)
        generic = (await http.post(alphas, data={"AlphaSender": "Shop"})).json()
        assert_twilio_error(await http.get(f"{base}/{generic['sid']}"), 404, 20404)

        assert (await http.delete(f"{base}/{french['sid']}")).status_code == 204
        assert_twilio_error(await http.get(f"{base}/{french['sid']}"), 404, 20404)
        assert_twilio_error(await http.delete(f"{base}/{french['sid']}"), 404, 20404)
        assert (await http.get(base)).json()["alpha_senders"] == [everywhere]


async def test_destination_alpha_senders_filter_and_page_by_country(api: Api) -> None:
    """``IsoCountryCode`` narrows the list, and the page URLs keep it."""
    async with api.client(await api.subaccount("destination pages")) as http:
        service = await create(http, "destination pages")
        base = f"{V}/{service['sid']}/DestinationAlphaSenders"
        made = []
        for name, country in [("One", "DE"), ("Two", "FR"), ("Three", "DE"), ("Four", "")]:
            response = await http.post(base, data={"AlphaSender": name, "IsoCountryCode": country})
            made.append(response.json())
        first = (await http.get(base, params={"IsoCountryCode": "DE", "PageSize": "1"})).json()
        assert first["meta"]["next_page_url"].startswith(f"{BASE_URL}{base}?IsoCountryCode=DE&")
        rest = (await http.get(first["meta"]["next_page_url"])).json()
        german = first["alpha_senders"] + rest["alpha_senders"]
        # Oldest first, SIDs breaking ties (the manual clock stands still).
        assert german == sorted((m for m in made if m["iso_country_code"] == "DE"), key=sid_of)
        assert rest["meta"]["next_page_url"] is None
        assert (await http.get(base, params={"IsoCountryCode": "IT"})).json()["alpha_senders"] == []


@pytest.mark.parametrize(
    ("form", "status", "code"),
    [
        ({}, 400, 20001),
        ({"AlphaSender": ""}, 400, 20001),
        ({"AlphaSender": "TooLongForAnId", "IsoCountryCode": "FR"}, 400, 21709),
        ({"AlphaSender": "12345", "IsoCountryCode": "FR"}, 400, 21709),
        ({"AlphaSender": "Shop", "IsoCountryCode": "XX"}, 400, 20422),
        ({"AlphaSender": "Shop", "IsoCountryCode": "FRA"}, 400, 20422),
        ({"AlphaSender": "shop", "IsoCountryCode": "FR"}, 409, 20409),
    ],
)
async def test_destination_alpha_senders_refuse_bad_values(
    api: Api, form: dict[str, str], status: int, code: int
) -> None:
    """Each refusal adds nothing; a name is taken per country, whatever its case."""
    service = await create(api.http, "bad destinations")
    base = f"{V}/{service['sid']}/DestinationAlphaSenders"
    taken = await api.http.post(base, data={"AlphaSender": "Shop", "IsoCountryCode": "FR"})
    assert taken.status_code == 201, taken.text
    assert_twilio_error(await api.http.post(base, data=form), status, code)
    assert (await api.http.get(base)).json()["alpha_senders"] == [taken.json()]
    # The same name for another country is another sender.
    other = await api.http.post(base, data={"AlphaSender": "Shop", "IsoCountryCode": "DE"})
    assert other.status_code == 201, other.text


async def test_another_accounts_destination_alpha_senders_answer_404(api: Api) -> None:
    mine, theirs = await api.subaccount("owner"), await api.subaccount("prober")
    async with api.client(mine) as http:
        service = await create(http, "mine")
        base = f"{V}/{service['sid']}/DestinationAlphaSenders"
        sender = (
            await http.post(base, data={"AlphaSender": "Mine", "IsoCountryCode": "FR"})
        ).json()
    async with api.client(theirs) as http:
        assert_twilio_error(await http.get(base), 404, 20404)
        assert_twilio_error(await http.get(f"{base}/{sender['sid']}"), 404, 20404)
        assert_twilio_error(await http.delete(f"{base}/{sender['sid']}"), 404, 20404)
        response = await http.post(base, data={"AlphaSender": "Theirs", "IsoCountryCode": "FR"})
        assert_twilio_error(response, 404, 20404)
    async with api.client(mine) as http:
        assert (await http.get(base)).json()["alpha_senders"] == [sender]
