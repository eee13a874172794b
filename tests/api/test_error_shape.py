"""Every failure is Twilio's error JSON with the right status: no HTML, no framework defaults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from telephonist.domain.sids import new_sid
from tests.api.conftest import Api

pytestmark = pytest.mark.anyio

ERROR_KEYS = {"code", "message", "more_info", "status"}


def assert_twilio_error(response: httpx.Response, status: int, code: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) - {"detail"} == ERROR_KEYS
    assert body["code"] == code and body["status"] == status
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert "Traceback" not in response.text and "<html" not in response.text.lower()


async def test_unknown_route(api: Api) -> None:
    assert_twilio_error(await api.http.get("/2010-04-01/Nope.json"), 404, 20404)
    assert_twilio_error(await api.http.get("/"), 404, 20404)
    assert_twilio_error(await api.http.get(api.path("Nope.json")), 404, 20404)


async def test_wrong_method(api: Api) -> None:
    response = await api.http.put(api.path("Messages.json"))
    assert_twilio_error(response, 405, 20004)
    response = await api.http.delete(api.path("Messages.json"))
    assert_twilio_error(response, 405, 20004)


@pytest.mark.parametrize(
    "auth",
    [None, ("AC" + "0" * 32, "x" * 32), ("nobody", ""), "right sid, wrong token"],
)
async def test_bad_credentials(api: Api, auth: tuple[str, str] | str | None) -> None:
    """401 with Twilio's Basic challenge, so clients that wait for one send credentials."""
    if auth == "right sid, wrong token":
        auth = (api.account_sid, "0" * 32)
    async with api.client(auth if isinstance(auth, tuple) else None) as http:
        response = await http.get(api.path("Messages.json"))
    assert_twilio_error(response, 401, 20003)
    assert response.json()["detail"]
    assert response.headers["www-authenticate"] == 'Basic realm="Twilio API"'


async def test_garbled_authorization_header(api: Api) -> None:
    async with api.client(None) as http:
        response = await http.get(
            "/2010-04-01/Accounts.json", headers={"Authorization": "Basic !!!not-base64"}
        )
    assert_twilio_error(response, 401, 20003)
    assert response.headers["www-authenticate"] == 'Basic realm="Twilio API"'


async def test_oversized_body(api: Api) -> None:
    """One byte over the limit is 20413, whether the client declares the length or streams the
    body without one; a body of exactly the limit is read (and then validated)."""
    limit = api.settings.max_body_bytes
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    over = b"Body=" + b"x" * (limit - 4)
    assert len(over) == limit + 1

    async def streamed() -> AsyncIterator[bytes]:
        yield over[: limit // 2]
        yield over[limit // 2 :]

    declared = await api.http.post(api.path("Messages.json"), content=over, headers=form)
    assert_twilio_error(declared, 413, 20413)
    chunked = await api.http.post(api.path("Messages.json"), content=streamed(), headers=form)
    assert "content-length" not in chunked.request.headers
    assert_twilio_error(chunked, 413, 20413)
    at_limit = await api.http.post(api.path("Messages.json"), content=over[:-1], headers=form)
    assert_twilio_error(at_limit, 400, 21604)  # no To: the body was read and parsed


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("application/json", b'{"To": "+14155550100"}'),
        ("text/plain", b"To=+14155550100"),
        ("application/xml", b"<To>+14155550100</To>"),
    ],
)
async def test_other_body_types_are_refused_clearly(
    api: Api, content_type: str, content: bytes
) -> None:
    response = await api.http.post(
        api.path("Messages.json"), content=content, headers={"Content-Type": content_type}
    )
    assert_twilio_error(response, 400, 20422)


async def test_page_size_limits(api: Api) -> None:
    url = api.path("Messages.json")
    assert_twilio_error(await api.http.get(url, params={"PageSize": "1001"}), 400, 20007)
    assert_twilio_error(await api.http.get(url, params={"PageSize": "lots"}), 400, 20422)
    assert_twilio_error(await api.http.get(url, params={"PageSize": "0"}), 400, 20422)
    assert_twilio_error(await api.http.get(url, params={"PageToken": "garbage"}), 400, 20422)


async def test_unknown_parameters_are_ignored(api: Api) -> None:
    response = await api.http.post(
        api.path("Messages.json"),
        data={
            "To": "+14155550100",
            "From": "+15005550006",
            "Body": "hi",
            "NoSuchParam": "1",
            "ShortenUrls": "true",
            "MaxPrice": "0.5",
            "ProvideFeedback": "true",
            "Attempt": "2",
            "SmartEncoded": "true",
        },
    )
    assert response.status_code == 201, response.text


async def test_health_is_unauthenticated(api: Api) -> None:
    async with api.client(None) as http:
        response = await http.get("/healthz")
    assert response.json() == {"status": "ok"}


def shape(response: httpx.Response, path: str) -> tuple[int, str, dict[str, Any]]:
    """An answer with the request's own path taken out, for comparing two requests' answers."""
    body = response.json()
    assert path in body["message"]
    body["message"] = body["message"].replace(path, "{path}")
    return response.status_code, response.headers["content-type"], body


async def test_not_found_does_not_leak_existence(api: Api) -> None:
    """Someone else's message answers exactly as a message that exists nowhere: same status,
    code and text, for every method and subresource, and the other account's message is left
    as it was."""
    mine = await api.subaccount("prying")
    theirs = await api.subaccount("private")
    sender = await api.buy_number(theirs)
    async with api.client(theirs) as as_them:
        created = await as_them.post(
            api.path("Messages.json", theirs[0]),
            data={
                "To": "+14155550100",
                "From": sender,
                "Body": "private",
                "MediaUrl": "https://example.com/a.jpg",
            },
        )
        assert created.status_code == 201, created.text
        real = created.json()["sid"]
        listed = await as_them.get(api.path(f"Messages/{real}/Media.json", theirs[0]))
        real_media = listed.json()["media_list"][0]["sid"]
    nowhere, nowhere_media = new_sid("MM"), new_sid("ME")

    async with api.client(mine) as as_me:

        async def answer(method: str, template: str, **kwargs: Any) -> list[Any]:
            """The answers for the real and the non-existent SIDs, asked through the prying
            account's own path and through the other account's path."""
            shapes = []
            for account in (mine[0], theirs[0]):
                for sid, media_sid in ((real, real_media), (nowhere, nowhere_media)):
                    path = api.path(template.format(sid=sid, media=media_sid), account)
                    response = await as_me.request(method, path, **kwargs)
                    assert_twilio_error(response, 404, 20404)
                    shapes.append(shape(response, path))
            return shapes

        for method, template, kwargs in [
            ("GET", "Messages/{sid}.json", {}),
            ("POST", "Messages/{sid}.json", {"data": {"Body": ""}}),
            ("DELETE", "Messages/{sid}.json", {}),
            ("GET", "Messages/{sid}/Media.json", {}),
            ("GET", "Messages/{sid}/Media/{media}.json", {}),
            ("DELETE", "Messages/{sid}/Media/{media}.json", {}),
        ]:
            shapes = await answer(method, template, **kwargs)
            assert all(s == shapes[0] for s in shapes), (method, template, shapes)

    async with api.client(theirs) as as_them:
        kept = await as_them.get(api.path(f"Messages/{real}.json", theirs[0]))
        assert kept.status_code == 200 and kept.json()["body"] == "private"
        kept_media = await as_them.get(api.path(f"Messages/{real}/Media.json", theirs[0]))
        assert [m["sid"] for m in kept_media.json()["media_list"]] == [real_media]


async def test_not_found_for_malformed_sids(api: Api) -> None:
    for sid in (f"SM{'0' * 32}", "not-a-sid", f"PN{'0' * 32}"):
        assert_twilio_error(await api.http.get(api.path(f"Messages/{sid}.json")), 404, 20404)
