"""Settings from YIBAO_* environment variables (pydantic-settings).

Nothing reads them at import time: entrypoints call ``load_settings()`` and
pass the result down, so tests build their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_KEY = "yibao-dev-only-insecure-key-change-me!!"
DEV_ID_HASH_KEY = "yibao-dev-only-id-hash-key-change-me!!"
DEV_FACE_TICKET_KEY = "yibao-dev-only-face-ticket-key-change-me"
DEV_PAGE_TOKEN_KEY = "yibao-dev-only-page-token-key-change-me!"
SERVICES = ("region", "account", "transfer")  # what `yibao run` starts together
# Every service with a database, settings and a server of its own: the three,
# and the national person index (R24), which is migrated and served on its
# own (`yibao migrate index`, `yibao serve index`).
ALL_SERVICES = (*SERVICES, "index")
# What `yibao serve` and `yibao health` name besides the gateway: those, and
# the account router (R24, services/router/), which has no database.
SERVED = (*ALL_SERVICES, "router")


@dataclass(frozen=True)
class ServiceSettings:
    name: str
    database_url: str
    listen: str
    metrics_port: int


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIBAO_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"
    log_json: bool = True

    # Bearer tokens (R20). HS256 with a shared key by default; with RS256 or
    # ES256 the verify key is the PEM public key and the signing key is only
    # needed where tokens are minted.
    jwt_algorithm: Literal["HS256", "RS256", "ES256"] = "HS256"
    jwt_signing_key: SecretStr = SecretStr(DEV_JWT_KEY)
    jwt_verify_key: SecretStr | None = None
    jwt_issuer: str = "yibao"
    jwt_audience: str = "yibao-wallet"
    # Asymmetric keys (services/kernel/token_keys.py): the published keys of
    # every issuer, with the roles each may sign for (a JWKS file, re-read
    # when it changes); the private key this process signs with (a service:
    # its own; the kid is the file name without .pem); a directory of private
    # keys (development: the CLI and yibao run stand in for every issuer).
    # With a JWKS the keys above are not used.
    jwt_jwks_file: str = ""
    jwt_signing_key_file: str = ""
    jwt_keys_dir: str = ""
    # Longest lifetime (exp - iat) a bearer token may have; iat and exp are required.
    jwt_max_lifetime_seconds: int = 86_400

    # Account service secrets: the key of the ID-number hash (R5) and the key
    # the face-verification provider signs tickets with (R9).
    account_id_hash_key: SecretStr = SecretStr(DEV_ID_HASH_KEY)
    face_ticket_key: SecretStr = SecretStr(DEV_FACE_TICKET_KEY)
    # The key page tokens are signed with: the same on every replica.
    page_token_key: SecretStr = SecretStr(DEV_PAGE_TOKEN_KEY)

    # argon2id cost of the 6-digit password hash (OWASP minimum: t=2, m=19 MiB).
    password_hash_time_cost: int = 2
    password_hash_memory_kib: int = 19456

    # Transfer policy (R14, R15): defaults of the national rules.
    transfer_min_amount_fen: int = 1
    transfer_max_amount_fen: int = 200_000
    transfer_per_day: int = 3
    transfer_window_opens: time = time(6, 0)
    transfer_window_closes: time = time(22, 0)
    transfer_refund_at: time = time(6, 0)
    transfer_worker_interval_seconds: float = 1.0
    transfer_region_cache_seconds: float = 1.0
    transfer_reconcile_seconds: float = 60.0  # R22: between reconciliation passes
    transfer_batch_window_seconds: float = 0.002  # how long a submission waits for others (group commit)

    # TLS on every gRPC port, mutual (services/kernel/tls.py): the CA every
    # party's certificate chains to, and this process's certificate and key.
    # Unset, the development set `yibao run` writes under .run/tls.
    # Plaintext only when asked for, and never in production.
    tls_ca_file: str = ""
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_plaintext: bool = False

    # Test hooks, refused in production: a file holding the current time
    # (ISO 8601) for services run as separate processes, and a crash point.
    clock_file: str = ""
    crash_after: str = ""

    region_database_url: str = "sqlite:///.run/region.db"
    region_listen: str = "127.0.0.1:50051"
    region_metrics_port: int = 9101
    # A standby for the reads that may lag (statements, events, settlement); unset: the primary.
    account_read_database_url: str = ""
    transfer_read_database_url: str = ""
    account_database_url: str = "sqlite:///.run/account.db"
    account_listen: str = "127.0.0.1:50052"
    account_metrics_port: int = 9102
    transfer_database_url: str = "sqlite:///.run/transfer.db"
    transfer_listen: str = "127.0.0.1:50053"
    transfer_metrics_port: int = 9103
    # The national person index (services/index/, R24): ID-number hash ->
    # person and province, across the account shards.
    index_database_url: str = "sqlite:///.run/index.db"
    index_listen: str = "127.0.0.1:50054"
    index_metrics_port: int = 9104
    # The account router (services/router/, R24): the account service's API in
    # front of the account shards, each call passed to the shard that keeps
    # it (the map from YIBAO_REGION_TARGET, persons from YIBAO_INDEX_TARGET);
    # with an empty map, to YIBAO_ACCOUNT_TARGET. No database.
    router_listen: str = "127.0.0.1:50055"
    router_metrics_port: int = 9105

    # Where clients (the CLI, other services) find each service.
    region_target: str = "127.0.0.1:50051"
    account_target: str = "127.0.0.1:50052"
    transfer_target: str = "127.0.0.1:50053"
    index_target: str = "127.0.0.1:50054"
    # The account shard this account service is (R24, docs/sharding.md), e.g.
    # "gx": set, it is one shard of a federated deployment and claims each new
    # person's identity in the national index (YIBAO_INDEX_TARGET) first.
    account_shard: str = ""
    # The account service runs as shards (R24): the transfer service routes
    # each account call by the region service's shard map, and finds persons'
    # provinces in the national index (YIBAO_INDEX_TARGET).
    account_sharded: bool = False

    # The HTTPS gateway for provincial platforms (services/gateway/, R25):
    # where it listens, its SM2 private key (a file of 64 hex digits; unset in
    # development: one is made under .run/gateway), the largest body it reads,
    # how far a request's timestamp may stray from its clock, and how long it
    # keeps a platform's keys before asking the region service again.
    gateway_listen: str = "127.0.0.1:8443"
    gateway_sm2_key_file: str = ""
    gateway_max_body_bytes: int = 65_536
    gateway_timestamp_window_seconds: int = 300
    gateway_platform_cache_seconds: float = 5.0

    grace_seconds: float = 10.0

    # Transfer events on NATS JetStream (docs/operations.md, *Events on NATS
    # JetStream*): the server (nats://host:4222); unset, nothing is published
    # (the account service's bill events and lapses neither: it takes the URL
    # and the limits below, with its own stream YIBAO_ACCOUNT, yibao.account.>).
    # The stream the transfer service creates or updates at start, its
    # subjects (<prefix>.<province>.<kind>), how long it keeps a message
    # (max age; max bytes -1: no limit) and its duplicate window (a
    # re-publish within it, by Nats-Msg-Id, is dropped); events per round.
    nats_url: str = ""
    nats_stream: str = "YIBAO_TRANSFER"
    nats_subject_prefix: str = "yibao.transfer"
    nats_max_age_seconds: float = 7 * 86_400.0
    nats_max_bytes: int = -1
    nats_duplicate_window_seconds: float = 120.0
    nats_publish_batch: int = 500
    # Notifications (R19b) handed to JetStream too, for a province's SMS
    # gateway or the app's push to consume: stream YIBAO_NOTIFY, subjects
    # yibao.notify.<recipient's province>.<kind>, Nats-Msg-Id
    # notify-<event sequence>-<person id>; needs YIBAO_NATS_URL.
    notifications_via_nats: bool = False

    @model_validator(mode="after")
    def _notifications_need_nats(self) -> Settings:
        if self.notifications_via_nats and not self.nats_url:
            raise ValueError("YIBAO_NOTIFICATIONS_VIA_NATS needs YIBAO_NATS_URL (the NATS server)")
        return self

    @model_validator(mode="after")
    def _no_dev_key_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        if self.clock_file or self.crash_after:
            raise ValueError("YIBAO_CLOCK_FILE and YIBAO_CRASH_AFTER are test hooks: not in production")
        if self.tls_plaintext or not (self.tls_ca_file and self.tls_cert_file and self.tls_key_file):
            raise ValueError("production needs YIBAO_TLS_CA_FILE, YIBAO_TLS_CERT_FILE and YIBAO_TLS_KEY_FILE")
        if self.jwt_jwks_file and self.jwt_keys_dir:
            raise ValueError("YIBAO_JWT_KEYS_DIR holds every issuer's key: development only")
        if (
            self.jwt_signing_key.get_secret_value() == DEV_JWT_KEY
            and self.jwt_verify_key is None
            and not self.jwt_jwks_file
        ):
            raise ValueError(
                "YIBAO_JWT_JWKS_FILE (or YIBAO_JWT_SIGNING_KEY / _VERIFY_KEY) must be set in production"
            )
        for name, dev in (
            ("account_id_hash_key", DEV_ID_HASH_KEY),
            ("face_ticket_key", DEV_FACE_TICKET_KEY),
            ("page_token_key", DEV_PAGE_TOKEN_KEY),
        ):
            if getattr(self, name).get_secret_value() == dev:
                raise ValueError(f"YIBAO_{name.upper()} must be set in production")
        return self

    def service(self, name: str) -> ServiceSettings:
        if name not in SERVED:
            raise ValueError(f"unknown service {name!r}")
        return ServiceSettings(
            name=name,
            database_url=getattr(self, f"{name}_database_url", ""),  # "": none (the router)
            listen=getattr(self, f"{name}_listen"),
            metrics_port=getattr(self, f"{name}_metrics_port"),
        )


def tls_from(settings: Settings):
    """The TLS files of this process, or None for plaintext (YIBAO_TLS_PLAINTEXT)."""
    from services.kernel.tls import DEV_DIR, TlsFiles

    if settings.tls_plaintext:
        return None
    return TlsFiles(
        settings.tls_ca_file or f"{DEV_DIR}/ca.pem",
        settings.tls_cert_file or f"{DEV_DIR}/service.pem",
        settings.tls_key_file or f"{DEV_DIR}/service-key.pem",
    )


def clock_from(settings: Settings):
    from services.kernel.clock import FileClock, SystemClock

    return FileClock(settings.clock_file) if settings.clock_file else SystemClock()


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
