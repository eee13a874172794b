"""A Messaging Service's pool holds at most 400 phone numbers and short codes: the 401st is
refused with 21714 and nothing is written.

This module has a database of its own (the ``api`` fixture is per module), so the numbers it
stores directly cannot collide with a number another test bought."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection

from telephonist.api.context import Context
from telephonist.domain.services import POOL_LIMIT
from telephonist.domain.sids import new_sid
from telephonist.storage.repositories import messaging_services as services_repo
from telephonist.storage.repositories import numbers as numbers_repo
from tests.api.conftest import Api
from tests.api.test_error_shape import assert_twilio_error
from tests.api.test_short_codes import provision

pytestmark = pytest.mark.anyio

V = "/v1/Services"


async def bought(api: Api, auth: tuple[str, str]) -> str:
    async with api.client(auth) as http:
        response = await http.post(
            api.path("IncomingPhoneNumbers.json", auth[0]), data={"AreaCode": "415"}
        )
    assert response.status_code == 201, response.text
    return str(response.json()["sid"])


async def fill_pool(
    api: Api, account_sid: str, service_sid: str, like: str, area_code: str
) -> None:
    """399 more numbers of the account (+1 ``area_code`` 555 0000 on) in the service's pool,
    stored in one transaction as the API stores them (copies of the bought number ``like``):
    hundreds of buys and adds through the API would only make the test slow."""
    ctx: Context = api.transport.app.state.ctx  # type: ignore[attr-defined]
    now = ctx.now_micros()

    def work(conn: Connection) -> None:
        model: dict[str, Any] = dict(numbers_repo.get_number(conn, account_sid, like) or {})
        assert model, like
        for i in range(POOL_LIMIT - 1):
            sid = new_sid("PN")
            number = f"+1{area_code}555{i:04d}"
            numbers_repo.insert_number(conn, {**model, "sid": sid, "phone_number": number})
            services_repo.add_number(
                conn,
                {
                    "phone_number_sid": sid,
                    "service_sid": service_sid,
                    "account_sid": account_sid,
                    "date_created": now,
                    "date_updated": now,
                },
                limit=POOL_LIMIT,
            )

    await ctx.db.run(work)


async def test_the_401st_number_is_refused_and_nothing_is_written(api: Api) -> None:
    """With 399 numbers in the pool the 400th joins; the 401st answers 400/21714, stays in
    no pool (another service can take it) and the pool still lists 400. Taking one out makes
    room again."""
    auth = await api.subaccount("full pool")
    model, last, extra = [await bought(api, auth) for _ in range(3)]
    async with api.client(auth) as http:
        response = await http.post(V, data={"FriendlyName": "big pool"})
        service = str(response.json()["sid"])
        base = f"{V}/{service}/PhoneNumbers"
        await fill_pool(api, auth[0], service, model, "628")

        response = await http.post(base, data={"PhoneNumberSid": last})
        assert response.status_code == 201, response.text
        response = await http.post(base, data={"PhoneNumberSid": extra})
        assert_twilio_error(response, 400, 21714)
        assert response.json()["message"] == "Messaging Service Number Pool size limit reached"

        listed = (await http.get(base, params={"PageSize": "1000"})).json()["phone_numbers"]
        assert len(listed) == POOL_LIMIT and extra not in {n["sid"] for n in listed}
        assert_twilio_error(await http.get(f"{base}/{extra}"), 404, 20404)

        other = str((await http.post(V, data={"FriendlyName": "other"})).json()["sid"])
        response = await http.post(f"{V}/{other}/PhoneNumbers", data={"PhoneNumberSid": extra})
        assert response.status_code == 201, response.text
        assert (await http.delete(f"{V}/{other}/PhoneNumbers/{extra}")).status_code == 204

        assert (await http.delete(f"{base}/{last}")).status_code == 204
        response = await http.post(base, data={"PhoneNumberSid": extra})
        assert response.status_code == 201, response.text


async def test_a_number_already_in_the_full_pool_answers_21710(api: Api) -> None:
    """At the limit, adding a number the pool already holds is still 21710, not 21714."""
    auth = await api.subaccount("full pool again")
    number = await bought(api, auth)
    async with api.client(auth) as http:
        service = str((await http.post(V, data={"FriendlyName": "full"})).json()["sid"])
        base = f"{V}/{service}/PhoneNumbers"
        assert (await http.post(base, data={"PhoneNumberSid": number})).status_code == 201
        await fill_pool(api, auth[0], service, number, "629")
        assert_twilio_error(await http.post(base, data={"PhoneNumberSid": number}), 400, 21710)


async def test_short_codes_count_toward_the_limit(api: Api) -> None:
    """The 400 are numbers and short codes together: with 399 numbers and a short code in the
    pool the next number answers 21714, and with 400 numbers so does a short code."""
    auth = await api.subaccount("full pool with a short code")
    model, extra = await bought(api, auth), await bought(api, auth)
    async with api.client(auth) as http:
        code = await provision(http, "43001")
        other = await provision(http, "43002")
        service = str((await http.post(V, data={"FriendlyName": "mixed"})).json()["sid"])
        await fill_pool(api, auth[0], service, model, "630")
        response = await http.post(f"{V}/{service}/ShortCodes", data={"ShortCodeSid": code["sid"]})
        assert response.status_code == 201, response.text
        response = await http.post(f"{V}/{service}/PhoneNumbers", data={"PhoneNumberSid": extra})
        assert_twilio_error(response, 400, 21714)

        assert (await http.delete(f"{V}/{service}/ShortCodes/{code['sid']}")).status_code == 204
        response = await http.post(f"{V}/{service}/PhoneNumbers", data={"PhoneNumberSid": extra})
        assert response.status_code == 201, response.text
        response = await http.post(f"{V}/{service}/ShortCodes", data={"ShortCodeSid": other["sid"]})
        assert_twilio_error(response, 400, 21714)
        listed = await http.get(f"{V}/{service}/ShortCodes")
        assert listed.json()["short_codes"] == []
