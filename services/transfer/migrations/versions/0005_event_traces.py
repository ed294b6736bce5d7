"""The trace of the change that wrote each event (its publication on NATS
joins it), and the province of each notification's recipient (the NATS
notification provider's subject).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("transfer_events", sa.Column("traceparent", sa.String(55), nullable=True))
    op.add_column("notifications", sa.Column("province", sa.String(6), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("province")
    with op.batch_alter_table("transfer_events") as batch:
        batch.drop_column("traceparent")
