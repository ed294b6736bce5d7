"""The gateway's composition root: its SM2 key, channels to the services,
the platforms, the ASGI app and uvicorn serving it over HTTPS (the
development or configured certificate; HTTP only with YIBAO_TLS_PLAINTEXT)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import ssl
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import grpc
import uvicorn

from services.gateway.app import Gateway, build_app
from services.gateway.gm import SM2PrivateKey
from services.gateway.openapi import openapi
from services.gateway.platforms import Platforms
from services.kernel.auth import TokenAuthority
from services.kernel.calls import ServiceIdentity, channel
from services.kernel.clock import Clock
from services.kernel.config import Settings, tls_from

log = logging.getLogger("yibao.gateway")

DEV_KEY_DIR = Path(".run/gateway")  # development keys, made on first use


def dev_key_file(directory: Path, name: str = "sm2-key") -> Path:
    """``directory/<name>.hex``, an SM2 private key made once (development;
    readable like the rest of the development set, so that the services'
    own user reads it in compose)."""
    path = directory / f"{name}.hex"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), "w") as file:
            file.write(SM2PrivateKey.generate().to_hex() + "\n")
    return path


def read_key(path: str | Path) -> SM2PrivateKey:
    return SM2PrivateKey.from_hex(Path(path).read_text(encoding="utf-8").strip())


def load_key(settings: Settings) -> SM2PrivateKey:
    """The gateway's SM2 private key: YIBAO_GATEWAY_SM2_KEY_FILE (64 hex
    digits); in development, one made once under .run/gateway."""
    if settings.gateway_sm2_key_file:
        return read_key(settings.gateway_sm2_key_file)
    if settings.environment == "production":
        raise ValueError("production needs YIBAO_GATEWAY_SM2_KEY_FILE (the gateway's SM2 private key)")
    return read_key(dev_key_file(DEV_KEY_DIR))


def health_url(settings: Settings) -> tuple[str, ssl.SSLContext | bool]:
    """Where `yibao health gateway` asks on this host, and how it checks the certificate."""
    tls = tls_from(settings)
    port = settings.gateway_listen.rsplit(":", 1)[1]
    if tls is None:
        return f"http://127.0.0.1:{port}/healthz", False
    return f"https://127.0.0.1:{port}/healthz", ssl.create_default_context(cafile=tls.ca)


class _Server(uvicorn.Server):
    """uvicorn without signal handlers of its own: the process's handler
    (run_until_signalled) stops the gateway with the gRPC servers."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


@dataclass
class RunningGateway:
    server: _Server
    task: asyncio.Task
    channels: list[grpc.aio.Channel]
    address: str
    scheme: str
    public_key: str  # the gateway's SM2 public key, which platforms verify answers with

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.address}"

    async def stop(self, grace: float = 5.0) -> None:
        self.server.config.timeout_graceful_shutdown = int(grace)
        self.server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        for c in self.channels:
            await c.close()


async def start_gateway(
    settings: Settings, tokens: TokenAuthority, clock: Clock, key: SM2PrivateKey | None = None
) -> RunningGateway:
    tls = tls_from(settings)
    key = key or load_key(settings)
    channels = {
        name: channel(getattr(settings, f"{name}_target"), tls) for name in ("region", "account", "transfer")
    }
    gateway = Gateway(
        key=key,
        platforms=Platforms(
            channels["region"],
            ServiceIdentity("gateway", tokens, clock),
            settings.gateway_platform_cache_seconds,
        ),
        channels=channels,
        tokens=tokens,
        clock=clock,
        max_body_bytes=settings.gateway_max_body_bytes,
        timestamp_window=timedelta(seconds=settings.gateway_timestamp_window_seconds),
    )
    host, port = settings.gateway_listen.rsplit(":", 1)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), int(port)))
    config = uvicorn.Config(
        build_app(gateway, openapi),
        log_config=None,
        access_log=False,
        lifespan="off",
        ssl_certfile=tls.cert if tls else None,
        ssl_keyfile=tls.key if tls else None,
        timeout_graceful_shutdown=int(settings.grace_seconds),
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it
            raise RuntimeError("the gateway stopped while starting")
        await asyncio.sleep(0.01)
    address = f"{host}:{sock.getsockname()[1]}"
    running = RunningGateway(
        server, task, list(channels.values()), address, "https" if tls else "http", key.public_key().to_hex()
    )
    log.info("gateway listening on %s", running.url, extra={"service": "gateway", "address": running.url})
    return running
