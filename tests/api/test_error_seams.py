"""Errors raised below the HTTP edge reach clients with their own code and the catalogue's
status, translated at the seam rather than by each handler."""

from __future__ import annotations

import httpx

from telephonist.testing import RunningServer
from tests.api.test_error_shape import assert_twilio_error


def test_a_search_the_inventory_refuses_is_its_code_with_400(
    http: httpx.Client, server: RunningServer
) -> None:
    """The inventory's InvalidSearch (20001: a malformed Contains) is a 400 with its text."""
    response = http.get(
        f"/2010-04-01/Accounts/{server.account_sid}/AvailablePhoneNumbers/US/Local.json",
        params={"Contains": "(("},
    )
    assert_twilio_error(response, 400, 20001)
    assert response.json()["message"].startswith("Contains must be")


def test_an_inactive_account_buying_a_number_is_403(
    http: httpx.Client, server: RunningServer
) -> None:
    """20005 answers 403 from the catalogue: the call site names only the code."""
    sub = http.post("/2010-04-01/Accounts.json", data={"FriendlyName": "inactive"}).json()
    http.post(f"/2010-04-01/Accounts/{sub['sid']}.json", data={"Status": "suspended"})
    response = http.post(
        f"/2010-04-01/Accounts/{sub['sid']}/IncomingPhoneNumbers.json",
        data={"PhoneNumber": "+15005550006"},
    )
    assert_twilio_error(response, 403, 20005)
    assert response.json()["message"] == "Account not active"
