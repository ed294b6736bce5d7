"""OpenTelemetry traces (R26): one trace per request across the services.

Off unless the standard variables ask for it: ``OTEL_EXPORTER_OTLP_ENDPOINT``
(or ``OTEL_TRACES_EXPORTER`` naming an exporter) turns it on, and the SDK
reads the rest itself (``OTEL_SERVICE_NAME``, ``OTEL_TRACES_SAMPLER``,
``OTEL_EXPORTER_OTLP_*``, ``OTEL_BSP_*``). Off, nothing is instrumented and
nothing is paid. On, the gRPC aio servers and clients carry W3C
``traceparent`` on every call, and psycopg's statements become spans
under the RPC that runs them. Group commit links a batch's span to each
member's (kernel/batching.py)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

from opentelemetry import propagate, trace
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext

log = logging.getLogger("yibao.tracing")

_instrumented: list = []  # what configure() switched on, for shutdown()
_provider = None  # the tracer provider instrument() reports to; None: tracing is off


def wanted() -> bool:
    """The environment asks for traces (and the SDK is not disabled)."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "")
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or (exporter and exporter != "none"))


def configure(default_service_name: str, provider=None) -> bool:
    """Sets up tracing for this process when the environment (or a test's
    ``provider``) asks for it; before any server or channel is made.
    Returns whether it is on."""
    if provider is None:
        if not wanted():
            return False
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        name = os.environ.get("OTEL_SERVICE_NAME") or default_service_name
        provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
    instrument(provider)
    log.info("tracing on", extra={"exporter": os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")})
    return True


def instrument(provider) -> None:
    """The gRPC aio server and client, and psycopg, report to ``provider``."""
    from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient, GrpcAioInstrumentorServer
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    global _provider
    for instrumentor in (GrpcAioInstrumentorServer(), GrpcAioInstrumentorClient(), PsycopgInstrumentor()):
        instrumentor.instrument(tracer_provider=provider, skip_dep_check=True)
        _instrumented.append(instrumentor)
    _provider = provider


def shutdown() -> None:
    """Undoes instrument() and flushes what is still buffered."""
    global _provider
    while _instrumented:
        _instrumented.pop().uninstrument()
    if _provider is not None and hasattr(_provider, "force_flush"):
        _provider.force_flush()
    _provider = None


def span_context() -> SpanContext:
    """The current span's context (invalid outside a trace): what a batch member is linked by."""
    return trace.get_current_span().get_span_context()


@contextlib.contextmanager
def batch_span(name: str, members: list[SpanContext]) -> Iterator[SpanContext | None]:
    """The span a batch runs in: a child of its first member's span, so that
    member's trace shows the calls the batch made, and linked to every
    member's span. Yields its context (None with tracing off)."""
    if _provider is None:
        yield None
        return
    traced = [c for c in members if c.is_valid]
    parent = trace.set_span_in_context(NonRecordingSpan(traced[0])) if traced else None
    with _provider.get_tracer("yibao.batching").start_as_current_span(
        f"batch {name}",
        context=parent,
        links=[Link(c) for c in traced],
        attributes={"yibao.batch.size": len(members)},
    ) as span:
        yield span.get_span_context()


@contextlib.contextmanager
def span(
    name: str,
    kind: trace.SpanKind = trace.SpanKind.INTERNAL,
    parent: str | None = None,
    **attributes: str,
) -> Iterator[None]:
    """A span of the service's own: a request no gRPC interceptor sees (the
    gateway's HTTPS requests, SERVER), a message published (PRODUCER);
    nothing with tracing off. ``parent``: a W3C traceparent stored earlier
    (an event's), whose trace the span joins instead of the current one."""
    if _provider is None:
        yield
        return
    context = propagate.extract({"traceparent": parent}) if parent else None
    with _provider.get_tracer("yibao").start_as_current_span(
        name, context=context, kind=kind, attributes=attributes
    ):
        yield


def traceparent() -> str | None:
    """The current span as a W3C traceparent, to store with what it wrote
    (an outbox event) so that work done later joins its trace; None with
    tracing off or outside a trace."""
    return context_headers().get("traceparent")


def context_headers() -> dict[str, str]:
    """The current span as W3C ``traceparent`` (and ``tracestate``), for a
    message's headers; empty with tracing off or outside a trace."""
    carrier: dict[str, str] = {}
    if _provider is not None:
        propagate.inject(carrier)
    return carrier


def record_batch(batch: SpanContext | None) -> None:
    """On a member's own span: the batch it travelled in."""
    if batch is None:
        return
    trace.get_current_span().add_event(
        "batched",
        {"yibao.batch.trace_id": f"{batch.trace_id:032x}", "yibao.batch.span_id": f"{batch.span_id:016x}"},
    )


def current_ids() -> dict[str, str]:
    """The trace and span id of the current span, for a log line; none outside a trace."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}
