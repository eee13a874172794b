"""Alembic migrations build exactly the schema the code declares, on SQLite and PostgreSQL;
the start-up shortcut (tables from the metadata, then stamped) builds the very same one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from telephonist.providers.simulator import store
from telephonist.storage.database import Database
from telephonist.storage.migrate import alembic_config, ensure_schema, script_head, upgrade
from telephonist.storage.schema import metadata
from tests.conftest import opened_database

OpenDatabase = Callable[[], AbstractContextManager[Database]]


@pytest.fixture(params=["sqlite", "postgres"])
def open_database(request: pytest.FixtureRequest, tmp_path: Path) -> OpenDatabase:
    """Opens a new empty database each call, of the parametrised kind."""
    counter = iter(range(1000))
    if request.param == "sqlite":
        return lambda: opened_database(f"sqlite:///{tmp_path / f'm{next(counter)}.db'}")
    admin = request.getfixturevalue("postgres_admin_url")
    return lambda: opened_database(None, admin)


@pytest.fixture
def database(open_database: OpenDatabase) -> Iterator[Database]:
    with open_database() as db:
        yield db


def alembic_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def reflected(engine: Engine) -> dict[str, Any]:
    """Everything the inspector sees of each table: what two ways of building must agree on."""
    found: dict[str, Any] = {}
    insp = inspect(engine)
    for table in sorted(insp.get_table_names()):
        columns = [
            (c["name"], str(c["type"]), c["nullable"], c.get("default"))
            for c in insp.get_columns(table)
        ]
        found[table] = {
            "columns": columns,
            "primary_key": insp.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": sorted(
                (fk["constrained_columns"], fk["referred_table"], fk["referred_columns"])
                for fk in insp.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (ix["name"], ix["column_names"], bool(ix["unique"]))
                for ix in insp.get_indexes(table)
            ),
            "unique": sorted(
                (u["name"], u["column_names"]) for u in insp.get_unique_constraints(table)
            ),
        }
    return found


def test_migrations_match_schema(database: Database) -> None:
    upgrade(database.engine)
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrade_is_idempotent(database: Database) -> None:
    upgrade(database.engine)
    upgrade(database.engine)
    assert {"accounts", "messages", "media"} <= set(inspect(database.engine).get_table_names())


def test_script_head_is_alembics() -> None:
    assert script_head() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_a_new_database_is_built_as_alembic_builds_it(open_database: OpenDatabase) -> None:
    with open_database() as by_alembic, open_database() as at_start:
        upgrade(by_alembic.engine)
        ensure_schema(at_start.engine)
        assert reflected(at_start.engine) == reflected(by_alembic.engine)
        assert alembic_revision(at_start.engine) == alembic_revision(by_alembic.engine)
        # Alembic takes over from there as from its own work: nothing to upgrade, no diff.
        upgrade(at_start.engine)
        with at_start.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_an_older_database_is_upgraded_by_alembic(database: Database) -> None:
    config = alembic_config()
    with database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            text(
                "INSERT INTO accounts (sid, friendly_name, status, type, auth_token, is_default,"
                " date_created, date_updated) VALUES ('AC1', 'kept', 'active', 'Full', 't', "
                "false, 0, 0)"
            )
        )
    ensure_schema(database.engine)
    assert alembic_revision(database.engine) == script_head()
    assert "tasks" in inspect(database.engine).get_table_names()
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT friendly_name FROM accounts")).scalar_one() == "kept"


def test_scenario_rules_set_before_accounts_owned_them_keep_applying(database: Database) -> None:
    """Upgrading copies each unscoped rule to every top-level account, so every account's
    traffic (subaccounts inherit) meets the rules it met before."""
    config = alembic_config()
    with database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
        for sid, owner in (("ACtop1", None), ("ACtop2", None), ("ACsub", "ACtop1")):
            conn.execute(
                text(
                    "INSERT INTO accounts (sid, owner_account_sid, friendly_name, status, type,"
                    " auth_token, is_default, date_created, date_updated)"
                    " VALUES (:sid, :owner, 'kept', 'active', 'Full', 't', false, 0, 0)"
                ),
                {"sid": sid, "owner": owner},
            )
        conn.execute(
            text(
                "INSERT INTO scenario_rules (pattern, scenario, created_at)"
                " VALUES ('+1555*', 'black_hole', 1), ('+1720555*', 'slow', 2)"
            )
        )
    ensure_schema(database.engine)
    assert alembic_revision(database.engine) == script_head()
    with database.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT account_sid, pattern, scenario FROM scenario_rules ORDER BY 1, 2")
        ).all()
        in_force = store.rules_for(conn, ["ACsub", "ACtop2"])
    assert [tuple(r) for r in stored] == [
        ("ACtop1", "+1555*", "black_hole"),
        ("ACtop1", "+1720555*", "slow"),
        ("ACtop2", "+1555*", "black_hole"),
        ("ACtop2", "+1720555*", "slow"),
    ]
    rules = [("+1555*", "black_hole"), ("+1720555*", "slow")]
    assert in_force["ACsub"] == store.AccountRules(inherited=rules, own=[])
    assert in_force["ACtop2"] == store.AccountRules(inherited=[], own=rules)


def test_messages_scheduled_before_the_count_existed_are_counted(database: Database) -> None:
    """Upgrading counts each account's messages that are scheduled then (and only those), so
    the 35125 limit holds across the upgrade."""
    config = alembic_config()
    with database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0017")
        conn.execute(
            text(
                "INSERT INTO accounts (sid, friendly_name, status, type, auth_token, is_default,"
                " date_created, date_updated) VALUES ('AC1', 'kept', 'active', 'Full', 't', "
                "false, 0, 0), ('AC2', 'other', 'active', 'Full', 't', false, 0, 0)"
            )
        )
        for i, (account, status) in enumerate(
            [("AC1", "scheduled"), ("AC1", "scheduled"), ("AC1", "canceled"), ("AC2", "sent")]
        ):
            conn.execute(
                text(
                    'INSERT INTO messages (sid, account_sid, direction, from_, "to", body,'
                    " status, encoding, num_segments, num_media, price_unit, validity_period,"
                    " options, date_created, date_updated) VALUES (:sid, :account,"
                    " 'outbound-api', '', '+14155550100', 'hi', :status, 'GSM-7', 1, 0, 'USD',"
                    " 36000, '{}', 0, 0)"
                ),
                {"sid": f"SM{i:032d}", "account": account, "status": status},
            )
    ensure_schema(database.engine)
    with database.engine.connect() as conn:
        counted = conn.execute(text("SELECT account_sid, scheduled FROM scheduled_counts")).all()
    assert [tuple(r) for r in counted] == [("AC1", 2)]
