"""Regions, enablement history and designated institutions.

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
        "regions",
        sa.Column("code", sa.String(6), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("parent_code", sa.String(6), sa.ForeignKey("regions.code"), nullable=True),
        sa.CheckConstraint("level BETWEEN 1 AND 3", name="ck_regions_level"),
    )
    op.create_index("ix_regions_parent_code", "regions", ["parent_code"])
    op.create_table(
        "enablement_changes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("region_code", sa.String(6), sa.ForeignKey("regions.code"), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("effective_from", UtcDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.Column("cancelled_at", UtcDateTime, nullable=True),
        sa.Column("cancelled_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("cancel_reason", sa.String(500), nullable=False, server_default=""),
        sa.Column("request_id", sa.String(100), nullable=True, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
        sa.CheckConstraint("action IN ('enable', 'disable', 'inherit')", name="ck_enablement_action"),
    )
    op.create_index("ix_enablement_changes_region_code", "enablement_changes", ["region_code"])
    op.create_table(
        "institutions",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("region_code", sa.String(6), sa.ForeignKey("regions.code"), nullable=False),
        sa.Column("prefecture_code", sa.String(6), nullable=True),
        sa.Column("province_code", sa.String(6), nullable=False),
        sa.Column("accepts_wallet", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.CheckConstraint("kind IN ('hospital', 'retail_pharmacy')", name="ck_institutions_kind"),
    )
    op.create_index("ix_institutions_region_code", "institutions", ["region_code"])
    op.create_index("ix_institutions_prefecture_code", "institutions", ["prefecture_code"])
    op.create_index("ix_institutions_province_code", "institutions", ["province_code"])
    op.create_index("ix_institutions_province_kind", "institutions", ["province_code", "kind"])


def downgrade() -> None:
    op.drop_table("institutions")
    op.drop_table("enablement_changes")
    op.drop_table("regions")
