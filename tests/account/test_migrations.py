"""Migration 0002 renames what 0001 stored to the one vocabulary (hold ->
receive | refund), on both backends, and back on downgrade."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from services.kernel.db import sync_url
from services.kernel.migrations import downgrade, upgrade

OLD = [
    ("t1", "held", "hold:t1", "transfer_out"),
    ("t2", "settled", "settled:t2", "transfer_in"),
    ("t3", "released", "released:t3", "transfer_refund"),
]
NEW = [
    ("t1", "pending", "transfer:hold:t1", "transfer_hold"),
    ("t2", "received", "transfer:receive:t2", "transfer_receive"),
    ("t3", "refunded", "transfer:refund:t3", "transfer_refund"),
]


def _rows(engine):
    with engine.connect() as conn:
        query = (
            "SELECT h.transfer_id, h.state, j.idempotency_key, j.kind FROM holds h "
            "JOIN journal_entries j ON j.reference = h.transfer_id ORDER BY h.transfer_id"
        )
        return [tuple(row) for row in conn.execute(text(query))]


def test_0002_renames_hold_states_entries_and_keys(database_url):
    upgrade("account", database_url, "0001")
    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as conn:
            for pid in ("payer", "payee"):
                conn.execute(
                    text(
                        "INSERT INTO persons VALUES (:id, :id, '450102********0001', 'x', 'employee', "
                        "'450102', '450000', 'active', '2026-01-01', '2026-01-01')"
                    ),
                    {"id": pid},
                )
            for transfer_id, state, key, kind in OLD:
                conn.execute(
                    text(
                        "INSERT INTO holds VALUES (:t, 'payer', 'payee', 'personal', 100, :s, '2026-01-01', '2026-01-01')"
                    ),
                    {"t": transfer_id, "s": state},
                )
                conn.execute(
                    text(
                        "INSERT INTO journal_entries (kind, idempotency_key, request_hash, reference, description, "
                        "posted_at) VALUES (:k, :key, 'h', :t, '', '2026-01-01')"
                    ),
                    {"k": kind, "key": key, "t": transfer_id},
                )
        upgrade("account", database_url)
        assert _rows(engine) == NEW
        downgrade("account", database_url, "0001")
        assert _rows(engine) == OLD
    finally:
        engine.dispose()


def test_0005_indexes_holds_by_state_and_last_change(database_url):
    """R22: the reconciler's walks of the holds have their index; downgrade drops it."""
    from sqlalchemy import inspect

    def indexes() -> set[str]:
        engine = create_engine(sync_url(database_url))
        try:
            return {i["name"] for i in inspect(engine).get_indexes("holds")}
        finally:
            engine.dispose()

    upgrade("account", database_url)
    assert "ix_holds_state_updated_at" in indexes()
    downgrade("account", database_url, "0004")
    assert "ix_holds_state_updated_at" not in indexes()


def test_0006_adds_the_cursors_of_the_feed_publisher(database_url):
    """The publisher of the bill events and lapses to NATS keeps its cursors here; downgrade drops them."""
    from sqlalchemy import inspect

    def tables() -> set[str]:
        engine = create_engine(sync_url(database_url))
        try:
            return set(inspect(engine).get_table_names())
        finally:
            engine.dispose()

    upgrade("account", database_url)
    assert "cursors" in tables()
    downgrade("account", database_url, "0005")
    assert "cursors" not in tables()
    upgrade("account", database_url)
    assert "cursors" in tables()


def test_0007_lets_a_hold_name_a_payee_of_another_shard_and_adds_the_credits(database_url):
    """R24: the holds' payee is no longer a foreign key (a payee kept in
    another shard), with the payee's province beside it; downgrade restores both."""
    from sqlalchemy import inspect

    def shape() -> tuple[bool, bool, bool]:
        engine = create_engine(sync_url(database_url))
        try:
            found = inspect(engine)
            payee_fk = any(
                fk["constrained_columns"] == ["payee_id"] for fk in found.get_foreign_keys("holds")
            )
            province = "payee_province" in {c["name"] for c in found.get_columns("holds")}
            return payee_fk, province, "credits" in found.get_table_names()
        finally:
            engine.dispose()

    upgrade("account", database_url)
    assert shape() == (False, True, True)
    downgrade("account", database_url, "0006")
    assert shape() == (True, False, False)
    upgrade("account", database_url)
    assert shape() == (False, True, True)
