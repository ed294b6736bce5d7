"""The index database, as SQLAlchemy Core tables (the migrations create them).

No column holds an ID number or anything that names a person: every text
column has a fixed length (CHECK in migration 0001) and a form the service
validates: a 64-hex hash, a 36-character UUID, a 6-digit province code."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, MetaData, String, Table

from services.kernel.db import BigId, UtcDateTime

metadata = MetaData()

identities = Table(
    "identities",
    metadata,
    # The account service's HMAC-SHA256 of the ID number (hex); never the number.
    Column("id_hash", String(64), primary_key=True),
    Column("person_id", String(36), nullable=False, unique=True),
    Column("province", String(6), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Every move of a person's insurance to a province (医保关系转移接续), with
# the caller's request id (AIP-155) and a hash of what it asked.
identity_moves = Table(
    "identity_moves",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("person_id", String(36), ForeignKey("identities.person_id"), nullable=False, index=True),
    Column("from_province", String(6), nullable=False),
    Column("to_province", String(6), nullable=False),
    Column("moved_at", UtcDateTime, nullable=False),
    Column("request_id", String(36), nullable=False, unique=True),
    Column("request_hash", String(64), nullable=False),
)
