"""An open-loop load generator at a constant arrival rate (wrk2's and k6's
constant-arrival-rate executor): request k is due at ``k / rate`` seconds
after the start whatever happened to the requests before it, and its
latency is measured from that intended instant, not from when it was
actually sent. A slow answer therefore delays no later request and the
generator's own lag counts against the latency (no coordinated omission).

Concurrency is bounded only as a safety cap: a request due while
``max_in_flight`` are outstanding is not sent and counted as dropped; one
sent more than ``late_after`` seconds after its instant is counted late.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Done:
    """One answered request: seconds from the start of the schedule."""

    intended: float
    answered: float
    result: object

    @property
    def latency(self) -> float:
        return self.answered - self.intended


@dataclass
class Schedule:
    """What a run offered and what became of it."""

    rate: float
    offered: int = 0  # requests due
    dropped: int = 0  # not sent: the cap was reached
    late: int = 0  # sent later than late_after after their instant
    max_lag: float = 0.0  # the longest a due request waited to be sent
    done: list[Done] = field(default_factory=list)
    seconds: float = 0.0  # from the start to the last answer


class OpenLoop:
    """``call(k)`` makes request k's coroutine; its return value is kept with
    its timing in ``Done.result``. ``send_all`` returns once every request
    is sent (or dropped); ``finish`` waits for their answers."""

    def __init__(
        self,
        rate: float,
        seconds: float,
        call: Callable[[int], Awaitable[object]],
        max_in_flight: int = 1000,
        late_after: float = 0.01,
    ) -> None:
        self._rate, self._count = rate, int(rate * seconds)
        self._call, self._cap, self._late_after = call, max_in_flight, late_after
        self._tasks: set[asyncio.Task] = set()
        self._start = 0.0
        self.schedule = Schedule(rate)

    def elapsed(self) -> float:
        return time.perf_counter() - self._start

    async def send_all(self) -> None:
        s = self.schedule
        self._start = time.perf_counter()
        for k in range(self._count):
            intended = k / self._rate
            # Always yield, even when behind, so the answers keep being read.
            await asyncio.sleep(max(intended - self.elapsed(), 0))
            s.offered += 1
            lag = self.elapsed() - intended
            s.max_lag = max(s.max_lag, lag)
            if len(self._tasks) >= self._cap:
                s.dropped += 1
                continue
            if lag > self._late_after:
                s.late += 1
            task = asyncio.create_task(self._one(k, intended))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _one(self, k: int, intended: float) -> None:
        result = await self._call(k)
        self.schedule.done.append(Done(intended, self.elapsed(), result))

    async def finish(self) -> Schedule:
        if self._tasks:
            await asyncio.gather(*self._tasks)
        self.schedule.seconds = self.elapsed()
        return self.schedule

    async def run(self) -> Schedule:
        await self.send_all()
        return await self.finish()
