"""What the account service is configured with (from YIBAO_* variables)."""

from __future__ import annotations

from dataclasses import dataclass

from services.account.adapters.jetstream import STREAM, SUBJECT_PREFIX
from services.kernel.config import Settings, tls_from
from services.kernel.jetstream import JetStreamConfig
from services.kernel.tls import TlsFiles


@dataclass(frozen=True)
class AccountSettings:
    database_url: str
    region_target: str  # host:port of the region service
    id_hash_key: str  # key of the ID-number hash (R5)
    face_ticket_key: str  # key the face-verification provider signs tickets with (R9)
    listen: str = "127.0.0.1:0"
    metrics_port: int = 0
    # argon2id cost of the 6-digit password hash (OWASP minimum: t=2, m=19 MiB).
    password_time_cost: int = 2
    password_memory_kib: int = 19456
    # The largest transfer the transfer service's policy allows: no hold is larger.
    transfer_max_amount_fen: int = 200_000

    tls: TlsFiles | None = None  # mutual TLS on its port and its calls; None: plaintext
    read_database_url: str = ""  # a standby for reads that may lag; "": the primary
    # Publish the bill events and relation lapses on NATS JetStream; None: not at all.
    events: JetStreamConfig | None = None
    # host:port of the national person index when this service is a shard of
    # a federated deployment (R24: YIBAO_ACCOUNT_SHARD set); "": the only one.
    index_target: str = ""
    shard: str = ""  # this shard's name in the region service's map (YIBAO_ACCOUNT_SHARD)
    shard_map_seconds: float = 5.0  # how stale the map may be when other shards are asked (R24)

    @classmethod
    def from_env(cls, env: Settings) -> AccountSettings:
        return cls(
            database_url=env.account_database_url,
            read_database_url=env.account_read_database_url,
            region_target=env.region_target,
            id_hash_key=env.account_id_hash_key.get_secret_value(),
            face_ticket_key=env.face_ticket_key.get_secret_value(),
            listen=env.account_listen,
            metrics_port=env.account_metrics_port,
            tls=tls_from(env),
            index_target=env.index_target if env.account_shard else "",
            shard=env.account_shard,
            password_time_cost=env.password_hash_time_cost,
            password_memory_kib=env.password_hash_memory_kib,
            transfer_max_amount_fen=env.transfer_max_amount_fen,
            # YIBAO_NATS_URL and the stream's limits, as the transfer service's; a stream of its own.
            events=JetStreamConfig.from_settings(env, STREAM, SUBJECT_PREFIX),
        )
