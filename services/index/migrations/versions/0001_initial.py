"""The national person index: identities and their moves (R24, R5).

Every text column has a fixed length and alphabet, checked by the database
too: a 64-hex hash, a 36-character UUID, a 6-digit province code. None can
hold an ID number (18 characters) or a name.

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

HEX, UUID, DIGITS = "0-9a-f", "0-9a-f-", "0-9"


def _form(column: str, length: int, alphabet: str) -> str:
    """SQL that holds when ``column`` has ``length`` characters, all of ``alphabet``."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    only = f"{column} NOT GLOB '*[^{alphabet}]*'" if sqlite else f"{column} !~ '[^{alphabet}]'"
    return f"length({column}) = {length} AND {only}"


def upgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("person_id", sa.String(36), nullable=False, unique=True),
        sa.Column("province", sa.String(6), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.CheckConstraint(_form("id_hash", 64, HEX), name="ck_identities_id_hash"),
        sa.CheckConstraint(_form("person_id", 36, UUID), name="ck_identities_person_id"),
        sa.CheckConstraint(_form("province", 6, DIGITS), name="ck_identities_province"),
    )
    op.create_table(
        "identity_moves",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("identities.person_id"), nullable=False),
        sa.Column("from_province", sa.String(6), nullable=False),
        sa.Column("to_province", sa.String(6), nullable=False),
        sa.Column("moved_at", UtcDateTime, nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.CheckConstraint(_form("person_id", 36, UUID), name="ck_identity_moves_person_id"),
        sa.CheckConstraint(_form("from_province", 6, DIGITS), name="ck_identity_moves_from"),
        sa.CheckConstraint(_form("to_province", 6, DIGITS), name="ck_identity_moves_to"),
        sa.CheckConstraint(_form("request_id", 36, UUID), name="ck_identity_moves_request_id"),
        sa.CheckConstraint(_form("request_hash", 64, HEX), name="ck_identity_moves_request_hash"),
    )
    op.create_index("ix_identity_moves_person_id", "identity_moves", ["person_id"])


def downgrade() -> None:
    op.drop_table("identity_moves")
    op.drop_table("identities")
