"""Persons, accounts and the ledger, wallets, relations, credentials, holds, payments.

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
        "journal_entries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=200), server_default="", nullable=False),
        sa.Column("posted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("masked_id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("insurance_type", sa.String(length=10), nullable=False),
        sa.Column("insured_region", sa.String(length=6), nullable=False),
        sa.Column("province", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_hash"),
    )
    op.create_index(op.f("ix_persons_province"), "persons", ["province"], unique=False)
    op.create_table(
        "used_face_tickets",
        sa.Column("ticket_id", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    op.create_index(
        op.f("ix_used_face_tickets_expires_at"), "used_face_tickets", ["expires_at"], unique=False
    )
    op.create_table(
        "accounts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=True),
        sa.Column("system_key", sa.String(length=40), nullable=True),
        sa.Column("balance", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("may_go_negative", sa.Boolean(), server_default="0", nullable=False),
        sa.CheckConstraint("may_go_negative OR balance >= 0", name="ck_accounts_balance_not_negative"),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "kind", name="uq_accounts_person_kind"),
        sa.UniqueConstraint("system_key"),
    )
    op.create_table(
        "contributions",
        sa.Column("beneficiary_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.String(length=36), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["persons.id"],
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"],
            ["persons.id"],
        ),
        sa.PrimaryKeyConstraint("beneficiary_id", "kind", "year"),
    )
    op.create_table(
        "holds",
        sa.Column("transfer_id", sa.String(length=64), nullable=False),
        sa.Column("payer_id", sa.String(length=36), nullable=False),
        sa.Column("payee_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_holds_amount_positive"),
        sa.ForeignKeyConstraint(
            ["payee_id"],
            ["persons.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"],
            ["persons.id"],
        ),
        sa.PrimaryKeyConstraint("transfer_id"),
    )
    op.create_table(
        "passwords",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
        ),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "payments",
        sa.Column("institution_code", sa.String(length=12), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("paid_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("refunded >= 0 AND refunded <= amount", name="ck_payments_refund_within_amount"),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
        ),
        sa.PrimaryKeyConstraint("institution_code", "order_number"),
    )
    op.create_index(op.f("ix_payments_person_id"), "payments", ["person_id"], unique=False)
    op.create_table(
        "relation_lapses",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("cause", sa.String(length=10), nullable=False),
        sa.Column("lapsed_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "relations",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("relative_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("attested_at", UtcDateTime(), nullable=False),
        sa.Column("lapsed_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
        ),
        sa.ForeignKeyConstraint(
            ["relative_id"],
            ["persons.id"],
        ),
        sa.PrimaryKeyConstraint("person_id", "relative_id"),
    )
    op.create_table(
        "postings",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("entry_id", BigId, nullable=False),
        sa.Column("account_id", BigId, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_postings_account_id_id", "postings", ["account_id", "id"], unique=False)
    op.create_index(op.f("ix_postings_entry_id"), "postings", ["entry_id"], unique=False)
    op.create_table(
        "wallets",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", BigId, nullable=False),
        sa.Column("place_of_use", sa.String(length=6), nullable=False),
        sa.Column("mobile", sa.String(length=11), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
        ),
        sa.PrimaryKeyConstraint("person_id"),
    )


def downgrade() -> None:
    op.drop_table("wallets")
    op.drop_index(op.f("ix_postings_entry_id"), table_name="postings")
    op.drop_index("ix_postings_account_id_id", table_name="postings")
    op.drop_table("postings")
    op.drop_table("relations")
    op.drop_table("relation_lapses")
    op.drop_index(op.f("ix_payments_person_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_table("passwords")
    op.drop_table("holds")
    op.drop_table("contributions")
    op.drop_table("accounts")
    op.drop_index(op.f("ix_used_face_tickets_expires_at"), table_name="used_face_tickets")
    op.drop_table("used_face_tickets")
    op.drop_index(op.f("ix_persons_province"), table_name="persons")
    op.drop_table("persons")
    op.drop_table("journal_entries")
