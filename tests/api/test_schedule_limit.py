"""The scheduled messages an account may have waiting at once (Twilio's 500,000; a setting,
three here): one more answers 35125 and stores nothing; a send, a cancel, another account
and an unscheduled message are not held back by it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection

from telephonist.api.context import Context
from telephonist.dispatch.pipeline import Outbox
from telephonist.storage.repositories import messages as messages_repo
from tests.api.conftest import Api
from tests.api.test_error_shape import assert_twilio_error
from tests.api.test_scheduling import advance, server_now, stamp
from tests.api.test_service_sending import Sub, handset

pytestmark = pytest.mark.anyio

LIMIT = 3


@pytest.fixture(scope="module")
def api_settings() -> dict[str, Any]:
    return {"schedule_max_messages": LIMIT}


@contextlib.asynccontextmanager
async def scheduled_sub(api: Api, name: str) -> AsyncIterator[tuple[Sub, str]]:
    """A fresh subaccount's client and its service (one number in the pool)."""
    auth = await api.subaccount(name)
    async with api.client(auth) as http:
        sub = Sub(api, auth, http)
        number_sid, _ = await sub.buy("415")
        yield sub, await sub.service(number_sid)


async def schedule(api: Api, sub: Sub, service: str, seconds: int = 3600) -> Any:
    at = stamp((await server_now(api)) + timedelta(seconds=seconds))
    return await sub.send(
        To=handset(), MessagingServiceSid=service, ScheduleType="fixed", SendAt=at
    )


async def listed(sub: Sub) -> list[str]:
    response = await sub.http.get(sub.messages())
    return [m["status"] for m in response.json()["messages"]]


async def test_one_more_than_the_limit_is_refused_and_stores_nothing(api: Api) -> None:
    async with scheduled_sub(api, "scheduler at the limit") as (sub, service):
        for _ in range(LIMIT):
            assert (await schedule(api, sub, service)).status_code == 201
        response = await schedule(api, sub, service)
        assert_twilio_error(response, 400, 35125)
        assert response.json()["message"] == (
            "Maximum limit reached in the account for scheduling messages"
        )
        assert await listed(sub) == ["scheduled"] * LIMIT
        # Sending now is not scheduling: the limit does not hold it back.
        assert (await sub.send(To=handset(), MessagingServiceSid=service)).status_code == 201


async def test_a_cancel_or_a_send_makes_room_again(api: Api) -> None:
    async with scheduled_sub(api, "scheduler making room") as (sub, service):
        made = [(await schedule(api, sub, service, 1800 + i)).json()["sid"] for i in range(LIMIT)]
        assert_twilio_error(await schedule(api, sub, service, 7200), 400, 35125)
        canceled = await sub.http.post(sub.messages(made[0]), data={"Status": "canceled"})
        assert canceled.json()["status"] == "canceled"
        assert (await schedule(api, sub, service, 7200)).status_code == 201
        assert_twilio_error(await schedule(api, sub, service, 7200), 400, 35125)
        await advance(api, 1801)  # the second one is routed and sent
        assert (await sub.fetch(made[1]))["status"] == "delivered"
        assert (await schedule(api, sub, service, 7200)).status_code == 201


async def test_each_account_has_its_own_limit(api: Api) -> None:
    """An account at its limit does not take another account's room."""
    async with (
        scheduled_sub(api, "full scheduler") as (full, full_service),
        scheduled_sub(api, "other scheduler") as (other, other_service),
    ):
        for _ in range(LIMIT):
            assert (await schedule(api, full, full_service)).status_code == 201
        assert_twilio_error(await schedule(api, full, full_service), 400, 35125)
        for _ in range(LIMIT):
            assert (await schedule(api, other, other_service)).status_code == 201


async def test_a_change_that_did_not_apply_frees_no_place(api: Api) -> None:
    """Only a message that really leaves ``scheduled`` gives its place back: a second,
    stale change of the same message (a cancel racing the send at SendAt) frees nothing, and
    a create refused at the limit takes none."""
    async with scheduled_sub(api, "scheduler racing") as (sub, service):
        made = [(await schedule(api, sub, service)).json()["sid"] for _ in range(LIMIT)]
        assert_twilio_error(await schedule(api, sub, service), 400, 35125)
        ctx: Context = api.transport.app.state.ctx  # type: ignore[attr-defined]
        assert await ctx.db.read(messages_repo.scheduled_now, sub.auth[0]) == LIMIT

        def change_twice(conn: Connection) -> None:
            row = dict(messages_repo.get_message(conn, sub.auth[0], made[0]) or {})
            for _ in range(2):  # each Outbox starts from the row as first read
                outbox = Outbox(ctx.now_micros())
                outbox.change_status(row, "canceled", callback=False)
                outbox.flush(conn)

        await ctx.db.run(change_twice)
        assert (await sub.fetch(made[0]))["status"] == "canceled"
        assert await ctx.db.read(messages_repo.scheduled_now, sub.auth[0]) == LIMIT - 1


async def test_a_place_refused_is_not_counted(api: Api) -> None:
    """The count itself: at the limit, taking a place answers False and counts nothing, even
    in a transaction that goes on (its caller need not roll back)."""
    auth = await api.subaccount("counting")
    ctx: Context = api.transport.app.state.ctx  # type: ignore[attr-defined]

    def take(conn: Connection) -> list[bool]:
        return [messages_repo.take_scheduled_place(conn, auth[0], 2) for _ in range(3)]

    assert await ctx.db.run(take) == [True, True, False]
    assert await ctx.db.read(messages_repo.scheduled_now, auth[0]) == 2
