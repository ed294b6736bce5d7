"""What the national person index is configured with (from YIBAO_* variables)."""

from __future__ import annotations

from dataclasses import dataclass

from services.kernel.config import Settings, tls_from
from services.kernel.tls import TlsFiles


@dataclass(frozen=True)
class IndexSettings:
    database_url: str
    listen: str = "127.0.0.1:0"
    metrics_port: int = 0

    tls: TlsFiles | None = None  # mutual TLS on its port; None: plaintext

    @classmethod
    def from_env(cls, env: Settings) -> IndexSettings:
        return cls(env.index_database_url, env.index_listen, env.index_metrics_port, tls_from(env))
