"""Group commit between services (kernel/batching.py): concurrent requests
share one call, and each caller gets its own answer."""

from __future__ import annotations

import asyncio

import pytest

from services.kernel.batching import MicroBatcher


class Upstream:
    def __init__(self, fail: Exception | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail = fail

    async def send(self, items: list[int]) -> list:
        self.batches.append(items)
        if self.fail:
            raise self.fail
        return [ValueError(f"odd {n}") if n % 2 else n * 10 for n in items]


async def test_concurrent_requests_share_one_call_and_get_their_own_answers():
    upstream = Upstream()
    batcher = MicroBatcher(upstream.send, max_items=100, max_wait=0.01)
    answers = await asyncio.gather(*(batcher.submit(n) for n in range(6)), return_exceptions=True)
    assert upstream.batches == [[0, 1, 2, 3, 4, 5]]
    assert [a if isinstance(a, int) else str(a) for a in answers] == [0, "odd 1", 20, "odd 3", 40, "odd 5"]


async def test_a_full_batch_goes_at_once_and_a_failed_call_fails_its_callers_only():
    upstream = Upstream(fail=ConnectionError("upstream away"))
    batcher = MicroBatcher(upstream.send, max_items=2, max_wait=10)
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(asyncio.gather(batcher.submit(1), batcher.submit(2)), timeout=1)
    upstream.fail = None
    assert await asyncio.wait_for(asyncio.gather(batcher.submit(4), batcher.submit(6)), timeout=1) == [40, 60]
    assert upstream.batches == [[1, 2], [4, 6]]


async def test_a_batch_cancelled_at_shutdown_cancels_its_callers():
    started = asyncio.Event()

    async def never(items):
        started.set()
        await asyncio.sleep(3600)

    batcher = MicroBatcher(never, max_items=1)
    caller = asyncio.ensure_future(batcher.submit(1))
    await started.wait()
    for task in list(batcher._in_flight):
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(caller, timeout=1)


async def test_with_a_bound_on_batches_in_flight_what_arrives_meanwhile_leaves_together():
    release = asyncio.Event()
    sent: list[list[int]] = []

    async def slow(items):
        sent.append(items)
        await release.wait()
        return [n * 10 for n in items]

    batcher = MicroBatcher(slow, max_items=3, max_wait=0.001, max_in_flight=1)
    first = asyncio.ensure_future(batcher.submit(0))
    await asyncio.sleep(0.01)  # the first batch is in flight, alone
    later = [asyncio.ensure_future(batcher.submit(n)) for n in range(1, 6)]
    await asyncio.sleep(0.01)
    assert sent == [[0]]  # the others wait for it
    release.set()
    assert await asyncio.wait_for(asyncio.gather(first, *later), timeout=1) == [0, 10, 20, 30, 40, 50]
    assert sent == [[0], [1, 2, 3], [4, 5]]  # at most max_items a batch
