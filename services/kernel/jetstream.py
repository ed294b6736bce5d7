"""Events on NATS JetStream (docs/operations.md, *Events on NATS JetStream*),
what the transfer and the account service share: the stream's settings,
the stream made or brought to them when a connection opens, one publish per
message awaited until JetStream stores it (its ack) with its Nats-Msg-Id (a
second publish within the duplicate window is dropped by the server), and
the follower loop that runs a service's publishing rounds — from cursors in
its own database, moved only after the acks — on one replica at a time (a
lease, kernel/leases.py). What a service publishes, under which subjects
and ids, is its own (services/*/usecases/publishing.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from opentelemetry.trace import SpanKind

from services.kernel import tracing

# nats itself is imported where it is first used: a tenth of a second that a
# service without YIBAO_NATS_URL, and every CLI command, need not spend.
if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js.client import JetStreamContext

log = logging.getLogger("yibao.jetstream")

CONNECT_SECONDS = 5.0
PUBLISH_SECONDS = 5.0
POLL_SECONDS = 0.5  # between rounds when idle
STOP_SECONDS = 5.0  # how long stopping waits for a round in flight


class SinkUnavailable(Exception):
    """NATS cannot be reached or did not answer: the round is tried again."""


@dataclass(frozen=True)
class JetStreamConfig:
    url: str  # nats://host:4222 (several: comma-separated)
    stream: str  # e.g. YIBAO_TRANSFER
    subject_prefix: str  # e.g. yibao.transfer: the stream takes <prefix>.>
    max_age_seconds: float = 7 * 86_400.0
    max_bytes: int = -1  # -1: no limit
    duplicate_window_seconds: float = 120.0
    batch: int = 500  # items read per round (per cursor move)

    @classmethod
    def from_settings(cls, env, stream: str, subject_prefix: str) -> JetStreamConfig | None:
        """YIBAO_NATS_URL and the stream's limits (kernel.config.Settings) for
        one stream; None when no NATS is configured: nothing is published."""
        if not env.nats_url:
            return None
        return cls(
            env.nats_url,
            stream,
            subject_prefix,
            env.nats_max_age_seconds,
            env.nats_max_bytes,
            env.nats_duplicate_window_seconds,
            env.nats_publish_batch,
        )


class JetStreamSink:
    """One connection to NATS that publishes to one stream."""

    def __init__(self, config: JetStreamConfig, client_name: str) -> None:
        self._config = config
        self._client_name = client_name
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None

    @property
    def config(self) -> JetStreamConfig:
        return self._config

    async def open(self) -> None:
        """Connects, unless connected, and makes or updates the stream.
        A connection that was lost is opened anew (here, on the next round)."""
        if self._nc is not None and self._nc.is_connected:
            return
        await self.close()
        import nats
        import nats.errors

        async def on_error(error: Exception) -> None:
            log.debug("nats: %s", error)  # the round that fails says so

        try:
            nc = await nats.connect(
                self._config.url.split(","),
                name=self._client_name,
                connect_timeout=CONNECT_SECONDS,
                max_reconnect_attempts=2,  # then closed: the next round connects again
                reconnect_time_wait=1.0,
                error_cb=on_error,
            )
        except (OSError, nats.errors.Error) as error:
            raise SinkUnavailable(f"nats: {error or type(error).__name__}") from error
        try:
            js = nc.jetstream(timeout=PUBLISH_SECONDS)
            await ensure_stream(js, self._config)
        except BaseException as error:
            await nc.close()
            if isinstance(error, (OSError, nats.errors.Error)):
                raise SinkUnavailable(f"nats: {error or type(error).__name__}") from error
            raise
        self._nc, self._js = nc, js

    async def send(self, to: str, data: bytes, message_id: str, traceparent: str | None = None) -> bool:
        """Publishes ``data`` to the subject ``to`` under ``message_id``
        (Nats-Msg-Id) and returns once JetStream has it: True when stored
        now, False when it had it already (a duplicate within the window).
        ``traceparent``: the trace of what caused the message (stored with
        it), which the publication joins; else the current one.
        Raises SinkUnavailable to have it offered again."""
        import nats.errors

        if self._js is None:
            raise SinkUnavailable("nats: not connected")
        try:
            # The message carries the trace of its publication (W3C traceparent), with tracing on.
            with tracing.span(
                f"publish {to}", SpanKind.PRODUCER, traceparent, **{"messaging.system": "nats"}
            ):
                headers = {"Nats-Msg-Id": message_id} | tracing.context_headers()
                ack = await self._js.publish(to, data, headers=headers)
        except (OSError, nats.errors.Error) as error:  # JetStream's API errors are nats errors too
            raise SinkUnavailable(f"nats: {error or type(error).__name__}") from error
        return not ack.duplicate

    async def close(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            try:
                await nc.close()
            except Exception:
                log.warning("nats: closing", exc_info=True)


async def ensure_stream(js: JetStreamContext, config: JetStreamConfig) -> None:
    """The stream with the configured limits: created, or updated to them
    (a limit changed in the settings takes at start)."""
    from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
    from nats.js.errors import NotFoundError

    wanted = StreamConfig(
        name=config.stream,
        description=f"yibao-wallet events, {config.subject_prefix}.> (docs/operations.md)",
        subjects=[f"{config.subject_prefix}.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=config.max_age_seconds,
        max_bytes=config.max_bytes,
        duplicate_window=config.duplicate_window_seconds,
    )
    try:
        await js.stream_info(config.stream)
    except NotFoundError:
        await js.add_stream(wanted)
        log.info("nats: stream created", extra={"stream": config.stream})
        return
    await js.update_stream(wanted)


class Sink(Protocol):
    """What the follower opens and closes around its rounds (a JetStreamSink,
    a service's wrapper of one, a test's fake)."""

    async def open(self) -> None:
        """Ready to publish (connected, the stream there); raises
        SinkUnavailable if not."""

    async def close(self) -> None: ...


class Follower:
    """The loop of a publisher that follows its service's database: rounds
    (``publish``: read from the cursor, publish, await the acks, move the
    cursor) until a round reads less than a batch, then a pause; a round
    only while holding the lease, so that of several replicas one publishes
    at a time. A subclass says what a round is; a round that fails (NATS
    away, the database away) leaves its cursor, and the next one starts
    from there."""

    lease_name = "jetstream"
    task_name = "event-publisher"

    def __init__(self, sink: Sink, batch: int, logger: logging.Logger) -> None:
        self._sink = sink
        self._batch = batch
        self._log = logger
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def round(self) -> bool:
        """One round; True when it read a full batch (more may be waiting)."""
        raise NotImplementedError

    async def run(
        self, stop: asyncio.Event, lease: Callable[[str], AbstractAsyncContextManager[bool]]
    ) -> None:
        """Publishes until ``stop`` is set."""
        while not stop.is_set():
            try:
                async with lease(self.lease_name) as mine:
                    if mine:
                        await self._sink.open()
                        while await self.round() and not stop.is_set():
                            pass
            except SinkUnavailable as error:  # the next round, from the cursor
                self._log.warning("publishing events postponed", extra={"reason": str(error)})
                await self._sink.close()
            except Exception:  # the database away (a failover), or a bug: the next round
                self._log.exception("publishing events failed")
                await self._sink.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)

    def start(self, lease: Callable[[str], AbstractAsyncContextManager[bool]]) -> None:
        self._task = asyncio.create_task(self.run(self._stop, lease), name=self.task_name)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=STOP_SECONDS)
            if not done:  # a publish or a connection in flight: its round is published again
                self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._sink.close()
