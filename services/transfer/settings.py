"""What the transfer service is configured with (from YIBAO_* variables)."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.kernel.config import Settings, tls_from
from services.kernel.jetstream import JetStreamConfig
from services.kernel.tls import TlsFiles
from services.transfer.domain.policy import TransferPolicy

NOTIFY_STREAM, NOTIFY_SUBJECT_PREFIX = "YIBAO_NOTIFY", "yibao.notify"  # YIBAO_NOTIFICATIONS_VIA_NATS


@dataclass(frozen=True)
class TransferSettings:
    database_url: str
    account_target: str  # host:port of the account service
    region_target: str  # host:port of the region service
    listen: str = "127.0.0.1:0"
    metrics_port: int = 0
    policy: TransferPolicy = field(default_factory=TransferPolicy)
    worker_interval: float = 1.0  # seconds between rounds of the background worker
    region_cache_seconds: float = 1.0  # how stale a cached region answer may be (R14)
    reconcile_interval: float = 60.0  # seconds between reconciliation passes (R22); 0: none by the worker
    batch_window: float = 0.002  # seconds a submission waits for others to travel with
    crash_after: str = ""  # test hook: a crash point (never in production)

    tls: TlsFiles | None = None  # mutual TLS on its port and its calls; None: plaintext
    read_database_url: str = ""  # a standby for reads that may lag; "": the primary
    events: JetStreamConfig | None = None  # publish the events on NATS JetStream; None: not at all
    notify: JetStreamConfig | None = None  # hand the notifications to NATS JetStream; None: record only
    # The account service runs as shards (R24): route by the region's map, find
    # persons in the national index at this target. "": one account service.
    index_target: str = ""
    shard_map_seconds: float = 5.0  # how stale the account shards' map may be (R24)

    @classmethod
    def from_env(cls, env: Settings) -> TransferSettings:
        policy = TransferPolicy(
            env.transfer_min_amount_fen,
            env.transfer_max_amount_fen,
            env.transfer_per_day,
            env.transfer_window_opens,
            env.transfer_window_closes,
            env.transfer_refund_at,
        )
        return cls(
            database_url=env.transfer_database_url,
            read_database_url=env.transfer_read_database_url,
            account_target=env.account_target,
            region_target=env.region_target,
            listen=env.transfer_listen,
            metrics_port=env.transfer_metrics_port,
            tls=tls_from(env),
            policy=policy,
            worker_interval=env.transfer_worker_interval_seconds,
            region_cache_seconds=env.transfer_region_cache_seconds,
            reconcile_interval=env.transfer_reconcile_seconds,
            batch_window=env.transfer_batch_window_seconds,
            crash_after=env.crash_after,
            events=JetStreamConfig.from_settings(env, env.nats_stream, env.nats_subject_prefix),
            index_target=env.index_target if env.account_sharded else "",
            notify=JetStreamConfig.from_settings(env, NOTIFY_STREAM, NOTIFY_SUBJECT_PREFIX)
            if env.notifications_via_nats
            else None,
        )
