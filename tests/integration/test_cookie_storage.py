"""Conversation cookie jars in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select

from telephonist.storage.cookies import Conversation, delete_expired, load_jars, save_jar
from telephonist.storage.database import Database
from telephonist.storage.migrate import upgrade
from telephonist.storage.schema import conversation_cookies
from telephonist.webhooks.cookies import LIFETIME, NO_COOKIES, CookieJar
from tests.conftest import opened_database

NOW = 1_900_000_000 * 1_000_000
URL = "https://app.example/sms"
ALICE = Conversation("AC" + "a" * 32, "+14155550181", "+14155550199")
ALICE_OTHER_NUMBER = Conversation(ALICE.account_sid, ALICE.from_, "+14155550198")
ALICE_OTHER_ACCOUNT = Conversation("AC" + "b" * 32, ALICE.from_, ALICE.to)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'c.db'}" if request.param == "sqlite" else None
    admin = None if url else request.getfixturevalue("postgres_admin_url")
    with opened_database(url, admin) as database:
        upgrade(database.engine)
        yield database


def jar(*set_cookies: str, now: int = NOW) -> CookieJar:
    return NO_COOKIES.received(URL, set_cookies, now)


def test_jars_are_kept_per_conversation(db: Database) -> None:
    """Each (account, From, To) has its own jar; one query loads many; saving replaces."""
    db.transaction(save_jar, ALICE, jar("a=1"), NOW)
    db.transaction(save_jar, ALICE_OTHER_NUMBER, jar("b=2"), NOW)
    db.transaction(save_jar, ALICE, jar("a=3"), NOW + 1)
    keys = [ALICE, ALICE_OTHER_NUMBER, ALICE_OTHER_ACCOUNT]
    loaded = db.transaction(load_jars, keys, NOW + 2)
    assert set(loaded) == {ALICE, ALICE_OTHER_NUMBER}
    assert loaded[ALICE].header(URL, NOW + 2) == "a=3"
    assert loaded[ALICE_OTHER_NUMBER].header(URL, NOW + 2) == "b=2"
    assert db.transaction(load_jars, [], NOW) == {}
    db.transaction(save_jar, ALICE_OTHER_ACCOUNT, jar("c=3"), NOW)
    only = db.transaction(load_jars, [ALICE], NOW + 2)
    assert list(only) == [ALICE] and only[ALICE].header(URL, NOW + 2) == "a=3"


def test_an_empty_jar_removes_the_row(db: Database) -> None:
    db.transaction(save_jar, ALICE, jar("a=1"), NOW)
    db.transaction(save_jar, ALICE, NO_COOKIES, NOW + 1)
    assert db.transaction(_count) == 0


def test_expired_jars_are_neither_loaded_nor_kept(db: Database) -> None:
    db.transaction(save_jar, ALICE, jar("a=1; Max-Age=60"), NOW)
    db.transaction(save_jar, ALICE_OTHER_NUMBER, jar("b=2"), NOW)
    later = NOW + 61 * 1_000_000
    assert set(db.transaction(load_jars, [ALICE, ALICE_OTHER_NUMBER], later)) == {
        ALICE_OTHER_NUMBER
    }
    assert db.transaction(delete_expired, later) == 1
    assert db.transaction(_count) == 1
    assert db.transaction(delete_expired, NOW + LIFETIME) == 1
    assert db.transaction(_count) == 0


def _count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(conversation_cookies)).scalar_one())
