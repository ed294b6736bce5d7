"""One call passed on to one account service as it came, and its answer
brought back as it was given. The request's bytes are sent as they are, with
the caller's metadata (its bearer token and trace headers: the shard
authenticates the caller itself). The shard's answer comes back with its
code, details and trailing metadata.

A shard's answer is recognised by its AIP-193 ErrorInfo. A failure without
one means the shard did not answer (down, out of time) or broke. Such a
failure leaves as an UpstreamError naming the shard (kernel/calls.py,
``upstream_error``), e.g. UNAVAILABLE UPSTREAM_UNAVAILABLE ``account:bj``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import grpc

from services.kernel.calls import timeout_left, upstream_error
from services.kernel.grpc_errors import PassedOn, error_details
from services.kernel.upstream import UpstreamError

# Without a deadline from the caller, how long a shard is given.
FORWARD_TIMEOUT = 30.0
# What gRPC sets on each hop itself, never passed on; the status details are.
_HOP_KEYS = ("user-agent", "content-type", "te")
_DETAILS_KEY = "grpc-status-details-bin"


def passable(metadata: Iterable[tuple[str, str | bytes]] | None) -> tuple[tuple[str, str | bytes], ...]:
    """The metadata to pass on: everything but what gRPC sets on each hop."""
    return tuple(
        (key, value)
        for key, value in metadata or ()
        if key == _DETAILS_KEY or not (key.startswith((":", "grpc-")) or key in _HOP_KEYS)
    )


@dataclass(frozen=True)
class Answer:
    """What one account service answered: the response's bytes, or its status."""

    code: grpc.StatusCode
    response: bytes = b""
    details: str = ""
    trailing: tuple[tuple[str, str | bytes], ...] = ()

    @property
    def ok(self) -> bool:
        return self.code is grpc.StatusCode.OK

    def refusal(self) -> PassedOn:
        """The failed answer, to be raised and given back unchanged."""
        return PassedOn(self.code, self.details, self.trailing)


async def ask(
    channel: grpc.aio.Channel,
    upstream: str,
    method: str,
    request: bytes,
    metadata: Sequence[tuple[str, str | bytes]],
) -> Answer:
    """``request`` to ``method`` of the account service behind ``channel``
    (named ``upstream`` when it does not answer), within the caller's deadline."""
    call = channel.unary_unary(method)(request, timeout=timeout_left(FORWARD_TIMEOUT), metadata=metadata)
    try:
        response = await call
    except grpc.aio.AioRpcError as error:
        if error_details(error) is None:  # no answer of the shard's own
            raise upstream_error(error, upstream) from None
        return Answer(error.code(), b"", error.details() or "", passable(error.trailing_metadata()))
    return Answer(grpc.StatusCode.OK, response, "", passable(await call.trailing_metadata()))


# The shard may know, but did not say.
_SILENT = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.CANCELLED,
}


def pick(answers: Sequence[Answer | UpstreamError]) -> Answer | UpstreamError:
    """The answer to a call that every shard was asked, in the map's order.
    At most one shard knows what the call asks about (a person, a payment):

    1. the first OK;
    2. else a shard's refusal other than NOT_FOUND: the shard that knows the
       thing refused the call, or the request is wrong on every shard;
    3. else a shard that did not answer: it may be the one that knows;
    4. else NOT_FOUND: no shard knows it.
    """
    return min(answers, key=_rank)  # the first of the best


def _rank(answer: Answer | UpstreamError) -> int:
    if isinstance(answer, UpstreamError) or answer.code in _SILENT:
        return 2
    if answer.ok:
        return 0
    return 3 if answer.code is grpc.StatusCode.NOT_FOUND else 1
