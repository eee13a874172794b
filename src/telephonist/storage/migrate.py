"""The schema on start: Alembic's migrations, without Alembic's cost when there is nothing to do.

Alembic is the source of truth for every change to an existing database (:func:`upgrade`). But
importing it and walking its scripts costs about 0.15 s and 10 MB on every start, and the usual
start finds the database already at the newest revision, or brand new (a test, a CI job, a
first run). :func:`ensure_schema` handles those two cases itself:

* at the newest revision: nothing to do, told by one read of ``alembic_version``;
* empty: the tables are created from :data:`telephonist.storage.schema.metadata` and the
  newest revision is recorded, exactly as ``alembic stamp head`` would.

Anything else (an older revision, a database Alembic does not know) goes through Alembic.
"The newest revision" is read from the migration scripts' own ``revision``/``down_revision``
lines, so adding a migration needs no other change; ``tests/integration/test_migrations.py``
checks that this reading agrees with Alembic's and that both ways build the same schema.
"""

from __future__ import annotations

import ast
import re
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import Column, Connection, Engine, MetaData, PrimaryKeyConstraint, String, Table
from sqlalchemy import inspect as sa_inspect

from telephonist.storage.schema import metadata

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic's own bookkeeping table, as it creates it (alembic.ddl.impl.version_table_impl).
VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
# Serialises the schema check across processes on PostgreSQL (a server and its workers may
# start together); SQLite's BEGIN IMMEDIATE already does.
_PG_LOCK_KEY = 0x7E1E9409
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "telephonist.storage:migrations")
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision through Alembic. Safe to run on every start."""
    with engine.begin() as conn:
        _lock(conn)
        _alembic_upgrade(conn)


def ensure_schema(engine: Engine) -> None:
    """Bring the schema to the newest revision, skipping Alembic when it has nothing to do."""
    head = script_head()
    with engine.begin() as conn:
        _lock(conn)
        current = current_revision(conn)
        if head is not None and current == head:
            return
        if head is not None and current is None and not sa_inspect(conn).get_table_names():
            metadata.create_all(conn)
            VERSION_TABLE.create(conn)
            conn.execute(VERSION_TABLE.insert().values(version_num=head))
            return
        _alembic_upgrade(conn)


def current_revision(conn: Connection) -> str | None:
    """The revision recorded in the database; None for one that Alembic has never touched."""
    if not sa_inspect(conn).has_table(VERSION_TABLE.name):
        return None
    rows = conn.execute(VERSION_TABLE.select()).scalars().all()
    return rows[0] if len(rows) == 1 else None


def script_head() -> str | None:
    """The newest revision among the migration scripts, read from their assignments; None when
    that reading is not clear-cut (several heads, an unusual script), so Alembic decides."""
    revisions: dict[str, tuple[str, ...]] = {}
    versions = resources.files("telephonist.storage").joinpath("migrations").joinpath("versions")
    for script in versions.iterdir():
        if not script.name.endswith(".py"):
            continue
        found = dict(_ASSIGNMENT.findall(script.read_text("utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions[revision] = (down,) if isinstance(down, str) else tuple(down or ())
    referenced = {parent for parents in revisions.values() for parent in parents}
    heads = [r for r in revisions if r not in referenced]
    return heads[0] if len(heads) == 1 else None


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")


def _alembic_upgrade(conn: Connection) -> None:
    from alembic import command  # about 0.1 s and 10 MB: only when there is work for it

    config = alembic_config()
    config.attributes["connection"] = conn
    command.upgrade(config, "head")
