"""A failed statement's error names no values: auth tokens stay out of logged tracebacks."""

from __future__ import annotations

import traceback
from collections.abc import Iterator

import pytest
from sqlalchemy.exc import IntegrityError

from telephonist.domain.sids import new_auth_token, new_sid
from telephonist.storage.database import Database
from telephonist.storage.migrate import upgrade
from telephonist.storage.repositories import accounts
from tests.conftest import opened_database


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    with opened_database(database_url) as db:
        upgrade(db.engine)
        yield db


def test_a_failed_write_does_not_show_the_token_it_carried(database: Database) -> None:
    """The error (and so the traceback the server logs for it) shows the statement, not the
    auth token bound to it."""
    token = new_auth_token()
    row = {
        "sid": new_sid("AC"),
        "owner_account_sid": None,
        "friendly_name": "twice",
        "status": "active",
        "type": "Full",
        "auth_token": token,
        "is_default": False,
        "date_created": 1,
        "date_updated": 1,
    }
    database.transaction(accounts.insert_account, row)
    with pytest.raises(IntegrityError) as info:
        database.transaction(accounts.insert_account, row)
    logged = "".join(traceback.format_exception(info.value))
    assert "INSERT INTO accounts" in logged
    assert token not in logged
