"""The transfer database, as SQLAlchemy Core tables (the migrations create them)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, Integer, MetaData, String, Table, UniqueConstraint

from services.kernel.db import BigId, UtcDateTime, cursors_table

metadata = MetaData()

transfers = Table(
    "transfers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("request_id", String(100), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("payer_id", String(36), nullable=False),
    Column("payee_id", String(36), nullable=False),
    Column("payee_name", String(50), nullable=False),
    Column("payee_masked_id_number", String(18), nullable=False),
    Column("relation", String(12), nullable=False),
    Column("source", String(10), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    Column("refund_reason", String(20), nullable=True),
    Column("payer_province", String(6), nullable=False),
    Column("payee_province", String(6), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=True),
    Column("refunded_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    # "payer:payee" while the transfer is open, NULL once final: the unique
    # key makes "no second pending transfer to this payee" race-free (R14).
    Column("open_pair", String(80), nullable=True, unique=True),
    UniqueConstraint("payer_id", "request_id", name="uq_transfers_payer_request"),
)
Index("ix_transfers_status_expires_at", transfers.c.status, transfers.c.expires_at)
Index("ix_transfers_payer_created", transfers.c.payer_id, transfers.c.created_at)
Index("ix_transfers_payee_created", transfers.c.payee_id, transfers.c.created_at)
Index("ix_transfers_received_at", transfers.c.received_at)
# The reconciler's walks (R22): open transfers, and those that ended lately, by status.
Index("ix_transfers_status_updated_at", transfers.c.status, transfers.c.updated_at, transfers.c.id)

# Transfers counted per payer and Beijing day: a conditional increment makes
# "fewer than 3 a day" race-free (R14). Refunded ones still count; rejected
# ones are given back.
daily_counts = Table(
    "daily_counts",
    metadata,
    Column("payer_id", String(36), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("count", Integer, nullable=False),
)

# Transactional outbox of lifecycle events (R19). Rows are written with the
# state change; the sequencer numbers them in commit order, and followers
# read by sequence, so nothing is skipped across a reconnect.
transfer_events = Table(
    "transfer_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("sequence", BigInteger, nullable=True, unique=True),
    Column("transfer_id", String(36), nullable=False),
    Column("type", String(10), nullable=False),
    # The transfer's state when the event happened (R19); NULL in events
    # written before migration 0002, which show the transfer as it is now.
    Column("status", String(10), nullable=True),
    Column("refund_reason", String(20), nullable=True),
    Column("payer_province", String(6), nullable=False, index=True),
    Column("payee_province", String(6), nullable=False, index=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    # W3C traceparent of the request or batch that wrote it (tracing on):
    # the trace its publication on NATS joins (migration 0005).
    Column("traceparent", String(55), nullable=True),
)

# What was sent to whom (R19b): one row per event and recipient, written
# once the provider took it (usecases/notifications.py).
notifications = Table(
    "notifications",
    metadata,
    Column("event_sequence", BigInteger, primary_key=True),
    Column("person_id", String(36), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("transfer_id", String(36), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),
    Column("text", String(200), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=False),
    Column("province", String(6), nullable=True),  # the recipient's (migration 0005)
)
Index("ix_notifications_person", notifications.c.person_id, notifications.c.event_sequence)

# Where background readers of other services' feeds have got to.
cursors = cursors_table(metadata)
