"""The account database, as SQLAlchemy Core tables (the migrations create them)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from services.kernel.db import BigId, UtcDateTime, cursors_table

metadata = MetaData()


def _person_columns(*, hashed: bool) -> list[Column]:
    """A person's columns: of this shard's persons (``hashed``: with the ID
    number's hash, and the province indexed), or of relatives kept elsewhere."""
    return [
        Column("id", String(36), primary_key=True),
        *(
            [Column("id_hash", String(64), nullable=False, unique=True)] if hashed else []
        ),  # HMAC of the ID number
        Column("masked_id_number", String(18), nullable=False),
        Column("name", String(50), nullable=False),
        Column("insurance_type", String(10), nullable=False),
        Column("insured_region", String(6), nullable=False),
        Column("province", String(6), nullable=False, index=hashed),
        Column("status", String(10), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    ]


persons = Table("persons", metadata, *_person_columns(hashed=True))

accounts = Table(
    "accounts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("person_id", String(36), ForeignKey("persons.id"), nullable=True),
    Column("system_key", String(40), nullable=True, unique=True),  # e.g. fund:450000
    Column("balance", BigInteger, nullable=False, server_default="0"),
    Column("may_go_negative", Boolean, nullable=False, server_default="0"),
    UniqueConstraint("person_id", "kind", name="uq_accounts_person_kind"),
    CheckConstraint("may_go_negative OR balance >= 0", name="ck_accounts_balance_not_negative"),
)

wallets = Table(
    "wallets",
    metadata,
    Column("person_id", String(36), ForeignKey("persons.id"), primary_key=True),
    Column("account_id", BigId, ForeignKey("accounts.id"), nullable=False),
    Column("place_of_use", String(6), nullable=False),
    Column("mobile", String(11), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Each link is stored both ways. No foreign keys: either side may be a person
# kept in another shard (R24), then known here as a remote person.
relations = Table(
    "relations",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("relative_id", String(36), primary_key=True),
    Column("kind", String(12), nullable=False),
    Column("attested_at", UtcDateTime, nullable=False),
    Column("lapsed_at", UtcDateTime, nullable=True),
)

# Relatives kept in another shard (R24), as their shard last told of them.
remote_persons = Table("remote_persons", metadata, *_person_columns(hashed=False))

# Persons who moved to a province kept in another shard (R24, domain/moves.py).
moves = Table(
    "moves",
    metadata,
    Column("person_id", String(36), ForeignKey("persons.id"), primary_key=True),
    Column("from_province", String(6), nullable=False),
    Column("to_region", String(6), nullable=False),
    Column("insurance_type", String(10), nullable=False),
    Column("personal", BigInteger, nullable=False),
    Column("wallet", BigInteger, nullable=False),
    Column("wallet_place_of_use", String(6), nullable=True),
    Column("wallet_mobile", String(11), nullable=True),
    Column("wallet_opened_at", UtcDateTime, nullable=True),
    Column("password_hash", String(200), nullable=True),
    Column("state", String(8), nullable=False),
    Column("moved_at", UtcDateTime, nullable=False),
)

relation_lapses = Table(
    "relation_lapses",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("person_id", String(36), ForeignKey("persons.id"), nullable=False),
    Column("cause", String(10), nullable=False),  # ended / moved
    Column("lapsed_at", UtcDateTime, nullable=False),
)

passwords = Table(
    "passwords",
    metadata,
    Column("person_id", String(36), ForeignKey("persons.id"), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Payees that did not match (R14), per payer and Beijing day.
payee_misses = Table(
    "payee_misses",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("count", Integer, nullable=False),
)

used_face_tickets = Table(
    "used_face_tickets",
    metadata,
    Column("ticket_id", String(100), primary_key=True),
    Column("person_id", String(36), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    # Idempotency: one entry per key (e.g. "transfer:hold:<id>"), with a
    # hash of what was asked, to tell a replay from a conflicting reuse.
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("request_hash", String(64), nullable=False),
    Column("reference", String(100), nullable=False),
    Column("description", String(200), nullable=False, server_default=""),
    Column("posted_at", UtcDateTime, nullable=False),
)

postings = Table(
    "postings",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("entry_id", BigId, ForeignKey("journal_entries.id"), nullable=False, index=True),
    Column("account_id", BigId, ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),  # + credit, - debit
    Column("balance_after", BigInteger, nullable=False),
)
Index("ix_postings_account_id_id", postings.c.account_id, postings.c.id)

holds = Table(
    "holds",
    metadata,
    Column("transfer_id", String(64), primary_key=True),
    Column("payer_id", String(36), nullable=False),  # maybe kept in another shard (R24)
    # No foreign key: a payee kept in another shard is not a person here (R24).
    Column("payee_id", String(36), nullable=False),
    Column("source", String(10), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("state", String(10), nullable=False),  # pending / received / refunded (domain/holds.py)
    Column("payee_province", String(6), nullable=True),  # set: the payee is in another shard
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("amount > 0", name="ck_holds_amount_positive"),
)
# The reconciler's walks (R22): pending holds, and holds changed lately, by status.
Index("ix_holds_state_updated_at", holds.c.state, holds.c.updated_at, holds.c.transfer_id)

# The payee's shard's side of a transfer received across shards (R24): the
# money came from clearing-from:<payee's province>:<payer_province> into the
# payee's wallet.
credits = Table(
    "credits",
    metadata,
    Column("transfer_id", String(64), primary_key=True),
    Column("payer_id", String(36), nullable=False),  # kept in the payer's shard
    Column("payer_province", String(6), nullable=False),
    Column("payee_id", String(36), ForeignKey("persons.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("amount > 0", name="ck_credits_amount_positive"),
)

payments = Table(
    "payments",
    metadata,
    Column("institution_code", String(12), primary_key=True),
    Column("order_number", String(64), primary_key=True),
    Column("person_id", String(36), ForeignKey("persons.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("refunded", BigInteger, nullable=False, server_default="0"),
    Column("paid_at", UtcDateTime, nullable=False),
    CheckConstraint("refunded >= 0 AND refunded <= amount", name="ck_payments_refund_within_amount"),
)

# Contribution bills (R12a), issued by the beneficiary's platform, one per
# person, kind and year; paid once, from a wallet.
contribution_bills = Table(
    "contribution_bills",
    metadata,
    Column("person_id", String(36), ForeignKey("persons.id"), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("amount", BigInteger, nullable=False),
    Column("province", String(6), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("paid_by", String(36), nullable=True),
    Column("paid_at", UtcDateTime, nullable=True),
)

# What happened to bills, for their platform to follow (resumable by id).
bill_events = Table(
    "bill_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("type", String(10), nullable=False),
    Column("person_id", String(36), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("year", Integer, nullable=False),
    Column("province", String(6), nullable=False, index=True),
    Column("occurred_at", UtcDateTime, nullable=False),
)

contributions = Table(
    "contributions",
    metadata,
    Column("beneficiary_id", String(36), ForeignKey("persons.id"), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("payer_id", String(36), ForeignKey("persons.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("entry_id", BigId, ForeignKey("journal_entries.id"), nullable=False),
)

# Where a follower of the account's own feeds got to (the publisher of the
# bill events and relation lapses to NATS JetStream: usecases/publishing.py).
cursors = cursors_table(metadata)
