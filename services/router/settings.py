"""What the account router is configured with (from YIBAO_* variables)."""

from __future__ import annotations

from dataclasses import dataclass

from services.kernel.config import Settings, tls_from
from services.kernel.tls import TlsFiles


@dataclass(frozen=True)
class RouterSettings:
    region_target: str  # host:port of the region service: the shard map
    index_target: str  # host:port of the national person index: persons' provinces
    account_target: str  # host:port of the one account service, while the map is empty
    listen: str = "127.0.0.1:0"
    metrics_port: int = 0

    tls: TlsFiles | None = None  # mutual TLS on its port and its calls; None: plaintext
    shard_map_seconds: float = 5.0  # how stale the shard map may be (R24)
    person_cache_seconds: float = 60.0  # how long a person's province is kept

    @classmethod
    def from_env(cls, env: Settings) -> RouterSettings:
        return cls(
            env.region_target,
            env.index_target,
            env.account_target,
            env.router_listen,
            env.router_metrics_port,
            tls_from(env),
        )
