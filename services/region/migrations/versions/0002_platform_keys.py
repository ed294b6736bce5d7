"""Provincial platforms, their SM2 public keys and the nonces the gateway
accepted from them (R25).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from services.kernel.db import BigId, UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platforms",
        sa.Column("app_id", sa.String(64), primary_key=True),
        sa.Column("province", sa.String(6), sa.ForeignKey("regions.code"), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "platform_keys",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("app_id", sa.String(64), sa.ForeignKey("platforms.app_id"), nullable=False),
        sa.Column("public_key", sa.String(130), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("revoked_at", UtcDateTime, nullable=True),
        sa.UniqueConstraint("public_key", name="uq_platform_keys_public_key"),
        sa.CheckConstraint("state IN ('active', 'revoked')", name="ck_platform_keys_state"),
    )
    op.create_index("ix_platform_keys_app_created", "platform_keys", ["app_id", "created_at"])
    op.create_table(
        "platform_nonces",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("stamped_at", UtcDateTime, nullable=False),
        sa.Column("claimed_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("app_id", "nonce", name="uq_platform_nonces_app_nonce"),
    )
    op.create_index("ix_platform_nonces_expires_at", "platform_nonces", ["expires_at"])


def downgrade() -> None:
    op.drop_table("platform_nonces")
    op.drop_table("platform_keys")
    op.drop_table("platforms")
