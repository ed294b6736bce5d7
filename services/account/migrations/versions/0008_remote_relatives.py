"""Provinces as shards (R24): a relation may join a person of this shard to
one kept in another shard. Its links name persons that are not rows here
(no foreign keys any more), and the relative kept elsewhere is remembered as
that shard last told of them. A person who moves to a province kept in
another shard leaves a record of the move here. A contribution may be paid
by a relative kept in another shard (no foreign key on its payer).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.kernel.db import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# 0001 left the relations' foreign keys unnamed; SQLite's batch copy names them thus.
_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
_COLUMNS = ("person_id", "relative_id")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in _COLUMNS:
            op.drop_constraint(f"relations_{column}_fkey", "relations", type_="foreignkey")
        op.drop_constraint("contributions_payer_id_fkey", "contributions", type_="foreignkey")
    else:
        with op.batch_alter_table("relations", naming_convention=_NAMES) as batch:
            for column in _COLUMNS:
                batch.drop_constraint(f"fk_relations_{column}_persons", type_="foreignkey")
        with op.batch_alter_table("contributions", naming_convention=_NAMES) as batch:
            batch.drop_constraint("fk_contributions_payer_id_persons", type_="foreignkey")
    op.create_table(
        "remote_persons",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("masked_id_number", sa.String(18), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("insurance_type", sa.String(10), nullable=False),
        sa.Column("insured_region", sa.String(6), nullable=False),
        sa.Column("province", sa.String(6), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "moves",
        sa.Column("person_id", sa.String(36), sa.ForeignKey("persons.id"), primary_key=True),
        sa.Column("from_province", sa.String(6), nullable=False),
        sa.Column("to_region", sa.String(6), nullable=False),
        sa.Column("insurance_type", sa.String(10), nullable=False),
        sa.Column("personal", sa.BigInteger(), nullable=False),
        sa.Column("wallet", sa.BigInteger(), nullable=False),
        sa.Column("wallet_place_of_use", sa.String(6), nullable=True),
        sa.Column("wallet_mobile", sa.String(11), nullable=True),
        sa.Column("wallet_opened_at", UtcDateTime, nullable=True),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("moved_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("moves")
    op.drop_table("remote_persons")
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("contributions", naming_convention=_NAMES) as batch:
        name = "contributions_payer_id_fkey" if postgresql else "fk_contributions_payer_id_persons"
        batch.create_foreign_key(name, "persons", ["payer_id"], ["id"])
    with op.batch_alter_table("relations", naming_convention=_NAMES) as batch:
        for column in _COLUMNS:
            name = f"relations_{column}_fkey" if postgresql else f"fk_relations_{column}_persons"
            batch.create_foreign_key(name, "persons", [column], ["id"])
