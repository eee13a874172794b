"""Input built to break a handler answers Twilio's code and shape, the same on SQLite and
PostgreSQL: numbers too large for SQL, dates at the end of the calendar, NUL characters
(which PostgreSQL cannot store), and SIDs that are not SIDs."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from telephonist.api.numbers import SID_FIELDS
from tests.api.conftest import Api
from tests.api.test_error_shape import assert_twilio_error
from tests.contract.oracle import Spec

pytestmark = pytest.mark.anyio

HUGE = "226848610477015614003588628480"  # far past a 64-bit integer


def token(raw: bytes) -> str:
    """A PageToken as the server writes them, around any payload."""
    return "PA" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


# -- paging and dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "params"),
    [
        ("Messages.json", {"Page": "100000000000000000000"}),
        ("Messages.json", {"Page": "184467440737095517", "PageSize": "50"}),  # offset > 2**63
        ("IncomingPhoneNumbers.json", {"Page": HUGE}),
        ("Keys.json", {"Page": HUGE, "PageSize": "1"}),
        ("Notifications.json", {"Page": HUGE}),
        (None, {"PageSize": "95", "Page": HUGE}),  # Accounts.json
    ],
)
async def test_a_page_past_any_offset_is_20001(
    api: Api, resource: str | None, params: dict[str, str]
) -> None:
    """A Page whose offset no database integer can hold is refused as Twilio refuses a Page it
    will not serve (20001), not passed to SQL."""
    path = api.path(resource) if resource else "/2010-04-01/Accounts.json"
    response = await api.http.get(path, params=params)
    assert_twilio_error(response, 400, 20001)
    assert params["Page"] in response.json()["message"]


async def test_the_largest_offset_is_still_a_page(api: Api) -> None:
    """The bound is the databases' own: the last offset they hold answers an (empty) page."""
    sub = await api.subaccount("far pages")
    async with api.client(sub) as http:
        response = await http.get(
            api.path("Messages.json", sub[0]), params={"Page": str(2**63 - 1), "PageSize": "1"}
        )
    assert response.status_code == 200, response.text
    assert response.json()["messages"] == []


@pytest.mark.parametrize(
    "raw",
    [
        b"12345678901234567890123:SM" + b"a" * 32,  # a 23-digit sort value
        b"-12345678901234567890123:SM" + b"a" * 32,
        b"1:SM\x00",  # a NUL where the SID goes
        b"1:not a sid",
    ],
)
async def test_a_forged_page_token_is_20422(api: Api, raw: bytes) -> None:
    """A token holding what the server never writes is refused like a garbled one."""
    response = await api.http.get(api.path("Messages.json"), params={"PageToken": token(raw)})
    assert_twilio_error(response, 400, 20422)
    assert "PageToken" in response.json()["message"]


@pytest.mark.parametrize(
    ("resource", "param", "value"),
    [
        ("Messages.json", "DateSent", "9999-12-31"),
        ("Messages.json", "DateSent<", "9999-12-31T23:59:59Z"),
        ("Messages.json", "DateSent>", "9999-12-31"),
        ("Messages.json", "DateSent", "0001-01-01"),
        ("Notifications.json", "MessageDate", "9999-12-31"),
    ],
)
async def test_the_calendars_ends_are_dates_like_any_other(
    api: Api, resource: str, param: str, value: str
) -> None:
    """9999-12-31 is a valid date whose day ends where no ``datetime`` reaches: the filter
    answers the (empty) list of that day, not an overflow."""
    sub = await api.subaccount("calendar")
    async with api.client(sub) as http:
        response = await http.get(api.path(resource, sub[0]), params={param: value})
    assert response.status_code == 200, response.text
    body = response.json()
    assert next(v for k, v in body.items() if isinstance(v, list)) == []
    assert param in httpx.URL(body["uri"]).params


async def test_the_last_day_still_finds_todays_messages(api: Api) -> None:
    """``DateSent<=9999-12-31`` is every message sent so far: the end of the range is real."""
    sub = await api.subaccount("until the end")
    own = await api.buy_number(sub)
    async with api.client(sub) as http:
        sent = await http.post(
            api.path("Messages.json", sub[0]), data={"From": own, "To": "+14155550100", "Body": "x"}
        )
        assert sent.status_code == 201, sent.text
        # A queued message has no date_sent; DateSent filters what was sent, so move it on.
        await api.http.post("/telephonist/v1/Clock", data={"Advance": "1"})
        response = await http.get(
            api.path("Messages.json", sub[0]), params={"DateSent<": "9999-12-31"}
        )
    assert response.status_code == 200, response.text
    assert [m["sid"] for m in response.json()["messages"]] == [sent.json()["sid"]]


@pytest.mark.parametrize("advance", ["1e400", "inf", "nan", "1e300"])
async def test_the_clock_refuses_an_advance_past_the_calendar(api: Api, advance: str) -> None:
    """The simulated clock moves by any finite number of seconds that keeps it in the calendar;
    others are 20422, and the clock stays where it was."""
    before = (await api.http.get("/telephonist/v1/Clock")).json()["micros"]
    response = await api.http.post("/telephonist/v1/Clock", data={"Advance": advance})
    assert_twilio_error(response, 400, 20422)
    assert (await api.http.get("/telephonist/v1/Clock")).json()["micros"] == before


# -- NUL characters ------------------------------------------------------------------------------


async def test_a_nul_in_a_created_body_is_20422(api: Api) -> None:
    sub = await api.subaccount("nul body")
    own = await api.buy_number(sub)
    async with api.client(sub) as http:
        response = await http.post(
            api.path("Messages.json", sub[0]),
            data={"From": own, "To": "+14155550100", "Body": "a\x00b"},
        )
        assert_twilio_error(response, 400, 20422)
        assert "Body" in response.json()["message"]
        listed = await http.get(api.path("Messages.json", sub[0]))
    assert listed.json()["messages"] == []


@pytest.mark.parametrize("resource", ["Accounts.json", "Keys.json", "IncomingPhoneNumbers"])
async def test_a_nul_in_a_friendly_name_is_20422(api: Api, resource: str) -> None:
    sub = await api.subaccount("nul names")
    async with api.client(sub) as http:
        if resource == "Accounts.json":
            path = "/2010-04-01/Accounts.json"
            http = api.http  # subaccounts cannot make subaccounts
        elif resource == "Keys.json":
            path = api.path(resource, sub[0])
        else:
            number = await api.buy_number(sub)
            listed = await http.get(
                api.path("IncomingPhoneNumbers.json", sub[0]), params={"PhoneNumber": number}
            )
            sid = listed.json()["incoming_phone_numbers"][0]["sid"]
            path = api.path(f"IncomingPhoneNumbers/{sid}.json", sub[0])
        response = await http.post(path, data={"FriendlyName": "a\x00b"})
    assert_twilio_error(response, 400, 20422)


async def test_a_nul_in_a_multipart_field_is_20422(api: Api) -> None:
    """Multipart bodies become the same Form, so the rule holds for them too."""
    response = await api.http.post(
        "/2010-04-01/Accounts.json", files={"FriendlyName": (None, "a\x00b")}
    )
    assert response.request.headers["content-type"].startswith("multipart/form-data")
    assert_twilio_error(response, 400, 20422)


@pytest.mark.parametrize(
    ("resource", "param"),
    [
        ("Messages.json", "To"),
        ("Messages.json", "From"),
        ("IncomingPhoneNumbers.json", "FriendlyName"),
        ("IncomingPhoneNumbers.json", "PhoneNumber"),
        (None, "FriendlyName"),  # Accounts.json
    ],
)
async def test_a_nul_in_a_list_filter_is_20422(api: Api, resource: str | None, param: str) -> None:
    path = api.path(resource) if resource else "/2010-04-01/Accounts.json"
    response = await api.http.get(path, params={param: "+1\x00"})
    assert_twilio_error(response, 400, 20422)


@pytest.mark.parametrize(
    "resource",
    [
        "Keys/SK%00.json",
        "IncomingPhoneNumbers/PN%00.json",
        "Notifications/NO%00.json",
        "Messages/SM1/Media/ME%00",  # the public media URL, which takes no credentials
    ],
)
async def test_a_nul_in_a_path_segment_is_404(api: Api, resource: str) -> None:
    """A path segment holding a NUL names no resource: the 404 of any missing one."""
    response = await api.http.get(api.path(resource))
    assert_twilio_error(response, 404, 20404)


async def test_a_nul_in_the_account_segment_is_404(api: Api) -> None:
    response = await api.http.get("/2010-04-01/Accounts/AC%00/Messages.json")
    assert_twilio_error(response, 404, 20404)


@pytest.mark.parametrize("user", ["AC\x00", "SK\x00x", "\x00"])
async def test_a_nul_in_the_credentials_is_401(api: Api, user: str) -> None:
    """Refused before anything is looked up, as any other wrong credentials are."""
    async with api.client((user, "secret")) as http:
        response = await http.get("/2010-04-01/Accounts.json")
    assert_twilio_error(response, 401, 20003)
    assert response.headers["www-authenticate"] == 'Basic realm="Twilio API"'


# -- SID parameters of IncomingPhoneNumbers ------------------------------------------------------


async def own_number(api: Api, auth: tuple[str, str]) -> str:
    """The SID of a number ``auth``'s account just bought."""
    async with api.client(auth) as http:
        response = await http.post(
            api.path("IncomingPhoneNumbers.json", auth[0]), data={"AreaCode": "415"}
        )
    assert response.status_code == 201, response.text
    return str(response.json()["sid"])


def test_the_sid_rules_are_the_specs(spec: Spec) -> None:
    """Each SID parameter's prefix is the one in the spec's pattern, for create and update, and
    no SID parameter of either goes unchecked (AccountSid moves the number, checked apart)."""
    paths = spec.document["paths"]
    base = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers"
    for template in (f"{base}.json", f"{base}/{{Sid}}.json"):
        form = paths[template]["post"]["requestBody"]["content"]
        props = form["application/x-www-form-urlencoded"]["schema"]["properties"]
        patterns = {n: p["pattern"] for n, p in props.items() if "pattern" in p}
        patterns.pop("AccountSid", None)
        assert set(patterns) == set(SID_FIELDS), template
        for name, (_, prefix, _) in SID_FIELDS.items():
            assert patterns[name] == f"^{prefix}[0-9a-fA-F]{{32}}$", name


@pytest.mark.parametrize("param", sorted(SID_FIELDS))
@pytest.mark.parametrize(
    "bad",
    ["garbage", "XX" + "a" * 32, "{prefix}" + "a" * 31, "{prefix}" + "g" * 32],
    ids=["garbage", "another prefix", "too short", "not hex"],
)
async def test_a_sid_parameter_must_be_its_kind_of_sid(api: Api, param: str, bad: str) -> None:
    """Refused with Twilio's code and nothing stored, so every later fetch of the number still
    matches the spec (the client here validates each answer against it)."""
    _, prefix, code = SID_FIELDS[param]
    value = bad.format(prefix=prefix)
    sub = await api.subaccount("sid params")
    sid = await own_number(api, sub)
    path = api.path(f"IncomingPhoneNumbers/{sid}.json", sub[0])
    async with api.client(sub) as http:
        response = await http.post(path, data={param: value})
        assert_twilio_error(response, 400, code)
        assert param in response.json()["message"]
        fetched = await http.get(path)
        bought = await http.post(
            api.path("IncomingPhoneNumbers.json", sub[0]), data={"AreaCode": "415", param: value}
        )
    assert fetched.status_code == 200 and fetched.json()[SID_FIELDS[param][0]] is None
    assert_twilio_error(bought, 400, code)


@pytest.mark.parametrize("param", sorted(SID_FIELDS))
async def test_a_well_formed_sid_is_kept_and_an_empty_one_clears(api: Api, param: str) -> None:
    field, prefix, _ = SID_FIELDS[param]
    sub = await api.subaccount("sid params ok")
    sid = await own_number(api, sub)
    path = api.path(f"IncomingPhoneNumbers/{sid}.json", sub[0])
    value = prefix + "0123456789ABCDEFabcdef0123456789"
    results: list[Any] = []
    async with api.client(sub) as http:
        if prefix == "AP":  # an application SID must name one of the account's applications
            created = await http.post(api.path("Applications.json", sub[0]), data={})
            value = created.json()["sid"]
        for sent in (value, ""):
            response = await http.post(path, data={param: sent})
            assert response.status_code == 200, response.text
            results.append((await http.get(path)).json()[field])
    assert results == [value, None]
