"""Transfers, daily counts, the event outbox and feed cursors.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from services.kernel.db import BigId, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cursors",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "daily_counts",
        sa.Column("payer_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("payer_id", "day"),
    )
    op.create_table(
        "transfer_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=True),
        sa.Column("transfer_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("payer_province", sa.String(length=6), nullable=False),
        sa.Column("payee_province", sa.String(length=6), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sequence"),
    )
    op.create_index(
        op.f("ix_transfer_events_payee_province"), "transfer_events", ["payee_province"], unique=False
    )
    op.create_index(
        op.f("ix_transfer_events_payer_province"), "transfer_events", ["payer_province"], unique=False
    )
    op.create_table(
        "transfers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("payer_id", sa.String(length=36), nullable=False),
        sa.Column("payee_id", sa.String(length=36), nullable=False),
        sa.Column("payee_name", sa.String(length=50), nullable=False),
        sa.Column("payee_masked_id_number", sa.String(length=18), nullable=False),
        sa.Column("relation", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("refund_reason", sa.String(length=20), nullable=True),
        sa.Column("payer_province", sa.String(length=6), nullable=False),
        sa.Column("payee_province", sa.String(length=6), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=True),
        sa.Column("refunded_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("open_pair", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_pair"),
        sa.UniqueConstraint("payer_id", "request_id", name="uq_transfers_payer_request"),
    )
    op.create_index("ix_transfers_payee_created", "transfers", ["payee_id", "created_at"], unique=False)
    op.create_index("ix_transfers_payer_created", "transfers", ["payer_id", "created_at"], unique=False)
    op.create_index("ix_transfers_received_at", "transfers", ["received_at"], unique=False)
    op.create_index("ix_transfers_status_expires_at", "transfers", ["status", "expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_transfers_status_expires_at", table_name="transfers")
    op.drop_index("ix_transfers_received_at", table_name="transfers")
    op.drop_index("ix_transfers_payer_created", table_name="transfers")
    op.drop_index("ix_transfers_payee_created", table_name="transfers")
    op.drop_table("transfers")
    op.drop_index(op.f("ix_transfer_events_payer_province"), table_name="transfer_events")
    op.drop_index(op.f("ix_transfer_events_payee_province"), table_name="transfer_events")
    op.drop_table("transfer_events")
    op.drop_table("daily_counts")
    op.drop_table("cursors")
