"""The machine's NATS server (JetStream on 127.0.0.1:4222, in CI too) for
the tests that publish to it: a connection, and streams of a test's own,
deleted at the end."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator

import nats
import nats.js.errors
import pytest

from services.kernel.jetstream import JetStreamConfig

NATS_URL = os.environ.get("YIBAO_TEST_NATS_URL", "nats://127.0.0.1:4222")


async def connect():
    """A connection, or the test fails in CI and is skipped elsewhere when no server answers."""

    async def quiet(error: Exception) -> None:
        pass

    try:
        return await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=1, error_cb=quiet)
    except Exception:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the NATS tests, but no NATS server answers at {NATS_URL}")
        pytest.skip(f"no NATS server at {NATS_URL}")


@contextlib.asynccontextmanager
async def own_stream(nc, name: str, prefix: str, batch: int) -> AsyncIterator[JetStreamConfig]:
    """A stream and subject prefix of the test's own; deleted (consumers with it) at the end."""
    tag = uuid.uuid4().hex[:12]
    config = JetStreamConfig(
        NATS_URL,
        stream=f"{name}_{tag}",
        subject_prefix=f"{prefix}.{tag}",
        max_age_seconds=600.0,
        duplicate_window_seconds=120.0,
        batch=batch,
    )
    try:
        yield config
    finally:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await nc.jetstream().delete_stream(config.stream)
