"""Transfer migration 0004 (R22): the reconciler's walk of the transfers by
status and last change has its index, on both backends; downgrade drops it."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from services.kernel.db import sync_url
from services.kernel.migrations import downgrade, upgrade


def _indexes(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return {i["name"] for i in inspect(engine).get_indexes("transfers")}
    finally:
        engine.dispose()


def test_0004_indexes_transfers_by_status_and_last_change(database_url):
    upgrade("transfer", database_url)
    assert "ix_transfers_status_updated_at" in _indexes(database_url)
    downgrade("transfer", database_url, "0003")
    assert "ix_transfers_status_updated_at" not in _indexes(database_url)
    upgrade("transfer", database_url)
    assert "ix_transfers_status_updated_at" in _indexes(database_url)
