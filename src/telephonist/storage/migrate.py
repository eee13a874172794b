"""Apply Alembic migrations programmatically: ``telephonist serve`` upgrades on start."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", "telephonist.storage:migrations")
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision. Safe to run on every start."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
