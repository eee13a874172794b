"""Accounts, subaccounts and API keys through the official Python SDK."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from telephonist.testing import RunningServer
from tests.conftest import sdk_client
from tests.contract.oracle import Spec


def test_default_account_fetch(client: Client, server: RunningServer) -> None:
    """The default account is the one the server printed, with its token."""
    account = client.api.v2010.accounts(server.account_sid).fetch()
    assert account.sid == server.account_sid
    assert account.status == "active"
    assert account.owner_account_sid == server.account_sid


def test_bad_credentials_are_20003(server: RunningServer, spec: Spec) -> None:
    """A wrong token is a 401 with code 20003, as on Twilio."""
    bad = sdk_client(server, spec, password="0" * 32)
    with pytest.raises(TwilioRestException) as info:
        bad.api.v2010.accounts(server.account_sid).fetch()
    assert info.value.status == 401
    assert info.value.code == 20003


def test_subaccount_lifecycle(client: Client, server: RunningServer, spec: Spec) -> None:
    """Create, list, rename, suspend and close a subaccount; it authenticates on its own."""
    sub = client.api.v2010.accounts.create(friendly_name="tenant a")
    assert sub.owner_account_sid == server.account_sid
    assert sub.status == "active"
    listed = {a.sid for a in client.api.v2010.accounts.list()}
    assert {server.account_sid, sub.sid} <= listed
    assert [a.sid for a in client.api.v2010.accounts.list(friendly_name="tenant a")] == [sub.sid]

    own = sdk_client(server, spec, sub.sid, sub.auth_token)
    assert own.api.v2010.accounts(sub.sid).fetch().friendly_name == "tenant a"

    renamed = client.api.v2010.accounts(sub.sid).update(friendly_name="tenant b")
    assert renamed.friendly_name == "tenant b"
    suspended = client.api.v2010.accounts(sub.sid).update(status="suspended")
    assert suspended.status == "suspended"
    assert client.api.v2010.accounts(sub.sid).update(status="active").status == "active"
    closed = client.api.v2010.accounts(sub.sid).update(status="closed")
    assert closed.status == "closed"
    with pytest.raises(TwilioRestException) as info:
        client.api.v2010.accounts(sub.sid).update(status="active")
    assert info.value.status == 400
    # A closed account's credentials stop working.
    with pytest.raises(TwilioRestException) as info:
        own.api.v2010.accounts(sub.sid).fetch()
    assert info.value.code == 20003


def test_subaccounts_are_isolated(client: Client, server: RunningServer, spec: Spec) -> None:
    """A subaccount reaches neither its parent nor a sibling; the answer is a plain 404."""
    a = client.api.v2010.accounts.create(friendly_name="a")
    b = client.api.v2010.accounts.create(friendly_name="b")
    as_a = sdk_client(server, spec, a.sid, a.auth_token)
    for target in (server.account_sid, b.sid, "AC" + "0" * 32):
        with pytest.raises(TwilioRestException) as info:
            as_a.api.v2010.accounts(target).messages("SM" + "1" * 32).fetch()
        assert (info.value.status, info.value.code) == (404, 20404)
        with pytest.raises(TwilioException) as listing:
            as_a.api.v2010.accounts(target).messages.list(limit=1)
        assert "20404" in str(listing.value)
        with pytest.raises(TwilioRestException) as info:
            as_a.api.v2010.accounts(target).fetch()
        assert (info.value.status, info.value.code) == (404, 20404)
    # Subaccounts cannot have subaccounts of their own.
    with pytest.raises(TwilioRestException) as info:
        as_a.api.v2010.accounts.create(friendly_name="nested")
    assert info.value.code == 21101
    # The parent reaches the subaccount's resources.
    assert client.api.v2010.accounts(a.sid).messages.list() == []
    # Listing accounts as the subaccount shows only itself.
    assert [x.sid for x in as_a.api.v2010.accounts.list()] == [a.sid]


def test_api_keys(client: Client, server: RunningServer, spec: Spec) -> None:
    """A key's secret is shown once; the key authenticates; deleting it revokes it."""
    key = client.api.v2010.accounts(server.account_sid).new_keys.create(friendly_name="ci")
    assert key.sid.startswith("SK") and len(key.secret) == 32
    fetched = client.api.v2010.accounts(server.account_sid).keys(key.sid).fetch()
    assert fetched.friendly_name == "ci"
    assert key.sid in {k.sid for k in client.api.v2010.accounts(server.account_sid).keys.list()}
    renamed = (
        client.api.v2010.accounts(server.account_sid).keys(key.sid).update(friendly_name="ci-2")
    )
    assert renamed.friendly_name == "ci-2"

    with_key = sdk_client(server, spec, key.sid, key.secret, account_sid=server.account_sid)
    assert with_key.messages.list(limit=1) == []
    # Standard keys cannot use the Keys or Accounts resources: Twilio's 401/20003.
    with pytest.raises(TwilioRestException) as info:
        with_key.api.v2010.accounts(server.account_sid).keys(key.sid).fetch()
    assert (info.value.status, info.value.code) == (401, 20003)

    assert client.api.v2010.accounts(server.account_sid).keys(key.sid).delete() is True
    with pytest.raises(TwilioRestException) as info:
        with_key.messages("SM" + "1" * 32).fetch()  # a 404 while the key worked
    assert info.value.code == 20003
