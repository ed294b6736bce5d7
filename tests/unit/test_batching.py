"""Group commit between services (kernel/batching.py): concurrent requests
share one call, and each caller gets its own answer."""

from __future__ import annotations

import asyncio

import pytest

from services.kernel import calls
from services.kernel.batching import BatchAnswerMismatch, MicroBatcher
from services.kernel.errors import DomainError, ErrorKind


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


# R21: requests that travel together share no fate they did not earn.


async def _with_deadline(seconds: float, coro):
    """Runs ``coro`` as a call served with ``seconds`` left (as the interceptor sets it)."""
    calls.set_incoming_deadline(seconds)
    return await coro


async def test_r21_a_batch_runs_under_its_longest_deadline_not_the_caller_that_filled_it():
    seen: list[float] = []

    async def send(items):
        seen.append(calls.timeout_left(default=60))
        return items

    batcher = MicroBatcher(send, max_items=2, max_wait=10, max_batch_seconds=30)
    # The patient caller arms the batch; the impatient one fills it, so it leaves from its context.
    patient = asyncio.create_task(_with_deadline(20, batcher.submit(1)))
    await asyncio.sleep(0)
    impatient = asyncio.create_task(_with_deadline(0.05, batcher.submit(2)))
    assert await asyncio.gather(patient, impatient) == [1, 2]
    assert 10 < seen[0] <= 20  # the patient member's deadline: neither 0.05 s nor none


async def test_r21_batches_chained_after_an_impatient_one_do_not_inherit_its_deadline():
    seen: list[float] = []

    async def send(items):
        seen.append(calls.timeout_left(default=60))
        await asyncio.sleep(0.01)
        return items

    batcher = MicroBatcher(send, max_items=1, max_wait=0.001, max_in_flight=1, max_batch_seconds=30)
    first = asyncio.create_task(_with_deadline(0.5, batcher.submit(1)))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(batcher.submit(n)) for n in range(2, 5)]  # no deadline: the cap
    assert await asyncio.gather(first, *rest) == [1, 2, 3, 4]
    assert seen[0] <= 0.5
    assert all(left > 10 for left in seen[1:])


async def test_r21_a_caller_that_gives_up_leaves_the_batch_and_the_others_are_answered():
    upstream = Upstream()
    batcher = MicroBatcher(upstream.send, max_items=100, max_wait=0.05)
    leaving = asyncio.create_task(batcher.submit(3))
    staying = asyncio.create_task(batcher.submit(4))
    await asyncio.sleep(0.01)
    leaving.cancel()
    assert await staying == 40
    assert upstream.batches == [[4]]  # the one who left was never sent


async def test_r21_a_full_queue_is_refused_at_once_with_a_retry_delay():
    release = asyncio.Event()

    async def send(items):
        await release.wait()
        return items

    batcher = MicroBatcher(send, max_items=2, max_wait=10, max_in_flight=1, max_waiting=4)
    queued = [asyncio.create_task(batcher.submit(n)) for n in range(6)]  # 2 in flight, 4 waiting
    await asyncio.sleep(0.01)
    with pytest.raises(DomainError) as refused:
        await batcher.submit(99)
    assert (refused.value.kind, refused.value.reason) == (ErrorKind.RESOURCE_EXHAUSTED, "OVERLOADED")
    assert refused.value.retry_delay and refused.value.retry_delay > 0
    release.set()
    assert await asyncio.gather(*queued) == list(range(6))


async def test_r21_an_answer_of_the_wrong_length_fails_every_member_and_nobody_hangs():
    async def send(items):
        return items[:-1]

    batcher = MicroBatcher(send, max_items=3, max_wait=10)
    answers = await asyncio.wait_for(
        asyncio.gather(*(batcher.submit(n) for n in range(3)), return_exceptions=True), timeout=1
    )
    assert all(isinstance(a, BatchAnswerMismatch) for a in answers)
