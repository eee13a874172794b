"""A2P 10DLC enforcement at ``warn`` (the default in emulator mode), in process: what carriers
would block is delivered and flagged by a warning alert with 30034; a registered sender's
messages earn none."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_a2p import REVIEW, advance
from tests.api.test_a2p_enforce import Sender, handset
from tests.api.test_a2p_enforce import sender as sender
from tests.api.test_short_codes import provision

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def api_settings() -> dict[str, Any]:
    return {}  # the default: warn


async def test_delivered_and_flagged(api: Api, sender: Sender) -> None:
    _, number = await sender.number()
    message = await sender.send(From=number, To=handset())
    await advance(api, 0)
    assert await sender.status(message["sid"]) == ("delivered", None)
    [(code, log, text)] = await sender.alerts()
    assert (code, log) == ("30034", "1") and message["sid"] in text


async def test_a_registered_sender_earns_no_alert(api: Api, sender: Sender) -> None:
    number_sid, number = await sender.number()
    await sender.campaign(number_sid)
    await advance(api, REVIEW)
    await advance(api, REVIEW)
    message = await sender.send(From=number, To=handset())
    await advance(api, 1)
    assert await sender.status(message["sid"]) == ("delivered", None)
    assert await sender.alerts() == []


async def test_a_short_code_earns_no_alert(api: Api, sender: Sender) -> None:
    code = await provision(sender.http, "44002")
    message = await sender.send(From=code["short_code"], To=handset())
    await advance(api, 0)
    assert await sender.status(message["sid"]) == ("delivered", None)
    assert await sender.alerts() == []
