"""Alembic migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from telephonist.storage.database import Database
from telephonist.storage.migrate import upgrade
from telephonist.storage.schema import metadata
from tests.conftest import opened_database


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        with opened_database(f"sqlite:///{tmp_path / 'm.db'}") as db:
            yield db
    else:
        with opened_database(None, request.getfixturevalue("postgres_admin_url")) as db:
            yield db


def test_migrations_match_schema(database: Database) -> None:
    upgrade(database.engine)
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrade_is_idempotent(database: Database) -> None:
    upgrade(database.engine)
    upgrade(database.engine)
    assert {"accounts", "messages", "media"} <= set(inspect(database.engine).get_table_names())
