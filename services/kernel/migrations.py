"""Alembic, driven programmatically: one migration tree per service, applied
by an explicit command (``yibao migrate``), never implicitly on start."""

from __future__ import annotations

from alembic import command, context
from alembic.config import Config
from sqlalchemy import create_engine

from services.kernel.db import ensure_sqlite_dir, sync_url


def alembic_config(service: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"services.{service}:migrations")
    config.attributes["database_url"] = database_url
    return config


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    ensure_sqlite_dir(database_url)
    command.upgrade(alembic_config(service, database_url), revision)


def downgrade(service: str, database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(service, database_url), revision)


def run_env() -> None:
    """The body of every service's migrations/env.py (online mode only)."""
    url = context.config.attributes["database_url"]
    engine = create_engine(sync_url(url))
    with engine.connect() as connection:
        context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
