"""The region database, as SQLAlchemy Core tables (the migrations create them)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    MetaData,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

from services.kernel.db import BigId, UtcDateTime

metadata = MetaData()

regions = Table(
    "regions",
    metadata,
    Column("code", String(6), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("level", SmallInteger, nullable=False),
    Column("parent_code", String(6), ForeignKey("regions.code"), nullable=True, index=True),
)

enablement_changes = Table(
    "enablement_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("region_code", String(6), ForeignKey("regions.code"), nullable=False, index=True),
    Column("action", String(10), nullable=False),
    Column("effective_from", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("cancelled_at", UtcDateTime, nullable=True),
    Column("cancelled_by", String(200), nullable=False, server_default=""),
    Column("cancel_reason", String(500), nullable=False, server_default=""),
    # AIP-155: the caller's request id and a hash of what it asked.
    Column("request_id", String(100), nullable=True, unique=True),
    Column("request_hash", String(64), nullable=True),
)

institutions = Table(
    "institutions",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("region_code", String(6), ForeignKey("regions.code"), nullable=False, index=True),
    # Denormalised path, so a city or province lists everything below it.
    Column("prefecture_code", String(6), nullable=True, index=True),
    Column("province_code", String(6), nullable=False, index=True),
    Column("accepts_wallet", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
Index("ix_institutions_province_kind", institutions.c.province_code, institutions.c.kind)

# R25: provincial platforms, their SM2 keys and the nonces the gateway accepted.
platforms = Table(
    "platforms",
    metadata,
    Column("app_id", String(64), primary_key=True),
    # Bound by the first key, for good.
    Column("province", String(6), ForeignKey("regions.code"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

platform_keys = Table(
    "platform_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),  # fingerprint: SM3 of the point, 16 hex
    Column("app_id", String(64), ForeignKey("platforms.app_id"), nullable=False),
    Column("public_key", String(130), nullable=False, unique=True),
    Column("state", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)
Index("ix_platform_keys_app_created", platform_keys.c.app_id, platform_keys.c.created_at)

platform_nonces = Table(
    "platform_nonces",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("app_id", String(64), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("stamped_at", UtcDateTime, nullable=False),
    Column("claimed_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
    UniqueConstraint("app_id", "nonce", name="uq_platform_nonces_app_nonce"),
)

# R24: the account shards and the provinces each owns (for good: a province
# is the primary key of its binding).
account_shards = Table(
    "account_shards",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("target", String(255), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

shard_provinces = Table(
    "shard_provinces",
    metadata,
    Column("province", String(6), ForeignKey("regions.code"), primary_key=True),
    Column("shard", String(32), ForeignKey("account_shards.name"), nullable=False),
    Column("bound_at", UtcDateTime, nullable=False),
)
