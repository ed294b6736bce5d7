"""Calls from one service to another: deadlines carried over from the
incoming call (Python gRPC does not propagate them), retries on UNAVAILABLE
for calls that are safe to repeat, and the caller's own service identity."""

from __future__ import annotations

import asyncio
import contextvars
import time
from datetime import datetime, timedelta

import grpc

from services.kernel.auth import Principal, Role, TokenAuthority
from services.kernel.clock import Clock
from services.kernel.errors import ErrorKind, Reason
from services.kernel.grpc_errors import domain_error_from
from services.kernel.tls import TlsFiles, aio_channel
from services.kernel.upstream import (
    RETRY_AFTER,
    UpstreamBroken,
    UpstreamError,
    UpstreamRefused,
    UpstreamUnavailable,
)

DEFAULT_TIMEOUT = 5.0
RETRY_DELAYS = (0.1, 0.3, 1.0)
# Reconnect soon after a peer comes back (gRPC's default first backoff is 1 s).
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2000),
]


def channel(target: str, tls: TlsFiles | None) -> grpc.aio.Channel:
    """A channel from one service to another (mutual TLS with ``tls``)."""
    return aio_channel(target, tls, CHANNEL_OPTIONS)


_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


def set_incoming_deadline(time_remaining: float | None) -> None:
    _deadline.set(None if time_remaining is None else time.monotonic() + time_remaining)


def deadline() -> float | None:
    """The monotonic time by which the call being served must be answered."""
    return _deadline.get()


def set_deadline(at: float | None) -> None:
    _deadline.set(at)


def extend_deadline(seconds: float) -> None:
    """At least ``seconds`` from now for what follows: for work already
    committed to (a transfer recorded as accepted), which is better finished
    at once than left for the worker, whoever stopped waiting for it."""
    at = _deadline.get()
    if at is not None:
        _deadline.set(max(at, time.monotonic() + seconds))


def timeout_left(default: float = DEFAULT_TIMEOUT) -> float:
    at = _deadline.get()
    if at is None:
        return default
    left = at - time.monotonic()
    if left <= 0:
        raise UpstreamUnavailable(
            ErrorKind.UNAVAILABLE,
            Reason.DEADLINE_EXCEEDED,
            "the call ran out of time",
            retry_delay=RETRY_AFTER,
        )
    return min(default, left)


class ServiceIdentity:
    """This service's bearer token for calls to others, re-minted before it
    expires; or, with ``principal``, the token of whom it calls for (the
    gateway, for a platform it verified)."""

    def __init__(
        self,
        name: str,
        tokens: TokenAuthority,
        clock: Clock,
        ttl: timedelta = timedelta(minutes=10),
        principal: Principal | None = None,
    ) -> None:
        self._principal = principal or Principal(name, Role.SERVICE)
        self._tokens, self._clock, self._ttl = tokens, clock, ttl
        self._token = ""
        self._renew_at: datetime | None = None

    def metadata(self) -> tuple[tuple[str, str], ...]:
        now = self._clock.now()
        if self._renew_at is None or now >= self._renew_at:
            self._token = self._tokens.mint(self._principal, now, self._ttl)
            self._renew_at = now + self._ttl / 2
        return (("authorization", f"Bearer {self._token}"),)


_UNAVAILABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.ABORTED,
}
_BROKEN = {
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.DATA_LOSS,
}


def upstream_error(error: grpc.aio.AioRpcError, upstream: str) -> UpstreamError:
    """Every way a call can fail, as one class of the hierarchy."""
    if error.code() in _UNAVAILABLE:
        return UpstreamUnavailable.of(upstream)
    refusal = None if error.code() in _BROKEN else domain_error_from(error)
    if refusal is None:  # a bug of the callee's, or a refusal without a reason
        return UpstreamBroken.of(upstream, error.code().name)
    return UpstreamRefused.passing_on(refusal, upstream)


async def call(method, request, identity: ServiceIdentity, *, idempotent: bool, upstream: str):
    """One outgoing unary call, within what the incoming call has left;
    UNAVAILABLE is retried only when idempotent. Every failure is raised as
    an UpstreamError (kernel/upstream.py), never as a raw gRPC error."""
    for attempt in range(len(RETRY_DELAYS) + 1):
        try:
            return await method(request, timeout=timeout_left(), metadata=identity.metadata())
        except grpc.aio.AioRpcError as error:
            retry = error.code() is grpc.StatusCode.UNAVAILABLE and idempotent and attempt < len(RETRY_DELAYS)
            if not retry:
                raise upstream_error(error, upstream) from None
            await asyncio.sleep(RETRY_DELAYS[attempt])
    raise AssertionError("unreachable")  # the last attempt returns or raises


def chunks(items: list, size: int) -> list[list]:
    """``items`` in runs of at most ``size``: a batched call within the callee's maximum."""
    return [items[i : i + size] for i in range(0, len(items), size)]
