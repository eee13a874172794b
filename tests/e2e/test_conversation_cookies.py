"""SMS conversation cookies: what an app sets in answer to one text comes back on the next.

The app sets its cookies with Starlette's ``Response.set_cookie`` / ``delete_cookie``, the way a
Flask or Django session does. Cookies are kept per conversation (the account and the texts'
From/To pair), in the database, for at most four hours of simulated time.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from starlette.responses import Response
from twilio.twiml.messaging_response import MessagingResponse

from telephonist.domain.sids import new_auth_token, new_sid
from telephonist.settings import Settings
from telephonist.testing import running_server
from tests.conftest import create_pg_database, drop_pg_database, make_http, sdk_client
from tests.contract.oracle import Spec
from tests.e2e.app import Hit, running_app
from tests.e2e.conftest import Sim

HOURS = 3600.0


def survey(hit: Hit) -> Response:
    """A two-step survey that remembers where each texter is, in a cookie."""
    jar: SimpleCookie = SimpleCookie(hit.headers.get("cookie", ""))
    step = int(jar["step"].value) + 1 if "step" in jar else 1
    twiml = MessagingResponse()
    twiml.message(f"question {step}")
    response = Response(str(twiml), media_type="application/xml")
    response.set_cookie("step", str(step))
    return response


def visit(hit: Hit) -> Response:
    """Sets ``seen`` (asking for a day) on a first visit only; forgets it when told to."""
    response = Response(status_code=204)
    if hit.params["Body"] == "forget":
        response.delete_cookie("seen")
    elif "cookie" not in hit.headers:
        response.set_cookie("seen", "1", max_age=24 * 3600)
    return response


def cookies_seen(sim: Sim, path: str, number: str) -> list[tuple[str, str | None]]:
    """(From, Cookie header) of every request the app got at ``path`` for texts to ``number``."""
    return [
        (h.params["From"], h.headers.get("cookie"))
        for h in sim.app.at(path)
        if h.params["To"] == number
    ]


def text(sim: Sim, handset: str, number: str, body: str) -> None:
    response = sim.text(handset, number, body)
    assert response.status_code == 201, response.text
    sim.advance(0)


def test_a_conversation_keeps_its_cookies(sim: Sim) -> None:
    """The same pair gets the cookie back; another handset, or another of the app's numbers,
    starts a conversation of its own."""
    sim.app.on("/survey", survey)
    number = sim.number(sms_url=sim.app.url("/survey"))
    other_number = sim.number(sms_url=sim.app.url("/survey"))
    alice, bob = "+14155550171", "+14155550172"
    text(sim, alice, number, "hi")
    text(sim, alice, number, "sure")
    text(sim, bob, number, "hi")
    text(sim, alice, other_number, "hi")
    assert cookies_seen(sim, "/survey", number) == [(alice, None), (alice, "step=1"), (bob, None)]
    assert cookies_seen(sim, "/survey", other_number) == [(alice, None)]
    sim.advance(5)  # the replies leave at the number's 1 message a second
    assert [m["body"] for m in sim.inbox(alice) if m["from"] == number] == [
        "question 1",
        "question 2",
    ]


def test_texts_that_arrive_together_are_answered_in_order(sim: Sim) -> None:
    """Two texts handled in one batch: the second still sees what the first one set."""
    sim.app.on("/survey", survey)
    number = sim.number(sms_url=sim.app.url("/survey"))
    handset = "+14155550173"
    for body in ("one", "two", "three"):
        assert sim.text(handset, number, body).status_code == 201
    sim.advance(0)
    assert cookies_seen(sim, "/survey", number) == [
        (handset, None),
        (handset, "step=1"),
        (handset, "step=2"),
    ]


def test_another_account_never_gets_them(sim: Sim) -> None:
    """A number moved to another account starts without the old owner's cookies."""
    sim.app.on("/survey", survey)
    bought = sim.client.incoming_phone_numbers.create(
        area_code="415", sms_url=sim.app.url("/survey")
    )
    number = str(bought.phone_number)
    handset = "+14155550174"
    text(sim, handset, number, "hi")
    text(sim, handset, number, "again")
    tenant = sim.client.api.v2010.accounts.create(friendly_name="cookie tenant")
    sim.client.incoming_phone_numbers(bought.sid).update(account_sid=tenant.sid)
    text(sim, handset, number, "hi from the new owner's number")
    assert cookies_seen(sim, "/survey", number) == [
        (handset, None),
        (handset, "step=1"),
        (handset, None),
    ]


def test_cookies_end_after_four_hours(sim: Sim) -> None:
    """Even a cookie that asks for a day is gone four hours after it was set."""
    sim.app.on("/visit", visit)
    number = sim.number(sms_url=sim.app.url("/visit"))
    handset = "+14155550175"
    text(sim, handset, number, "hi")
    sim.advance(4 * HOURS - 60)
    text(sim, handset, number, "still here")
    sim.advance(61)
    text(sim, handset, number, "back later")
    assert cookies_seen(sim, "/visit", number) == [
        (handset, None),
        (handset, "seen=1"),
        (handset, None),
    ]


def test_an_app_can_delete_its_cookie(sim: Sim) -> None:
    """Max-Age=0 (what delete_cookie sends) removes the cookie at once."""
    sim.app.on("/visit", visit)
    number = sim.number(sms_url=sim.app.url("/visit"))
    handset = "+14155550176"
    text(sim, handset, number, "hi")
    text(sim, handset, number, "forget")
    text(sim, handset, number, "who am I")
    assert cookies_seen(sim, "/visit", number) == [
        (handset, None),
        (handset, "seen=1"),
        (handset, None),
    ]


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if backend == "sqlite":
        yield "sqlite:///" + str(tmp_path / "telephonist.db")
        return
    created: list[str] = []
    url = create_pg_database(request.getfixturevalue("postgres_admin_url"), created)
    try:
        yield url
    finally:
        for made in created:
            drop_pg_database(made)


def test_cookies_survive_a_restart(database_url: str, tmp_path: Path, spec: Spec) -> None:
    """The jar is in the database: a new server process on it carries on the conversation."""
    settings = Settings(
        db=database_url,
        data_dir=str(tmp_path),
        clock="manual",
        account_sid=new_sid("AC"),
        auth_token=new_auth_token(),
    )
    handset = "+14155550177"
    credentials = (settings.account_sid, settings.auth_token)
    with running_app(settings.auth_token) as app:
        app.on("/survey", survey)
        with running_server(settings) as server, make_http(server, spec, credentials) as http:
            client = sdk_client(server, spec)
            number = str(
                client.incoming_phone_numbers.create(
                    area_code="415", sms_url=app.url("/survey")
                ).phone_number
            )
            text(Sim(server, app, client, http), handset, number, "hi")
        with running_server(settings) as server, make_http(server, spec, credentials) as http:
            sim = Sim(server, app, sdk_client(server, spec), http)
            text(sim, handset, number, "after the restart")
    assert [h.headers.get("cookie") for h in app.at("/survey")] == [None, "step=1"]
