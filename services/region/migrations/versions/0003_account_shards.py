"""The account shards and the provinces each owns (R24).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from services.kernel.db import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_shards",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "shard_provinces",
        sa.Column("province", sa.String(6), sa.ForeignKey("regions.code"), primary_key=True),
        sa.Column("shard", sa.String(32), sa.ForeignKey("account_shards.name"), nullable=False),
        sa.Column("bound_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("shard_provinces")
    op.drop_table("account_shards")
