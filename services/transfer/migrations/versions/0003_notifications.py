"""What was sent to whom about their transfers (R19b).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.kernel.db import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("event_sequence", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("transfer_id", sa.String(length=36), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_sequence", "person_id"),
    )
    op.create_index("ix_notifications_person", "notifications", ["person_id", "event_sequence"])


def downgrade() -> None:
    op.drop_index("ix_notifications_person", table_name="notifications")
    op.drop_table("notifications")
