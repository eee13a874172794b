"""The repositories on SQLite and PostgreSQL: what the handlers rely on them for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from telephonist.domain.sids import new_auth_token, new_sid
from telephonist.storage.database import Database
from telephonist.storage.migrate import upgrade
from telephonist.storage.repositories import accounts, alerts, numbers
from telephonist.storage.repositories.listing import Listing, read_page
from telephonist.storage.schema import notifications
from tests.conftest import opened_database

T0 = 1_900_000_000_000_000


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url: str | None = f"sqlite:///{tmp_path / 'r.db'}"
        admin = None
    else:
        url, admin = None, request.getfixturevalue("postgres_admin_url")
    with opened_database(url, admin) as db:
        upgrade(db.engine)
        yield db


def account_row(
    owner: str | None = None, *, status: str = "active", at: int = T0
) -> dict[str, Any]:
    return {
        "sid": new_sid("AC"),
        "owner_account_sid": owner,
        "friendly_name": "an account",
        "status": status,
        "type": "Full",
        "auth_token": new_auth_token(),
        "is_default": False,
        "date_created": at,
        "date_updated": at,
    }


def number_row(
    account_sid: str, phone: str, *, at: int = T0, sid: str | None = None
) -> dict[str, Any]:
    return {
        "sid": sid or new_sid("PN"),
        "account_sid": account_sid,
        "phone_number": phone,
        "friendly_name": phone,
        "kind": "local",
        "iso_country": "US",
        "cap_voice": True,
        "cap_sms": True,
        "cap_mms": True,
        "cap_fax": False,
        "address_requirements": "none",
        "origin": "twilio",
        "config": "{}",
        "date_created": at,
        "date_updated": at,
    }


def walk(db: Database, listing: Listing, limit: int) -> list[list[str]]:
    """Every page of ``listing``, following the cursors, as lists of SIDs."""

    def page(conn: Connection, after: tuple[int, str] | None) -> Any:
        return read_page(conn, listing, after=after, offset=0, limit=limit)

    pages: list[list[str]] = []
    cursor = None
    while True:
        rows, cursor = db.transaction(page, cursor)
        pages.append([r["sid"] for r in rows])
        if cursor is None:
            return pages


def test_a_number_has_one_owner(database: Database) -> None:
    """A second account buying an owned number gets NumberTaken, and the first keeps it."""
    first, second = account_row(), account_row()
    for row in (first, second):
        database.transaction(accounts.insert_account, row)
    mine = number_row(first["sid"], "+15005550006")
    database.transaction(numbers.insert_number, mine)
    with pytest.raises(numbers.NumberTaken):
        database.transaction(numbers.insert_number, number_row(second["sid"], "+15005550006"))
    kept = database.transaction(numbers.get_number, first["sid"], mine["sid"])
    assert kept is not None and kept["account_sid"] == first["sid"]
    assert database.transaction(numbers.owned_among, ["+15005550006", "+15005550007"]) == {
        "+15005550006"
    }


def test_pages_follow_the_keyset_through_ties(database: Database) -> None:
    """Rows created in the same microsecond are ordered by SID, so paging by cursor returns
    each row exactly once, in order, even when a page boundary falls inside the tie."""
    owner = account_row()
    database.transaction(accounts.insert_account, owner)
    sids = sorted(new_sid("PN") for _ in range(5))
    for i, sid in enumerate(sids):
        at = T0 if i < 4 else T0 + 1  # four in one microsecond, then one later
        database.transaction(
            numbers.insert_number, number_row(owner["sid"], f"+1500555{i:04d}", at=at, sid=sid)
        )
    pages = walk(database, numbers.number_listing(owner["sid"]), limit=3)
    assert pages == [sids[:3], sids[3:]]


def test_an_account_lists_itself_and_its_subaccounts_only(database: Database) -> None:
    parent = account_row()
    database.transaction(accounts.insert_account, parent)
    child = account_row(parent["sid"], at=T0 + 1)
    stranger = account_row()
    for row in (child, stranger):
        database.transaction(accounts.insert_account, row)
    listed = walk(database, accounts.account_listing(parent["sid"]), limit=50)
    assert listed == [[parent["sid"], child["sid"]]]
    suspended = walk(database, accounts.account_listing(parent["sid"], status="suspended"), 50)
    assert suspended == [[]]


def test_suspending_a_parent_leaves_closed_subaccounts_closed(database: Database) -> None:
    parent = account_row()
    database.transaction(accounts.insert_account, parent)
    open_child = account_row(parent["sid"])
    closed_child = account_row(parent["sid"], status="closed")
    for row in (open_child, closed_child):
        database.transaction(accounts.insert_account, row)
    database.transaction(accounts.set_subaccounts_status, parent["sid"], "suspended", T0 + 5)

    def statuses(conn: Connection) -> list[str | None]:
        refs = [accounts.account_ref(conn, r["sid"]) for r in (open_child, closed_child)]
        return [ref.status if ref else None for ref in refs]

    assert database.transaction(statuses) == ["suspended", "closed"]


def test_credentials_come_back_for_the_right_account(database: Database) -> None:
    owner = account_row()
    database.transaction(accounts.insert_account, owner)
    key = {
        "sid": new_sid("SK"),
        "account_sid": owner["sid"],
        "friendly_name": "",
        "secret_sha256": "f" * 64,
        "date_created": T0,
        "date_updated": T0,
    }
    database.transaction(accounts.insert_key, key)
    by_token = database.transaction(accounts.account_credential, owner["sid"])
    by_key = database.transaction(accounts.key_credential, key["sid"])
    assert by_token == accounts.Credential(owner["sid"], None, "active", owner["auth_token"])
    assert by_key == accounts.Credential(owner["sid"], None, "active", "f" * 64)
    assert database.transaction(accounts.key_credential, new_sid("SK")) is None
    assert database.transaction(accounts.delete_key, owner["sid"], key["sid"]) is True
    assert database.transaction(accounts.delete_key, owner["sid"], key["sid"]) is False


def test_alerts_are_bounded_by_day_with_the_end_excluded(database: Database) -> None:
    """``since`` is included and ``until`` is not: a MessageDate day ends at midnight."""
    owner = account_row()
    database.transaction(accounts.insert_account, owner)
    sids = {at: new_sid("NO") for at in (T0 - 1, T0, T0 + 10, T0 + 20)}

    def record(conn: Connection) -> None:
        for at, sid in sids.items():
            conn.execute(
                notifications.insert().values(
                    sid=sid,
                    account_sid=owner["sid"],
                    error_code="11200",
                    log="0",
                    message_text="",
                    more_info="",
                    date_created=at,
                )
            )

    database.transaction(record)
    listing = alerts.notification_listing(owner["sid"], log="0", since=T0, until=T0 + 20)
    assert walk(database, listing, limit=50) == [[sids[T0 + 10], sids[T0]]]
    assert walk(database, alerts.notification_listing(owner["sid"], log="1"), 50) == [[]]
