"""One server interceptor for every service: authentication and role check
(R20), DomainError -> AIP-193 status, metrics and an access log line.

Unexpected exceptions become INTERNAL with nothing of their internals sent.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import grpc

from services.kernel.auth import Access, TokenAuthority, reset_current_principal, set_current_principal
from services.kernel.calls import set_incoming_deadline
from services.kernel.db import is_database_unavailable
from services.kernel.errors import DomainError, database_unavailable, request_malformed
from services.kernel.grpc_errors import PassedOn, internal_status, to_status
from services.kernel.metrics import ServiceMetrics
from services.kernel.request_text import check_request_text

log = logging.getLogger("yibao.rpc")


@dataclass
class _Outcome:
    code: str = "OK"
    status: grpc.Status | None = None
    error: DomainError | None = None
    caller: contextvars.Token | None = None  # to reset the current principal


# Health checks and reflection answer anyone.
_OPEN_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")
MALFORMED_LOG_INTERVAL = 60.0  # seconds between two warnings about undecodable requests


class _Malformed:
    """What a request that did not decode is handed to the handler as."""


def _tolerant(deserialize):
    """The method's request parser, except that bytes that do not decode
    become _Malformed (answered INVALID_ARGUMENT) rather than an exception
    grpc would answer UNKNOWN with its class name, and log with a traceback."""

    def parse(data: bytes):
        try:
            return deserialize(data)
        except Exception:  # DecodeError, or whatever hostile bytes make the parser raise
            return _Malformed()

    return parse


class ServiceInterceptor(grpc.aio.ServerInterceptor):
    def __init__(
        self,
        service: str,
        domain: str,
        policy: Mapping[str, Access],
        tokens: TokenAuthority,
        metrics: ServiceMetrics,
    ) -> None:
        self._service = service
        self._metrics = metrics
        self._domain = domain
        self._policy = policy
        self._tokens = tokens
        self._malformed, self._malformed_logged = 0, float("-inf")

    def _check_request(self, request, method: str) -> None:
        """Refuses a request that does not decode (one WARNING a minute at
        most, without its bytes) or holds text out of bounds (R20a)."""
        if isinstance(request, _Malformed):
            self._malformed += 1
            now = time.monotonic()
            if now - self._malformed_logged >= MALFORMED_LOG_INTERVAL:
                log.warning(
                    "undecodable requests refused", extra={"method": method, "count": self._malformed}
                )
                self._malformed, self._malformed_logged = 0, now
            raise request_malformed()
        if isinstance(request, bytes):  # passed on unread (the account router): checked where answered
            return
        check_request_text(request)

    async def intercept_service(self, continuation, details: grpc.HandlerCallDetails):
        handler = await continuation(details)
        method = details.method
        if handler is None or method.startswith(_OPEN_PREFIXES):
            return handler
        # A method of ours with no declared access is refused: deny by default.
        access = self._policy.get(method, Access.only())
        short = method.rsplit("/", 1)[-1]
        authorization = next((v for k, v in details.invocation_metadata or () if k == "authorization"), None)

        if handler.unary_unary:
            inner = handler.unary_unary

            async def unary(request, context: grpc.aio.ServicerContext):
                with self._handling(short) as outcome:
                    self._check_request(request, short)
                    outcome.caller = set_current_principal(self._tokens.authenticate(authorization, access))
                    set_incoming_deadline(context.time_remaining())
                    return await inner(request, context)
                await context.abort_with_status(outcome.status)

            return grpc.unary_unary_rpc_method_handler(
                unary,
                request_deserializer=_tolerant(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )

        if handler.unary_stream:
            inner_stream = handler.unary_stream

            async def stream(request, context: grpc.aio.ServicerContext):
                with self._handling(short) as outcome:
                    self._check_request(request, short)
                    outcome.caller = set_current_principal(self._tokens.authenticate(authorization, access))
                    async for response in inner_stream(request, context):
                        yield response
                if outcome.status is not None:
                    await context.abort_with_status(outcome.status)

            return grpc.unary_stream_rpc_method_handler(
                stream,
                request_deserializer=_tolerant(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        return handler

    @contextlib.contextmanager
    def _handling(self, method: str) -> Iterator[_Outcome]:
        """Turns what a handler raises into the status to abort with (the
        exception is swallowed here), resets the caller, records metrics."""
        outcome, started = _Outcome(), time.perf_counter()
        try:
            yield outcome
        except DomainError as error:
            outcome.code, outcome.status = error.kind.value, to_status(error, self._domain)
            outcome.error = error
        except PassedOn as answer:  # another service's answer, given back as it came
            outcome.code, outcome.status = answer.status.code.name, answer.status
        except grpc.aio.AbortError:
            outcome.code = "ABORTED_BY_HANDLER"
            raise
        except Exception as error:
            if is_database_unavailable(
                error
            ):  # away, failing over, a deadlock: retry with the same request id
                log.warning("database unavailable", extra={"method": method}, exc_info=True)
                unavailable = database_unavailable()
                outcome.code, outcome.status = unavailable.kind.value, to_status(unavailable, self._domain)
                outcome.error = unavailable
            else:
                log.exception("unhandled error", extra={"method": method})
                outcome.code, outcome.status = "INTERNAL", internal_status(self._domain)
        finally:
            if outcome.caller is not None:
                reset_current_principal(outcome.caller)
            self._observe(method, outcome, started)

    def _observe(self, method: str, outcome: _Outcome, started: float) -> None:
        elapsed = time.perf_counter() - started
        self._metrics.observe(method, outcome.code, elapsed)
        if log.isEnabledFor(logging.DEBUG):
            line = {
                "service": self._service,
                "method": method,
                "code": outcome.code,
                "ms": round(elapsed * 1000, 2),
            }
            if outcome.error is not None:  # our own words: the reason and message the caller got
                line |= {"reason": outcome.error.reason, "error": outcome.error.message}
            log.debug("rpc", extra=line)
