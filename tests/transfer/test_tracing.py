"""R26: one trace per request across the services (OpenTelemetry), the
batch a request travelled in linked to it, SQL under the RPC that ran it,
the trace id in the log lines — on the in-process cluster, spans kept in
memory."""

from __future__ import annotations

import json
import logging

from opentelemetry.trace import SpanKind

from services.kernel import tracing
from services.kernel.logs import JsonFormatter

SERVICES = {
    "yibao.transfer.v1.TransferService",
    "yibao.account.v1.AccountService",
    "yibao.region.v1.RegionService",
}


def _server_span(spans, method: str):
    return next(s for s in reversed(spans) if s.kind is SpanKind.SERVER and s.name.endswith(f"/{method}"))


def _descends_from(span, ancestor, by_id) -> bool:
    while span.parent is not None:
        if span.parent.span_id == ancestor.context.span_id:
            return True
        span = by_id.get(span.parent.span_id)
        if span is None:
            return False
    return False


async def test_r26_a_submission_is_one_trace_across_the_services_with_its_batch_linked(
    spans, family, submit, new_database
):
    payer, payee = family
    await submit(payer, payee, amount=10_000)
    finished = spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}
    submitted = _server_span(finished, "SubmitTransfer")
    trace = [s for s in finished if s.context.trace_id == submitted.context.trace_id]
    assert {s.attributes.get("rpc.service") for s in trace if s.kind is SpanKind.SERVER} >= SERVICES

    batch = next(s for s in trace if s.name == "batch submit_together")
    assert [link.context.span_id for link in batch.links] == [submitted.context.span_id]
    assert batch.parent.span_id == submitted.context.span_id and batch.attributes["yibao.batch.size"] == 1
    held = _server_span(trace, "HoldTransfers")
    assert _descends_from(held, batch, by_id)  # the hold was the batch's call
    [note] = [e for e in submitted.events if e.name == "batched"]  # the member records its batch
    assert note.attributes["yibao.batch.span_id"] == f"{batch.context.span_id:016x}"

    sql = [s for s in trace if s.attributes.get("db.system") == "postgresql"]
    if "postgresql" in new_database():  # psycopg's statements, under the account call that ran them
        assert any(_descends_from(s, held, by_id) for s in sql)
    else:
        assert sql == []


async def test_r26_the_trace_id_is_in_every_json_log_line_of_a_traced_request(spans):
    provider = tracing._provider
    record = logging.LogRecord("yibao.test", logging.INFO, __file__, 1, "inside", None, None)
    with provider.get_tracer("test").start_as_current_span("request") as span:
        inside = json.loads(JsonFormatter().format(record))
    outside = json.loads(JsonFormatter().format(record))
    assert inside["trace_id"] == f"{span.get_span_context().trace_id:032x}"
    assert "trace_id" not in outside


def test_r26_tracing_is_off_without_the_otel_variables(monkeypatch):
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    assert tracing.wanted() is False
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
    assert tracing.wanted() is True
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert tracing.wanted() is False
