"""Contribution bills issued by provincial platforms, and their events (R12a).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.kernel.db import BigId, UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contribution_bills",
        sa.Column("person_id", sa.String(length=36), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("province", sa.String(length=6), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("paid_by", sa.String(length=36), nullable=True),
        sa.Column("paid_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("person_id", "kind", "year"),
    )
    op.create_table(
        "bill_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("province", sa.String(length=6), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_bill_events_province", "bill_events", ["province"])


def downgrade() -> None:
    op.drop_index("ix_bill_events_province", table_name="bill_events")
    op.drop_table("bill_events")
    op.drop_table("contribution_bills")
