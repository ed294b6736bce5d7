"""The soak's load generator (bench/open_loop.py) is open-loop: requests go
out on their schedule whether or not earlier ones were answered, and
latency counts from each request's place on the schedule."""

from __future__ import annotations

import asyncio
import time

import pytest

from bench.open_loop import OpenLoop


async def test_requests_go_out_while_earlier_ones_wait_for_their_answers():
    answer = asyncio.Event()
    started: list[int] = []

    async def call(k: int) -> int:
        started.append(k)
        await answer.wait()  # nothing is answered until every request was sent
        return k

    loop = OpenLoop(rate=1000, seconds=0.05, call=call)
    await loop.send_all()
    answer.set()
    schedule = await loop.finish()

    assert schedule.offered == 50 and schedule.dropped == 0
    assert sorted(started) == list(range(50))
    assert sorted(d.result for d in schedule.done) == list(range(50))


async def test_a_request_sent_late_is_timed_from_its_instant_on_the_schedule():
    async def call(k: int) -> int:
        if k == 0:
            time.sleep(0.03)  # holds up the generator: the next requests leave late
        return k

    schedule = await OpenLoop(rate=1000, seconds=0.01, call=call).run()

    assert schedule.late > 0
    second = next(d for d in schedule.done if d.result == 1)
    assert second.intended == pytest.approx(0.001)
    assert second.latency >= 0.03 - 0.001  # the generator's lag counts against it


async def test_requests_due_at_the_cap_are_dropped_and_counted():
    answer = asyncio.Event()

    async def call(k: int) -> int:
        await answer.wait()
        return k

    loop = OpenLoop(rate=1000, seconds=0.03, call=call, max_in_flight=10)
    await loop.send_all()
    answer.set()
    schedule = await loop.finish()

    assert schedule.offered == 30
    assert schedule.dropped == 20
    assert sorted(d.result for d in schedule.done) == list(range(10))
