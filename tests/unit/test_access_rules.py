"""Who may see an auth token and who may change an account's status: the pure rules."""

from __future__ import annotations

import pytest

from telephonist.domain.accounts import (
    Principal,
    can_change,
    sees_auth_token,
    status_change_refusal,
)
from telephonist.domain.sids import new_sid

PARENT = new_sid("AC")
SUB = new_sid("AC")


def test_no_api_key_sees_an_auth_token() -> None:
    """Whatever a key may otherwise reach, the token is never in its view."""
    assert sees_auth_token(Principal(PARENT, None, "active"))
    assert sees_auth_token(Principal(SUB, PARENT, "active"))
    assert not sees_auth_token(Principal(PARENT, None, "active", key_sid=new_sid("SK")))
    assert not sees_auth_token(Principal(SUB, PARENT, "active", key_sid=new_sid("SK")))


def test_only_an_active_account_changes_anything() -> None:
    assert can_change(Principal(SUB, PARENT, "active"))
    assert not can_change(Principal(SUB, PARENT, "suspended"))
    assert not can_change(Principal(SUB, PARENT, "suspended", key_sid=new_sid("SK")))


@pytest.mark.parametrize(
    ("caller", "owner", "current", "new", "refusal"),
    [
        (PARENT, PARENT, "active", "suspended", None),
        (PARENT, PARENT, "suspended", "active", None),
        (PARENT, PARENT, "active", "closed", None),
        (PARENT, PARENT, "closed", "closed", None),
        (PARENT, PARENT, "closed", "active", 21479),
        (PARENT, PARENT, "closed", "suspended", 21479),
        (SUB, PARENT, "active", "suspended", 20006),
        (SUB, PARENT, "active", "closed", 20006),
        (SUB, PARENT, "suspended", "active", 20006),
        (PARENT, None, "active", "suspended", 21477),
        (PARENT, None, "active", "closed", 21477),
    ],
)
def test_only_the_parent_changes_a_subaccounts_status(
    caller: str, owner: str | None, current: str, new: str, refusal: int | None
) -> None:
    """The parent changes its subaccount's status (closed stays closed); the subaccount does
    not, and a parent account's own status is not the API's to change."""
    who = Principal(caller, None if caller == PARENT else PARENT, "active")
    assert status_change_refusal(who, owner, current, new) == refusal
