"""What the region service is configured with (from YIBAO_* variables)."""

from __future__ import annotations

from dataclasses import dataclass

from services.kernel.config import Settings, tls_from
from services.kernel.tls import TlsFiles


@dataclass(frozen=True)
class RegionSettings:
    database_url: str
    listen: str = "127.0.0.1:0"
    metrics_port: int = 0

    tls: TlsFiles | None = None  # mutual TLS on its port and its calls; None: plaintext

    @classmethod
    def from_env(cls, env: Settings) -> RegionSettings:
        return cls(env.region_database_url, env.region_listen, env.region_metrics_port, tls_from(env))
