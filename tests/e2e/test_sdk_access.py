"""Access control that cannot escalate, through the official Python SDK on a real server.

A key is not a way to an auth token, a suspended subaccount cannot undo its suspension, and a
number someone owns is answered like a number that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from telephonist.testing import RunningServer
from tests.conftest import make_http, sdk_client
from tests.contract.oracle import Spec

OUTSIDE_THE_INVENTORY = "+19005551234"  # a premium-rate number: no search offers one


def refused(attempt: Callable[[], Any]) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as info:
        attempt()
    return info.value


def test_an_api_key_reaches_no_account_and_no_key(
    client: Client, server: RunningServer, spec: Spec
) -> None:
    """Every key is a Standard key: on Accounts and Keys it gets Twilio's 401/20003, so a
    leaked key shows no auth token (its own account's or a subaccount's) and mints no key."""
    sub = client.api.v2010.accounts.create(friendly_name="key holder")
    parent_key = client.api.v2010.accounts(server.account_sid).new_keys.create(friendly_name="p")
    sub_key = client.api.v2010.accounts(sub.sid).new_keys.create(friendly_name="s")
    as_parent_key = sdk_client(
        server, spec, parent_key.sid, parent_key.secret, account_sid=server.account_sid
    )
    as_sub_key = sdk_client(server, spec, sub_key.sid, sub_key.secret, account_sid=sub.sid)

    attempts: list[Callable[[], Any]] = [
        lambda: as_parent_key.api.v2010.accounts(server.account_sid).fetch(),
        lambda: as_parent_key.api.v2010.accounts(sub.sid).fetch(),
        lambda: as_sub_key.api.v2010.accounts(sub.sid).fetch(),
        lambda: as_parent_key.api.v2010.accounts(sub.sid).update(friendly_name="renamed"),
        lambda: as_parent_key.api.v2010.accounts.create(friendly_name="by a key"),
        lambda: as_parent_key.api.v2010.accounts(server.account_sid).new_keys.create(),
        lambda: as_sub_key.api.v2010.accounts(sub.sid).keys(sub_key.sid).fetch(),
    ]
    for attempt in attempts:
        error = refused(attempt)
        assert (error.status, error.code) == (401, 20003)

    # Lists too (the SDK's list() hides the code, so raw HTTP with the same key).
    with make_http(server, spec, (parent_key.sid, parent_key.secret)) as http:
        for path in ("/2010-04-01/Accounts.json", f"/2010-04-01/Accounts/{sub.sid}/Keys.json"):
            response = http.get(path)
            assert (response.status_code, response.json().get("code")) == (401, 20003)
            assert sub.auth_token not in response.text and "auth_token" not in response.text

    # A key still does what keys are for; the tokens still see their accounts.
    assert as_sub_key.messages.list(limit=1) == []
    assert client.api.v2010.accounts(sub.sid).fetch().auth_token == sub.auth_token


def test_a_suspended_subaccount_reads_but_cannot_undo_its_suspension(
    client: Client, server: RunningServer, spec: Spec
) -> None:
    """Once its parent suspends it, a subaccount's own credentials still read, but neither
    reactivate it nor send, buy or change anything (403, 20005); its parent reactivates it."""
    sub = client.api.v2010.accounts.create(friendly_name="to suspend")
    number = client.api.v2010.accounts(sub.sid).incoming_phone_numbers.create(area_code="415")
    client.api.v2010.accounts(sub.sid).update(status="suspended")
    own = sdk_client(server, spec, sub.sid, sub.auth_token)

    attempts: list[Callable[[], Any]] = [
        lambda: own.api.v2010.accounts(sub.sid).update(status="active"),
        lambda: own.api.v2010.accounts(sub.sid).update(friendly_name="still here"),
        lambda: own.incoming_phone_numbers.create(area_code="415"),
        lambda: own.messages.create(to="+14155550190", from_=number.phone_number, body="hi"),
        lambda: own.incoming_phone_numbers(number.sid).update(sms_url="https://example.com/"),
        lambda: own.incoming_phone_numbers(number.sid).delete(),
        lambda: own.api.v2010.accounts(sub.sid).new_keys.create(friendly_name="escape hatch"),
    ]
    for attempt in attempts:
        error = refused(attempt)
        assert (error.status, error.code) == (403, 20005)

    assert own.api.v2010.accounts(sub.sid).fetch().status == "suspended"
    assert [n.sid for n in own.incoming_phone_numbers.list()] == [number.sid]
    assert own.incoming_phone_numbers(number.sid).fetch().sms_url == ""

    assert client.api.v2010.accounts(sub.sid).update(status="active").status == "active"
    sent = own.messages.create(to="+14155550191", from_=number.phone_number, body="back")
    assert sent.status == "queued"


def test_only_the_parent_changes_a_subaccounts_status(
    client: Client, server: RunningServer, spec: Spec
) -> None:
    """A subaccount cannot change its own status (20006), a parent account not its own
    (21477: status updates are for subaccounts), and closed is final (21479)."""
    sub = client.api.v2010.accounts.create(friendly_name="status")
    own = sdk_client(server, spec, sub.sid, sub.auth_token)

    error = refused(lambda: own.api.v2010.accounts(sub.sid).update(status="closed"))
    assert (error.status, error.code) == (403, 20006)
    error = refused(lambda: client.api.v2010.accounts(server.account_sid).update(status="closed"))
    assert (error.status, error.code) == (400, 21477)
    assert own.api.v2010.accounts(sub.sid).fetch().status == "active"
    assert client.api.v2010.accounts(server.account_sid).fetch().status == "active"
    # Renaming itself is still the subaccount's to do.
    assert own.api.v2010.accounts(sub.sid).update(friendly_name="mine").friendly_name == "mine"

    assert client.api.v2010.accounts(sub.sid).update(status="closed").status == "closed"
    error = refused(lambda: client.api.v2010.accounts(sub.sid).update(status="active"))
    assert (error.status, error.code) == (400, 21479)


def test_a_number_someone_owns_is_answered_like_one_that_does_not_exist(
    client: Client, server: RunningServer, spec: Spec
) -> None:
    """Buying another account's number and buying a number outside the inventory get the same
    status, code and message (but for the number), so buying is no way to learn who owns what."""
    owner, prober = (client.api.v2010.accounts.create(friendly_name=n) for n in ("a", "b"))
    as_owner = sdk_client(server, spec, owner.sid, owner.auth_token)
    as_prober = sdk_client(server, spec, prober.sid, prober.auth_token)
    taken = as_owner.incoming_phone_numbers.create(area_code="415").phone_number

    answers = []
    for number in (taken, OUTSIDE_THE_INVENTORY):
        error = refused(lambda n=number: as_prober.incoming_phone_numbers.create(phone_number=n))
        answers.append((error.status, error.code, error.msg.replace(number, "<number>")))
    assert answers[0] == answers[1]
    assert answers[0][:2] == (400, 21422)
    assert [n.phone_number for n in as_owner.incoming_phone_numbers.list()] == [taken]
