"""Holds listed by status and last change (R22: the transfer service's
reconciler walks the pending holds, and those that changed lately).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_holds_state_updated_at", "holds", ["state", "updated_at", "transfer_id"])


def downgrade() -> None:
    op.drop_index("ix_holds_state_updated_at", table_name="holds")
