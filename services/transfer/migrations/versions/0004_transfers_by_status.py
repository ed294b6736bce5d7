"""Transfers listed by status and last change (R22: the reconciler walks
the open transfers, and those that ended lately).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_transfers_status_updated_at", "transfers", ["status", "updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_transfers_status_updated_at", table_name="transfers")
