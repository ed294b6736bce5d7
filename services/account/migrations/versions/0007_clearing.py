"""Provinces as shards (R24): a hold may name a payee kept in another shard
(its province, and no foreign key to this shard's persons), and the payee's
shard records the transfers it credited from a clearing account.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.kernel.db import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# 0001 left the holds' foreign keys unnamed; SQLite's batch copy names them thus.
_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("holds_payee_id_fkey", "holds", type_="foreignkey")
        op.add_column("holds", sa.Column("payee_province", sa.String(6), nullable=True))
    else:
        with op.batch_alter_table("holds", naming_convention=_NAMES) as batch:
            batch.drop_constraint("fk_holds_payee_id_persons", type_="foreignkey")
            batch.add_column(sa.Column("payee_province", sa.String(6), nullable=True))
    op.create_table(
        "credits",
        sa.Column("transfer_id", sa.String(64), primary_key=True),
        sa.Column("payer_id", sa.String(36), nullable=False),
        sa.Column("payer_province", sa.String(6), nullable=False),
        sa.Column("payee_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_credits_amount_positive"),
    )


def downgrade() -> None:
    op.drop_table("credits")
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("holds", naming_convention=_NAMES) as batch:
        batch.drop_column("payee_province")
        name = "holds_payee_id_fkey" if postgresql else "fk_holds_payee_id_persons"
        batch.create_foreign_key(name, "persons", ["payee_id"], ["id"])
