"""multipart/form-data request bodies, as older SDKs (twilio-node 3.x) send them.

Every endpoint reads them like urlencoded forms, under the same size limit; other content types
are still refused, Twilio-shaped.
"""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from telephonist.api.forms import read_form
from telephonist.errors import TwilioError
from telephonist.testing import RunningServer
from tests.api.test_error_shape import assert_twilio_error

MAX_BYTES = 4096


def fields(*pairs: tuple[str, str]) -> list[tuple[str, tuple[None, str]]]:
    """Multipart fields without a filename: what form-data libraries send for plain values."""
    return [(name, (None, value)) for name, value in pairs]


def test_create_a_message_with_multipart(http: httpx.Client, server: RunningServer) -> None:
    """Buying a number and sending from it, both as multipart, answer as urlencoded would."""
    base = f"/2010-04-01/Accounts/{server.account_sid}"
    bought = http.post(f"{base}/IncomingPhoneNumbers.json", files=fields(("AreaCode", "415")))
    assert bought.status_code == 201, bought.text
    assert bought.request.headers["content-type"].startswith("multipart/form-data; boundary=")
    sender = bought.json()["phone_number"]
    created = http.post(
        f"{base}/Messages.json",
        files=fields(
            ("To", "+14155550191"),
            ("From", sender),
            ("Body", "héllo from an old SDK"),
            ("MediaUrl", "https://media.example/one.png"),
            ("MediaUrl", "https://media.example/two.png"),
        ),
    )
    assert created.status_code == 201, created.text
    message = created.json()
    assert (message["to"], message["from"], message["body"]) == (
        "+14155550191",
        sender,
        "héllo from an old SDK",
    )
    assert message["num_media"] == "2" and message["sid"].startswith("MM")


def test_the_size_limit_holds_for_multipart(http: httpx.Client, server: RunningServer) -> None:
    big = "x" * (server.settings.max_body_bytes + 1)
    response = http.post(
        f"/2010-04-01/Accounts/{server.account_sid}/Messages.json",
        files=fields(("To", "+14155550191"), ("Body", big)),
    )
    assert_twilio_error(response, 413, 20413)


def test_other_content_types_are_still_refused(http: httpx.Client, server: RunningServer) -> None:
    response = http.post(
        f"/2010-04-01/Accounts/{server.account_sid}/Messages.json",
        content=b"To=+14155550191&Body=hi",
        headers={"Content-Type": "text/plain"},
    )
    assert_twilio_error(response, 400, 20422)
    assert "multipart/form-data" in response.json()["message"]


def test_file_parts_are_refused(http: httpx.Client, server: RunningServer) -> None:
    """The API takes no uploads (media travel as MediaUrl): a file part is an error, not
    silently dropped."""
    response = http.post(
        f"/2010-04-01/Accounts/{server.account_sid}/Messages.json",
        data={"To": "+14155550191", "Body": "hi"},
        files={"Media": ("owl.png", b"\x89PNG...", "image/png")},
    )
    assert_twilio_error(response, 400, 20422)
    assert "owl.png" in response.json()["message"]


# -- read_form in process: what a handler sees -------------------------------------------------


async def echo(request: Request) -> Response:
    try:
        form = await read_form(request, MAX_BYTES)
    except TwilioError as error:
        return JSONResponse(error.body(), status_code=error.status)
    return JSONResponse([[name, value] for name in ("A", "B") for value in form.getlist(name)])


def post(**kwargs: object) -> httpx.Response:
    async def main() -> httpx.Response:
        app = Starlette(routes=[Route("/", echo, methods=["POST"])])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/", **kwargs)  # type: ignore[arg-type]

    return asyncio.run(main())


def test_repeated_names_keep_their_order() -> None:
    """Fields read as urlencoded ones do: every value of a repeated name, in order."""
    response = post(files=fields(("A", "1"), ("B", "x"), ("A", "2"), ("A", ""), ("A", "3 +%")))
    assert response.status_code == 200, response.text
    assert response.json() == [["A", "1"], ["A", "2"], ["A", ""], ["A", "3 +%"], ["B", "x"]]
    same = post(data={"A": ["1", "2", "", "3 +%"], "B": "x"})
    assert same.json() == response.json()


def test_malformed_multipart_is_20422() -> None:
    for content_type, body in [
        ("multipart/form-data", b"--x\r\nContent-Disposition: form-data; name=A\r\n\r\n1\r\n--x--"),
        ("multipart/form-data; boundary=x", b"not multipart at all"),
    ]:
        response = post(content=body, headers={"Content-Type": content_type})
        assert response.status_code == 400, (content_type, body, response.text)
        assert response.json()["code"] == 20422


def test_the_limit_counts_multipart_bytes() -> None:
    """One limit for the raw body, whatever its encoding: overhead included, no more."""
    response = post(files=fields(("A", "x" * MAX_BYTES)))
    assert response.status_code == 413 and response.json()["code"] == 20413
    fits = post(files=fields(("A", "x" * (MAX_BYTES - 200))))
    assert fits.status_code == 200 and fits.json() == [["A", "x" * (MAX_BYTES - 200)]]
