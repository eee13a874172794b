"""Buying a number someone owns answers as buying one that does not exist, the same way.

The answer is the same (21422), and so is the path to it: one read and no write. A failed
insert took more than twice as long as a refusal from the inventory, which told a prober which
numbers are in use; here the statements a buy runs are watched instead of the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.api.conftest import Api
from tests.api.test_error_shape import assert_twilio_error

pytestmark = pytest.mark.anyio

OUTSIDE_THE_INVENTORY = "+19005551234"  # a premium-rate number: no search offers one


@contextmanager
def number_inserts(api: Api) -> Iterator[list[str]]:
    """The INSERTs into incoming_numbers the app's writer runs inside the block."""
    engine = api.transport.app.state.ctx.db.engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def watch(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO INCOMING_NUMBERS"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", watch)


async def test_an_owned_number_and_an_unknown_one_get_one_answer_and_no_write(api: Api) -> None:
    owner = await api.subaccount("owner")
    prober = await api.subaccount("prober")
    taken = await api.buy_number(owner)
    answers = []
    async with api.client(prober) as http:
        for number in (taken, OUTSIDE_THE_INVENTORY):
            with number_inserts(api) as inserts:
                response = await http.post(
                    api.path("IncomingPhoneNumbers.json", prober[0]), data={"PhoneNumber": number}
                )
            assert_twilio_error(response, 400, 21422)
            assert inserts == [], f"buying {number} attempted a write"
            body = response.json()
            answers.append({**body, "message": body["message"].replace(number, "<number>")})
        assert answers[0] == answers[1]

        # The watch sees the writes a buy makes: a number nobody owns is inserted.
        with number_inserts(api) as inserts:
            response = await http.post(
                api.path("IncomingPhoneNumbers.json", prober[0]), data={"AreaCode": "415"}
            )
        assert response.status_code == 201, response.text
        assert len(inserts) == 1
