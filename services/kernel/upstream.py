"""What a call to another service can end in, as one hierarchy (httpx's
exception classes are the model). The client adapters map every gRPC
failure onto it, so nothing above them sees a raw ``grpc.aio.AioRpcError``,
and the use cases catch by class:

    UpstreamError                 any failed call to another service
    ├── UpstreamUnavailable       no answer in time, or the callee busy: the
    │                             outcome of a mutation is unknown, so it is
    │                             repeated later under its idempotency key
    ├── UpstreamRefused           a definite answer (AIP-193 reason): nothing
    │                             happened, and asking again will not change it
    └── UpstreamBroken            the callee failed in a way that is a bug
                                  (INTERNAL, no ErrorInfo, an answer of the
                                  wrong shape): outcome unknown, as above

Each is a DomainError, so one that a use case lets through reaches its
caller as a clear status: UNAVAILABLE with a retry delay for the first and
the last, the callee's own code and reason for a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.kernel.errors import DomainError, ErrorKind, Reason

# How long a caller is asked to wait before trying again (google.rpc.RetryInfo).
RETRY_AFTER = 1.0


@dataclass
class UpstreamError(DomainError):
    upstream: str = ""


@dataclass
class UpstreamUnavailable(UpstreamError):
    @classmethod
    def of(cls, upstream: str, why: str = "did not answer") -> UpstreamUnavailable:
        return cls(
            ErrorKind.UNAVAILABLE,
            Reason.UPSTREAM_UNAVAILABLE,
            f"the {upstream} service {why}",
            {"service": upstream},
            retry_delay=RETRY_AFTER,
            upstream=upstream,
        )


@dataclass
class UpstreamRefused(UpstreamError):
    """The callee's own refusal, passed on as it was given (code, reason, metadata)."""

    @classmethod
    def passing_on(cls, error: DomainError, upstream: str) -> UpstreamRefused:
        return cls(
            error.kind, error.reason, error.message, error.metadata, error.violations, upstream=upstream
        )


@dataclass
class UpstreamBroken(UpstreamError):
    @classmethod
    def of(cls, upstream: str, why: str) -> UpstreamBroken:
        return cls(
            ErrorKind.UNAVAILABLE,
            Reason.UPSTREAM_BROKEN,
            f"the {upstream} service failed: {why}",
            {"service": upstream},
            retry_delay=RETRY_AFTER,
            upstream=upstream,
        )


def definite(error: DomainError) -> bool:
    """A refusal that asking again will not change: nothing happened.
    Anything else (unavailable, broken) leaves the outcome unknown."""
    return not isinstance(error, (UpstreamUnavailable, UpstreamBroken)) and error.kind not in (
        ErrorKind.UNAVAILABLE,
        ErrorKind.RESOURCE_EXHAUSTED,
        ErrorKind.ABORTED,
    )
