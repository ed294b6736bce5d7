"""Each event keeps the transfer's state when it happened (R19).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transfer_events") as table:
        table.add_column(sa.Column("status", sa.String(length=10), nullable=True))
        table.add_column(sa.Column("refund_reason", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transfer_events") as table:
        table.drop_column("refund_reason")
        table.drop_column("status")
