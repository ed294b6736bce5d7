"""Group commit's figures (kernel/metrics.py's watch_batcher): the size of
each batch that leaves, the requests waiting (read at scrape time) and the
refusals of a full queue; and latency buckets fine enough for a 2 ms window."""

from __future__ import annotations

import asyncio

import pytest

from services.kernel.batching import MicroBatcher
from services.kernel.errors import DomainError
from services.kernel.metrics import ServiceMetrics


def read(metrics: ServiceMetrics, name: str, batcher: str) -> float | None:
    return metrics.registry.get_sample_value(name, {"service": "test", "batcher": batcher})


async def test_batch_sizes_waiting_and_refusals_are_counted():
    metrics = ServiceMetrics("test")
    release = asyncio.Event()

    async def send(items: list[int]) -> list[int]:
        await release.wait()
        return items

    batcher: MicroBatcher[int, int] = MicroBatcher(
        send, max_items=4, max_wait=0.001, max_in_flight=1, max_waiting=6
    )
    metrics.watch_batcher("numbers", batcher)
    metrics.watch_batcher("idle", MicroBatcher(send))  # a second batcher: its own series
    first = [asyncio.ensure_future(batcher.submit(i)) for i in range(3)]
    await asyncio.sleep(0.01)  # the first batch (3) left and is held in send
    later = [asyncio.ensure_future(batcher.submit(i)) for i in range(3, 9)]
    await asyncio.sleep(0.01)  # six wait: the queue is full
    assert read(metrics, "yibao_batch_waiting", "numbers") == 6
    with pytest.raises(DomainError) as refused:
        await batcher.submit(99)
    assert refused.value.reason == "OVERLOADED"
    assert read(metrics, "yibao_batch_refusals_total", "numbers") == 1
    assert read(metrics, "yibao_batch_size_count", "numbers") == 1
    release.set()
    assert await asyncio.gather(*first, *later) == list(range(9))
    # Batches of 3, then 4 and 2 once the first was done.
    assert read(metrics, "yibao_batch_size_count", "numbers") == 3
    assert read(metrics, "yibao_batch_size_sum", "numbers") == 9
    assert read(metrics, "yibao_batch_size_bucket", "numbers") is None  # buckets carry an le label
    sizes = {
        le: metrics.registry.get_sample_value(
            "yibao_batch_size_bucket", {"service": "test", "batcher": "numbers", "le": le}
        )
        for le in ("2.0", "4.0")
    }
    assert sizes == {"2.0": 1, "4.0": 3}
    assert read(metrics, "yibao_batch_waiting", "numbers") == 0
    assert read(metrics, "yibao_batch_size_count", "idle") == 0
    assert read(metrics, "yibao_batch_refusals_total", "idle") == 0


def test_latency_buckets_tell_the_2_ms_window_from_the_work_after_it():
    metrics = ServiceMetrics("test")
    for seconds in (0.0015, 0.0025, 0.0035):  # alone in the window; just after it
        metrics.observe("Submit", "OK", seconds)

    def below(le: str) -> float | None:
        return metrics.registry.get_sample_value(
            "yibao_grpc_request_seconds_bucket", {"service": "test", "method": "Submit", "le": le}
        )

    assert (below("0.001"), below("0.002"), below("0.003"), below("0.004")) == (0, 1, 2, 3)
