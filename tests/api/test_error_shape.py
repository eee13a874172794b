"""Every failure is Twilio's error JSON with the right status: no HTML, no framework defaults."""

from __future__ import annotations

import httpx
import pytest

from telephonist.testing import RunningServer

ERROR_KEYS = {"code", "message", "more_info", "status"}


def assert_twilio_error(response: httpx.Response, status: int, code: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) - {"detail"} == ERROR_KEYS
    assert body["code"] == code and body["status"] == status
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert "Traceback" not in response.text and "<html" not in response.text.lower()


def test_unknown_route(http: httpx.Client) -> None:
    assert_twilio_error(http.get("/2010-04-01/Nope.json"), 404, 20404)
    assert_twilio_error(http.get("/"), 404, 20404)


def test_wrong_method(http: httpx.Client, server: RunningServer) -> None:
    response = http.put(f"/2010-04-01/Accounts/{server.account_sid}/Messages.json")
    assert_twilio_error(response, 405, 20004)


@pytest.mark.parametrize("auth", [None, ("AC" + "0" * 32, "x" * 32), ("nobody", "")])
def test_bad_credentials(server: RunningServer, auth: tuple[str, str] | None) -> None:
    response = httpx.get(
        f"{server.base_url}/2010-04-01/Accounts/{server.account_sid}/Messages.json", auth=auth
    )
    assert_twilio_error(response, 401, 20003)
    assert response.json()["detail"]


def test_garbled_authorization_header(server: RunningServer) -> None:
    response = httpx.get(
        f"{server.base_url}/2010-04-01/Accounts.json",
        headers={"Authorization": "Basic !!!not-base64"},
    )
    assert_twilio_error(response, 401, 20003)


def test_oversized_body(http: httpx.Client, server: RunningServer) -> None:
    response = http.post(
        f"/2010-04-01/Accounts/{server.account_sid}/Messages.json",
        content=b"Body=" + b"x" * (2 * 1024 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_twilio_error(response, 413, 20413)


def test_json_body_is_refused_clearly(http: httpx.Client, server: RunningServer) -> None:
    response = http.post(
        f"/2010-04-01/Accounts/{server.account_sid}/Messages.json", json={"To": "+14155550100"}
    )
    assert_twilio_error(response, 400, 20422)


def test_page_size_limits(http: httpx.Client, server: RunningServer) -> None:
    url = f"/2010-04-01/Accounts/{server.account_sid}/Messages.json"
    assert_twilio_error(http.get(url, params={"PageSize": "1001"}), 400, 20007)
    assert_twilio_error(http.get(url, params={"PageSize": "lots"}), 400, 20422)
    assert_twilio_error(http.get(url, params={"PageToken": "garbage"}), 400, 20422)


def test_unknown_parameters_are_ignored(http: httpx.Client, server: RunningServer) -> None:
    response = http.post(
        f"/2010-04-01/Accounts/{server.account_sid}/Messages.json",
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


def test_health_is_unauthenticated(server: RunningServer) -> None:
    assert httpx.get(f"{server.base_url}/healthz").json() == {"status": "ok"}


def test_not_found_does_not_leak_existence(http: httpx.Client, server: RunningServer) -> None:
    """Someone else's message and a non-existent one get the same answer."""
    base = f"/2010-04-01/Accounts/{server.account_sid}/Messages"
    assert_twilio_error(http.get(f"{base}/SM{'0' * 32}.json"), 404, 20404)
    assert_twilio_error(http.get(f"{base}/not-a-sid.json"), 404, 20404)
