"""SIDs, credentials and account reachability."""

from __future__ import annotations

import pytest

from telephonist.domain.accounts import (
    Principal,
    can_reach,
    can_transition,
    hash_secret,
    secret_matches,
    token_matches,
)
from telephonist.domain.error_codes import catalog_message, more_info
from telephonist.domain.sids import is_sid, new_auth_token, new_sid


def test_new_sid_shape() -> None:
    sid = new_sid("SM")
    assert len(sid) == 34 and sid.startswith("SM") and is_sid(sid, "SM")
    assert not is_sid(sid, "MM")
    assert new_sid("SM") != sid


@pytest.mark.parametrize("bad", ["", "SM", "SM" + "g" * 32, "sm" + "0" * 32, "SM" + "0" * 33])
def test_is_sid_rejects(bad: str) -> None:
    assert not is_sid(bad)


def test_bad_prefix() -> None:
    with pytest.raises(ValueError):
        new_sid("sm")


def test_tokens_are_32_hex() -> None:
    token = new_auth_token()
    assert len(token) == 32 and int(token, 16) >= 0


def test_secret_hash_roundtrip() -> None:
    assert secret_matches("s3cret", hash_secret("s3cret"))
    assert not secret_matches("s3cre", hash_secret("s3cret"))
    assert token_matches("abc", "abc") and not token_matches("abc", "abd")


def test_reachability() -> None:
    parent = Principal("ACparent", None, "active")
    child = Principal("ACchild", "ACparent", "active")
    assert can_reach(parent, "ACparent", None)
    assert can_reach(parent, "ACchild", "ACparent")
    assert not can_reach(child, "ACparent", None)
    assert not can_reach(child, "ACsibling", "ACparent")
    assert can_reach(child, "ACchild", "ACparent")


@pytest.mark.parametrize(
    ("current", "new", "ok"),
    [
        ("active", "suspended", True),
        ("suspended", "active", True),
        ("active", "closed", True),
        ("closed", "active", False),
        ("closed", "suspended", False),
        ("active", "frozen", False),
    ],
)
def test_status_transitions(current: str, new: str, ok: bool) -> None:
    assert can_transition(current, new) is ok


def test_error_catalog() -> None:
    assert catalog_message(21211) == "Invalid 'To' Phone Number"
    assert catalog_message(99999) == "Error 99999"
    assert more_info(21211) == "https://www.twilio.com/docs/errors/21211"
